// Hand-written.
using System.Diagnostics;
using System.Globalization;
using Caffe2Sharp.Bench.Baseline;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Arithmetic;

namespace Caffe2Sharp.Bench;

/// <summary>
/// The <c>port</c> mode (issue #8): the ported kernels against the frozen pre-port baseline,
/// interleaved. BenchmarkDotNet times one case after another, so on a shared, loaded machine a
/// change in load between two cases shows up as a ratio; here each round times the ported kernel
/// and then the baseline on the same buffers, alternating which goes first, and the ratio is
/// taken per round. Prints, per row, the median over rounds of (baseline time / ported time)
/// (above 1 = ported faster) and the ratio of the best rounds.
/// </summary>
internal static class PortProbe
{
    private const float Alpha = Reference.Alpha;

    public static int Run(bool quick, int[] sizes)
    {
        int rounds = quick ? 7 : 21;
        double roundSeconds = quick ? 0.01 : 0.02;
        Console.WriteLine($"Ported / baseline, interleaved; {rounds} rounds of ~{roundSeconds * 1000:0} ms per side. Processors: {Environment.ProcessorCount}.");
        Console.WriteLine($"{"row",-22} {"N",9} {"median ratio",13} {"best ratio",11} {"ported us",10} {"baseline us",12}");
        foreach (int n in sizes)
        {
            var x = AlignedBuffer.Random(n, 1);
            var x1 = AlignedBuffer.Random(n, 2);
            var y = new AlignedBuffer(n);
            var z = new AlignedBuffer(n);
            for (int i = 0; i < 32; i++) LeakyReluKernels.Forward(z.Span, z.Span, Alpha); // z = 0: settled for in place
            foreach (int t in (int[])[1, 2])
            {
                var pool = BenchPools.For(t);
                Row($"LeakyRelu_{t}T", n, rounds, roundSeconds,
                    () => LeakyReluKernels.Forward(x.Span, y.Span, Alpha, pool),
                    () => BaselineLeakyReluKernels.Forward(x.Span, y.Span, Alpha, t));
                Row($"LeakyReluInPlace_{t}T", n, rounds, roundSeconds,
                    () => LeakyReluKernels.Forward(z.Span, z.Span, Alpha, pool),
                    () => BaselineLeakyReluKernels.Forward(z.Span, z.Span, Alpha, t));
                Row($"LeakyReluGradient_{t}T", n, rounds, roundSeconds,
                    () => LeakyReluKernels.Gradient(x.Span, x1.Span, y.Span, Alpha, pool),
                    () => BaselineLeakyReluKernels.Gradient(x.Span, x1.Span, y.Span, Alpha, t));
                Row($"Sum_{t}T", n, rounds, roundSeconds,
                    () => ElementwiseDriver.Binary(new Sum.AddFunctor(), x.Span, x1.Span, y.Span, pool),
                    () => BaselineSumKernels.Add(x.Span, x1.Span, y.Span, t));
            }
        }
        return 0;
    }

    private static void Row(string name, int n, int rounds, double roundSeconds, Action ported, Action baseline)
    {
        int calls = Calibrate(ported, roundSeconds);
        Time(ported, calls); Time(baseline, calls); // warm
        var ratios = new double[rounds];
        double bestPorted = double.MaxValue, bestBaseline = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            double p, b;
            if (r % 2 == 0) { p = Time(ported, calls); b = Time(baseline, calls); }
            else { b = Time(baseline, calls); p = Time(ported, calls); }
            ratios[r] = b / p;
            bestPorted = Math.Min(bestPorted, p);
            bestBaseline = Math.Min(bestBaseline, b);
        }
        Array.Sort(ratios);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-22} {n,9} {ratios[rounds / 2],12:0.00}x {bestBaseline / bestPorted,10:0.00}x {bestPorted * 1e6,10:0.00} {bestBaseline * 1e6,12:0.00}"));
    }

    private static int Calibrate(Action action, double seconds)
    {
        action();
        var sw = Stopwatch.StartNew();
        int calls = 0;
        while (sw.Elapsed.TotalSeconds < seconds / 4) { action(); calls++; }
        return Math.Max(1, calls * 4);
    }

    /// <summary>Seconds per call over <paramref name="calls"/> calls.</summary>
    private static double Time(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }
}
