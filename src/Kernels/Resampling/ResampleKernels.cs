// Hand-written.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// N-dimensional resize (ONNX Resize's nearest, linear and cubic modes) as one 1-D resample per
/// resized axis, each axis's taps precomputed in a <see cref="ResampleAxis"/>.
/// </summary>
/// <remarks>
/// <para>The axes are resampled one after another, the last (innermost) first. A separable pass is
/// exactly ONNX's n-linear and n-cubic interpolation (the kernel is a product of 1-D kernels); only
/// the rounding differs, by the intermediate results being stored in the element type. A pass over
/// the last axis works along contiguous lines; a pass over an outer axis combines whole rows of the
/// inner dims, which vectorise (<c>TensorPrimitives</c>).</para>
/// <para>Nearest passes copy elements and so take any element type, bit for bit; linear and cubic
/// passes take FLOAT or DOUBLE. A position outside the input (<see cref="ResampleCoordinates.TfCropAndResize"/>)
/// is the extrapolation value; a later pass interpolating between such values gives the value again
/// (its weights sum to 1), up to rounding.</para>
/// <para>Each output line or row is written by one thread, so results are bit-identical at every
/// thread count.</para>
/// </remarks>
public static class ResampleKernels
{
    /// <summary>
    /// Resizes <paramref name="x"/>, of shape <paramref name="inDims"/>, into <paramref name="y"/>:
    /// axis <c>d</c> by <c>axes[d]</c>, or unchanged when that is null or <see cref="ResampleAxis.IsIdentity"/>.
    /// </summary>
    /// <param name="x">The input, row-major.</param>
    /// <param name="y">The output, row-major, <c>axes[d].OutSize</c> (or <c>inDims[d]</c>) along each axis; must not overlap <paramref name="x"/>.</param>
    /// <param name="inDims">The input's shape.</param>
    /// <param name="axes">One entry per dim: its taps, or null for an axis that is not resized.</param>
    /// <param name="extrapolationValue">The value of output positions outside the input.</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A length or an axis's input size does not match, the spans overlap, or a linear or cubic axis meets an element type other than float or double.</exception>
    public static unsafe void Resample<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<long> inDims, IReadOnlyList<ResampleAxis?> axes, T extrapolationValue, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(axes);
        ArgumentNullException.ThrowIfNull(pool);
        if (axes.Count != inDims.Length)
            throw new ArgumentException($"{axes.Count} axes for a tensor of rank {inDims.Length}.", nameof(axes));
        var dims = inDims.ToArray();
        long inCount = 1, outCount = 1;
        for (int d = 0; d < dims.Length; d++)
        {
            if (dims[d] < 0) throw new ArgumentException($"dim {d} is negative ({dims[d]}).", nameof(inDims));
            inCount *= dims[d];
            if (axes[d] is { } a)
            {
                if (a.InSize != dims[d]) throw new ArgumentException($"axis {d} was planned for length {a.InSize}; the input has {dims[d]}.", nameof(axes));
                if (!a.IsGather && typeof(T) != typeof(float) && typeof(T) != typeof(double))
                    throw new ArgumentException($"axis {d} interpolates, which needs FLOAT or DOUBLE elements, not {typeof(T).Name}.", nameof(axes));
                outCount *= a.OutSize;
            }
            else outCount *= dims[d];
        }
        if (x.Length != inCount) throw new ArgumentException($"x has {x.Length} elements; the shape [{string.Join(", ", dims)}] needs {inCount}.", nameof(x));
        if (y.Length != outCount) throw new ArgumentException($"y has {y.Length} elements; the output needs {outCount}.", nameof(y));
        if (x.Overlaps(y)) throw new ArgumentException("the output overlaps the input; a resize cannot run in place.", nameof(y));

        var passes = new List<int>();
        for (int d = dims.Length - 1; d >= 0; d--)
            if (axes[d] is { IsIdentity: false }) passes.Add(d);
        if (passes.Count == 0 || outCount == 0)
        {
            if (outCount > 0) x.CopyTo(y);
            return;
        }

