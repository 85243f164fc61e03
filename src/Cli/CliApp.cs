// Hand-written.
using System.CommandLine;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary>
/// The caffe2sharp command line: wiring of commands and options, and the one place that turns
/// exceptions into exit codes (0 ok, 1 user error with a one-line message, 2 internal error).
/// </summary>
public sealed class CliApp(TextWriter output, TextWriter error)
{
    /// <summary>Exit code for success.</summary>
    public const int Ok = 0;
    /// <summary>Exit code for bad input: files, nets, arguments.</summary>
    public const int UserError = 1;
    /// <summary>Exit code for a bug in caffe2sharp.</summary>
    public const int InternalError = 2;

    /// <summary>Runs the tool with <paramref name="args"/> and returns the exit code.</summary>
    public int Run(string[] args)
    {
        var root = BuildCommands();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) error.WriteLine($"caffe2sharp: {e.Message}");
            error.WriteLine("Run 'caffe2sharp --help' for usage.");
            return UserError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
    }

    private readonly Option<string[]> _plugins = new("--plugin")
    {
        Description = "PATH.dll: load the operator packs an assembly declares ([assembly: Caffe2SharpOperatorPack(typeof(...))]); repeatable, before or after the command.",
        Recursive = true,
    };

    private RootCommand BuildCommands()
    {
        var root = new RootCommand("caffe2sharp: run, inspect, convert and benchmark Caffe2 nets (.pb, .pbtxt, .json) and ONNX models (.onnx, .onnxtxt).");
        root.Options.Add(_plugins);

        var net = new Argument<string>("net") { Description = "The net file: .pb (binary), .pbtxt/.prototxt (text) or .json; or an ONNX model (.onnx, .onnxtxt), imported." };
        var init = new Option<string?>("--init") { Description = "An init net run once before the net (weights)." };
        var inputs = new Option<string[]>("--input") { Description = "NAME=FILE: feed blob NAME from an .npy or TensorProto (.pb/.pbtxt/.json) file.", AllowMultipleArgumentsPerToken = true };
        var outputs = new Option<string[]>("--output") { Description = "NAME=FILE: write blob NAME to an .npy or TensorProto file.", AllowMultipleArgumentsPerToken = true };
        var threads = new Option<int?>("--threads") { Description = "Threads one operator may use (default: all processors)." };

        var device = new Option<string?>("--device") { Description = "cpu: run the nets on the CPU whatever device their device_options name (nets exported from GPU training)." };
        var profile = new Option<bool>("--profile") { Description = "Also print each op's time, share, GB/s and GFLOP/s for the run." };
        var noOptimize = new Option<bool>("--no-optimize") { Description = "Run the net as written: no SpatialBN folding, Dropout dropping or buffer reuse." };
        var top = new Option<int?>("--top") { Description = "K: for an output of shape [N, classes] or [N, classes, 1, 1], print each row's K most probable classes." };
        var tensorFormat = new Option<string?>("--tensor-format") { Description = "onnx|caffe2: how --input/--output files other than .npy are read and written (default: ONNX's TensorProto for an ONNX model, Caffe2's for a net)." };
        var run = new Command("run", "Run the init net once, then the net (or an ONNX model); print or save its outputs.") { net, init, inputs, outputs, threads, device, noOptimize, profile, top, tensorFormat };
        run.SetAction(p => Guard(p, rt => new RunCommand(output, rt).Execute(p.GetValue(net)!, p.GetValue(init), p.GetValue(inputs) ?? [], p.GetValue(outputs) ?? [],
            new RunSettings(p.GetValue(threads), CliRuntime.ParseDevice(p.GetValue(device)), !p.GetValue(noOptimize), p.GetValue(profile), p.GetValue(top), p.GetValue(tensorFormat)))));
        root.Subcommands.Add(run);

        var shapes = new Option<string[]>("--shape") { Description = "NAME=d1,d2,...: the shape of an input, for shape and cost inference.", AllowMultipleArgumentsPerToken = true };
        var dtypes = new Option<string[]>("--dtype") { Description = "NAME=TYPE: the element type of an input (float, double, float16, int32, int64, ...; default float).", AllowMultipleArgumentsPerToken = true };
        var inspectInit = new Option<string?>("--init") { Description = "The init net: the shapes of the weights it creates are known (it is analysed, not run); --shape overrides." };
        var inspect = new Command("inspect", "List each op, its verification and warnings, inferred shapes and types, and costs.") { net, inspectInit, shapes, dtypes, device };
        inspect.SetAction(p => Guard(p, rt => new InspectCommand(output, rt).Execute(p.GetValue(net)!, p.GetValue(inspectInit), p.GetValue(shapes) ?? [], p.GetValue(dtypes) ?? [],
            CliRuntime.ParseDevice(p.GetValue(device)))));
        root.Subcommands.Add(inspect);

        var op = new Argument<string?>("op") { Description = "An operator type; all when omitted.", Arity = ArgumentArity.ZeroOrOne };
        var schema = new Command("schema", "Show the operator catalog, or one operator's schema.") { op };
        schema.SetAction(p => Guard(p, rt => new SchemaCommand(output, rt).Execute(p.GetValue(op))));
        root.Subcommands.Add(schema);

        var source = new Argument<string>("in") { Description = "The net or model to read (.pb, .pbtxt, .json, .onnx, .onnxtxt)." };
        var target = new Argument<string>("out") { Description = "The file to write; its extension picks the format (.onnx or .onnxtxt: an ONNX model)." };
        var convertInit = new Option<string?>("--init") { Description = "To ONNX: the init net whose weights become the model's initializers." };
        var initOut = new Option<string?>("--init-out") { Description = "From ONNX: the file for the init net (the weights)." };
        var convertShapes = new Option<string[]>("--shape") { Description = "To ONNX: NAME=d1,d2,... the shape of each input.", AllowMultipleArgumentsPerToken = true };
        var opset = new Option<int?>("--opset") { Description = "To ONNX: the opset to write (default 17)." };
        var convert = new Command("convert", "Convert a net between binary, text and JSON forms, or to and from ONNX.") { source, target, convertInit, initOut, convertShapes, opset };
        convert.SetAction(p => Guard(p, rt => new ConvertCommand(output, rt).Execute(p.GetValue(source)!, p.GetValue(target)!,
            new ConvertSettings(p.GetValue(convertInit), p.GetValue(initOut), p.GetValue(convertShapes), p.GetValue(opset)))));
        root.Subcommands.Add(convert);

        var iterations = new Option<int>("--iterations") { Description = "Timed runs.", DefaultValueFactory = _ => 100 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs first.", DefaultValueFactory = _ => 10 };
        var bench = new Command("bench", "Run a net many times and report the time and bytes per second of each op.") { net, init, inputs, threads, device, noOptimize, iterations, warmup };
        bench.SetAction(p => Guard(p, rt => new BenchCommand(output, rt).Execute(p.GetValue(net)!, p.GetValue(init), p.GetValue(inputs) ?? [], p.GetValue(threads),
            CliRuntime.ParseDevice(p.GetValue(device)), !p.GetValue(noOptimize), p.GetValue(iterations), p.GetValue(warmup))));
        root.Subcommands.Add(bench);
        return root;
    }

    /// <summary>Runs a command over a runtime with the <c>--plugin</c> packs, mapping exceptions to exit codes.</summary>
    private int Guard(ParseResult parse, Action<CliRuntime> action)
    {
        try
        {
            using var runtime = new CliRuntime(parse.GetValue(_plugins) ?? []);
            action(runtime);
            return Ok;
        }
        catch (Exception e) when (IsUserError(e))
        {
            error.WriteLine($"caffe2sharp: {OneLine(e.Message)}");
            return UserError;
        }
        catch (Exception e)
        {
            error.WriteLine($"caffe2sharp: internal error: {OneLine(e.Message)} ({e.GetType().Name}; please report it)");
            return InternalError;
        }
    }

    private static bool IsUserError(Exception e) =>
        e is EnforceNotMetException or CliException or OperatorPackLoadException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException;

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}

/// <summary>A user error detected by the command line itself (bad NAME=VALUE syntax and the like).</summary>
public sealed class CliException(string message) : Exception(message);
