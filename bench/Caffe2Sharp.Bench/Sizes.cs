// Hand-written.
namespace Caffe2Sharp.Bench;

/// <summary>
/// The tensor sizes (float elements) the benchmarks run at. Chosen to land in different limits on
/// the reference machine (docs/performance.md): 1K per-call overhead, 64K L1/L2, 1M and 4M L2/L3,
/// 32M (128 MB per tensor) L3 or DRAM bandwidth.
/// </summary>
internal static class Sizes
{
    public static readonly int[] Full = [1 << 10, 1 << 16, 1 << 20, 1 << 22, 1 << 25];

    /// <summary>The smoke run: one size below and one above the default parallel threshold (1 << 17).</summary>
    public static readonly int[] Smoke = [1 << 10, 1 << 20];

    /// <summary>
    /// What <c>[ParamsSource]</c> returns. BenchmarkDotNet evaluates it in the host process and
    /// passes the chosen values to each benchmark process, so setting it in <c>Main</c> is enough.
    /// </summary>
    public static int[] Current { get; set; } = Full;
}
