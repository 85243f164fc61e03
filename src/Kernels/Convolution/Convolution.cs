// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// The sizes of a 2-D NCHW convolution (a 1-D one is H = OH = KH = 1): input <c>[N, C, H, W]</c>,
/// filters <c>[M, C / Group, KH, KW]</c>, output <c>[N, M, OH, OW]</c>, with
/// <c>y[oy, ox]</c> reading <c>x[oy * StrideH - PadTop + ky * DilationH, ox * StrideW - PadLeft + kx * DilationW]</c>
/// (0 outside the image).
/// </summary>
/// <param name="C">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="M">Output channels (filters).</param>
/// <param name="Group">Groups; divides C and M.</param>
/// <param name="KH">Kernel height.</param>
/// <param name="KW">Kernel width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadTop">Rows of zeros above (the bottom padding only shows in OH).</param>
/// <param name="PadLeft">Columns of zeros on the left (the right padding only shows in OW).</param>
/// <param name="DilationH">Vertical dilation.</param>
/// <param name="DilationW">Horizontal dilation.</param>
/// <param name="OH">Output height.</param>
/// <param name="OW">Output width.</param>
public readonly record struct ConvGeometry(int C, int H, int W, int M, int Group, int KH, int KW, int StrideH, int StrideW,
    int PadTop, int PadLeft, int DilationH, int DilationW, int OH, int OW);

