// Hand-written.
using System.Diagnostics;
using System.Globalization;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Activation;

namespace Caffe2Sharp.Bench;

/// <summary>
/// The <c>threshold</c> mode: times the forward kernel with 1 and with 2 threads at 16K..2M floats
/// and prints where 2 threads start to win, the value to give
/// <see cref="ComputePoolOptions.ParallelWorkThreshold"/> (LeakyRelu costs one unit per element).
/// </summary>
/// <remarks>
/// A plain Stopwatch loop, not BenchmarkDotNet: it needs only a ratio between two timings taken
/// side by side. Rounds of 1-thread and 2-thread calls alternate so a change in machine load hits
/// both, and each keeps its best round (the least disturbed). The threshold is lowered to 1 for
/// the run, so the 2-thread calls really split at every size.
/// </remarks>
internal static class ThresholdProbe
{
    private const int MinSize = 1 << 14, MaxSize = 1 << 21;
    private static ComputePool? s_eager;

    /// <summary>2 threads must beat 1 by this factor to count as a win (noise and the cost of a wake-up).</summary>
    private const double WinFactor = 1.10;

    public static int Run(bool quick)
    {
        int rounds = quick ? 3 : 7;
        double roundSeconds = quick ? 0.02 : 0.05;
        using var eager = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        s_eager = eager;
        try
        {
            Console.WriteLine($"LeakyRelu forward kernel, 1 vs 2 threads; best of {rounds} rounds of ~{roundSeconds * 1000:0} ms each.");
            Console.WriteLine($"Processors: {Environment.ProcessorCount}; current ParallelWorkThreshold default: {ComputePoolOptions.DefaultParallelWorkThreshold}.");
            if (LoadAverage() is { } load && load > 0.5)
                Console.WriteLine($"Warning: the 1-minute load average is {load:0.00}; the 2-thread times need an idle second core, so rerun on a quiet machine.");
            Console.WriteLine();
            Console.WriteLine($"{"N",10} {"1 thread us",12} {"2 threads us",13} {"speed-up",9}");
            var results = new List<(int N, double Speedup)>();
            for (int n = MinSize; n <= MaxSize; n *= 2)
            {
                var x = AlignedBuffer.Random(n, n);
                var y = new AlignedBuffer(n);
                double one = double.MaxValue, two = double.MaxValue;
                // Warm up both paths: JIT, thread-pool threads, caches.
                TimeRound(x, y, 1, roundSeconds / 2);
                TimeRound(x, y, 2, roundSeconds / 2);
                for (int r = 0; r < rounds; r++)
                {
                    one = Math.Min(one, TimeRound(x, y, 1, roundSeconds));
                    two = Math.Min(two, TimeRound(x, y, 2, roundSeconds));
                }
                double speedup = one / two;
                results.Add((n, speedup));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{n,10} {one * 1e6,12:0.00} {two * 1e6,13:0.00} {speedup,8:0.00}x"));
            }

            // The crossover: the smallest size from which 2 threads win at every larger size too.
            int? crossover = null;
            for (int i = results.Count - 1; i >= 0 && results[i].Speedup >= WinFactor; i--) crossover = results[i].N;
            Console.WriteLine();
            Console.WriteLine(crossover is { } c
                ? $"Crossover: 2 threads are at least {WinFactor:0.00}x faster from N = {c} ({c / 1024}K) up. Suggested ComputePoolOptions.ParallelWorkThreshold = {c} (1 << {Math.Log2(c):0})."
                : $"No crossover up to N = {MaxSize}: 2 threads never won by {WinFactor:0.00}x at the largest sizes. Keep ParallelWorkThreshold at least {MaxSize}.");
            return 0;
        }
        finally
        {
            s_eager = null;
        }
    }

    /// <summary>The 1-minute load average from /proc/loadavg, or null where there is none.</summary>
    private static double? LoadAverage()
    {
        try
        {
            string first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double load) ? load : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Seconds per call, averaged over as many calls as fit in about <paramref name="seconds"/>.</summary>
    private static double TimeRound(AlignedBuffer x, AlignedBuffer y, int threads, double seconds)
    {
        long budget = (long)(seconds * Stopwatch.Frequency);
        long calls = 0;
        long start = Stopwatch.GetTimestamp(), elapsed;
        do
        {
            // Batches of 8 keep the clock reads out of the way at small sizes.
            for (int k = 0; k < 8; k++) LeakyReluKernels.Forward(x.Span, y.Span, Reference.Alpha, threads == 1 ? ComputePool.Serial : s_eager!);
            calls += 8;
            elapsed = Stopwatch.GetTimestamp() - start;
        }
        while (elapsed < budget);
        return (double)elapsed / Stopwatch.Frequency / calls;
    }
}
