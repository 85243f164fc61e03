// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels;

public static unsafe partial class Nchwc
{
    /// <summary>
    /// Max pooling of NCHWc tensors <c>[batch, PaddedChannels(channels)/16, InH, InW, 16]</c> to
    /// <c>[.., OutH, OutW, 16]</c>, with <see cref="PoolingKernels.MaxPool2D"/>'s rules per channel
    /// (bit for bit): NaN in a window gives the canonical NaN, +0 beats -0, a window with no image
    /// cell gives -infinity. Padded channels are pooled like the others.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; must not overlap x.</param>
    /// <param name="batch">Images.</param>
    /// <param name="channels">Channels (real, not padded).</param>
    /// <param name="g">Sizes, window, stride and begin pads.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">A size is invalid, the geometry is dilated, a span has the wrong length, or the spans overlap.</exception>
    public static void MaxPool(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, PoolGeometry2D g, ComputePool pool, int maxDegree = int.MaxValue) =>
        Pool(x, y, batch, channels, g, average: false, countIncludePad: false, pool, maxDegree);

    /// <summary>
    /// Average pooling of NCHWc tensors <c>[batch, PaddedChannels(channels)/16, InH, InW, 16]</c> to
    /// <c>[.., OutH, OutW, 16]</c>, with <see cref="PoolingKernels.AveragePool2D"/>'s rules per
    /// channel (bit for bit): the window summed in double in row-major order, divided in double by
    /// the image cells in it (or <c>KernelH * KernelW</c> with <paramref name="countIncludePad"/>,
    /// at least 1), rounded once.
    /// </summary>
    /// <param name="x">The input.</param>
    /// <param name="y">The output; must not overlap x.</param>
    /// <param name="batch">Images.</param>
    /// <param name="channels">Channels (real, not padded).</param>
    /// <param name="g">Sizes, window, stride and begin pads.</param>
    /// <param name="countIncludePad">Divide by the whole window size.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">A size is invalid, the geometry is dilated, a span has the wrong length, or the spans overlap.</exception>
    public static void AveragePool(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, PoolGeometry2D g, bool countIncludePad, ComputePool pool, int maxDegree = int.MaxValue) =>
        Pool(x, y, batch, channels, g, average: true, countIncludePad, pool, maxDegree);