/// <summary>
/// 2-D convolution of NCHW float tensors with grouped, strided, padded and dilated filters, an
/// optional bias per output channel and an optional fused Relu.
/// </summary>
/// <remarks>
/// <para><b>Paths.</b> Per image and group, <c>Y_g[M/G, OH*OW] = W_g[M/G, K] * col[K, OH*OW]</c>
/// (<c>K = C/G * KH * KW</c>) on <see cref="Gemm"/>'s blocked kernel, the filters read in place as A.
/// The column matrix is never materialised: the GEMM's packing step reads the image directly
/// ("implicit GEMM": each k block x column panel is unfolded straight into the packed strips, a
/// per-thread buffer that stays in L2), so threads splitting the output pixels each unfold only
/// their own columns (as MLAS's <c>ExpandThenGemmSegmented</c>, without its separate copy). A 1x1
/// kernel with stride 1 and no padding packs the input rows as they are. Groups are slices of X,
/// W and Y: no copies. Depthwise convolutions (one input and one output channel per group) run a
/// direct kernel over channels instead (a GEMM with M = K = 1 per channel would be all overhead).</para>
/// <para><b>Rounding.</b> Each output is <c>acc = 0; for (c, ky, kx) in order: acc = x * w + acc</c>
/// (fused multiply-add where the hardware has it; a tap in the padding adds <c>0 * w</c> or is
/// skipped, which gives the same value but possibly for the sign of a zero sum), then <c>acc + bias</c>, then Relu as
/// <c>v &lt; 0 ? 0 : v</c> (NaN and -0.0 unchanged): the same as a separate bias add and Relu
/// operator. Threads split output pixels, channels or filters, never the sum, so results are
/// bit-identical at every thread count.</para>
/// </remarks>
public static class Convolution
{
    /// <summary>Computes <c>y = Relu?(conv(x, w) + bias)</c> for <paramref name="batch"/> images.</summary>
    /// <param name="g">The sizes.</param>
    /// <param name="batch">Images in x and y.</param>
    /// <param name="x">Input, <c>[batch, C, H, W]</c>.</param>
    /// <param name="w">Filters, <c>[M, C / Group, KH, KW]</c>.</param>
    /// <param name="bias">M values, or empty for none.</param>
    /// <param name="relu">Apply Relu to each output.</param>
    /// <param name="y">Output, <c>[batch, M, OH, OW]</c>; must not overlap x or w.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">A size is invalid or a span has the wrong length.</exception>
    public static unsafe void Forward(in ConvGeometry g, int batch, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias,
        bool relu, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (batch < 0 || g.C < 1 || g.M < 1 || g.Group < 1 || g.C % g.Group != 0 || g.M % g.Group != 0 || g.H < 1 || g.W < 1
            || g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1 || g.OH < 0 || g.OW < 0
            || g.PadTop < 0 || g.PadLeft < 0)
            throw new ArgumentException($"Invalid convolution geometry {g} for a batch of {batch}.", nameof(g));
        int cg = g.C / g.Group, mg = g.M / g.Group;
        long inPlane = (long)g.H * g.W, outPlane = (long)g.OH * g.OW, kdim = (long)cg * g.KH * g.KW;
        if ((long)batch * g.C * inPlane > x.Length) throw new ArgumentException($"x has {x.Length} floats; [{batch}, {g.C}, {g.H}, {g.W}] needs {(long)batch * g.C * inPlane}.", nameof(x));
        if (mg * kdim * g.Group != w.Length) throw new ArgumentException($"w has {w.Length} floats; [{g.M}, {cg}, {g.KH}, {g.KW}] needs {mg * kdim * g.Group}.", nameof(w));
        if (!bias.IsEmpty && bias.Length != g.M) throw new ArgumentException($"bias has {bias.Length} floats; M is {g.M}.", nameof(bias));
        if ((long)batch * g.M * outPlane != y.Length) throw new ArgumentException($"y has {y.Length} floats; [{batch}, {g.M}, {g.OH}, {g.OW}] needs {(long)batch * g.M * outPlane}.", nameof(y));
        if (y.IsEmpty) return;
        if (y.Overlaps(x) || y.Overlaps(w)) throw new ArgumentException("y overlaps x or w; the output must be separate.", nameof(y));
        if (outPlane > int.MaxValue || kdim > int.MaxValue) throw new ArgumentException($"The convolution {g} is too large.", nameof(g));

        fixed (float* px = x)
        fixed (float* pw = w)
        fixed (float* pb = bias)
        fixed (float* py = y)
        {
            float* b = bias.IsEmpty ? null : pb;
            if (cg == 1 && mg == 1)
            {
                Depthwise(in g, batch, px, pw, b, relu, py, pool, maxDegree);
                return;
            }
            bool pointwise = g.KH == 1 && g.KW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0 && g.OH == g.H && g.OW == g.W;
            if (!pointwise && UseIndirect(in g))
            {
                if (Vector512.IsHardwareAccelerated) Indirect<Gemm.V512, Vector512<float>>(in g, batch, px, pw, b, relu, py, pool, maxDegree);
                else if (Vector256.IsHardwareAccelerated) Indirect<Gemm.V256, Vector256<float>>(in g, batch, px, pw, b, relu, py, pool, maxDegree);
                else Indirect<Gemm.V128, Vector128<float>>(in g, batch, px, pw, b, relu, py, pool, maxDegree);
                return;
            }
            for (int img = 0; img < batch; img++)
            {
                for (int grp = 0; grp < g.Group; grp++)
                {
                    float* xg = px + ((long)img * g.C + (long)grp * cg) * inPlane;
                    var args = new Gemm.Args
                    {
                        A = pw + (long)grp * mg * kdim, Lda = (int)kdim, TransA = false,
                        C = py + ((long)img * g.M + (long)grp * mg) * outPlane, Ldc = (int)outPlane,
                        M = mg, N = (int)outPlane, K = (int)kdim, Alpha = 1, Beta = 0,
                        RowBias = b == null ? null : b + grp * mg, Relu = relu,
                    };
                    if (pointwise) Gemm.Run(in args, new Gemm.DensePacker(xg, (int)inPlane, false), pool, maxDegree);
                    else Gemm.Run(in args, new Im2ColPacker(xg, g), pool, maxDegree);
                }
            }
        }
    }

