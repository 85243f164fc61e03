// Hand-written.
using Caffe2Sharp.Cli;

return new CliApp(Console.Out, Console.Error).Run(args);
