// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary><c>bench</c>: run a net through a <see cref="Predictor"/> many times under a <see cref="TimingObserver"/>.</summary>
internal sealed class BenchCommand(TextWriter output, CliRuntime runtime)
{
    public void Execute(string netPath, string? initPath, string[] inputs, int? threads, int? device, bool optimize, int iterations, int warmup)
    {
        if (iterations < 1) throw new CliException($"--iterations must be at least 1; got {iterations}.");
        if (warmup < 0) throw new CliException($"--warmup must be at least 0; got {warmup}.");
        var model = ModelFiles.Load(netPath, initPath, runtime);
        var (net, init) = (model.Predict, model.Init);
        var fed = CliRuntime.ReadInputs(inputs, model.TensorFormatFor(null));
        model.CheckInputs(fed);
        var predictor = runtime.NewPredictor(threads, init, net, device, optimize);
        // Warm up (at least once, so every output has its shape for the cost report).
        for (int w = 0; w < Math.Max(1, warmup); w++) predictor.Run(fed);

        var timing = TimingObserver.AttachTo(predictor.Net);
        for (int it = 0; it < iterations; it++) predictor.Run(fed);

        output.WriteLine($"net '{predictor.Net.Name}': {iterations} runs after {warmup} warm-up, {predictor.Workspace.IntraOpThreads} thread(s) per op");
        RunCommand.PrintOptimizations(output, predictor);
        output.Write(timing.CreateReport().Format());
    }
}