    /// <summary>
    /// Packs <c>col[k, j]</c> = the input under tap k = (c, ky, kx) of output pixel j = (oy, ox),
    /// 0 in the padding, straight from the image into the GEMM's strips.
    /// </summary>
    /// <remarks>
    /// The panel's columns are first cut into segments that lie in one output row (they do not
    /// depend on the tap); then, per tap, each segment is one zero range, one copy of consecutive
    /// (or, with a stride, evenly spaced) input elements and one zero range, each split where a
    /// strip of <c>nr</c> columns ends.
    /// </remarks>
    private readonly unsafe struct Im2ColPacker(float* x, ConvGeometry g) : Gemm.IPackB
    {
        public bool TryInPlace(out float* b, out int ldb)
        {
            b = null;
            ldb = 0;
            return false;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pack(int kp, int kc, int jp, int cols, int nr, float* dst)
        {
            int maxSegments = cols / g.OW + 2;
            int* segment = stackalloc int[3 * maxSegments]; // (first column, output row, output column) per segment
            int segments = 0;
            for (int jj = 0, oy = jp / g.OW, ox = jp - oy * g.OW; jj < cols; segments++)
            {
                segment[3 * segments] = jj;
                segment[3 * segments + 1] = oy;
                segment[3 * segments + 2] = ox;
                jj += g.OW - ox;
                ox = 0;
                oy++;
            }
            int taps = g.KH * g.KW;
            int ch = kp / taps, t = kp - ch * taps;
            int ky = t / g.KW, kx = t - ky * g.KW;
            var d = new Strips(dst, nr, kc);
            int tail = cols % nr;
            long stripStride = (long)nr * kc;
            // Small output rows (LeNet's 8 wide) make many short segments per k row: where each
            // segment lies in one strip, its place there is fixed for the whole panel, so compute it
            // once, and a segment whose taps all lie inside the input row is one plain copy.
            int* place = stackalloc int[maxSegments];
            bool placed = g.StrideW == 1;
            for (int sgi = 0; sgi < segments && placed; sgi++)
            {
                int jj = segment[3 * sgi], run = Math.Min(g.OW - segment[3 * sgi + 2], cols - jj);
                int q = jj % nr;
                placed = q + run <= nr;
                place[sgi] = (int)(jj / nr * stripStride) + q;
            }
            for (int p = 0; p < kc; p++, d.Row += nr)
            {
                float* plane = x + (long)ch * g.H * g.W;
                int dy = ky * g.DilationH - g.PadTop, dx = kx * g.DilationW - g.PadLeft;
                for (int sgi = 0; sgi < segments; sgi++)
                {
                    if (placed)
                    {
                        int oy0 = segment[3 * sgi + 1], ox0 = segment[3 * sgi + 2], iy0 = oy0 * g.StrideH + dy, ix = ox0 + dx;
                        int n0 = Math.Min(g.OW - ox0, cols - segment[3 * sgi]);
                        if ((uint)iy0 < (uint)g.H && ix >= 0 && ix + n0 <= g.W)
                        {
                            CopyShort(plane + (long)iy0 * g.W + ix, d.Row + place[sgi], n0);
                            continue;
                        }
                    }
                    int jj = segment[3 * sgi], oy = segment[3 * sgi + 1], ox = segment[3 * sgi + 2];
                    int run = Math.Min(g.OW - ox, cols - jj);
                    int iy = oy * g.StrideH + dy;
                    if ((uint)iy >= (uint)g.H)
                    {
                        d.Zero(jj, run);
                        continue;
                    }
                    float* src = plane + (long)iy * g.W;
                    int ix0 = ox * g.StrideW + dx;
                    // Outputs r in [lo, hi) read inside the row: 0 <= ix0 + r * stride < W.
                    int sw = g.StrideW;
                    int lo = ix0 >= 0 ? 0 : Math.Min(run, (-ix0 + sw - 1) / sw);
                    int hi = g.W - ix0 <= 0 ? lo : Math.Clamp((g.W - ix0 - 1) / sw + 1, lo, run);
                    if (lo > 0) d.Zero(jj, lo);
                    d.Copy(jj + lo, src + ix0 + (long)lo * sw, sw, hi - lo, src + g.W);
                    if (hi < run) d.Zero(jj + hi, run - hi);
                }
                if (tail != 0) d.Zero(cols, nr - tail);
                if (++kx == g.KW)
                {
                    kx = 0;
                    if (++ky == g.KH)
                    {
                        ky = 0;
                        ch++;
                    }
                }
            }
        }
    }

    // One k row of a set of packed strips: column jj is at Row + (jj / nr) * nr * kc + jj % nr.
    private unsafe struct Strips(float* row, int nr, int kc)
    {
        public float* Row = row;
        private readonly long _stripStride = (long)nr * kc;
        private readonly int _nr = nr;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Zero(int jj, int n)
        {
            while (n > 0)
            {
                int s = jj / _nr, q = jj - s * _nr;
                int m = Math.Min(n, _nr - q);
                Convolution.Zero(Row + s * _stripStride + q, m);
                jj += m;
                n -= m;
            }
        }

        // Columns [jj, jj + n) = src[0], src[stride], ...; nothing read at or past rowEnd.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Copy(int jj, float* src, int stride, int n, float* rowEnd)
        {
            while (n > 0)
            {
                int s = jj / _nr, q = jj - s * _nr;
                int m = Math.Min(n, _nr - q);
                if (stride == 1) Convolution.Copy(src, Row + s * _stripStride + q, m);
                else CopyStrided(src, stride, Row + s * _stripStride + q, m, rowEnd);
                jj += m;
                n -= m;
                src += (long)m * stride;
            }
        }
    }

    // ---- indirect: a padded copy of the input read in place by the micro-kernel -----------------

    // Horizontal stride 1 and output rows that fill the 2-vector tile well (at least 3/4 of its
    // lanes on average): the tile is 2W consecutive outputs of one row, so its B vectors are
    // consecutive inputs of one padded row, at an offset per tap. Narrower rows go to the
    // im2col path, whose strips run across output rows.
    private static bool UseIndirect(in ConvGeometry g)
    {
        if (g.StrideW != 1 || g.OW < 1 || g.OH < 1) return false;
        int nr = 2 * Gemm.VectorWidth;
        int tiles = (g.OW + nr - 1) / nr;
        return 4L * g.OW >= 3L * tiles * nr;
    }

    /// <summary>
    /// The indirect convolution (after the indirection idea of XNNPACK): per image and group, the
    /// input is copied once into a zero-padded buffer <c>[C/G, Hp, Wp]</c>, so that every tap of
    /// every output row is a plain run of the buffer; each micro-kernel tile (up to 12 filters x
    /// 2W outputs of one row) then reads its B vectors at <c>row base + off[p]</c>,
    /// <c>off[(c, ky, kx)] = c * Hp * Wp + ky * DilationH * Wp + kx * DilationW</c>: no unfolding
    /// and no packing. Work per thread: output rows; per row, k in blocks of whole channels
    /// (about <see cref="Gemm.KBlock"/> taps), the raw sums kept in Y between blocks (exact), the
    /// bias and Relu on the last. The same sums in the same order as the GEMM path.
    /// </summary>
    private static unsafe void Indirect<TOps, TVec>(in ConvGeometry g, int batch, float* x, float* w, float* bias, bool relu, float* y, ComputePool pool, int maxDegree)
        where TOps : struct, Gemm.ISimd<TVec> where TVec : struct
    {
        int cg = g.C / g.Group, mg = g.M / g.Group, taps = g.KH * g.KW;
        int nr = 2 * TOps.Count;
        int tiles = (g.OW + nr - 1) / nr;
        long hp = Math.Max((long)g.H + g.PadTop, (long)(g.OH - 1) * g.StrideH + (long)(g.KH - 1) * g.DilationH + 1);
        long wp = Math.Max((long)g.W + g.PadLeft, (long)(g.OW - 1) + (long)(g.KW - 1) * g.DilationW + 1);
        // Lanes past the last output of a row read on into the next padded row (unused); the last
        // row's last tile reads up to nr + the kernel's width past the end: slack, zeroed.
        long padded = cg * hp * wp, slack = nr + (long)(g.KW - 1) * g.DilationW + 16;
        if (padded + slack > int.MaxValue) throw new ArgumentException($"The convolution {g} is too large for the indirect path.", nameof(g));
        float* xp = ThreadBuffer<PaddedInput>.Floats(padded + slack);
        int* off = ThreadBuffer<PaddedInput>.Ints(cg * taps);
        for (int c = 0, p = 0; c < cg; c++)
            for (int ky = 0; ky < g.KH; ky++)
                for (int kx = 0; kx < g.KW; kx++, p++)
                    off[p] = (int)(c * hp * wp + ky * g.DilationH * wp + kx * g.DilationW);
        long inPlane = (long)g.H * g.W, outPlane = (long)g.OH * g.OW, kdim = (long)cg * taps;
        int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
        long work = (long)mg * outPlane * kdim;
        for (int img = 0; img < batch; img++)
        {
            for (int grp = 0; grp < g.Group; grp++)
            {
                Pad(x + ((long)img * g.C + (long)grp * cg) * inPlane, cg, g.H, g.W, g.PadTop, g.PadLeft, (int)hp, (int)wp, xp, padded + slack);
                var job = new IndirectJob
                {
                    G = g, Hp = (int)hp, Wp = (int)wp, Tiles = tiles, Xp = xp, Off = off,
                    Args = new Gemm.Args
                    {
                        A = w + (long)grp * mg * kdim, Lda = (int)kdim, M = mg, N = (int)outPlane, K = (int)kdim, Alpha = 1, Beta = 0,
                        C = y + ((long)img * g.M + (long)grp * mg) * outPlane, Ldc = (int)outPlane,
                        RowBias = bias == null ? null : bias + grp * mg, Relu = relu,
                    },
                };
                if (degree <= 1 || work < pool.Options.ParallelWorkThreshold || g.OH < 2) IndirectRows<TOps, TVec>(in job, 0, g.OH);
                else
                {
                    var region = IndirectWork<TOps, TVec>.Rent();
                    region.Job = job;
                    region.Run(pool, g.OH, Math.Min(degree, g.OH), 1, maxDegree);
                }
            }
        }
    }

    private unsafe struct IndirectJob
    {
        public ConvGeometry G;
        public int Hp, Wp, Tiles;
        public float* Xp;
        public int* Off;
        public Gemm.Args Args;
    }

    private sealed class IndirectWork<TOps, TVec> : ParallelRegion where TOps : struct, Gemm.ISimd<TVec> where TVec : struct
    {
        [ThreadStatic] private static IndirectWork<TOps, TVec>? t_cached;
        public IndirectJob Job;

        public static IndirectWork<TOps, TVec> Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end) => IndirectRows<TOps, TVec>(in Job, (int)start, (int)end);
    }