    private static void Pool(ReadOnlySpan<float> x, Span<float> y, int batch, int channels, PoolGeometry2D g, bool average, bool countIncludePad, ComputePool pool, int maxDegree)
    {
        ArgumentNullException.ThrowIfNull(pool);
        g.Validate();
        if (g.IsDilated) throw new ArgumentException($"NCHWc pooling has no dilated windows (dilation [{g.DilationH}, {g.DilationW}]); use PoolingKernels.", nameof(g));
        if (batch < 0 || channels < 0) throw new ArgumentException($"Invalid batch {batch} or channel count {channels}.", nameof(batch));
        int cb = PaddedChannels(channels) / BlockSize;
        long xLen = (long)batch * cb * g.InPlane * BlockSize, yLen = (long)batch * cb * g.OutPlane * BlockSize;
        if (x.Length != xLen) throw new ArgumentException($"x has {x.Length} floats; [{batch}, {cb}, {g.InH}, {g.InW}, {BlockSize}] needs {xLen}.", nameof(x));
        if (y.Length != yLen) throw new ArgumentException($"y has {y.Length} floats; [{batch}, {cb}, {g.OutH}, {g.OutW}, {BlockSize}] needs {yLen}.", nameof(y));
        if (y.IsEmpty) return;
        if (y.Overlaps(x)) throw new ArgumentException("y overlaps x; pooling cannot run in place.", nameof(y));
        long rows = (long)batch * cb * g.OutH;
        long work = yLen * Math.Max(1L, (long)g.KernelH * g.KernelW);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
            if (degree <= 1 || work < pool.Options.ParallelWorkThreshold || rows < 2)
            {
                PoolRows(px, py, g, average, countIncludePad, 0, rows);
                return;
            }
            var w = PoolWork.Rent();
            w.X = px; w.Y = py; w.G = g; w.Average = average; w.CountIncludePad = countIncludePad;
            w.Run(pool, rows, (int)Math.Min(rows, degree * 4L), 1, maxDegree);
        }
    }

    private sealed class PoolWork : ParallelRegion
    {
        [ThreadStatic] private static PoolWork? t_cached;
        public float* X, Y;
        public PoolGeometry2D G;
        public bool Average, CountIncludePad;

        public static PoolWork Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end) => PoolRows(X, Y, G, Average, CountIncludePad, start, end);
    }

    // Output rows [r0, r1) of batch x channel blocks x OutH.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PoolRows(float* x, float* y, in PoolGeometry2D g, bool average, bool countIncludePad, long r0, long r1)
    {
        double area = (double)g.KernelH * g.KernelW;
        for (long r = r0; r < r1; r++)
        {
            long plane = r / g.OutH;
            int oh = (int)(r - plane * g.OutH);
            float* xp = x + plane * g.InPlane * BlockSize;
            float* yr = y + (plane * g.OutPlane + (long)oh * g.OutW) * BlockSize;
            int h0 = oh * g.StrideH - g.PadTop;
            int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KernelH, g.InH);
            for (int ow = 0; ow < g.OutW; ow++)
            {
                int w0 = ow * g.StrideW - g.PadLeft;
                int ws = Math.Max(w0, 0), we = Math.Min(w0 + g.KernelW, g.InW);
                float* d = yr + (long)ow * BlockSize;
                if (Vector512.IsHardwareAccelerated)
                {
                    // One block per vector: the same per-lane operations as below.
                    if (average)
                    {
                        Vector512<double> s0 = default, s1 = default;
                        for (int h = hs; h < he; h++)
                        {
                            float* row = xp + (long)h * g.InW * BlockSize;
                            for (int w = ws; w < we; w++)
                            {
                                var v = Vector512.Load(row + (long)w * BlockSize);
                                s0 += Vector512.WidenLower(v);
                                s1 += Vector512.WidenUpper(v);
                            }
                        }
                        double count = countIncludePad ? area : Math.Max(0, he - hs) * Math.Max(0, we - ws);
                        var div = Vector512.Create(Math.Max(count, 1));
                        var a = Vector512.Narrow(s0 / div, s1 / div);
                        Vector512.ConditionalSelect(Vector512.Equals(a, a), a, Vector512.Create(float.NaN)).Store(d);
                    }
                    else
                    {
                        var m = Vector512.Create(float.NegativeInfinity);
                        for (int h = hs; h < he; h++)
                        {
                            float* row = xp + (long)h * g.InW * BlockSize;
                            for (int w = ws; w < we; w++) m = Vector512.Max(m, Vector512.Load(row + (long)w * BlockSize));
                        }
                        Vector512.ConditionalSelect(Vector512.Equals(m, m), m, Vector512.Create(float.NaN)).Store(d);
                    }
                }
                else if (average)
                {
                    // Per lane: a double sum in row-major window order, one division, one rounding.
                    Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
                    for (int h = hs; h < he; h++)
                    {
                        float* row = xp + (long)h * g.InW * BlockSize;
                        for (int w = ws; w < we; w++)
                        {
                            float* v = row + (long)w * BlockSize;
                            var lo = Vector256.Load(v);
                            var hi = Vector256.Load(v + 8);
                            s0 += Vector256.WidenLower(lo);
                            s1 += Vector256.WidenUpper(lo);
                            s2 += Vector256.WidenLower(hi);
                            s3 += Vector256.WidenUpper(hi);
                        }
                    }
                    double count = countIncludePad ? area : Math.Max(0, he - hs) * Math.Max(0, we - ws);
                    var div = Vector256.Create(Math.Max(count, 1));
                    var a0 = Vector256.Narrow(s0 / div, s1 / div);
                    var a1 = Vector256.Narrow(s2 / div, s3 / div);
                    var nan = Vector256.Create(float.NaN);
                    Vector256.ConditionalSelect(Vector256.Equals(a0, a0), a0, nan).Store(d);
                    Vector256.ConditionalSelect(Vector256.Equals(a1, a1), a1, nan).Store(d + 8);
                }
                else
                {
                    // Vector Max is IEEE 754:2019 maximum (NaN propagates, +0 beats -0), which is
                    // order-independent up to NaN payloads; those are made canonical below.
                    var m0 = Vector256.Create(float.NegativeInfinity);
                    var m1 = m0;
                    for (int h = hs; h < he; h++)
                    {
                        float* row = xp + (long)h * g.InW * BlockSize;
                        for (int w = ws; w < we; w++)
                        {
                            float* v = row + (long)w * BlockSize;
                            m0 = Vector256.Max(m0, Vector256.Load(v));
                            m1 = Vector256.Max(m1, Vector256.Load(v + 8));
                        }
                    }
                    var nan = Vector256.Create(float.NaN);
                    Vector256.ConditionalSelect(Vector256.Equals(m0, m0), m0, nan).Store(d);
                    Vector256.ConditionalSelect(Vector256.Equals(m1, m1), m1, nan).Store(d + 8);
                }
            }
        }
    }
}
