// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// The one loop every element-wise kernel runs on: validates lengths and overlap, runs the widest
/// hardware-accelerated vector width (or scalar code for a functor without vector forms),
/// finishes the tail safely (also in place), widens FLOAT16 per block, and splits large inputs
/// across the threads of a <see cref="ComputePool"/>.
/// </summary>
/// <remarks>
/// <para><b>Overlap.</b> The destination may be exactly an input (same start, same length: in
/// place). Any other overlap is rejected: with a shifted overlap a vector store would clobber
/// input elements that a later load still needs, so the result would depend on the vector width.</para>
/// <para><b>Tail.</b> Many kernels finish by re-processing one full vector that overlaps the last
/// one already stored. In place that applies the function twice to those elements (for LeakyRelu,
/// alpha * alpha * x), so this driver never revisits an element: after the widest width it steps
/// down through the narrower widths and ends with scalar code. Every element is computed exactly
/// once, by the same IEEE operations at every width, so results are bit-identical across widths,
/// in place or not.</para>
/// <para><b>FLOAT16.</b> .NET has no half-precision vectors, so half data is widened, block by
/// block on the stack, to the functor's compute type (float, or double when
/// <see cref="IUnaryFunctor.ComputeHalfInDouble"/>), run through the same loops, and rounded once
/// back to half.</para>
/// <para><b>Threads.</b> When the work (elements times <see cref="IUnaryFunctor.CostPerElement"/>)
/// reaches the pool's <see cref="ComputePoolOptions.ParallelWorkThreshold"/> and more than one
/// thread is allowed, the range is cut into chunks whose bounds are multiples of 64 elements
/// (whole cache lines and whole vectors, so no element changes width), run by the caller and the
/// helpers the pool grants, claimed dynamically. Each element is still computed once by the same
/// operations, so every thread count gives the same bits. Steady state allocates nothing: the
/// work item is cached per calling thread.</para>
/// </remarks>
public static class ElementwiseDriver
{
    private const int ChunkAlignment = 64;
    private const int HalfBlock = 256;