        // Intermediate results ping-pong between two rented buffers; the last pass writes y.
        T[]? a0 = null, a1 = null;
        try
        {
            long largest = 0, running = inCount;
            for (int p = 0; p < passes.Count - 1; p++)
            {
                int d = passes[p];
                running = running / dims[d] * axes[d]!.OutSize;
                largest = Math.Max(largest, running);
            }
            if (passes.Count > 1) a0 = ArrayPool<T>.Shared.Rent((int)largest);
            if (passes.Count > 2) a1 = ArrayPool<T>.Shared.Rent((int)largest);
            fixed (T* px = x)
            fixed (T* py = y)
            fixed (T* p0 = a0)
            fixed (T* p1 = a1)
            {
                T* src = px;
                for (int p = 0; p < passes.Count; p++)
                {
                    int d = passes[p];
                    var axis = axes[d]!;
                    T* dst = p == passes.Count - 1 ? py : (p % 2 == 0 ? p0 : p1);
                    long outer = 1, inner = 1;
                    for (int k = 0; k < d; k++) outer *= dims[k];
                    for (int k = d + 1; k < dims.Length; k++) inner *= dims[k];
                    RunPass(src, dst, axis, outer, inner, extrapolationValue, pool, maxDegreeOfParallelism);
                    dims[d] = axis.OutSize;
                    src = dst;
                }
            }
        }
        finally
        {
            if (a0 is not null) ArrayPool<T>.Shared.Return(a0);
            if (a1 is not null) ArrayPool<T>.Shared.Return(a1);
        }
    }

    private static unsafe void RunPass<T>(T* src, T* dst, ResampleAxis axis, long outer, long inner, T ext, ComputePool pool, int maxDegreeOfParallelism)
        where T : unmanaged
    {
        // Units: whole lines along the axis when it is innermost, else single rows of the inner dims.
        long units = inner == 1 ? outer : outer * axis.OutSize;
        long work = outer * axis.OutSize * inner * Math.Max(1, axis.MaxTaps);
        int degree = Math.Min(maxDegreeOfParallelism, pool.MaxDegreeOfParallelism);
        var pass = Pass<T>.Rent();
        pass.Set(src, dst, axis, inner, ext);
        if (degree <= 1 || units < 2 || work < pool.Options.ParallelWorkThreshold) pass.Range(0, units);
        else pass.Run(pool, units, (int)Math.Min(units, degree * 4L), 1, maxDegreeOfParallelism);
    }

    // One resample pass over [outer, in, inner] -> [outer, out, inner]; the cached work item of a thread.
    private sealed unsafe class Pass<T> : ParallelRegion where T : unmanaged
    {
        [ThreadStatic] private static Pass<T>? t_cached;
        private T* _src, _dst;
        private ResampleAxis _axis = null!;
        private long _inner;
        private T _ext;
        private bool _gather;

        public static Pass<T> Rent() => t_cached ??= new();

        public void Set(T* src, T* dst, ResampleAxis axis, long inner, T ext)
        {
            _src = src;
            _dst = dst;
            _axis = axis;
            _inner = inner;
            _ext = ext;
            _gather = axis.IsGather;
        }

        public void Range(long start, long end) => RunRange(start, end);

        protected override void RunRange(long start, long end)
        {
            var axis = _axis;
            int inSize = axis.InSize, outSize = axis.OutSize;
            if (_inner == 1)
            {
                for (long line = start; line < end; line++)
                {
                    var s = new ReadOnlySpan<T>(_src + line * inSize, inSize);
                    var d = new Span<T>(_dst + line * outSize, outSize);
                    if (_gather) GatherLine(s, d, axis, _ext);
                    else if (typeof(T) == typeof(float)) WeightedLine(Cast<T, float>(s), Cast<T, float>(d), axis, Unsafe.As<T, float>(ref _ext));
                    else WeightedLine(Cast<T, double>(s), Cast<T, double>(d), axis, Unsafe.As<T, double>(ref _ext));
                }
                return;
            }
            int inner = (int)_inner;
            for (long unit = start; unit < end; unit++)
            {
                long line = unit / outSize;
                int o = (int)(unit % outSize);
                T* srcLine = _src + line * inSize * inner;
                var d = new Span<T>(_dst + unit * inner, inner);
                var idx = axis.Indices(o);
                if (idx.Length == 0) d.Fill(_ext);
                else if (_gather) new ReadOnlySpan<T>(srcLine + (long)idx[0] * inner, inner).CopyTo(d);
                else if (typeof(T) == typeof(float)) WeightedRow((float*)srcLine, Cast<T, float>(d), inner, idx, axis.Weights(o));
                else WeightedRow((double*)srcLine, Cast<T, double>(d), inner, idx, axis.Weights(o));
            }
        }
    }

    private static ReadOnlySpan<U> Cast<T, U>(ReadOnlySpan<T> s) where T : unmanaged where U : unmanaged => MemoryMarshal.Cast<T, U>(s);

    private static Span<U> Cast<T, U>(Span<T> s) where T : unmanaged where U : unmanaged => MemoryMarshal.Cast<T, U>(s);

    // A line along the innermost axis, one cell per output: a copy (any element type).
    private static void GatherLine<T>(ReadOnlySpan<T> s, Span<T> d, ResampleAxis axis, T ext) where T : unmanaged
    {
        for (int o = 0; o < d.Length; o++)
        {
            var idx = axis.Indices(o);
            d[o] = idx.Length == 0 ? ext : s[idx[0]];
        }
    }

    // A line along the innermost axis with weights: each output a short dot product, summed in double.
    private static void WeightedLine<U>(ReadOnlySpan<U> s, Span<U> d, ResampleAxis axis, U ext) where U : unmanaged, IFloatingPointIeee754<U>
    {
        for (int o = 0; o < d.Length; o++)
        {
            var idx = axis.Indices(o);
            if (idx.Length == 0)
            {
                d[o] = ext;
                continue;
            }
            var w = axis.Weights(o);
            double sum = 0;
            for (int k = 0; k < idx.Length; k++) sum += w[k] * double.CreateTruncating(s[idx[k]]);
            d[o] = U.CreateTruncating(sum);
        }
    }

    // A row of the inner dims: the weighted sum of the input rows the position reads, in the
    // element type, vectorised. A single tap of weight 1 is a copy (exact, NaN payloads kept).
    private static unsafe void WeightedRow<U>(U* srcLine, Span<U> d, int inner, ReadOnlySpan<int> idx, ReadOnlySpan<double> w)
        where U : unmanaged, IFloatingPointIeee754<U>
    {
        var first = new ReadOnlySpan<U>(srcLine + (long)idx[0] * inner, inner);
        if (idx.Length == 1 && w[0] == 1.0)
        {
            first.CopyTo(d);
            return;
        }
        TensorPrimitives.Multiply(first, U.CreateTruncating(w[0]), d);
        for (int k = 1; k < idx.Length; k++)
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<U>(srcLine + (long)idx[k] * inner, inner), U.CreateTruncating(w[k]), d, d);
    }
}
