// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// The geometry of a 2-D pooling over one <c>[InH, InW]</c> plane: output <c>[OutH, OutW]</c>,
/// window <c>[KernelH, KernelW]</c> moved by <c>StrideH</c>/<c>StrideW</c>, the image shifted by the
/// begin pads <c>PadTop</c>/<c>PadLeft</c>, the window's taps <see cref="DilationH"/>/<see cref="DilationW"/>
/// apart (1, the default: a dense window). A 1-D pooling is the 2-D one with <c>InH = OutH =
/// KernelH = StrideH = DilationH = 1</c> and <c>PadTop = 0</c>.
/// </summary>
/// <param name="InH">Input height.</param>
/// <param name="InW">Input width.</param>
/// <param name="OutH">Output height.</param>
/// <param name="OutW">Output width.</param>
/// <param name="KernelH">Window height.</param>
/// <param name="KernelW">Window width.</param>
/// <param name="StrideH">Vertical step between windows.</param>
/// <param name="StrideW">Horizontal step between windows.</param>
/// <param name="PadTop">Rows of padding before the image (the first window starts at row <c>-PadTop</c>).</param>
/// <param name="PadLeft">Columns of padding before the image.</param>
public readonly record struct PoolGeometry2D(
    int InH, int InW, int OutH, int OutW, int KernelH, int KernelW, int StrideH, int StrideW, int PadTop, int PadLeft)
{
    /// <summary>A geometry with dilated windows: tap <c>i</c> of a window is <c>i * dilation</c> cells after its first.</summary>
    /// <param name="InH">Input height.</param>
    /// <param name="InW">Input width.</param>
    /// <param name="OutH">Output height.</param>
    /// <param name="OutW">Output width.</param>
    /// <param name="KernelH">Window height, in taps.</param>
    /// <param name="KernelW">Window width, in taps.</param>
    /// <param name="StrideH">Vertical step between windows.</param>
    /// <param name="StrideW">Horizontal step between windows.</param>
    /// <param name="PadTop">Rows of padding before the image.</param>
    /// <param name="PadLeft">Columns of padding before the image.</param>
    /// <param name="dilationH">Rows between vertical taps (1: adjacent).</param>
    /// <param name="dilationW">Columns between horizontal taps (1: adjacent).</param>
    public PoolGeometry2D(int InH, int InW, int OutH, int OutW, int KernelH, int KernelW, int StrideH, int StrideW, int PadTop, int PadLeft, int dilationH, int dilationW)
        : this(InH, InW, OutH, OutW, KernelH, KernelW, StrideH, StrideW, PadTop, PadLeft)
    {
        DilationH = dilationH;
        DilationW = dilationW;
    }

    /// <summary>Rows between the vertical taps of a window: row <c>i</c> of the window of output row
    /// <c>oh</c> is <c>oh * StrideH - PadTop + i * DilationH</c>. 1 (the default) is a dense window.</summary>
    public int DilationH { get; init; } = 1;

    /// <summary>Columns between the horizontal taps of a window (see <see cref="DilationH"/>). 1 (the default) is a dense window.</summary>
    public int DilationW { get; init; } = 1;

    /// <summary>True when either dilation is above 1 (the window has gaps).</summary>
    public bool IsDilated => DilationH != 1 || DilationW != 1;

    /// <summary>Elements of one input plane.</summary>
    public long InPlane => (long)InH * InW;

    /// <summary>Elements of one output plane.</summary>
    public long OutPlane => (long)OutH * OutW;

    internal void Validate()
    {
        if (InH < 0 || InW < 0 || OutH < 0 || OutW < 0)
            throw new ArgumentException($"pooling sizes must not be negative: input [{InH}, {InW}], output [{OutH}, {OutW}].");
        if (KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1)
            throw new ArgumentException($"pooling kernel [{KernelH}, {KernelW}] and stride [{StrideH}, {StrideW}] must be at least 1.");
        if (DilationH < 1 || DilationW < 1)
            throw new ArgumentException($"pooling dilation [{DilationH}, {DilationW}] must be at least 1.");
    }
}

