// Hand-written. FROZEN BASELINE: the pre-port element-wise kernel (commit 069700b), kept only as
// the benchmark baseline for issue #8 ("ported op at least 0.95x the speed of today's kernel in the
// same BenchmarkDotNet run"). Not used by the runtime; do not improve it. Types renamed with a
// Baseline prefix so they do not clash with Caffe2Sharp.Kernels; process-wide statics kept as they were.
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Caffe2Sharp.Bench.Baseline;

/// <summary>
/// The one loop every element-wise kernel runs on: validates lengths and overlap, runs the widest
/// hardware-accelerated vector width, finishes the tail safely (also in place), and splits large
/// inputs across threads.
/// </summary>
/// <remarks>
/// <para><b>Overlap.</b> The destination may be exactly an input (same start, same length: in
/// place). Any other overlap is rejected: with a shifted overlap a vector store would clobber
/// input elements that a later load still needs, so the result would depend on the vector width.</para>
/// <para><b>Tail.</b> Many kernels finish by re-processing one full vector that overlaps the last
/// one already stored. In place that applies the operator twice to those elements (for LeakyRelu,
/// alpha * alpha * x), so this driver never revisits an element: after the widest width it steps
/// down through the narrower widths and ends with scalar code. Every element is computed exactly
/// once, by the same IEEE operations at every width, so results are bit-identical across widths,
/// in place or not.</para>
/// <para><b>Threads.</b> At or above <see cref="ParallelThreshold"/> elements and with
/// <c>maxDegreeOfParallelism</c> &gt; 1, the range is cut into chunks whose bounds are multiples of
/// 64 elements (whole cache lines and whole vectors, so no element changes width), run by the
/// calling thread and dedicated helper threads, claimed dynamically. Each element is still computed
/// once by the same operations, so every thread count gives the same bits. Steady state allocates
/// nothing: the work item is cached per calling thread.</para>
/// </remarks>
public static class BaselineElementwiseDriver
{
    private const int ChunkAlignment = 64;
    private static int s_parallelThreshold = DefaultParallelThreshold;

    /// <summary>
    /// The default element count from which work is split across threads. Chosen from the
    /// benchmarks in <c>docs/performance.md</c>: below it the cost of waking a second thread is
    /// larger than the time saved.
    /// </summary>
    public const int DefaultParallelThreshold = 1 << 17;

