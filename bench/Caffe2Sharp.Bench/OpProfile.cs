// Hand-written.
using System.Globalization;
using System.Text.Json;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Caffe2Sharp.Bench;

/// <summary>
/// <c>profile NET [THREADS] [RUNS]</c>: where the time of one real net goes, ours against ONNX
/// Runtime on the exported model, per operator. Ours: the optimised net under a
/// <see cref="TimingObserver"/>. ORT: its own profiler (<c>SessionOptions.EnableProfiling</c>), the
/// kernel time of every node averaged over the runs. Both warm up for 3 s first. The two lists are printed in run order,
/// each with its operator type, so the layers can be read against each other.
/// </summary>
internal static class OpProfile
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || !RealNetModels.Names.Contains(args[0], StringComparer.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine("usage: profile NET [THREADS] [RUNS]; NET: " + string.Join(", ", RealNetModels.Names));
            return 2;
        }
        int threads = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
        var net = RealNetModels.Load(args[0]);
        var catalog = new OperatorCatalog().AddStandardOperators();
        var x = net.MakeInput(args[0].Equals("SqueezeNet", StringComparison.OrdinalIgnoreCase) ? 60f : 1f);

        var predictor = new Predictor(catalog, net.Init, net.Predict, pool: BenchPools.For(threads));
        var feed = new Dictionary<string, Tensor> { [net.Input] = x };
        // Warm up for seconds, not runs: until tiered compilation has finished its background
        // work, the JIT thread takes a core (on two cores, half of a 2-thread run).
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (int w = 0; w < 10 || warm.Elapsed.TotalSeconds < 3; w++) predictor.Run(feed);
        var timing = TimingObserver.AttachTo(predictor.Net);
        for (int r = 0; r < runs; r++) predictor.Net.Run();
        var ours = timing.CreateReport();

        string prefix = Path.Combine(Path.GetTempPath(), $"ort-profile-{Environment.ProcessId}");
        var ort = new List<(string Name, string Op, double Us)>();
        using (var options = new SessionOptions
        {
            IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        })
        {
            options.EnableProfiling = true;
            options.ProfileOutputPathPrefix = prefix;
            using var session = new InferenceSession(net.ExportOnnx(catalog), options);
            using var input = OrtValue.CreateTensorValueFromMemory(x.ToArray<float>(), net.InputShape);
            var ortWarm = System.Diagnostics.Stopwatch.StartNew();
            int ortRuns = 0;
            for (; ortRuns < 10 || ortWarm.Elapsed.TotalSeconds < 3; ortRuns++)
            {
                using var o = session.Run(new RunOptions(), [net.Input], [input], [net.Output]);
            }
            for (int r = 0; r < runs; r++)
            {
                using var o = session.Run(new RunOptions(), [net.Input], [input], [net.Output]);
            }
            string file = session.EndProfiling();
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            File.Delete(file);
            var events = new Dictionary<string, List<double>>();
            var opOf = new Dictionary<string, string>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node") continue;
                string name = e.GetProperty("name").GetString()!;
                if (!name.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                string node = name[..^"_kernel_time".Length];
                string op = e.GetProperty("args").TryGetProperty("op_name", out var on) ? on.GetString()! : "?";
                double us = e.GetProperty("dur").GetDouble();
                if (!events.TryGetValue(node, out var list)) events[node] = list = [];
                list.Add(us);
                opOf[node] = op;
            }
            // Only the timed runs: the last `runs` events of each node, in the order nodes first ran.
            ort.AddRange(events.Select(kv => (kv.Key, opOf[kv.Key], kv.Value.TakeLast(runs).Average())));
        }

        Console.WriteLine($"{args[0]}, {threads} thread(s), {runs} runs. Ours: net {ours.NetMeanSeconds * 1e3:F3} ms; ORT: kernels {ort.Sum(o => o.Us) / 1e3:F3} ms (profiler on).");
        int rows = Math.Max(ours.Operators.Count, ort.Count);
        Console.WriteLine($"{"#",3} {"ours",-44} {"ms",8} | {"ORT",-44} {"ms",8}");
        for (int k = 0; k < rows; k++)
        {
            string a = k < ours.Operators.Count ? Trim(ours.Operators[k].Label, 44) : "";
            string am = k < ours.Operators.Count ? (ours.Operators[k].MeanSeconds * 1e3).ToString("F3", CultureInfo.InvariantCulture) : "";
            string b = k < ort.Count ? Trim($"{ort[k].Op} {ort[k].Name}", 44) : "";
            string bm = k < ort.Count ? (ort[k].Us / 1e3).ToString("F3", CultureInfo.InvariantCulture) : "";
            Console.WriteLine($"{k,3} {a,-44} {am,8} | {b,-44} {bm,8}");
        }
        return 0;
    }

    private static string Trim(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";
}
