// Hand-written.
namespace Caffe2Sharp.Cli;

/// <summary><c>run</c>: init net once, then the net; outputs printed or saved.</summary>
internal sealed class RunCommand(TextWriter output)
{
    public void Execute(string netPath, string? initPath, string[] inputs, string[] outputs, int? threads)
    {
        var net = CliRuntime.LoadNet(netPath, "predict");
        var init = initPath is null ? null : CliRuntime.LoadNet(initPath, "init");
        var targets = outputs.Select(o => CliRuntime.SplitPair(o, "--output")).ToList();
        var ws = CliRuntime.NewWorkspace(threads);
        if (init is not null) ws.RunNetOnce(init);
        CliRuntime.FeedInputs(ws, net, inputs);
        ws.CreateNet(net);
        ws.RunNet(net.Name);

        if (targets.Count > 0)
        {
            foreach (var (name, file) in targets)
            {
                if (!ws.HasBlob(name)) throw new CliException($"--output {name}: the net produced no blob named '{name}'.");
                TensorFiles.Write(file, ws.FetchBlob(name), name);
                output.WriteLine($"{name} -> {file}");
            }
            return;
        }
        var names = net.ExternalOutput.Count > 0 ? [.. net.ExternalOutput] : net.Op.Count > 0 ? net.Op[^1].Output.ToList() : [];
        foreach (var name in names)
        {
            var t = ws.FetchBlob(name);
            output.WriteLine($"{name}: {t.Describe()}");
            output.WriteLine(TensorPrinter.Format(t));
        }
    }
}