    /// <summary>The element count from which work is split across threads (at least 1).</summary>
    public static int ParallelThreshold
    {
        get => s_parallelThreshold;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            s_parallelThreshold = value;
        }
    }

    /// <summary>
    /// Destination size in bytes from which an out-of-place call writes with non-temporal
    /// (streaming) stores. Below it the output stays in cache for the next operator to read;
    /// above it, an ordinary store first reads every destination line from memory (a
    /// read-for-ownership), a third stream of traffic that a plain copy avoids. Chosen from the
    /// benchmarks in <c>docs/performance.md</c>. In place, lines are already cached and ordinary
    /// stores are used at every size.
    /// </summary>
    public static long NonTemporalThresholdBytes { get; set; } = DefaultNonTemporalThresholdBytes;

    /// <summary>The default of <see cref="NonTemporalThresholdBytes"/>.</summary>
    public const long DefaultNonTemporalThresholdBytes = 4L << 20;

    /// <summary>Computes <c>destination[i] = op(x[i])</c>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or <paramref name="destination"/> overlaps <paramref name="x"/> other than exactly.</exception>
    public static void Unary<T, TOp>(in TOp op, ReadOnlySpan<T> x, Span<T> destination, int maxDegreeOfParallelism = 1)
        where T : unmanaged where TOp : struct, IBaselineUnaryOperator<T>
    {
        CheckLength(x.Length, destination.Length, nameof(x));
        CheckOverlap(x, destination, nameof(x));
        int chunks = ChunkCount(x.Length, maxDegreeOfParallelism);
        bool streaming = Streaming<T>(destination.Length, x.Overlaps(destination));
        if (chunks <= 1 && !streaming)
        {
            UnaryRange(op, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(destination), (nuint)x.Length);
            return;
        }
        unsafe
        {
            fixed (T* px = x)
            fixed (T* pd = destination)
            {
                if (chunks <= 1)
                {
                    UnaryRangeStreaming(op, px, pd, (nuint)x.Length);
                    return;
                }
                var work = UnaryWork<T, TOp>.Rent();
                work.Set(op, px, pd, streaming);
                work.Run(x.Length, chunks, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>Computes <c>destination[i] = op(x[i], y[i])</c>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or <paramref name="destination"/> overlaps an input other than exactly.</exception>
    public static void Binary<T, TOp>(in TOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, int maxDegreeOfParallelism = 1)
        where T : unmanaged where TOp : struct, IBaselineBinaryOperator<T>
    {
        CheckLength(x.Length, y.Length, nameof(y));
        CheckLength(x.Length, destination.Length, nameof(x));
        CheckOverlap(x, destination, nameof(x));
        CheckOverlap(y, destination, nameof(y));
        int chunks = ChunkCount(x.Length, maxDegreeOfParallelism);
        bool streaming = Streaming<T>(destination.Length, x.Overlaps(destination) || y.Overlaps(destination));
        if (chunks <= 1 && !streaming)
        {
            BinaryRange(op, ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), ref MemoryMarshal.GetReference(destination), (nuint)x.Length);
            return;
        }
        unsafe
        {
            fixed (T* px = x)
            fixed (T* py = y)
            fixed (T* pd = destination)
            {
                if (chunks <= 1)
                {
                    BinaryRangeStreaming(op, px, py, pd, (nuint)x.Length);
                    return;
                }
                var work = BinaryWork<T, TOp>.Rent();
                work.Set(op, px, py, pd, streaming);
                work.Run(x.Length, chunks, maxDegreeOfParallelism);
            }
        }
    }

    // ---- validation ----------------------------------------------------------------------------

    private static void CheckLength(int expected, int actual, string name)
    {
        if (expected != actual)
            throw new ArgumentException($"Length mismatch: {name} has {expected} elements but the other operand has {actual}.", name);
    }

    private static void CheckOverlap<T>(ReadOnlySpan<T> input, Span<T> destination, string name)
    {
        if (input.Overlaps(destination, out int offset) && offset != 0)
            throw new ArgumentException(
                $"destination overlaps {name} shifted by {offset} element(s); only exact in-place use (same start) is allowed.", name);
    }

    private static int ChunkCount(int length, int maxDegreeOfParallelism)
    {
        if (maxDegreeOfParallelism <= 1 || length < s_parallelThreshold) return 1;
        // At least one chunk per thread; up to four per thread (a fast thread can then take over
        // from a late one) as long as chunks keep at least 4096 elements.
        int byLength = Math.Max(maxDegreeOfParallelism, length / (ChunkAlignment * 64));
        return Math.Min(maxDegreeOfParallelism * 4, byLength);
    }

    /// <summary>The [start, end) of chunk <paramref name="index"/> of <paramref name="chunks"/>, bounds on 64-element multiples.</summary>
    internal static (int Start, int End) ChunkBounds(int length, int chunks, int index)
    {
        long per = ((long)length + chunks - 1) / chunks;
        per = (per + ChunkAlignment - 1) / ChunkAlignment * ChunkAlignment;
        long start = Math.Min(length, per * index);
        long end = Math.Min(length, start + per);
        return ((int)start, (int)end);
    }

    private static unsafe bool Streaming<T>(int length, bool inPlace) where T : unmanaged =>
        !inPlace && (long)length * sizeof(T) >= NonTemporalThresholdBytes && Sse.IsSupported;

    // ---- the loops -----------------------------------------------------------------------------

    /// <summary>
    /// <see cref="UnaryRange"/> with non-temporal stores: scalar up to the first 64-byte aligned
    /// destination element, then whole aligned vectors streamed past the cache, then the ordinary
    /// loop for the tail; a store fence makes the streamed data visible before the caller (or the
    /// thread waiting for this chunk) reads it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void UnaryRangeStreaming<T, TOp>(in TOp op, T* x, T* d, nuint length)
        where T : unmanaged where TOp : struct, IBaselineUnaryOperator<T>
    {
        nuint i = 0;
        while (i < length && ((nuint)(d + i) & 63) != 0)
        {
            d[i] = op.Invoke(x[i]);
            i++;
        }
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint n = (nuint)Vector512<T>.Count;
            // Four vectors = four cache lines in flight per iteration.
            for (; i + 4 * n <= length; i += 4 * n)
            {
                // Ask for the input 2 KB ahead: a single core's hardware prefetch alone leaves
                // DRAM bandwidth unused (measured: 0.86x -> 0.95x of a copy at 128 MB). A prefetch
                // never faults, so asking past the end of the input is harmless.
                Sse.Prefetch0((byte*)(x + i) + 2048);
                Sse.Prefetch0((byte*)(x + i) + 2048 + 64);
                Sse.Prefetch0((byte*)(x + i) + 2048 + 128);
                Sse.Prefetch0((byte*)(x + i) + 2048 + 192);
                var a = op.Invoke(Vector512.Load(x + i));
                var b = op.Invoke(Vector512.Load(x + i + n));
                var c = op.Invoke(Vector512.Load(x + i + 2 * n));
                var e = op.Invoke(Vector512.Load(x + i + 3 * n));
                a.StoreAlignedNonTemporal(d + i);
                b.StoreAlignedNonTemporal(d + i + n);
                c.StoreAlignedNonTemporal(d + i + 2 * n);
                e.StoreAlignedNonTemporal(d + i + 3 * n);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint n = (nuint)Vector256<T>.Count;
            for (; i + 2 * n <= length; i += 2 * n)
            {
                Sse.Prefetch0((byte*)(x + i) + 2048);
                var a = op.Invoke(Vector256.Load(x + i));
                var b = op.Invoke(Vector256.Load(x + i + n));
                a.StoreAlignedNonTemporal(d + i);
                b.StoreAlignedNonTemporal(d + i + n);
            }
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint n = (nuint)Vector128<T>.Count;
            for (; i + 2 * n <= length; i += 2 * n)
            {
                var a = op.Invoke(Vector128.Load(x + i));
                var b = op.Invoke(Vector128.Load(x + i + n));
                a.StoreAlignedNonTemporal(d + i);
                b.StoreAlignedNonTemporal(d + i + n);
            }
        }
        if (i < length) UnaryRange(op, ref x[i], ref d[i], length - i);
        Sse.StoreFence();
    }

    /// <summary><see cref="BinaryRange"/> with non-temporal stores; see <see cref="UnaryRangeStreaming"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void BinaryRangeStreaming<T, TOp>(in TOp op, T* x, T* y, T* d, nuint length)
        where T : unmanaged where TOp : struct, IBaselineBinaryOperator<T>
    {
        nuint i = 0;
        while (i < length && ((nuint)(d + i) & 63) != 0)
        {
            d[i] = op.Invoke(x[i], y[i]);
            i++;
        }
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint n = (nuint)Vector512<T>.Count;
            for (; i + n <= length; i += n)
            {
                Sse.Prefetch0((byte*)(x + i) + 2048);
                Sse.Prefetch0((byte*)(y + i) + 2048);
                op.Invoke(Vector512.Load(x + i), Vector512.Load(y + i)).StoreAlignedNonTemporal(d + i);
            }
        }
        else if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint n = (nuint)Vector256<T>.Count;
            for (; i + n <= length; i += n)
            {
                Sse.Prefetch0((byte*)(x + i) + 2048);
                Sse.Prefetch0((byte*)(y + i) + 2048);
                op.Invoke(Vector256.Load(x + i), Vector256.Load(y + i)).StoreAlignedNonTemporal(d + i);
            }
        }
        else if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint n = (nuint)Vector128<T>.Count;
            for (; i + n <= length; i += n) op.Invoke(Vector128.Load(x + i), Vector128.Load(y + i)).StoreAlignedNonTemporal(d + i);
        }
        if (i < length) BinaryRange(op, ref x[i], ref y[i], ref d[i], length - i);
        Sse.StoreFence();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void UnaryRange<T, TOp>(in TOp op, ref T x, ref T d, nuint length)
        where T : unmanaged where TOp : struct, IBaselineUnaryOperator<T>
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint n = (nuint)Vector512<T>.Count;
            // Four vectors per iteration keep loads in flight; every element is still done once.
            for (; i + 4 * n <= length; i += 4 * n)
            {
                var a = Vector512.LoadUnsafe(ref x, i);
                var b = Vector512.LoadUnsafe(ref x, i + n);
                var c = Vector512.LoadUnsafe(ref x, i + 2 * n);
                var e = Vector512.LoadUnsafe(ref x, i + 3 * n);
                op.Invoke(a).StoreUnsafe(ref d, i);
                op.Invoke(b).StoreUnsafe(ref d, i + n);
                op.Invoke(c).StoreUnsafe(ref d, i + 2 * n);
                op.Invoke(e).StoreUnsafe(ref d, i + 3 * n);
            }
            for (; i + n <= length; i += n) op.Invoke(Vector512.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint n = (nuint)Vector256<T>.Count;
            for (; i + 4 * n <= length; i += 4 * n)
            {
                var a = Vector256.LoadUnsafe(ref x, i);
                var b = Vector256.LoadUnsafe(ref x, i + n);
                var c = Vector256.LoadUnsafe(ref x, i + 2 * n);
                var e = Vector256.LoadUnsafe(ref x, i + 3 * n);
                op.Invoke(a).StoreUnsafe(ref d, i);
                op.Invoke(b).StoreUnsafe(ref d, i + n);
                op.Invoke(c).StoreUnsafe(ref d, i + 2 * n);
                op.Invoke(e).StoreUnsafe(ref d, i + 3 * n);
            }
            for (; i + n <= length; i += n) op.Invoke(Vector256.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint n = (nuint)Vector128<T>.Count;
            for (; i + 4 * n <= length; i += 4 * n)
            {
                var a = Vector128.LoadUnsafe(ref x, i);
                var b = Vector128.LoadUnsafe(ref x, i + n);
                var c = Vector128.LoadUnsafe(ref x, i + 2 * n);
                var e = Vector128.LoadUnsafe(ref x, i + 3 * n);
                op.Invoke(a).StoreUnsafe(ref d, i);
                op.Invoke(b).StoreUnsafe(ref d, i + n);
                op.Invoke(c).StoreUnsafe(ref d, i + 2 * n);
                op.Invoke(e).StoreUnsafe(ref d, i + 3 * n);
            }
            for (; i + n <= length; i += n) op.Invoke(Vector128.LoadUnsafe(ref x, i)).StoreUnsafe(ref d, i);
        }
        for (; i < length; i++) Unsafe.Add(ref d, i) = op.Invoke(Unsafe.Add(ref x, i));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BinaryRange<T, TOp>(in TOp op, ref T x, ref T y, ref T d, nuint length)
        where T : unmanaged where TOp : struct, IBaselineBinaryOperator<T>
    {
        nuint i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            nuint n = (nuint)Vector512<T>.Count;
            for (; i + 2 * n <= length; i += 2 * n)
            {
                var a = op.Invoke(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref y, i));
                var b = op.Invoke(Vector512.LoadUnsafe(ref x, i + n), Vector512.LoadUnsafe(ref y, i + n));
                a.StoreUnsafe(ref d, i);
                b.StoreUnsafe(ref d, i + n);
            }
            for (; i + n <= length; i += n) op.Invoke(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref y, i)).StoreUnsafe(ref d, i);
        }
        if (Vector256.IsHardwareAccelerated && Vector256<T>.IsSupported)
        {
            nuint n = (nuint)Vector256<T>.Count;
            for (; i + 2 * n <= length; i += 2 * n)
            {
                var a = op.Invoke(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref y, i));
                var b = op.Invoke(Vector256.LoadUnsafe(ref x, i + n), Vector256.LoadUnsafe(ref y, i + n));
                a.StoreUnsafe(ref d, i);
                b.StoreUnsafe(ref d, i + n);
            }
            for (; i + n <= length; i += n) op.Invoke(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref y, i)).StoreUnsafe(ref d, i);
        }
        if (Vector128.IsHardwareAccelerated && Vector128<T>.IsSupported)
        {
            nuint n = (nuint)Vector128<T>.Count;
            for (; i + 2 * n <= length; i += 2 * n)
            {
                var a = op.Invoke(Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref y, i));
                var b = op.Invoke(Vector128.LoadUnsafe(ref x, i + n), Vector128.LoadUnsafe(ref y, i + n));
                a.StoreUnsafe(ref d, i);
                b.StoreUnsafe(ref d, i + n);
            }
            for (; i + n <= length; i += n) op.Invoke(Vector128.LoadUnsafe(ref x, i), Vector128.LoadUnsafe(ref y, i)).StoreUnsafe(ref d, i);
        }
        for (; i < length; i++) Unsafe.Add(ref d, i) = op.Invoke(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
    }

    // ---- parallel work items -------------------------------------------------------------------

    /// <summary>
    /// Shared machinery of a parallel call: chunks claimed with an interlocked counter by the
    /// caller and by the dedicated helper threads (<see cref="BaselineElementwiseWorkers"/>). The caller
    /// waits until every started helper has finished (not merely until the chunks are done), so
    /// no helper can touch the object once the caller has returned and may reuse it.
    /// </summary>
    internal abstract class ParallelWork
    {
        // A plain monitor, not ManualResetEventSlim: that one allocates its lock object the first
        // time a wait blocks, which could land in any call; this gate exists from the start.
        private readonly object _helpersDone = new();
        private int _length, _chunks, _nextChunk, _pendingHelpers;
        private ExceptionDispatchInfo? _error;

        protected abstract void RunRange(int start, int end);

        public void Run(int length, int chunks, int maxDegreeOfParallelism)
        {
            _length = length;
            _chunks = chunks;
            _nextChunk = 0;
            _error = null;
            var workers = BaselineElementwiseWorkers.Shared;
            int helpers = Math.Min(Math.Min(maxDegreeOfParallelism, chunks) - 1, workers.Count);
            // Another region owns the helpers: do this one alone rather than wait for them.
            if (helpers > 0 && !workers.TryAcquire()) helpers = 0;
            try
            {
                Volatile.Write(ref _pendingHelpers, helpers);
                for (int h = 0; h < helpers; h++) workers.Start(h, this);
                RunChunks();
                if (helpers > 0) WaitForHelpers();
            }
            finally
            {
                if (helpers > 0) workers.Release();
            }
            var error = _error;
            _error = null;
            error?.Throw();
        }

        /// <summary>Runs chunks on a helper thread, then reports that this helper is done.</summary>
        public void RunAsHelper()
        {
            RunChunks();
            if (Interlocked.Decrement(ref _pendingHelpers) == 0)
            {
                lock (_helpersDone) Monitor.PulseAll(_helpersDone);
            }
        }

        /// <summary>
        /// Spins briefly (helpers usually finish within microseconds of the caller), then blocks.
        /// The last helper pulses under the lock after its decrement, so a caller that finds
        /// helpers pending under the lock is always woken.
        /// </summary>
        private void WaitForHelpers()
        {
            var spinner = new SpinWait();
            for (int i = 0; i < 64 && Volatile.Read(ref _pendingHelpers) != 0; i++) spinner.SpinOnce(sleep1Threshold: -1);
            if (Volatile.Read(ref _pendingHelpers) == 0) return;
            lock (_helpersDone)
            {
                while (Volatile.Read(ref _pendingHelpers) != 0) Monitor.Wait(_helpersDone);
            }
        }

        private void RunChunks()
        {
            int c;
            while ((c = Interlocked.Increment(ref _nextChunk) - 1) < _chunks)
            {
                var (start, end) = ChunkBounds(_length, _chunks, c);
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
    }

    private sealed unsafe class UnaryWork<T, TOp> : ParallelWork where T : unmanaged where TOp : struct, IBaselineUnaryOperator<T>
    {
        [ThreadStatic] private static UnaryWork<T, TOp>? t_cached;
        private TOp _op;
        private T* _x, _d;
        private bool _streaming;

        public static UnaryWork<T, TOp> Rent() => t_cached ??= new();

        public void Set(in TOp op, T* x, T* d, bool streaming)
        {
            _op = op;
            _x = x;
            _d = d;
            _streaming = streaming;
        }

        protected override void RunRange(int start, int end)
        {
            if (_streaming) UnaryRangeStreaming(_op, _x + start, _d + start, (nuint)(end - start));
            else UnaryRange(_op, ref Unsafe.AsRef<T>(_x + start), ref Unsafe.AsRef<T>(_d + start), (nuint)(end - start));
        }
    }

    private sealed unsafe class BinaryWork<T, TOp> : ParallelWork where T : unmanaged where TOp : struct, IBaselineBinaryOperator<T>
    {
        [ThreadStatic] private static BinaryWork<T, TOp>? t_cached;
        private TOp _op;
        private T* _x, _y, _d;
        private bool _streaming;

        public static BinaryWork<T, TOp> Rent() => t_cached ??= new();

        public void Set(in TOp op, T* x, T* y, T* d, bool streaming)
        {
            _op = op;
            _x = x;
            _y = y;
            _d = d;
            _streaming = streaming;
        }

        protected override void RunRange(int start, int end)
        {
            if (_streaming) BinaryRangeStreaming(_op, _x + start, _y + start, _d + start, (nuint)(end - start));
            else BinaryRange(_op, ref Unsafe.AsRef<T>(_x + start), ref Unsafe.AsRef<T>(_y + start), ref Unsafe.AsRef<T>(_d + start), (nuint)(end - start));
        }
    }
}
