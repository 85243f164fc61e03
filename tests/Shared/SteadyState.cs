// Shared by every test project (linked in by Directory.Build.props).
namespace Caffe2Sharp.Tests;

/// <summary>Asserts that a workload, once warm, allocates nothing on the calling thread.</summary>
public static class SteadyState
{
    /// <summary>
    /// Runs <paramref name="run"/> <paramref name="warmups"/> times, then in windows of
    /// <paramref name="runs"/> calls, up to <paramref name="windows"/> windows, and passes at the
    /// first window that allocated 0 bytes on this thread; fails with every window's count.
    /// </summary>
    /// <returns>How many times <paramref name="run"/> was called, warm-ups included.</returns>
    /// <remarks>
    /// A one-time allocation by the runtime (a method recompiled by tiered compilation, a
    /// per-thread scratch buffer first grown when, on a loaded machine, a chunk of parallel work
    /// lands on this thread rather than a helper) shows in one window only. An allocation per
    /// call shows in every window, so the assertion still fails for it.
    /// </remarks>
    public static int AllocatesNothing(Action run, int runs = 20, int warmups = 2, int windows = 4)
    {
        for (int k = 0; k < warmups; k++) run();
        var counts = new long[windows];
        for (int w = 0; w < windows; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int k = 0; k < runs; k++) run();
            counts[w] = GC.GetAllocatedBytesForCurrentThread() - before;
            if (counts[w] == 0) return warmups + (w + 1) * runs;
        }
        throw new Xunit.Sdk.XunitException(
            $"every window of {runs} warm calls allocated: {string.Join(", ", counts)} bytes on this thread");
    }
}
