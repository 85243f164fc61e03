// Hand-written.
using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Caffe2Sharp.Kernels;

/// <summary>Settings of a <see cref="ComputePool"/> and of the kernels that run on it.</summary>
public sealed record ComputePoolOptions
{
    /// <summary>
    /// Threads one parallel region may use at most, the caller included; the pool starts one fewer
    /// helper threads. Defaults to the number of processors. 1 makes a pool that never starts a thread.
    /// </summary>
    public int ThreadCount { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Work, in element-cost units (elements times the kernel's cost per element), from which a
    /// kernel splits its range across threads. Below it, waking a second thread costs more than it
    /// saves. Chosen from the benchmarks in <c>docs/performance.md</c> (131072 elements of a
    /// one-unit kernel such as LeakyRelu).
    /// </summary>
    public long ParallelWorkThreshold { get; init; } = DefaultParallelWorkThreshold;

    /// <summary>
    /// Destination size in bytes from which an out-of-place element-wise call writes with
    /// non-temporal (streaming) stores. Below it the output stays in cache for the next operator;
    /// above it an ordinary store first reads every destination line (a read-for-ownership), a
    /// third stream of memory traffic that a plain copy avoids. In place, lines are already cached
    /// and ordinary stores are used at every size. Chosen from <c>docs/performance.md</c>.
    /// </summary>
    public long NonTemporalThresholdBytes { get; init; } = DefaultNonTemporalThresholdBytes;

    /// <summary>The default of <see cref="ParallelWorkThreshold"/>: 1 &lt;&lt; 17.</summary>
    public const long DefaultParallelWorkThreshold = 1 << 17;

    /// <summary>The default of <see cref="NonTemporalThresholdBytes"/>: 4 MiB.</summary>
    public const long DefaultNonTemporalThresholdBytes = 4L << 20;

    internal void Validate()
    {
        if (ThreadCount < 1) throw new ArgumentOutOfRangeException(nameof(ThreadCount), ThreadCount, "ThreadCount must be at least 1.");
        if (ParallelWorkThreshold < 1) throw new ArgumentOutOfRangeException(nameof(ParallelWorkThreshold), ParallelWorkThreshold, "ParallelWorkThreshold must be at least 1.");
        if (NonTemporalThresholdBytes < 0) throw new ArgumentOutOfRangeException(nameof(NonTemporalThresholdBytes), NonTemporalThresholdBytes, "NonTemporalThresholdBytes must not be negative.");
    }
}

/// <summary>Counters of a <see cref="ComputePool"/> since it was created.</summary>
/// <param name="Regions">Parallel regions started (calls that split their range).</param>
/// <param name="HelpersWanted">Helper threads those regions asked for.</param>
/// <param name="HelpersGranted">Helper threads they got (fewer only when every helper was busy in other regions).</param>
/// <param name="RegionsShortOfHelpers">Regions that got fewer helpers than they asked for.</param>
public readonly record struct ComputePoolStatistics(long Regions, long HelpersWanted, long HelpersGranted, long RegionsShortOfHelpers);

/// <summary>
/// The threads a runtime's kernels share: one pool per runtime (not per process), borrowed by
/// every workspace and net of that runtime. Several parallel regions may run at once, each on
/// its caller's thread plus the helpers it was granted.
/// </summary>
/// <remarks>
/// <para>Not the .NET thread pool: queueing to it costs microseconds of wake-up and, now and then,
/// allocations of its own, which show on kernels that take 20 to 200 microseconds. These helpers
/// are created once, spin briefly after each region so a back-to-back region starts at once (as
/// ONNX Runtime's pool does), then block.</para>
/// <para><b>Admission.</b> A region asks for up to <c>degree - 1</c> helpers and is granted every
/// idle one up to that number, at once and without waiting; concurrent regions get disjoint
/// helpers. A helper marks itself idle before it reports its region done, so a caller that starts
/// its next region finds it free. A region granted fewer helpers than it asked for (all busy) is
/// counted in <see cref="Statistics"/>, never silently serialised behind another region.</para>
/// <para>Steady state allocates nothing: regions are objects the kernels cache per thread.</para>
/// </remarks>
public sealed class ComputePool : IDisposable
{
    private readonly Helper[] _helpers;
    private long _regions, _wanted, _granted, _short;
    private volatile bool _disposed;

    /// <summary>Creates a pool and starts <c>ThreadCount - 1</c> helper threads.</summary>
    public ComputePool(ComputePoolOptions? options = null)
    {
        Options = options ?? new ComputePoolOptions();
        Options.Validate();
        _helpers = new Helper[Options.ThreadCount - 1];
        for (int k = 0; k < _helpers.Length; k++) _helpers[k] = new Helper(this, k);
    }

    /// <summary>A pool with no helper threads and default thresholds: every kernel runs on its caller.</summary>
    public static ComputePool Serial { get; } = new(new ComputePoolOptions { ThreadCount = 1 });

    /// <summary>The settings this pool was created with.</summary>
    public ComputePoolOptions Options { get; }

    /// <summary>The most threads one region can use: the helpers plus the caller.</summary>
    public int MaxDegreeOfParallelism => _helpers.Length + 1;

    /// <summary>Counters since creation.</summary>
    public ComputePoolStatistics Statistics => new(
        Interlocked.Read(ref _regions), Interlocked.Read(ref _wanted), Interlocked.Read(ref _granted), Interlocked.Read(ref _short));

    /// <summary>Stops the helper threads once they are idle. Later regions run on their callers.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(this, Serial)) return;
        _disposed = true;
        foreach (var h in _helpers) h.Wake();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the calling thread and up to <paramref name="helpersWanted"/>
    /// idle helpers; returns when every chunk is done and every granted helper has left.
    /// </summary>
    internal void Run(ParallelRegion work, int helpersWanted)
    {
        int granted = 0;
        if (!_disposed)
        {
            for (int k = 0; k < _helpers.Length && granted < helpersWanted; k++)
                if (_helpers[k].TryReserve()) work.Granted[granted++] = _helpers[k];
        }
        Interlocked.Increment(ref _regions);
        Interlocked.Add(ref _wanted, helpersWanted);
        Interlocked.Add(ref _granted, granted);
        if (granted < helpersWanted) Interlocked.Increment(ref _short);
        work.RunWith(granted);
    }

    /// <summary>One helper thread: reserved by a region, started, runs chunks, marks itself idle.</summary>
    internal sealed class Helper
    {
        // How long an idle helper spins for the next region before it blocks.
        private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 us
        private readonly ComputePool _pool;
        private readonly object _gate = new();
        private ParallelRegion? _work;
        private const int Dead = 2;
        private int _reserved; // 1 from TryReserve until the helper is done with the region; Dead once it has exited
        private int _signal;
        private bool _sleeping;

        public Helper(ComputePool pool, int index)
        {
            _pool = pool;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"Caffe2Sharp compute {index}" };
            thread.Start();
        }

        /// <summary>Idle again: called before the region hears this helper is done, so its caller,
        /// starting the next region at once, finds the helper free.</summary>
        public void MarkIdle() => Volatile.Write(ref _reserved, 0);

        public bool TryReserve() => Volatile.Read(ref _reserved) == 0 && Interlocked.CompareExchange(ref _reserved, 1, 0) == 0;

        /// <summary>
        /// Takes back <paramref name="region"/>, given by <see cref="Start"/>, if this helper has
        /// not taken it yet (its thread has not been scheduled): true if revoked, the helper idle
        /// again and never touching the region; false if it has taken it and will report done
        /// itself. Only this region's start can be revoked (a compare-exchange on it), never a
        /// later region's that reserved the helper after it went idle.
        /// </summary>
        public bool TryRevoke(ParallelRegion region)
        {
            if (Interlocked.CompareExchange(ref _work, null, region) != region) return false;
            MarkIdle();
            return true;
        }

        public void Start(ParallelRegion work)
        {
            Volatile.Write(ref _work, work);
            Volatile.Write(ref _signal, 1);
            Wake();
        }

        public void Wake()
        {
            lock (_gate)
            {
                if (_sleeping) Monitor.Pulse(_gate);
            }
        }

        private void Loop()
        {
            while (true)
            {
                long spinUntil = Stopwatch.GetTimestamp() + SpinTicks;
                // The signal, not the pulse, says there is work: Start writes the signal before it
                // wakes, and the sleeper re-reads the signal under the gate before waiting, so a
                // wake-up is never lost.
                while (Volatile.Read(ref _signal) == 0)
                {
                    // Exit only from idle, claimed atomically: a helper reserved just before (or
                    // while) the pool was disposed still gets its Start and serves that region,
                    // so its caller never waits for a helper that has gone.
                    if (_pool._disposed && Interlocked.CompareExchange(ref _reserved, Dead, 0) == 0) return;
                    if (Stopwatch.GetTimestamp() < spinUntil)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }
                    lock (_gate)
                    {
                        _sleeping = true;
                        while (Volatile.Read(ref _signal) == 0 && !(_pool._disposed && Volatile.Read(ref _reserved) == 0)) Monitor.Wait(_gate);
                        _sleeping = false;
                    }
                }
                Volatile.Write(ref _signal, 0);
                // Take the region; null if its caller revoked it meanwhile (TryRevoke).
                var work = Interlocked.Exchange(ref _work, null);
                if (work is null) continue;
                work.RunAsHelper(this);
            }
        }
    }
}

