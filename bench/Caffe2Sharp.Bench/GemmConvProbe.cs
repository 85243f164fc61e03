// Hand-written.
using System.Diagnostics;
using System.Globalization;

namespace Caffe2Sharp.Bench;

/// <summary>
/// The <c>gemm</c> mode (issue 9): our GEMM and Conv against ONNX Runtime's MatMul and Conv,
/// interleaved in one process. Each round times ours then ORT (alternating which goes first) on
/// the same buffers; the ratio (ours GFLOP/s / ORT GFLOP/s = ORT time / our time) is taken per
/// round, and the medians over rounds are printed. <c>--quick</c> runs fewer, shorter rounds;
/// <c>--only TEXT</c> keeps rows whose label ("gemm ..." or "conv ...") contains TEXT; <c>--threads 1</c> or <c>2</c> one count.
/// </summary>
internal static class GemmConvProbe
{
    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        string? only = Option(args, "--only");
        int[] threadCounts = Option(args, "--threads") is { } t ? [int.Parse(t, CultureInfo.InvariantCulture)] : [1, 2];
        int rounds = quick ? 5 : 15;
        double roundSeconds = quick ? 0.02 : 0.05;
        Console.WriteLine($"Ours vs ONNX Runtime, interleaved; {rounds} rounds of ~{roundSeconds * 1000:0} ms per side; medians. Processors: {Environment.ProcessorCount}.");
        Console.WriteLine($"{"row",-28} {"thr",3} {"ours GF/s",10} {"ORT GF/s",9} {"ratio",6} {"ours ms",8} {"ORT ms",8}");
        foreach (int threads in threadCounts)
        {
            foreach (var s in GemmConvShapes.Gemm)
            {
                if (only is not null && !("gemm " + s.Name).Contains(only, StringComparison.Ordinal)) continue;
                using var c = new GemmCase(s, threads);
                Row("gemm " + s.Name, threads, c.Flops, rounds, roundSeconds, c.Ours, c.Ort);
            }
            foreach (var s in GemmConvShapes.Conv)
            {
                if (only is not null && !("conv " + s.Name).Contains(only, StringComparison.Ordinal)) continue;
                using var c = new ConvCase(s, threads);
                Row("conv " + s.Name, threads, c.Flops, rounds, roundSeconds, c.Ours, c.Ort);
            }
        }
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static void Row(string name, int threads, double flops, int rounds, double roundSeconds, Action ours, Action ort)
    {
        // Warm both for ~0.2 s (JIT tiers, caches, ORT's arena), then size the rounds.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 0.2) { ours(); ort(); }
        int calls = Calibrate(ours, roundSeconds);
        var oursT = new double[rounds];
        var ortT = new double[rounds];
        var ratios = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            if (r % 2 == 0) { oursT[r] = Time(ours, calls); ortT[r] = Time(ort, calls); }
            else { ortT[r] = Time(ort, calls); oursT[r] = Time(ours, calls); }
            ratios[r] = ortT[r] / oursT[r];
        }
        Array.Sort(oursT);
        Array.Sort(ortT);
        Array.Sort(ratios);
        double o = oursT[rounds / 2], x = ortT[rounds / 2];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-28} {threads,3} {flops / o * 1e-9,10:0.0} {flops / x * 1e-9,9:0.0} {ratios[rounds / 2],6:0.00} {o * 1e3,8:0.000} {x * 1e3,8:0.000}"));
    }

    private static int Calibrate(Action action, double seconds)
    {
        action();
        var sw = Stopwatch.StartNew();
        int calls = 0;
        while (sw.Elapsed.TotalSeconds < seconds / 4 || calls == 0) { action(); calls++; }
        return Math.Max(1, calls * 4);
    }

    private static double Time(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }
}