    // Output rows [oy0, oy1): per row, k blocks of whole channels; per block, every block of filters
    // and every tile of the row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void IndirectRows<TOps, TVec>(in IndirectJob job, int oy0, int oy1)
        where TOps : struct, Gemm.ISimd<TVec> where TVec : struct
    {
        ref readonly var g = ref job.G;
        ref readonly var args = ref job.Args;
        int nr = 2 * TOps.Count, taps = g.KH * g.KW, kdim = args.K, m = args.M;
        int channelsPerBlock = Math.Max(1, Gemm.KBlock / taps);
        int kc = channelsPerBlock * taps;
        for (int oy = oy0; oy < oy1; oy++)
        {
            float* rowBase = job.Xp + (long)oy * g.StrideH * job.Wp;
            float* yRow = args.C + (long)oy * g.OW;
            for (int kp = 0; kp < kdim; kp += kc)
            {
                int kb = Math.Min(kc, kdim - kp);
                bool first = kp == 0, last = kp + kb == kdim;
                // Filters outside, tiles inside: a block's slice of W stays in L1 across the row's tiles.
                for (int i = 0; i < m;)
                {
                    int rows = Gemm.TileRows(m - i);
                    for (int t = 0; t < job.Tiles; t++)
                    {
                        int ox0 = t * nr, cols = Math.Min(nr, g.OW - ox0);
                        Gemm.IndirectTile<TOps, TVec>(rows, kb, args.A + (long)i * kdim + kp, kdim, rowBase + ox0, job.Off + kp,
                            yRow + (long)i * args.Ldc + ox0, args.Ldc, cols, first, last, in args, i, 0);
                    }
                    i += rows;
                }
            }
        }
    }

