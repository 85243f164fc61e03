// Hand-written.
using System.Diagnostics;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary><c>bench</c>: time each op over many runs; bytes per second from cost inference.</summary>
internal sealed class BenchCommand(TextWriter output)
{
    public void Execute(string netPath, string? initPath, string[] inputs, int? threads, int iterations, int warmup)
    {
        if (iterations < 1) throw new CliException($"--iterations must be at least 1; got {iterations}.");
        if (warmup < 0) throw new CliException($"--warmup must be at least 0; got {warmup}.");
        var net = CliRuntime.LoadNet(netPath, "bench");
        var ws = CliRuntime.NewWorkspace(threads);
        if (initPath is not null) ws.RunNetOnce(CliRuntime.LoadNet(initPath, "init"));
        CliRuntime.FeedInputs(ws, net, inputs);
        var created = ws.CreateNet(net);
        var ops = created.Operators;
        // Warm up (at least once, so every output has its shape for the cost report).
        for (int w = 0; w < Math.Max(1, warmup); w++) ws.RunNet(net.Name);

        var ticks = new long[ops.Count];
        for (int it = 0; it < iterations; it++)
        {
            for (int k = 0; k < ops.Count; k++)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    ops[k].Run();
                }
                catch (Exception e) when (e is not OperatorException)
                {
                    throw new OperatorException(net.Name, k, ops[k].Def, e.Message, e);
                }
                ticks[k] += Stopwatch.GetTimestamp() - t0;
            }
        }

        output.WriteLine($"net '{net.Name}': {iterations} runs after {warmup} warm-up, {ws.IntraOpThreads} thread(s) per op");
        output.WriteLine($"{"#",3} {"op",-28} {"mean",12} {"bytes moved",14} {"GB/s",8}");
        double totalSeconds = 0;
        ulong totalBytes = 0;
        for (int k = 0; k < ops.Count; k++)
        {
            double seconds = (double)ticks[k] / Stopwatch.Frequency / iterations;
            totalSeconds += seconds;
            var def = ops[k].Def;
            var schema = CliRuntime.Catalog.Schemas.Find(def.Type);
            string bytesText = "-", rate = "-";
            if (schema is { HasCostInferenceFunction: true })
            {
                var shapes = def.Input.Select(n => ws.GetBlob(n)?.Value is Tensor t ? TensorShape.Create(t.Dims.ToArray(), t.DataType) : TensorShape.Unknown()).ToArray();
                if (shapes.All(s => !s.UnknownShape))
                {
                    ulong bytes = schema.InferCost(def, shapes).BytesMoved;
                    totalBytes += bytes;
                    bytesText = bytes.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
                    rate = (bytes / seconds / 1e9).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            string label = def.Type + (string.IsNullOrEmpty(def.Name) ? "" : $" \"{def.Name}\"");
            output.WriteLine($"{k,3} {label,-28} {Time(seconds),12} {bytesText,14} {rate,8}");
        }
        output.WriteLine($"total: {Time(totalSeconds)} per run" + (totalBytes > 0 ? $", {totalBytes / totalSeconds / 1e9:F2} GB/s over ops with a cost" : ""));
    }

    private static string Time(double seconds) =>
        seconds >= 1e-3 ? $"{seconds * 1e3:F3} ms" : $"{seconds * 1e6:F3} us";
}