/// <summary>
/// A range of work split into chunks that the caller and granted helpers claim with an
/// interlocked counter. Subclasses (the kernels' cached work items) set their operands and
/// implement <see cref="RunRange"/>.
/// </summary>
/// <remarks>
/// The caller waits until every granted helper has finished (not merely until the chunks are
/// done), so no helper touches the object once the caller has returned and may reuse it.
/// </remarks>
internal abstract class ParallelRegion
{
    // A plain monitor, not ManualResetEventSlim: that one allocates its lock object the first time
    // a wait blocks, which could land in any call; this gate exists from the start.
    private readonly object _helpersDone = new();
    internal ComputePool.Helper[] Granted = [];
    private long _length;
    private int _chunks, _nextChunk, _pendingHelpers, _alignment;
    private ExceptionDispatchInfo? _error;

    /// <summary>Runs elements [start, end).</summary>
    protected abstract void RunRange(long start, long end);

    /// <summary>
    /// Splits [0, length) into <paramref name="chunks"/> chunks on multiples of
    /// <paramref name="alignment"/> and runs them on at most <paramref name="maxDegreeOfParallelism"/> threads.
    /// </summary>
    public void Run(ComputePool pool, long length, int chunks, int alignment, int maxDegreeOfParallelism)
    {
        _length = length;
        _chunks = chunks;
        _alignment = alignment;
        _nextChunk = 0;
        _error = null;
        int wanted = Math.Min(Math.Min(chunks, maxDegreeOfParallelism), pool.MaxDegreeOfParallelism) - 1;
        if (Granted.Length < wanted) Granted = new ComputePool.Helper[pool.MaxDegreeOfParallelism];
        pool.Run(this, wanted);
    }