/// <summary>
/// Max and average pooling over NCHW planes (Caffe2's <c>pool_op.cc</c>): spans and sizes in,
/// spans out; the planes are split across a <see cref="ComputePool"/> when the work is large.
/// </summary>
/// <remarks>
/// <para>Output cell <c>(oh, ow)</c> pools the window of rows <c>[oh * StrideH - PadTop, + KernelH)</c>
/// and columns <c>[ow * StrideW - PadLeft, + KernelW)</c> clipped to the image: padding never enters a
/// maximum, and an average divides by the number of image cells in the window, or by
/// <c>KernelH * KernelW</c> when <c>countIncludePad</c> (Caffe2's divisor; with the output sizes
/// Caffe2 computes, every window lies inside the padded extent, so that is the padded window).</para>
/// <para>Dilation (a Caffe2Sharp extension; Caffe2's pooling has none, ONNX's has): the window of
/// <c>(oh, ow)</c> is rows <c>oh * StrideH - PadTop + i * DilationH</c> for <c>i</c> in
/// <c>[0, KernelH)</c> and columns <c>ow * StrideW - PadLeft + j * DilationW</c> for <c>j</c> in
/// <c>[0, KernelW)</c>; taps outside the image are skipped as above, and <c>countIncludePad</c>
/// still divides by <c>KernelH * KernelW</c>, the taps, not the dilated extent (ONNX's count:
/// the taps that fall in the zero-padded input). Dilated windows take a scalar path with the same
/// rules (NaN, signed zero, sums in double in row-major tap order); dilation 1 takes the vector
/// paths below, unchanged.</para>
/// <para>NaN: a window holding a NaN gives NaN, in both kernels (MaxPool propagates NaN instead of
/// letting a compare-and-select silently skip or keep it depending on its position), and it is
/// the canonical NaN (<c>T.NaN</c>), whatever the payloads in the window (which payload an add of
/// two NaNs keeps depends on the operand order the JIT chooses, so no kernel can promise one). Signed zeros: when the
/// largest value is zero, a max gives +0 if the window holds a +0, else -0. Both rules make the
/// max independent of the order in which the window is visited, so the vectorised kernel (rows
/// first, then columns) gives the same bits as a row-major loop.</para>
/// <para>A window with no image cell (possible in Caffe's ceil mode without padding, where the
/// last window may start past the image, and with dilation, where the taps can straddle a small
/// image, one in each pad) gives -infinity for max (the identity of max; Caffe wrote <c>-FLT_MAX</c>) and 0 for
/// average (an empty sum, divided by at least 1).</para>
/// <para>Max pooling reduces each output row's window rows column-wise, then the windows along the
/// row, with vectors (<c>TensorPrimitives.Max</c>), and each output picks its window.
/// Sums are accumulated in double, in row-major window order, and divided in double, then
/// rounded once to the element type. Every plane is computed by one thread, so results are
/// bit-identical at every thread count.</para>
/// </remarks>
public static class PoolingKernels
{
    /// <summary>Max pooling of <paramref name="planes"/> planes.</summary>
    /// <param name="x">The input, <paramref name="planes"/> * <c>InH * InW</c> elements.</param>
    /// <param name="y">The output, <paramref name="planes"/> * <c>OutH * OutW</c> elements; must not overlap <paramref name="x"/>.</param>
    /// <param name="planes">Number of planes (N * C).</param>
    /// <param name="geometry">Sizes, window, stride, begin pads and dilation.</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A length does not match the geometry, a size is invalid, or the spans overlap.</exception>
    public static void MaxPool2D<T>(ReadOnlySpan<T> x, Span<T> y, int planes, PoolGeometry2D geometry, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(x, y, planes, geometry, average: false, countIncludePad: false, pool, maxDegreeOfParallelism);

    /// <summary>Average pooling of <paramref name="planes"/> planes.</summary>
    /// <param name="x">The input, <paramref name="planes"/> * <c>InH * InW</c> elements.</param>
    /// <param name="y">The output, <paramref name="planes"/> * <c>OutH * OutW</c> elements; must not overlap <paramref name="x"/>.</param>
    /// <param name="planes">Number of planes (N * C).</param>
    /// <param name="geometry">Sizes, window, stride, begin pads and dilation.</param>
    /// <param name="countIncludePad">Divide by the window size <c>KernelH * KernelW</c> instead of the number of image cells in it.</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegreeOfParallelism">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A length does not match the geometry, a size is invalid, or the spans overlap.</exception>
    public static void AveragePool2D<T>(ReadOnlySpan<T> x, Span<T> y, int planes, PoolGeometry2D geometry, bool countIncludePad, ComputePool pool, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(x, y, planes, geometry, average: true, countIncludePad, pool, maxDegreeOfParallelism);

    private static unsafe void Run<T>(ReadOnlySpan<T> x, Span<T> y, int planes, PoolGeometry2D g, bool average, bool countIncludePad, ComputePool pool, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(pool);
        g.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(planes);
        if (x.Length != planes * g.InPlane)
            throw new ArgumentException($"x has {x.Length} elements; {planes} planes of [{g.InH}, {g.InW}] need {planes * g.InPlane}.", nameof(x));
        if (y.Length != planes * g.OutPlane)
            throw new ArgumentException($"y has {y.Length} elements; {planes} planes of [{g.OutH}, {g.OutW}] need {planes * g.OutPlane}.", nameof(y));
        if (x.Overlaps(y))
            throw new ArgumentException("the output overlaps the input; pooling cannot run in place.", nameof(y));
        int chunks = ChunkCount(pool, planes, g, maxDegreeOfParallelism);
        if (chunks <= 1)
        {
            for (int p = 0; p < planes; p++)
                Plane(x.Slice((int)(p * g.InPlane), (int)g.InPlane), y.Slice((int)(p * g.OutPlane), (int)g.OutPlane), g, average, countIncludePad);
            return;
        }
        fixed (T* px = x)
        fixed (T* py = y)
        {
            var work = Work<T>.Rent();
            work.Set(px, py, g, average, countIncludePad);
            work.Run(pool, planes, chunks, 1, maxDegreeOfParallelism);
        }
    }

    private static void Plane<T>(ReadOnlySpan<T> x, Span<T> y, in PoolGeometry2D g, bool average, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.IsDilated) DilatedPlane(x, y, g, average, countIncludePad);
        else if (average) AveragePlane(x, y, g, countIncludePad);
        else MaxPlane(x, y, g);
    }

    // The taps [first, end) of a window starting at `start` with `kernel` taps `dilation` apart that
    // fall inside [0, size): first = ceil(-start / dilation) when the window starts in the padding.
    private static (int First, int End) Taps(int start, int kernel, int dilation, int size)
    {
        int first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int end = start >= size ? 0 : Math.Min(kernel, (size - 1 - start) / dilation + 1);
        return (first, Math.Max(first, end));
    }

    // Max or average pooling of one plane with dilated windows: a plain loop over each window's
    // image taps in row-major order, with the rules of the dense paths. The max goes through Max
    // (canonical NaN, +0 over -0), so its result does not depend on the visiting order; the sum
    // is accumulated in double in row-major order and divided once, as AveragePlane does.
    private static void DilatedPlane<T>(ReadOnlySpan<T> x, Span<T> y, in PoolGeometry2D g, bool average, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double area = (double)g.KernelH * g.KernelW;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int h0 = oh * g.StrideH - g.PadTop;
            var (i0, i1) = Taps(h0, g.KernelH, g.DilationH, g.InH);
            for (int ow = 0; ow < g.OutW; ow++)
            {
                int w0 = ow * g.StrideW - g.PadLeft;
                var (j0, j1) = Taps(w0, g.KernelW, g.DilationW, g.InW);
                if (average)
                {
                    double sum = 0;
                    for (int i = i0; i < i1; i++)
                    {
                        var row = x.Slice((h0 + i * g.DilationH) * g.InW, g.InW);
                        for (int j = j0; j < j1; j++) sum += double.CreateTruncating(row[w0 + j * g.DilationW]);
                    }
                    double count = countIncludePad ? area : (double)(i1 - i0) * (j1 - j0);
                    double mean = sum / Math.Max(count, 1);
                    y[oh * g.OutW + ow] = double.IsNaN(mean) ? T.NaN : T.CreateTruncating(mean);
                }
                else
                {
                    T r = T.NegativeInfinity; // the identity of max: a window with no image tap
                    for (int i = i0; i < i1; i++)
                    {
                        var row = x.Slice((h0 + i * g.DilationH) * g.InW, g.InW);
                        for (int j = j0; j < j1; j++) r = Max(r, row[w0 + j * g.DilationW]);
                    }
                    y[oh * g.OutW + ow] = r;
                }
            }
        }
    }

