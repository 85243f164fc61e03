// Hand-written.
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Bench;

/// <summary>The compute pools the benchmarks run on: the runtime's threads are passed in, never process-wide.</summary>
internal static class BenchPools
{
    /// <summary>Two threads (the caller and one helper), default thresholds: what the 2T rows use.</summary>
    public static ComputePool TwoThreads { get; } = new(new ComputePoolOptions { ThreadCount = 2 });

    /// <summary>The pool for <paramref name="threads"/> (1 or 2).</summary>
    public static ComputePool For(int threads) => threads == 1 ? ComputePool.Serial : TwoThreads;
}