    // dst[c, PadTop + iy, PadLeft + ix] = src[c, iy, ix], 0 elsewhere (all `total` floats).
    private static unsafe void Pad(float* src, int channels, int h, int w, int top, int left, int hp, int wp, float* dst, long total)
    {
        new Span<float>(dst, (int)total).Clear();
        for (int c = 0; c < channels; c++)
        {
            float* plane = dst + (long)c * hp * wp + (long)top * wp + left;
            float* s = src + (long)c * h * w;
            for (int iy = 0; iy < h; iy++) new ReadOnlySpan<float>(s + (long)iy * w, w).CopyTo(new Span<float>(plane + (long)iy * wp, w));
        }
    }

    // Names the indirect path's per-thread padded input and its tap offsets (ThreadBuffer).
    private struct PaddedInput;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Zero(float* d, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16) Vector512<float>.Zero.Store(d + i);
            if (i < n) Gemm.V512.StoreN(d + i, Vector512<float>.Zero, n - i);
            return;
        }
        for (; i < n; i++) d[i] = 0;
    }

    // Copy for the short runs of small output rows: one 8-float vector when that is the length.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void CopyShort(float* src, float* d, int n)
    {
        if (n == 8 && Vector256.IsHardwareAccelerated) Vector256.Load(src).Store(d);
        else Copy(src, d, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Copy(float* src, float* d, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 16 <= n; i += 16) Vector512.Load(src + i).Store(d + i);
            if (i < n) Gemm.V512.StoreN(d + i, Gemm.V512.LoadN(src + i, n - i), n - i);
            return;
        }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= n; i += 8) Vector256.Load(src + i).Store(d + i);
        for (; i < n; i++) d[i] = src[i];
    }

    // d[r] = src[r * stride] for r in [0, n); reads nothing at or past rowEnd. Stride 2 with
    // AVX-512 takes 16 outputs from two loads and one two-source permute (the even lanes).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CopyStrided(float* src, int stride, float* d, int n, float* rowEnd)
    {
        int r = 0;
        if (stride == 2 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported)
        {
            var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            for (; r + 16 <= n && src + 2 * r + 32 <= rowEnd; r += 16)
                Avx512F.PermuteVar16x32x2(Vector512.Load(src + 2 * r), even, Vector512.Load(src + 2 * r + 16)).Store(d + r);
        }
        for (; r < n; r++) d[r] = src[(long)r * stride];
    }

    // ---- depthwise ------------------------------------------------------------------------------

    private static unsafe void Depthwise(in ConvGeometry g, int batch, float* x, float* w, float* bias, bool relu, float* y, ComputePool pool, int maxDegree)
    {
        long planes = (long)batch * g.C;
        long work = planes * g.OH * g.OW * g.KH * g.KW;
        int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
        if (degree <= 1 || work < pool.Options.ParallelWorkThreshold || planes < 2)
        {
            DepthwisePlanes(in g, x, w, bias, relu, y, 0, planes);
            return;
        }
        var region = DepthwiseWork.Rent();
        region.G = g;
        region.X = x; region.Wt = w; region.Bias = bias; region.Y = y; region.Relu = relu;
        region.Run(pool, planes, (int)Math.Min(degree, planes), 1, maxDegree);
    }

    private sealed unsafe class DepthwiseWork : ParallelRegion
    {
        [ThreadStatic] private static DepthwiseWork? t_cached;
        public ConvGeometry G;
        public float* X, Wt, Bias, Y;
        public bool Relu;

        public static DepthwiseWork Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end) => DepthwisePlanes(in G, X, Wt, Bias, Relu, Y, start, end);
    }

    // Planes [p0, p1) of batch x channels: y[oy, ox] = sum over taps (ky, kx) of x * w in tap
    // order (taps in the padding add nothing), then + bias, then Relu. Stride-1 rows with AVX-512
    // keep 16 outputs in a register over all taps (masked loads at the edges); else element by element.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DepthwisePlanes(in ConvGeometry g, float* x, float* w, float* bias, bool relu, float* y, long p0, long p1)
    {
        int taps = g.KH * g.KW;
        bool vector = g.StrideW == 1 && Vector512.IsHardwareAccelerated && Avx512F.IsSupported;
        for (long pl = p0; pl < p1; pl++)
        {
            int ch = (int)(pl % g.C);
            float* xp = x + pl * g.H * g.W;
            float* wp = w + (long)ch * taps;
            float* yp = y + pl * g.OH * g.OW;
            float bv = bias == null ? 0 : bias[ch];
            for (int oy = 0; oy < g.OH; oy++)
            {
                float* yr = yp + (long)oy * g.OW;
                if (vector)
                {
                    for (int ox0 = 0; ox0 < g.OW; ox0 += 16)
                    {
                        var acc = Vector512<float>.Zero;
                        for (int ky = 0; ky < g.KH; ky++)
                        {
                            int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                            if ((uint)iy >= (uint)g.H) continue;
                            float* xr = xp + (long)iy * g.W;
                            for (int kx = 0; kx < g.KW; kx++)
                            {
                                int ix0 = ox0 + kx * g.DilationW - g.PadLeft;
                                Vector512<float> v;
                                if (ix0 >= 0 && ix0 + 16 <= g.W) v = Vector512.Load(xr + ix0);
                                else
                                {
                                    // Lanes l with 0 <= ix0 + l < W; the others load 0 (masked: no access).
                                    var l = Vector512<int>.Indices + Vector512.Create(ix0);
                                    var inside = Vector512.GreaterThanOrEqual(l, Vector512<int>.Zero) & Vector512.LessThan(l, Vector512.Create(g.W));
                                    v = Avx512F.MaskLoad(xr + ix0, inside.AsSingle(), Vector512<float>.Zero);
                                }
                                acc = Gemm.V512.MulAdd(v, Vector512.Create(wp[ky * g.KW + kx]), acc);
                            }
                        }
                        acc += Vector512.Create(bv);
                        if (relu) acc = Gemm.V512.Relu(acc);
                        Gemm.V512.StoreN(yr + ox0, acc, Math.Min(16, g.OW - ox0));
                    }
                    continue;
                }
                for (int ox = 0; ox < g.OW; ox++)
                {
                    float acc = 0;
                    for (int ky = 0; ky < g.KH; ky++)
                    {
                        int iy = oy * g.StrideH - g.PadTop + ky * g.DilationH;
                        if ((uint)iy >= (uint)g.H) continue;
                        float* xr = xp + (long)iy * g.W;
                        for (int kx = 0; kx < g.KW; kx++)
                        {
                            int ix = ox * g.StrideW - g.PadLeft + kx * g.DilationW;
                            if ((uint)ix < (uint)g.W) acc = MulAdd(xr[ix], wp[ky * g.KW + kx], acc);
                        }
                    }
                    float v = acc + bv;
                    if (relu && v < 0) v = 0;
                    yr[ox] = v;
                }
            }
        }
    }

    // The scalar form of the vector kernels' multiply-add: fused when they fuse.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MulAdd(float x, float y, float acc) => Gemm.FusesMultiplyAdd ? MathF.FusedMultiplyAdd(x, y, acc) : x * y + acc;
}