    // Average pooling of one plane: each window summed in double in row-major order.
    private static void AveragePlane<T>(ReadOnlySpan<T> x, Span<T> y, in PoolGeometry2D g, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double area = (double)g.KernelH * g.KernelW;
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int h0 = oh * g.StrideH - g.PadTop;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KernelH, g.InH);
            for (int ow = 0; ow < g.OutW; ow++)
            {
                int w0 = ow * g.StrideW - g.PadLeft;
                int ws = Math.Max(w0, 0), we = Math.Min(w0 + g.KernelW, g.InW);
                double sum = 0;
                for (int h = hs; h < he; h++)
                {
                    var row = x.Slice(h * g.InW, g.InW);
                    for (int w = ws; w < we; w++) sum += double.CreateTruncating(row[w]);
                }
                double count = countIncludePad ? area : Math.Max(0, he - hs) * Math.Max(0, we - ws);
                // Which NaN payload a sum keeps depends on the operand order the JIT picks for
                // each add, so a NaN average is made canonical (as a NaN max is).
                double mean = sum / Math.Max(count, 1);
                y[oh * g.OutW + ow] = double.IsNaN(mean) ? T.NaN : T.CreateTruncating(mean);
            }
        }
    }

    // Max pooling of one plane. For each output row: the rows of its window reduced column by
    // column into rowMax; then winMax[w] = max(rowMax[w .. w + KernelW)) for every window that lies
    // inside the row, both with vectors (TensorPrimitives.Max, IEEE 754:2019 maximum: NaN
    // propagates, +0 beats -0, which is this class's rule); then each output picks its window's
    // value (windows clipped by the padding are reduced one by one). Branch-free in the hot part:
    // a compare-and-branch per element mispredicts half the time on real data.
    [SkipLocalsInit]
    private static void MaxPlane<T>(ReadOnlySpan<T> x, Span<T> y, in PoolGeometry2D g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && g.KernelW == 2 && g.StrideW == 2 && g.PadLeft == 0 && 2L * g.OutW <= g.InW)
        {
            MaxPlaneWindow2Stride2(MemoryMarshal.Cast<T, float>(x), MemoryMarshal.Cast<T, float>(y), g);
            return;
        }
        int inW = g.InW, kw = g.KernelW;
        // Rows of up to 2 KiB live on the stack; wider ones in buffers kept per thread (0 B per call).
        const int StackBytes = 2048;
        bool onStack = inW * Unsafe.SizeOf<T>() <= StackBytes;
        Span<T> rowMax = onStack ? stackalloc T[StackBytes / Unsafe.SizeOf<T>()] : RowBuffer<T>.Rent(2 * inW).AsSpan(0, inW);
        Span<T> winMax = onStack ? stackalloc T[StackBytes / Unsafe.SizeOf<T>()] : RowBuffer<T>.Rent(2 * inW).AsSpan(inW, inW);
        rowMax = rowMax[..inW];
        int inner = Math.Max(0, inW - kw + 1); // windows [w, w + kw) inside the row
        winMax = winMax[..inner];
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int h0 = oh * g.StrideH - g.PadTop;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KernelH, g.InH);
            var yRow = y.Slice(oh * g.OutW, g.OutW);
            if (hs >= he)
            {
                yRow.Fill(T.NegativeInfinity); // no image row in the window (Caffe's ceil mode)
                continue;
            }
            x.Slice(hs * inW, inW).CopyTo(rowMax);
            for (int h = hs + 1; h < he; h++) TensorPrimitives.Max(rowMax, x.Slice(h * inW, inW), rowMax);
            if (inner > 0)
            {
                rowMax[..inner].CopyTo(winMax);
                for (int k = 1; k < kw; k++) TensorPrimitives.Max(winMax, rowMax.Slice(k, inner), winMax);
            }
            for (int ow = 0; ow < g.OutW; ow++)
            {
                int w0 = ow * g.StrideW - g.PadLeft;
                if (g.StrideW == 1 && w0 >= 0 && w0 < inner)
                {
                    // Stride 1: the inner outputs are a run of winMax.
                    int run = Math.Min(g.OutW - ow, inner - w0);
                    winMax.Slice(w0, run).CopyTo(yRow.Slice(ow, run));
                    ow += run - 1;
                    continue;
                }
                T r;
                if (w0 >= 0 && w0 < inner) r = winMax[w0];
                else
                {
                    r = T.NegativeInfinity;
                    for (int w = Math.Max(w0, 0), we = Math.Min(w0 + kw, inW); w < we; w++) r = Max(r, rowMax[w]);
                }
                yRow[ow] = r;
            }
            // Whatever NaN a window held, the canonical one (NaN is rare: a predictable branch).
            foreach (ref T v in yRow)
                if (T.IsNaN(v)) v = T.NaN;
        }
    }

    // Max pooling of one float plane with windows 2 wide at stride 2 that lie inside each row
    // (LeNet's 2x2/2; small planes, where the row-at-a-time path above is all call overhead).
    // Per output row, 8 input columns at a time: the window rows' maximum (Vector256.Max is IEEE
    // 754:2019 maximum, this class's rule: NaN propagates, +0 beats -0), then each lane pair's
    // maximum (a swap of neighbours and one more Max), whose even lanes are 4 outputs, gathered by
    // a shuffle; NaN made canonical. Outputs past the last full group of 4 take the scalar rule.
    private static void MaxPlaneWindow2Stride2(ReadOnlySpan<float> x, Span<float> y, in PoolGeometry2D g)
    {
        int inW = g.InW, outW = g.OutW, groups = outW / 4;
        var swap = Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6);
        var even = Vector256.Create(0, 2, 4, 6, 0, 2, 4, 6);
        var nan = Vector256.Create(float.NaN);
        ref float x0 = ref MemoryMarshal.GetReference(x);
        for (int oh = 0; oh < g.OutH; oh++)
        {
            int h0 = oh * g.StrideH - g.PadTop;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KernelH, g.InH);
            var yRow = y.Slice(oh * outW, outW);
            if (hs >= he)
            {
                yRow.Fill(float.NegativeInfinity); // no image row in the window (Caffe's ceil mode)
                continue;
            }
            for (int j = 0; j < groups; j++)
            {
                nuint at = (nuint)(hs * inW + 8 * j);
                var m = Vector256.LoadUnsafe(ref x0, at);
                for (int h = hs + 1; h < he; h++) m = Vector256.Max(m, Vector256.LoadUnsafe(ref x0, at + (nuint)((h - hs) * inW)));
                m = Vector256.Max(m, Vector256.Shuffle(m, swap));
                m = Vector256.Shuffle(m, even);
                m = Vector256.ConditionalSelect(Vector256.IsNaN(m), nan, m);
                m.GetLower().StoreUnsafe(ref MemoryMarshal.GetReference(yRow), (nuint)(4 * j));
            }
            for (int ow = 4 * groups; ow < outW; ow++)
            {
                float r = float.NegativeInfinity;
                for (int h = hs; h < he; h++)
                    r = Max(Max(r, x[h * inW + 2 * ow]), x[h * inW + 2 * ow + 1]);
                yRow[ow] = r;
            }
        }
    }

    // The max rule of this class: NaN if either is NaN (canonical), +0 over -0, else the larger.
    private static T Max<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a > b) return a;
        if (b > a) return b;
        if (T.IsNaN(a) || T.IsNaN(b)) return T.NaN;
        // Equal: the same bits unless they are zeros of different signs, where +0 wins.
        return T.IsNegative(a) ? b : a;
    }

    private static class RowBuffer<T>
    {
        [ThreadStatic] private static T[]? t_buffer;

        public static T[] Rent(int length) => t_buffer is { } b && b.Length >= length ? b : t_buffer = new T[length];
    }

    private static int ChunkCount(ComputePool pool, int planes, in PoolGeometry2D g, int maxDegreeOfParallelism)
    {
        int degree = Math.Min(Math.Min(maxDegreeOfParallelism, pool.MaxDegreeOfParallelism), planes);
        long work = planes * g.OutPlane * Math.Max(1L, (long)g.KernelH * g.KernelW);
        if (degree <= 1 || work < pool.Options.ParallelWorkThreshold) return 1;
        // Up to four chunks per thread, so a fast thread can take over from a late one.
        return Math.Min(planes, degree * 4);
    }

    // The cached work item of a threaded run: planes [start, end).
    private sealed unsafe class Work<T> : ParallelRegion where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static Work<T>? t_cached;
        private T* _x, _y;
        private PoolGeometry2D _g;
        private bool _average, _countIncludePad;

        public static Work<T> Rent() => t_cached ??= new();

        public void Set(T* x, T* y, PoolGeometry2D g, bool average, bool countIncludePad)
        {
            _x = x;
            _y = y;
            _g = g;
            _average = average;
            _countIncludePad = countIncludePad;
        }

        protected override void RunRange(long start, long end)
        {
            int inPlane = (int)_g.InPlane, outPlane = (int)_g.OutPlane;
            for (long p = start; p < end; p++)
                Plane(new ReadOnlySpan<T>(_x + p * inPlane, inPlane), new Span<T>(_y + p * outPlane, outPlane), _g, _average, _countIncludePad);
        }
    }
}
