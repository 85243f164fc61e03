// Shared by the test projects that reference Caffe2Sharp.Runtime (linked in by their .csproj).
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Tests;

/// <summary>
/// Sets the element-wise driver's process-wide thresholds for one test and restores them when
/// disposed: <c>using var _ = new DriverSettings { ParallelThreshold = 64 };</c>. Tests that use it
/// belong to a collection with parallelization disabled.
/// </summary>
internal sealed class DriverSettings : IDisposable
{
    private readonly int _parallelThreshold = ElementwiseDriver.ParallelThreshold;
    private readonly long _nonTemporalThresholdBytes = ElementwiseDriver.NonTemporalThresholdBytes;

    public int ParallelThreshold
    {
        get => ElementwiseDriver.ParallelThreshold;
        init => ElementwiseDriver.ParallelThreshold = value;
    }

    public long NonTemporalThresholdBytes
    {
        get => ElementwiseDriver.NonTemporalThresholdBytes;
        set => ElementwiseDriver.NonTemporalThresholdBytes = value;
    }

    public void Dispose()
    {
        ElementwiseDriver.ParallelThreshold = _parallelThreshold;
        ElementwiseDriver.NonTemporalThresholdBytes = _nonTemporalThresholdBytes;
    }
}
