// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary><c>run</c>: through a <see cref="Predictor"/>: init net once, then the net; outputs printed or saved; optionally a per-op profile.</summary>
internal sealed class RunCommand(TextWriter output, CliRuntime runtime)
{
    public void Execute(string netPath, string? initPath, string[] inputs, string[] outputs, int? threads, bool profile)
    {
        var net = CliRuntime.LoadNet(netPath, "predict");
        var init = initPath is null ? null : CliRuntime.LoadNet(initPath, "init");
        var targets = outputs.Select(o => CliRuntime.SplitPair(o, "--output")).ToList();
        var fed = CliRuntime.ReadInputs(inputs);
        var predictor = runtime.NewPredictor(threads, init, net);
        var timing = profile ? TimingObserver.AttachTo(predictor.Net) : null;
        var results = predictor.Run(fed);

        if (targets.Count > 0)
        {
            foreach (var (name, file) in targets)
            {
                // Any blob the run left may be saved, not only the net's outputs.
                var t = results.TryGetValue(name, out var r) ? r
                    : predictor.Workspace.HasBlob(name) ? predictor.Workspace.FetchBlob(name)
                    : throw new CliException($"--output {name}: the net produced no blob named '{name}'.");
                TensorFiles.Write(file, t, name);
                output.WriteLine($"{name} -> {file}");
            }
        }
        else
        {
            foreach (var name in predictor.OutputNames)
            {
                var t = results[name];
                output.WriteLine($"{name}: {t.Describe()}");
                output.WriteLine(TensorPrinter.Format(t));
            }
        }
        if (timing is not null)
        {
            output.WriteLine();
            output.WriteLine($"profile of net '{predictor.Net.Name}' (one run, {predictor.Workspace.IntraOpThreads} thread(s) per op):");
            output.Write(timing.CreateReport().Format());
        }
    }
}
