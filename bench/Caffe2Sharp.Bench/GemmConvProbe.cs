// Hand-written.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Schema.Proto;

namespace Caffe2Sharp.Bench;

/// <summary>
/// The <c>gemm</c> mode (issue 9): our GEMM and Conv against ONNX Runtime's MatMul and Conv,
/// interleaved in one process. Each round times ours then ORT (alternating which goes first) on
/// the same buffers; the ratio (ours GFLOP/s / ORT GFLOP/s = ORT time / our time) is taken per
/// round, and the medians over rounds are printed. <c>--quick</c> runs fewer, shorter rounds;
/// <c>--only TEXT</c> keeps rows whose label ("gemm ...", "conv ..." or "nchwc ...") contains TEXT; <c>--threads 1</c> or <c>2</c> one count.
/// <c>--ours-only</c> / <c>--ort-only</c> time one side alone (in the "ours" columns): ONNX Runtime's
/// intra-op worker keeps spinning after each run, so on two cores an interleaved 2-thread round of
/// ours shares its second core with that spinning thread; run each side in its own process instead.
/// </summary>
internal static class GemmConvProbe
{
    private static string? s_side;

    public static int Run(string[] args)
    {
        if (args.Contains("--peak")) return Peak();
        if (Option(args, "--net") is { } netDir) return Net(netDir, args.Contains("--quick"));
        bool quick = args.Contains("--quick");
        s_side = args.Contains("--ours-only") ? "ours" : args.Contains("--ort-only") ? "ort" : null;
        string? only = Option(args, "--only");
        int[] threadCounts = Option(args, "--threads") is { } t ? [int.Parse(t, CultureInfo.InvariantCulture)] : [1, 2];
        int rounds = quick ? 5 : 15;
        double roundSeconds = quick ? 0.02 : 0.05;
        Console.WriteLine($"Ours vs ONNX Runtime, interleaved; {rounds} rounds of ~{roundSeconds * 1000:0} ms per side; medians. Processors: {Environment.ProcessorCount}.");
        Console.WriteLine($"{"row",-36} {"thr",3} {"ours GF/s",10} {"ORT GF/s",9} {"ratio",6} {"ours ms",8} {"ORT ms",8}");
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
            foreach (var s in GemmConvShapes.Nchwc)
            {
                if (only is not null && !("nchwc " + s.Name).Contains(only, StringComparison.Ordinal)) continue;
                using var c = new NchwcCase(s, threads);
                Row("nchwc " + s.Name, threads, c.Flops, rounds, roundSeconds, c.Ours, c.Ort);
            }
        }
        return 0;
    }

    /// <summary>
    /// This core's FMA peak (<c>gemm --peak</c>): the clock from a chain of dependent 512-bit FMAs
    /// (each waits for the last: cycles = chain length x latency, latency given), and the
    /// throughput of 24 independent chains (GFLOP/s = FMAs/s x 32). Best of 15 runs each.
    /// </summary>
    private static int Peak()
    {
        if (!Vector512.IsHardwareAccelerated) { Console.WriteLine("No AVX-512: peak probe skipped."); return 0; }
        const long n = 20_000_000;
        double best1 = double.MaxValue, best24 = double.MaxValue;
        for (int r = 0; r < 15; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            DependentChain(n);
            best1 = Math.Min(best1, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            t0 = Stopwatch.GetTimestamp();
            IndependentChains(n / 4);
            best24 = Math.Min(best24, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        double fmasPerSecond1 = n * 8 / best1, fmas24 = n / 4 * 24.0 / best24;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dependent FMA chain: {fmasPerSecond1 / 1e9:0.000} G FMA/s -> clock {fmasPerSecond1 * 4 / 1e9:0.00} GHz at 4-cycle latency"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"24 independent chains: {fmas24 / 1e9:0.00} G FMA/s = {fmas24 * 32 / 1e9:0.0} GFLOP/s on this core ({fmas24 / (fmasPerSecond1 * 4):0.00} FMA/cycle)"));
        return 0;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static float DependentChain(long n)
    {
        var a = Vector512.Create(0.999999f);
        var b = Vector512.Create(1e-7f);
        var c = Vector512.Create(1f);
        for (long i = 0; i < n; i++)
        {
            c = Vector512.FusedMultiplyAdd(c, a, b); c = Vector512.FusedMultiplyAdd(c, a, b);
            c = Vector512.FusedMultiplyAdd(c, a, b); c = Vector512.FusedMultiplyAdd(c, a, b);
            c = Vector512.FusedMultiplyAdd(c, a, b); c = Vector512.FusedMultiplyAdd(c, a, b);
            c = Vector512.FusedMultiplyAdd(c, a, b); c = Vector512.FusedMultiplyAdd(c, a, b);
        }
        return c.ToScalar();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static float IndependentChains(long n)
    {
        var a = Vector512.Create(0.999999f);
        var b = Vector512.Create(1e-7f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        Vector512<float> c12 = a, c13 = a, c14 = a, c15 = a, c16 = a, c17 = a, c18 = a, c19 = a, c20 = a, c21 = a, c22 = a, c23 = a;
        for (long i = 0; i < n; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, a, b); c1 = Vector512.FusedMultiplyAdd(c1, a, b); c2 = Vector512.FusedMultiplyAdd(c2, a, b);
            c3 = Vector512.FusedMultiplyAdd(c3, a, b); c4 = Vector512.FusedMultiplyAdd(c4, a, b); c5 = Vector512.FusedMultiplyAdd(c5, a, b);
            c6 = Vector512.FusedMultiplyAdd(c6, a, b); c7 = Vector512.FusedMultiplyAdd(c7, a, b); c8 = Vector512.FusedMultiplyAdd(c8, a, b);
            c9 = Vector512.FusedMultiplyAdd(c9, a, b); c10 = Vector512.FusedMultiplyAdd(c10, a, b); c11 = Vector512.FusedMultiplyAdd(c11, a, b);
            c12 = Vector512.FusedMultiplyAdd(c12, a, b); c13 = Vector512.FusedMultiplyAdd(c13, a, b); c14 = Vector512.FusedMultiplyAdd(c14, a, b);
            c15 = Vector512.FusedMultiplyAdd(c15, a, b); c16 = Vector512.FusedMultiplyAdd(c16, a, b); c17 = Vector512.FusedMultiplyAdd(c17, a, b);
            c18 = Vector512.FusedMultiplyAdd(c18, a, b); c19 = Vector512.FusedMultiplyAdd(c19, a, b); c20 = Vector512.FusedMultiplyAdd(c20, a, b);
            c21 = Vector512.FusedMultiplyAdd(c21, a, b); c22 = Vector512.FusedMultiplyAdd(c22, a, b); c23 = Vector512.FusedMultiplyAdd(c23, a, b);
        }
        var s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11 + c12 + c13 + c14 + c15 + c16 + c17 + c18 + c19 + c20 + c21 + c22 + c23;
        return s.ToScalar();
    }

    /// <summary>
    /// A whole Caffe2 net (<c>gemm --net DIR</c>: DIR/init_net.pb and DIR/predict_net.pb, input
    /// [1, 3, 224, 224] fed to the first external input the init net does not produce), run as is
    /// and with every Conv followed by an in-place Relu fused (the Conv's internal "activation"
    /// argument set, the Relu dropped: what a net optimiser would do), 1 and 2 threads; medians.
    /// </summary>
    private static int Net(string dir, bool quick)
    {
        var init = Caffe2Sharp.Schema.Proto.NetDef.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "init_net.pb")));
        var predict = Caffe2Sharp.Schema.Proto.NetDef.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "predict_net.pb")));
        var produced = new HashSet<string>(init.Op.SelectMany(o => o.Output));
        string input = predict.ExternalInput.FirstOrDefault(n => !produced.Contains(n)) ?? predict.Op[0].Input[0];
        var fused = predict.Clone();
        fused.Name = "fused";
        for (int i = fused.Op.Count - 2; i >= 0; i--)
        {
            var conv = fused.Op[i];
            var next = fused.Op[i + 1];
            if (conv.Type == "Conv" && next.Type == "Relu" && next.Input[0] == conv.Output[0] && next.Output[0] == conv.Output[0])
            {
                conv.SetArgument("activation", "Relu");
                fused.Op.RemoveAt(i + 1);
            }
        }
        predict.Name = "plain";
        int rounds = quick ? 5 : 15;
        var x = AlignedBuffer.Random(3 * 224 * 224, 31);
        foreach (int threads in (int[])[1, 2])
        {
            var ws = new Caffe2Sharp.Runtime.Workspace(new Caffe2Sharp.Runtime.OperatorCatalog().AddStandardOperators(), BenchPools.For(threads));
            ws.RunNetOnce(init);
            ws.FeedBlob<float>(input, x.Span, 1, 3, 224, 224);
            ws.CreateNet(predict);
            ws.CreateNet(fused);
            string output = predict.ExternalOutput.Count > 0 ? predict.ExternalOutput[0] : predict.Op[^1].Output[0];
            ws.RunNet("plain");
            var a = ws.GetBlob(output)!.GetTensor().Data<float>().ToArray();
            ws.RunNet("fused");
            var b = ws.GetBlob(output)!.GetTensor().Data<float>().ToArray();
            for (int i = 0; i < a.Length; i++)
                if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
                    throw new InvalidOperationException($"fused net output {i} is {b[i]:R}, the plain net gives {a[i]:R}");
            if (threads == 1)
            {
                // Per operator type: each op of the plain net run alone (RunOperatorOnce), best of 5.
                var byType = new Dictionary<string, double>();
                foreach (var op in predict.Op)
                {
                    double best = double.MaxValue;
                    for (int r = 0; r < 5; r++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        ws.RunOperatorOnce(op);
                        best = Math.Min(best, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                    }
                    byType[op.Type] = byType.GetValueOrDefault(op.Type) + best;
                }
                Console.WriteLine("per op type, 1 thread (ms): " + string.Join(", ", byType.OrderByDescending(kv => kv.Value).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value * 1e3:0.00}"))));
            }
            foreach (string name in (string[])["plain", "fused"])
            {
                var warm = Stopwatch.StartNew();
                while (warm.Elapsed.TotalSeconds < 0.3) ws.RunNet(name);
                var times = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    for (int i = 0; i < 5; i++) ws.RunNet(name);
                    times[r] = Stopwatch.GetElapsedTime(t0).TotalSeconds / 5;
                }
                Array.Sort(times);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(dir))} {name,-6} {threads} thread(s): median {times[rounds / 2] * 1e3:0.00} ms, best {times[0] * 1e3:0.00} ms ({predict.Op.Count} / {fused.Op.Count} ops)"));
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
        // One side only (--ours-only, --ort-only): the "ours" columns then hold that side's times.
        if (s_side == "ours") ort = static () => { };
        else if (s_side == "ort") { ours = ort; ort = static () => { }; }
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
            $"{name,-36} {threads,3} {flops / o * 1e-9,10:0.0} {flops / x * 1e-9,9:0.0} {ratios[rounds / 2],6:0.00} {o * 1e3,8:0.000} {x * 1e3,8:0.000}"));
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
