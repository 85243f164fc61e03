// Hand-written. FROZEN BASELINE: the pre-port element-wise kernel (commit 069700b), kept only as
// the benchmark baseline for issue #8 ("ported op at least 0.95x the speed of today's kernel in the
// same BenchmarkDotNet run"). Not used by the runtime; do not improve it. Types renamed with a
// Baseline prefix so they do not clash with Caffe2Sharp.Kernels; process-wide statics kept as they were.
using System.Diagnostics;

namespace Caffe2Sharp.Bench.Baseline;

/// <summary>
/// Dedicated helper threads for parallel element-wise regions (one fewer than the processors).
/// </summary>
/// <remarks>
/// Not the .NET thread pool: queueing to it costs a few microseconds of wake-up and, now and then,
/// allocations of its own (queue segments, threads it retires and re-creates), both of which show
/// on every call of a kernel that takes 20 to 200 microseconds. These threads are created once,
/// spin briefly after each region so a back-to-back region starts at once (as ONNX Runtime's pool
/// does), then block. One region owns the helpers at a time; a region that finds them taken (a
/// second caller thread) runs on its own thread instead of queueing behind.
/// </remarks>
internal sealed class BaselineElementwiseWorkers
{
    // Lazy: the constructor starts threads, so it must run exactly once even when callers race.
    private static readonly Lazy<BaselineElementwiseWorkers> s_shared = new(() => new BaselineElementwiseWorkers(Environment.ProcessorCount - 1));
    private readonly Worker[] _workers;
    private int _busy;

    private BaselineElementwiseWorkers(int count)
    {
        _workers = new Worker[Math.Max(0, count)];
        for (int k = 0; k < _workers.Length; k++) _workers[k] = new Worker(k);
    }

    /// <summary>The process-wide helpers.</summary>
    public static BaselineElementwiseWorkers Shared => s_shared.Value;

    /// <summary>How many helper threads there are.</summary>
    public int Count => _workers.Length;

    /// <summary>Takes the helpers for one region; false when another region holds them (not reentrant).</summary>
    public bool TryAcquire() => Interlocked.CompareExchange(ref _busy, 1, 0) == 0;

    /// <summary>Gives the helpers back; call only after every started helper has finished.</summary>
    public void Release() => Volatile.Write(ref _busy, 0);

    /// <summary>Starts helper <paramref name="index"/> on <paramref name="work"/>.</summary>
    public void Start(int index, BaselineElementwiseDriver.ParallelWork work) => _workers[index].Start(work);

    private sealed class Worker
    {
        // How long an idle helper spins for the next region before it blocks.
        private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 us
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private BaselineElementwiseDriver.ParallelWork? _work;
        private int _signal;

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Caffe2Sharp baseline elementwise {index}" };
            thread.Start();
        }

        public void Start(BaselineElementwiseDriver.ParallelWork work)
        {
            _work = work;
            Volatile.Write(ref _signal, 1);
            _wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
                // The signal, not the event, says there is work: Start writes the signal before it
                // sets the event, and the event is reset before the signal is read again, so a
                // wake-up is never lost and a late Set() costs one extra pass, not a spinning loop.
                while (Volatile.Read(ref _signal) == 0)
                {
                    if (Stopwatch.GetTimestamp() < spinUntil)
                    {
                        Thread.SpinWait(20);
                    }
                    else
                    {
                        _wake.Wait();
                        _wake.Reset();
                    }
                }
                // Consume the signal before running: the next Start can only come after this
                // region's caller has seen us finish, which happens after this write.
                Volatile.Write(ref _signal, 0);
                var work = _work!;
                _work = null;
                work.RunAsHelper();
            }
        }
    }
}
