// Hand-written.
using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// N-dimensional resize (ONNX Resize's nearest, linear and cubic modes) as 1-D resamples of the
/// resized axes, each axis's taps precomputed in a <see cref="ResampleAxis"/>.
/// </summary>
/// <remarks>
/// <para>A separable resample is exactly ONNX's n-linear and n-cubic interpolation (the kernel is a
/// product of 1-D kernels); only the rounding differs, by intermediate sums being stored in the
/// element type.</para>
/// <para><b>The common case</b>, only the last two axes resized (H and W of NCHW), runs one output
/// row at a time: the input rows the row's H taps name are combined into one row (vectorised,
/// <c>TensorPrimitives</c>; no combination when one row has weight 1), which the W taps then
/// resample into the output row. No intermediate tensor is written, and an output row whose H
/// taps equal the previous row's (nearest up-sampling) is a copy of it. <b>Other axes</b> are
/// resampled one after another, the last first, through rented buffers.</para>
/// <para>Nearest copies elements and so takes any element type, bit for bit; linear and cubic take
/// FLOAT (weights and sums in float) or DOUBLE. A position outside the input
/// (<see cref="ResampleCoordinates.TfCropAndResize"/>) is the extrapolation value; interpolating
/// between such values gives the value again (the weights sum to 1), up to rounding.</para>
/// <para>Each output row is written by one thread, so results are bit-identical at every thread
/// count. Steady-state calls allocate nothing.</para>
/// </remarks>
public static class ResampleKernels
{
    private const int MaxRank = 32;

    /// <summary>
    /// Resizes <paramref name="x"/>, of shape <paramref name="inDims"/>, into <paramref name="y"/>:
    /// axis <c>d</c> by <c>axes[d]</c>, or unchanged when that is null or <see cref="ResampleAxis.IsIdentity"/>.
    /// </summary>
    /// <param name="x">The input, row-major.</param>
    /// <param name="y">The output, row-major, <c>axes[d].OutSize</c> (or <c>inDims[d]</c>) along each axis; must not overlap <paramref name="x"/>.</param>
    /// <param name="inDims">The input's shape (rank at most 32).</param>
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
        int rank = inDims.Length;
        if (axes.Count != rank) throw new ArgumentException($"{axes.Count} axes for a tensor of rank {rank}.", nameof(axes));
        if (rank > MaxRank) throw new ArgumentException($"rank {rank} is above {MaxRank}.", nameof(inDims));
        Span<long> dims = stackalloc long[rank];
        Span<int> passes = stackalloc int[rank];
        int passCount = 0;
        long inCount = 1, outCount = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = inDims[d];
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
        for (int d = rank - 1; d >= 0; d--)
            if (axes[d] is { IsIdentity: false }) passes[passCount++] = d;
        if (x.Length != inCount) throw new ArgumentException($"x has {x.Length} elements; the input's shape needs {inCount}.", nameof(x));
        if (y.Length != outCount) throw new ArgumentException($"y has {y.Length} elements; the output needs {outCount}.", nameof(y));
        if (outCount == 0) return;
        if (x.Overlaps(y)) throw new ArgumentException("the output overlaps the input; a resize cannot run in place.", nameof(y));
        if (passCount == 0)
        {
            x.CopyTo(y);
            return;
        }

