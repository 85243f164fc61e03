// Hand-written.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Caffe2Sharp.Bench;

/// <summary>
/// The columns every benchmark class shows (attached with <c>[Config]</c>, so they appear however
/// the suite is started), and the jobs <see cref="Program"/> chooses between.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig()
    {
        AddColumn(new ThroughputColumn(), RelativeColumn.VsCopy, RelativeColumn.VsOrt, RelativeColumn.VsBaseline);
    }

    /// <summary>
    /// The measurement job: its own process per benchmark, 3 warmup and 10 measured iterations of
    /// about 250 ms each. Enough for a stable mean of a memory-bound loop and short enough that the
    /// whole suite (95 cases) stays near a quarter of an hour on two cores.
    /// </summary>
    public static Job Measure { get; } = Job.Default
        .WithLaunchCount(1)
        .WithWarmupCount(3)
        .WithIterationCount(10)
        .WithIterationTime(TimeInterval.FromMilliseconds(250))
        .WithId("Measure");

    /// <summary>
    /// <see cref="Measure"/> run in this process (<c>--in-process</c>): the same iterations, no
    /// generated project and no process per benchmark. Every case shares one process, so the
    /// baseline's process-wide helper threads and the compute pools' threads coexist (each
    /// blocks 50 us after its last region).
    /// </summary>
    public static Job MeasureInProcess { get; } = Measure
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("MeasureInProcess");

    /// <summary>
    /// The smoke job for CI: one invocation per benchmark, in this process (no generated project to
    /// build, no process per benchmark). It proves every setup, check and benchmark runs; its
    /// times mean nothing.
    /// </summary>
    public static Job Smoke { get; } = Job.Dry
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("Smoke");
}
