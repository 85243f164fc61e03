using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Runtime.Tests.Testing;

/// <summary>The shared steady-state allocation check fails for a workload that allocates on every call.</summary>
public class SteadyStateTests
{
    private static object? s_sink;

    [Fact]
    public void AllocatesNothing_FailsForAPerCallAllocation_AndCountsCalls()
    {
        var e = Assert.ThrowsAny<Exception>(() => SteadyState.AllocatesNothing(() => s_sink = new byte[100], runs: 5, windows: 3));
        Assert.Contains("every window of 5 warm calls allocated", e.Message);
        int calls = 0;
        Assert.Equal(2 + 5, SteadyState.AllocatesNothing(() => calls++, runs: 5));
        Assert.Equal(7, calls);
    }
}