    internal void RunWith(int granted)
    {
        Volatile.Write(ref _pendingHelpers, granted);
        for (int h = 0; h < granted; h++) Granted[h].Start(this);
        RunChunks();
        if (granted > 0)
        {
            // Every chunk is claimed. A helper whose thread has not run yet (on a loaded machine
            // that can take a scheduler time slice, milliseconds) would only find nothing left:
            // revoke it rather than wait for it, as ONNX Runtime's pool revokes unstarted work.
            for (int h = 0; h < granted; h++)
                if (Granted[h].TryRevoke(this)) Interlocked.Decrement(ref _pendingHelpers);
            WaitForHelpers();
            for (int h = 0; h < granted; h++) Granted[h] = null!;
        }
        var error = _error;
        _error = null;
        error?.Throw();
    }

    /// <summary>Runs chunks on a helper thread, then reports that this helper is done.</summary>
    public void RunAsHelper(ComputePool.Helper self)
    {
        RunChunks();
        self.MarkIdle();
        if (Interlocked.Decrement(ref _pendingHelpers) == 0)
        {
            lock (_helpersDone) Monitor.PulseAll(_helpersDone);
        }
    }

    // How long a caller spins for its helpers before it blocks: helpers usually finish within
    // microseconds of the caller, and a blocked caller takes tens of microseconds to wake.
    private static readonly long WaitSpinTicks = Stopwatch.Frequency / 10_000; // 100 us

    /// <summary>
    /// Spins briefly (helpers usually finish within microseconds of the caller), then blocks.
    /// The last helper pulses under the lock after its decrement, so a caller that finds helpers
    /// pending under the lock is always woken.
    /// </summary>
    private void WaitForHelpers()
    {
        // A pure busy spin (no yield: on a loaded machine a yield can hand the core to another
        // process for a whole time slice) for up to WaitSpinTicks, as ONNX Runtime's caller spins.
        long spinUntil = Stopwatch.GetTimestamp() + WaitSpinTicks;
        while (Volatile.Read(ref _pendingHelpers) != 0 && Stopwatch.GetTimestamp() < spinUntil) Thread.SpinWait(20);
        if (Volatile.Read(ref _pendingHelpers) == 0) return;
        // Helpers write through the caller's pointers until they report done, so the caller must
        // not leave early: an interrupt is held back until they have, then raised.
        bool interrupted = false;
        lock (_helpersDone)
        {
            while (Volatile.Read(ref _pendingHelpers) != 0)
            {
                try
                {
                    Monitor.Wait(_helpersDone);
                }
                catch (ThreadInterruptedException)
                {
                    interrupted = true;
                }
            }
        }
        if (interrupted) throw new ThreadInterruptedException();
    }

    private void RunChunks()
    {
        int c;
        while ((c = Interlocked.Increment(ref _nextChunk) - 1) < _chunks)
        {
            var (start, end) = ChunkBounds(_length, _chunks, c, _alignment);
            try
            {
                if (start < end) RunRange(start, end);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }
        }
    }

    /// <summary>The [start, end) of chunk <paramref name="index"/> of <paramref name="chunks"/>, bounds on multiples of <paramref name="alignment"/>.</summary>
    internal static (long Start, long End) ChunkBounds(long length, int chunks, int index, int alignment)
    {
        long per = (length + chunks - 1) / chunks;
        per = (per + alignment - 1) / alignment * alignment;
        long start = Math.Min(length, per * index);
        long end = Math.Min(length, start + per);
        return (start, end);
    }
}