        bool outside = false;
        for (int d = 0; d < rank; d++) outside |= axes[d] is { HasOutside: true };
        fixed (T* px = x)
        fixed (T* py = y)
        {
            Compute(px, py, dims, passes[..passCount], axes, inCount, extrapolationValue, pool, maxDegreeOfParallelism);
        }
        // A position outside the input on any axis is the extrapolation value exactly: the paths
        // that combine rows already holding it (ext * sum of weights) may round it, or make NaN
        // of an infinite value, so those positions are written again here.
        if (outside) FillOutside(y, inDims, axes, extrapolationValue);
    }

    private static unsafe void Compute<T>(T* px, T* py, Span<long> dims, ReadOnlySpan<int> passes, IReadOnlyList<ResampleAxis?> axes, long inCount, T extrapolationValue, ComputePool pool, int maxDegreeOfParallelism)
        where T : unmanaged
    {
        int rank = dims.Length;
        // Only the last two axes resized: the fused row-at-a-time path.
        if (passes[^1] >= rank - 2)
        {
            var h = rank >= 2 ? axes[rank - 2] : null;
            var w = axes[rank - 1];
            long planes = 1;
            for (int d = 0; d < rank - 2; d++) planes *= dims[d];
            int inH = rank >= 2 ? (int)dims[rank - 2] : 1, inW = (int)dims[rank - 1];
            int outH = h?.OutSize ?? inH;
            RunRows(px, py, planes, inH, inW, outH, h is { IsIdentity: false } ? h : null, w is { IsIdentity: false } ? w : null, w?.OutSize ?? inW,
                extrapolationValue, pool, maxDegreeOfParallelism);
            return;
        }
        RunPasses(px, py, dims, passes, axes, inCount, extrapolationValue, pool, maxDegreeOfParallelism);
    }

    // Writes the extrapolation value at every output position that lies outside on some axis:
    // along each output line (all dims but the last), the whole line when an outer coordinate is
    // outside, else the last axis's outside positions.
    private static void FillOutside<T>(Span<T> y, ReadOnlySpan<long> inDims, IReadOnlyList<ResampleAxis?> axes, T ext) where T : unmanaged
    {
        int rank = inDims.Length;
        Span<long> outDims = stackalloc long[rank];
        Span<long> at = stackalloc long[rank];
        for (int d = 0; d < rank; d++) outDims[d] = axes[d]?.OutSize ?? inDims[d];
        int lineLength = (int)outDims[rank - 1];
        var last = axes[rank - 1];
        for (long start = 0; start < y.Length; start += lineLength)
        {
            bool whole = false;
            for (int d = 0; d < rank - 1 && !whole; d++) whole = axes[d] is { HasOutside: true } a && a.IsOutside((int)at[d]);
            var line = y.Slice((int)start, lineLength);
            if (whole) line.Fill(ext);
            else if (last is { HasOutside: true })
                for (int o = 0; o < lineLength; o++)
                    if (last.IsOutside(o)) line[o] = ext;
            for (int d = rank - 2; d >= 0; d--)
            {
                if (++at[d] < outDims[d]) break;
                at[d] = 0;
            }
        }
    }

    // Axis by axis, the last first, ping-ponging between two rented buffers; the last pass writes y.
    private static unsafe void RunPasses<T>(T* px, T* py, Span<long> dims, ReadOnlySpan<int> passes, IReadOnlyList<ResampleAxis?> axes, long inCount, T ext, ComputePool pool, int maxDegreeOfParallelism)
        where T : unmanaged
    {
        long largest = 0, running = inCount;
        for (int p = 0; p < passes.Length - 1; p++)
        {
            int d = passes[p];
            running = running / dims[d] * axes[d]!.OutSize;
            largest = Math.Max(largest, running);
        }
        T[]? a0 = passes.Length > 1 ? ArrayPool<T>.Shared.Rent((int)largest) : null;
        T[]? a1 = passes.Length > 2 ? ArrayPool<T>.Shared.Rent((int)largest) : null;
        try
        {
            fixed (T* p0 = a0)
            fixed (T* p1 = a1)
            {
                T* src = px;
                for (int p = 0; p < passes.Length; p++)
                {
                    int d = passes[p];
                    var axis = axes[d]!;
                    T* dst = p == passes.Length - 1 ? py : (p % 2 == 0 ? p0 : p1);
                    long outer = 1, inner = 1;
                    for (int k = 0; k < d; k++) outer *= dims[k];
                    for (int k = d + 1; k < dims.Length; k++) inner *= dims[k];
                    // A pass over [outer, in, inner] is the fused path's H step with W unchanged.
                    RunRows(src, dst, outer, axis.InSize, (int)inner, axis.OutSize, axis, null, (int)inner, ext, pool, maxDegreeOfParallelism);
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

    // [planes, inH, inW] -> [planes, outH, outW], one output row per unit; h or w null: not resized.
    private static unsafe void RunRows<T>(T* src, T* dst, long planes, int inH, int inW, int outH, ResampleAxis? h, ResampleAxis? w, int outW, T ext, ComputePool pool, int maxDegreeOfParallelism)
        where T : unmanaged
    {
        // Up-sampling H with interpolated W: resample W on the inH input rows once per plane (into a
        // scratch plane), then combine those rows per output row: the scalar W work is done inH
        // times instead of outH times. Otherwise H first, one output row at a time.
        // Planes are its units, so it needs a plane per thread.
        long work = planes * outH * ((long)inW * Math.Max(1, h?.MaxTaps ?? 1) + (long)outW * Math.Max(1, w?.MaxTaps ?? 1));
        int degree = Math.Min(maxDegreeOfParallelism, pool.MaxDegreeOfParallelism);
        if (work < pool.Options.ParallelWorkThreshold) degree = 1;
        bool wFirst = h is not null && w is not null && !w.IsGather && inH < outH && planes >= degree;
        long units = wFirst ? planes : planes * outH;
        var rows = Rows<T>.Rent();
        rows.Set(src, dst, inH, inW, outH, outW, h, w, ext, wFirst);
        if (degree <= 1 || units < 2 || work < pool.Options.ParallelWorkThreshold) rows.Range(0, units);
        else rows.Run(pool, units, (int)Math.Min(units, degree * 4L), 1, maxDegreeOfParallelism);
        rows.Clear();
    }

    // The cached work item of a thread: output rows [start, end) of [planes, outH, outW].
    private sealed unsafe class Rows<T> : ParallelRegion where T : unmanaged
    {
        [ThreadStatic] private static Rows<T>? t_cached;
        [ThreadStatic] private static T[]? t_row;
        private T* _src, _dst;
        private int _inH, _inW, _outH, _outW;
        private ResampleAxis? _h, _w;
        private T _ext;
        private bool _wFirst;

        public static Rows<T> Rent() => t_cached ??= new();

        public void Set(T* src, T* dst, int inH, int inW, int outH, int outW, ResampleAxis? h, ResampleAxis? w, T ext, bool wFirst)
        {
            _src = src;
            _dst = dst;
            (_inH, _inW, _outH, _outW, _h, _w, _ext, _wFirst) = (inH, inW, outH, outW, h, w, ext, wFirst);
        }

        public void Clear() => (_h, _w) = (null, null);

        public void Range(long start, long end) => RunRange(start, end);

        protected override void RunRange(long start, long end)
        {
            if (_wFirst)
            {
                for (long p = start; p < end; p++) PlaneWFirst(p);
                return;
            }
            int inW = _inW, outW = _outW;
            var h = _h;
            var w = _w;
            T[] row = t_row is { } b && b.Length >= inW ? b : t_row = new T[Math.Max(inW, 16)];
            // (plane, oh) of the unit, advanced by one per unit rather than divided out each time.
            long plane = start / _outH;
            int oh = (int)(start % _outH) - 1;
            for (long unit = start; unit < end; unit++)
            {
                if (++oh == _outH)
                {
                    oh = 0;
                    plane++;
                }
                var d = new Span<T>(_dst + unit * outW, outW);
                // Rows are written in order within a chunk: a row with the previous row's H taps copies it.
                if (unit > start && oh > 0 && h is not null && SameTaps(h, oh, oh - 1))
                {
                    new ReadOnlySpan<T>(_dst + (unit - 1) * outW, outW).CopyTo(d);
                    continue;
                }
                T* planeIn = _src + plane * _inH * inW;
                ReadOnlySpan<T> line;
                if (h is null) line = new ReadOnlySpan<T>(planeIn + (long)oh * inW, inW);
                else
                {
                    int s = h.Start[oh], e = h.Start[oh + 1];
                    if (s == e)
                    {
                        d.Fill(_ext);
                        continue;
                    }
                    if (e - s == 1 && h.Weight[s] == 1.0) line = new ReadOnlySpan<T>(planeIn + (long)h.Index[s] * inW, inW);
                    else if (e - s == 2 && w is { IsGather: false } && typeof(T) == typeof(float))
                    {
                        // Two rows (linear in H): each output combines its W taps of both rows
                        // directly, with no combined row in between (down-sampling's common case).
                        TwoRowLine(new ReadOnlySpan<float>((float*)planeIn + (long)h.Index[s] * inW, inW), new ReadOnlySpan<float>((float*)planeIn + (long)h.Index[s + 1] * inW, inW),
                            h.WeightF[s], h.WeightF[s + 1], MemoryMarshal.Cast<T, float>(d), w, Unsafe.As<T, float>(ref _ext));
                        continue;
                    }
                    else
                    {
                        // With W unchanged the combination is the output row itself.
                        var target = w is null ? d : row.AsSpan(0, inW);
                        if (typeof(T) == typeof(float)) CombineRows(planeIn, inW, h.Index, h.WeightF, s, e, MemoryMarshal.Cast<T, float>(target));
                        else CombineRows(planeIn, inW, h.Index, h.Weight, s, e, MemoryMarshal.Cast<T, double>(target));
                        if (w is null) continue;
                        line = target;
                    }
                }
                if (w is null) line.CopyTo(d);
                else if (w.IsGather) GatherLine(line, d, w, _ext);
                else if (typeof(T) == typeof(float)) WeightedLine(MemoryMarshal.Cast<T, float>(line), MemoryMarshal.Cast<T, float>(d), w, w.WeightF, Unsafe.As<T, float>(ref _ext));
                else WeightedLine(MemoryMarshal.Cast<T, double>(line), MemoryMarshal.Cast<T, double>(d), w, w.Weight, Unsafe.As<T, double>(ref _ext));
            }
        }

        // One plane, W first: every input row resampled along W into a scratch plane [inH, outW],
        // then each output row the combination of the scratch rows its H taps name.
        private void PlaneWFirst(long plane)
        {
            // Rented per plane (a plane can be large; a thread-static one would stay at its largest).
            T[] scratch = ArrayPool<T>.Shared.Rent(_inH * _outW);
            try
            {
                PlaneWFirst(plane, scratch);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(scratch);
            }
        }

        private void PlaneWFirst(long plane, T[] scratch)
        {
            int inH = _inH, inW = _inW, outW = _outW;
            var h = _h!;
            var w = _w!;
            T* planeIn = _src + plane * inH * inW;
            for (int r = 0; r < inH; r++)
            {
                var line = new ReadOnlySpan<T>(planeIn + (long)r * inW, inW);
                var into = scratch.AsSpan(r * outW, outW);
                if (typeof(T) == typeof(float)) WeightedLine(MemoryMarshal.Cast<T, float>(line), MemoryMarshal.Cast<T, float>(into), w, w.WeightF, Unsafe.As<T, float>(ref _ext));
                else WeightedLine(MemoryMarshal.Cast<T, double>(line), MemoryMarshal.Cast<T, double>(into), w, w.Weight, Unsafe.As<T, double>(ref _ext));
            }
            fixed (T* ps = scratch)
            {
                for (int oh = 0; oh < _outH; oh++)
                {
                    var d = new Span<T>(_dst + (plane * _outH + oh) * outW, outW);
                    int s = h.Start[oh], e = h.Start[oh + 1];
                    if (s == e) d.Fill(_ext);
                    else if (oh > 0 && SameTaps(h, oh, oh - 1)) new ReadOnlySpan<T>(_dst + (plane * _outH + oh - 1) * outW, outW).CopyTo(d);
                    else if (e - s == 1 && h.Weight[s] == 1.0) new ReadOnlySpan<T>(ps + (long)h.Index[s] * outW, outW).CopyTo(d);
                    else if (typeof(T) == typeof(float)) CombineRows(ps, outW, h.Index, h.WeightF, s, e, MemoryMarshal.Cast<T, float>(d));
                    else CombineRows(ps, outW, h.Index, h.Weight, s, e, MemoryMarshal.Cast<T, double>(d));
                }
            }
        }
    }

    private static bool SameTaps(ResampleAxis axis, int a, int b)
    {
        if (axis.Cell is { } cell) return cell[a] == cell[b];
        int sa = axis.Start[a], ea = axis.Start[a + 1], sb = axis.Start[b], eb = axis.Start[b + 1];
        if (ea - sa != eb - sb) return false;
        for (int k = 0; k < ea - sa; k++)
            if (axis.Index[sa + k] != axis.Index[sb + k] || axis.Weight[sa + k] != axis.Weight[sb + k]) return false;
        return true;
    }

    // dst = sum over taps k in [s, e) of weight[k] * (row index[k] of the plane), vectorised.
    private static unsafe void CombineRows<U>(void* planeIn, int inW, int[] index, U[] weight, int s, int e, Span<U> dst)
        where U : unmanaged, IFloatingPointIeee754<U>
    {
        U* p = (U*)planeIn;
        TensorPrimitives.Multiply(new ReadOnlySpan<U>(p + (long)index[s] * inW, inW), weight[s], dst);
        for (int k = s + 1; k < e; k++)
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<U>(p + (long)index[k] * inW, inW), weight[k], dst, dst);
    }

    // One cell per output position (any element type); outside positions take the extrapolation value.
    private static void GatherLine<T>(ReadOnlySpan<T> s, Span<T> d, ResampleAxis axis, T ext) where T : unmanaged
    {
        // Cells lie in [0, s.Length) or are -1 (ResampleAxis builds them so): reads are unchecked.
        ref int cell = ref MemoryMarshal.GetArrayDataReference(axis.Cell!);
        ref T src = ref MemoryMarshal.GetReference(s);
        ref T dst = ref MemoryMarshal.GetReference(d);
        for (int o = 0; o < d.Length; o++)
        {
            int c = Unsafe.Add(ref cell, o);
            Unsafe.Add(ref dst, o) = c < 0 ? ext : Unsafe.Add(ref src, c);
        }
    }

    // Each output a short dot product of its taps, in the element type. The tap tables are built
    // by ResampleAxis, whose cells lie in [0, s.Length) and offsets in the tables: reads are unchecked.
    private static void WeightedLine<U>(ReadOnlySpan<U> s, Span<U> d, ResampleAxis axis, U[] weight, U ext) where U : unmanaged, IFloatingPointIeee754<U>
    {
        ref int start = ref MemoryMarshal.GetArrayDataReference(axis.Start);
        ref int index = ref MemoryMarshal.GetArrayDataReference(axis.Index);
        ref U wt = ref MemoryMarshal.GetArrayDataReference(weight);
        ref U src = ref MemoryMarshal.GetReference(s);
        ref U dst = ref MemoryMarshal.GetReference(d);
        for (int o = 0; o < d.Length; o++)
        {
            int a = Unsafe.Add(ref start, o), b = Unsafe.Add(ref start, o + 1);
            if (a == b)
            {
                Unsafe.Add(ref dst, o) = ext;
                continue;
            }
            U sum = Unsafe.Add(ref wt, a) * Unsafe.Add(ref src, Unsafe.Add(ref index, a));
            for (int k = a + 1; k < b; k++) sum += Unsafe.Add(ref wt, k) * Unsafe.Add(ref src, Unsafe.Add(ref index, k));
            Unsafe.Add(ref dst, o) = sum;
        }
    }

    // d[o] = w0 * (W taps of r0) + w1 * (W taps of r1), unchecked as in WeightedLine.
    private static void TwoRowLine(ReadOnlySpan<float> r0, ReadOnlySpan<float> r1, float w0, float w1, Span<float> d, ResampleAxis axis, float ext)
    {
        ref int start = ref MemoryMarshal.GetArrayDataReference(axis.Start);
        ref int index = ref MemoryMarshal.GetArrayDataReference(axis.Index);
        ref float wt = ref MemoryMarshal.GetArrayDataReference(axis.WeightF);
        ref float a0 = ref MemoryMarshal.GetReference(r0);
        ref float a1 = ref MemoryMarshal.GetReference(r1);
        ref float dst = ref MemoryMarshal.GetReference(d);
        for (int o = 0; o < d.Length; o++)
        {
            int a = Unsafe.Add(ref start, o), b = Unsafe.Add(ref start, o + 1);
            if (a == b)
            {
                Unsafe.Add(ref dst, o) = ext;
                continue;
            }
            float wa = Unsafe.Add(ref wt, a);
            int ca = Unsafe.Add(ref index, a);
            float s0 = wa * Unsafe.Add(ref a0, ca), s1 = wa * Unsafe.Add(ref a1, ca);
            for (int k = a + 1; k < b; k++)
            {
                float wk = Unsafe.Add(ref wt, k);
                int c = Unsafe.Add(ref index, k);
                s0 += wk * Unsafe.Add(ref a0, c);
                s1 += wk * Unsafe.Add(ref a1, c);
            }
            Unsafe.Add(ref dst, o) = w0 * s0 + w1 * s1;
        }
    }
}