    /// <summary>Computes <c>destination[i] = op(x[i])</c>.</summary>
    /// <param name="op">The function.</param>
    /// <param name="x">The input.</param>
    /// <param name="destination">The output; may be exactly <paramref name="x"/> (in place).</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">Lengths differ, or <paramref name="destination"/> overlaps <paramref name="x"/> other than exactly.</exception>
    public static void Unary<T, TOp>(in TOp op, ReadOnlySpan<T> x, Span<T> destination, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> where TOp : struct, IUnaryFunctor
    {
        ArgumentNullException.ThrowIfNull(pool);
        CheckLength(nameof(x), x.Length, nameof(destination), destination.Length);
        CheckOverlap(x, destination, nameof(x));
        int chunks = ChunkCount(pool, x.Length, TOp.CostPerElement, maxDegreeOfParallelism);
        bool streaming = typeof(T) != typeof(Half) && TOp.IsVectorized && Streaming<T>(pool, destination.Length, x.Overlaps(destination));
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
                work.Run(pool, x.Length, chunks, ChunkAlignment, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>Computes <c>destination[i] = op(x[i], y[i])</c>.</summary>
    /// <param name="op">The function.</param>
    /// <param name="x">The first input.</param>
    /// <param name="y">The second input, as long as <paramref name="x"/>.</param>
    /// <param name="destination">The output; may be exactly <paramref name="x"/> or <paramref name="y"/> (in place).</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">Lengths differ, or <paramref name="destination"/> overlaps an input other than exactly.</exception>
    public static void Binary<T, TOp>(in TOp op, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor
    {
        ArgumentNullException.ThrowIfNull(pool);
        CheckLength(nameof(x), x.Length, nameof(y), y.Length);
        CheckLength(nameof(x), x.Length, nameof(destination), destination.Length);
        CheckOverlap(x, destination, nameof(x));
        CheckOverlap(y, destination, nameof(y));
        int chunks = ChunkCount(pool, x.Length, TOp.CostPerElement, maxDegreeOfParallelism);
        bool streaming = typeof(T) != typeof(Half) && TOp.IsVectorized && Streaming<T>(pool, destination.Length, x.Overlaps(destination) || y.Overlaps(destination));
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
                work.Run(pool, x.Length, chunks, ChunkAlignment, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>Computes <c>destination[i] = op(x[i], y)</c>: a scalar second operand broadcast over <paramref name="x"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a shifted overlap.</exception>
    public static void BinaryScalarSecond<T, TOp>(in TOp op, ReadOnlySpan<T> x, T y, Span<T> destination, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor =>
        Unary(new BindSecond<TOp, T>(op, y), x, destination, pool, maxDegreeOfParallelism);

    /// <summary>Computes <c>destination[i] = op(x, y[i])</c>: a scalar first operand broadcast over <paramref name="y"/>.</summary>
    /// <exception cref="ArgumentException">Lengths differ, or a shifted overlap.</exception>
    public static void BinaryScalarFirst<T, TOp>(in TOp op, T x, ReadOnlySpan<T> y, Span<T> destination, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor =>
        Unary(new BindFirst<TOp, T>(op, x), y, destination, pool, maxDegreeOfParallelism);

    // ---- validation ----------------------------------------------------------------------------

    private static void CheckLength(string first, int firstLength, string second, int secondLength)
    {
        if (firstLength != secondLength)
            throw new ArgumentException($"Length mismatch: {first} has {firstLength} elements but {second} has {secondLength}.", second);
    }

    private static void CheckOverlap<T>(ReadOnlySpan<T> input, Span<T> destination, string name)
    {
        if (input.Overlaps(destination, out int offset) && offset != 0)
            throw new ArgumentException(
                $"destination overlaps {name} shifted by {offset} element(s); only exact in-place use (same start) is allowed.", name);
    }

    /// <summary>How many chunks to cut <paramref name="length"/> elements into (1: no threads).</summary>
    internal static int ChunkCount(ComputePool pool, int length, int costPerElement, int maxDegreeOfParallelism)
    {
        int degree = Math.Min(maxDegreeOfParallelism, pool.MaxDegreeOfParallelism);
        long work = (long)length * Math.Max(1, costPerElement);
        if (degree <= 1 || work < pool.Options.ParallelWorkThreshold) return 1;
        // At least one chunk per thread; up to four per thread (a fast thread can then take over
        // from a late one) as long as chunks keep at least 4096 elements.
        int byLength = Math.Max(degree, length / (ChunkAlignment * 64));
        return Math.Min(degree * 4, byLength);
    }

    private static unsafe bool Streaming<T>(ComputePool pool, int length, bool inPlace) where T : unmanaged =>
        !inPlace && (long)length * sizeof(T) >= pool.Options.NonTemporalThresholdBytes && Sse.IsSupported;

    // ---- the loops -----------------------------------------------------------------------------

    /// <summary>
    /// <see cref="UnaryRange"/> with non-temporal stores: scalar up to the first 64-byte aligned
    /// destination element, then whole aligned vectors streamed past the cache, then the ordinary
    /// loop for the tail; a store fence makes the streamed data visible before the caller (or the
    /// thread waiting for this chunk) reads it. Only for vectorised functors and non-half T.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void UnaryRangeStreaming<T, TOp>(in TOp op, T* x, T* d, nuint length)
        where T : unmanaged, INumber<T> where TOp : struct, IUnaryFunctor
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
        where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor
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

    /// <summary>Every element of a range once: FLOAT16 through the widening path, others through the vector widths (when the functor has them) and a scalar tail.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void UnaryRange<T, TOp>(in TOp op, ref T x, ref T d, nuint length)
        where T : unmanaged, INumber<T> where TOp : struct, IUnaryFunctor
    {
        if (typeof(T) == typeof(Half))
        {
            if (TOp.ComputeHalfInDouble) UnaryHalfRange<double, TOp>(op, ref Unsafe.As<T, Half>(ref x), ref Unsafe.As<T, Half>(ref d), length);
            else UnaryHalfRange<float, TOp>(op, ref Unsafe.As<T, Half>(ref x), ref Unsafe.As<T, Half>(ref d), length);
            return;
        }
        nuint i = 0;
        if (TOp.IsVectorized)
        {
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
        }
        for (; i < length; i++) Unsafe.Add(ref d, i) = op.Invoke(Unsafe.Add(ref x, i));
    }

    /// <summary>Every pair of a range once; see <see cref="UnaryRange"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BinaryRange<T, TOp>(in TOp op, ref T x, ref T y, ref T d, nuint length)
        where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor
    {
        if (typeof(T) == typeof(Half))
        {
            if (TOp.ComputeHalfInDouble) BinaryHalfRange<double, TOp>(op, ref Unsafe.As<T, Half>(ref x), ref Unsafe.As<T, Half>(ref y), ref Unsafe.As<T, Half>(ref d), length);
            else BinaryHalfRange<float, TOp>(op, ref Unsafe.As<T, Half>(ref x), ref Unsafe.As<T, Half>(ref y), ref Unsafe.As<T, Half>(ref d), length);
            return;
        }
        nuint i = 0;
        if (TOp.IsVectorized)
        {
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
        }
        for (; i < length; i++) Unsafe.Add(ref d, i) = op.Invoke(Unsafe.Add(ref x, i), Unsafe.Add(ref y, i));
    }

    // ---- FLOAT16: widen a block, compute, round once ---------------------------------------------

    // Half -> float and Half -> double are exact; the one rounding is the final narrowing. A block
    // is read whole before it is written, so exact in-place use stays safe.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnaryHalfRange<TC, TOp>(in TOp op, ref Half x, ref Half d, nuint length)
        where TC : unmanaged, INumber<TC> where TOp : struct, IUnaryFunctor
    {
        Span<TC> buffer = stackalloc TC[HalfBlock];
        ref TC b = ref MemoryMarshal.GetReference(buffer);
        for (nuint start = 0; start < length; start += HalfBlock)
        {
            nuint n = Math.Min(HalfBlock, length - start);
            for (nuint k = 0; k < n; k++) Unsafe.Add(ref b, k) = TC.CreateTruncating(Unsafe.Add(ref x, start + k));
            UnaryRange(op, ref b, ref b, n);
            for (nuint k = 0; k < n; k++) Unsafe.Add(ref d, start + k) = Half.CreateTruncating(Unsafe.Add(ref b, k));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BinaryHalfRange<TC, TOp>(in TOp op, ref Half x, ref Half y, ref Half d, nuint length)
        where TC : unmanaged, INumber<TC> where TOp : struct, IBinaryFunctor
    {
        Span<TC> buffers = stackalloc TC[2 * HalfBlock];
        ref TC bx = ref MemoryMarshal.GetReference(buffers);
        ref TC by = ref Unsafe.Add(ref bx, HalfBlock);
        for (nuint start = 0; start < length; start += HalfBlock)
        {
            nuint n = Math.Min(HalfBlock, length - start);
            for (nuint k = 0; k < n; k++)
            {
                Unsafe.Add(ref bx, k) = TC.CreateTruncating(Unsafe.Add(ref x, start + k));
                Unsafe.Add(ref by, k) = TC.CreateTruncating(Unsafe.Add(ref y, start + k));
            }
            BinaryRange(op, ref bx, ref by, ref bx, n);
            for (nuint k = 0; k < n; k++) Unsafe.Add(ref d, start + k) = Half.CreateTruncating(Unsafe.Add(ref bx, k));
        }
    }

    // ---- parallel work items -------------------------------------------------------------------

    private sealed unsafe class UnaryWork<T, TOp> : ParallelRegion where T : unmanaged, INumber<T> where TOp : struct, IUnaryFunctor
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

        protected override void RunRange(long start, long end)
        {
            if (_streaming) UnaryRangeStreaming(_op, _x + start, _d + start, (nuint)(end - start));
            else UnaryRange(_op, ref Unsafe.AsRef<T>(_x + start), ref Unsafe.AsRef<T>(_d + start), (nuint)(end - start));
        }
    }

    private sealed unsafe class BinaryWork<T, TOp> : ParallelRegion where T : unmanaged, INumber<T> where TOp : struct, IBinaryFunctor
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

        protected override void RunRange(long start, long end)
        {
            if (_streaming) BinaryRangeStreaming(_op, _x + start, _y + start, _d + start, (nuint)(end - start));
            else BinaryRange(_op, ref Unsafe.AsRef<T>(_x + start), ref Unsafe.AsRef<T>(_y + start), ref Unsafe.AsRef<T>(_d + start), (nuint)(end - start));
        }
    }
}
