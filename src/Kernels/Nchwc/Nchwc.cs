// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// Blocked-channel ("NCHWc") convolution and pooling, after ONNX Runtime's MLAS: activations
/// stored <c>[N, C/16, H, W, 16]</c> (channels padded up to a multiple of 16), filters packed once
/// (<see cref="NchwcFilter"/>), and a direct convolution whose micro-kernel keeps up to 4 blocks of
/// 16 output channels x 6 output pixels in registers: per (input channel, tap), 4 filter vector
/// loads, 6 input broadcasts and 24 multiply-adds. No im2col, no packing per call.
/// </summary>
/// <remarks>
/// <para><b>Numerics.</b> Every output is bit-identical to <see cref="Convolution.Forward"/>
/// (followed by an element-wise add of <c>sum</c> and Relu as <c>v &lt; 0 ? 0 : v</c>): per output,
/// <c>acc = 0</c>, then for each input channel of its group, each ky, each kx,
/// <c>acc = MulAdd(x, w, acc)</c> with the GEMM's multiply-add (fused exactly when the GEMM's is),
/// then <c>acc + bias</c> (when a bias is given), then <c>+ sum</c>, then Relu. Taps in the
/// padding are skipped, where the GEMM path adds <c>0 * w</c>: the same bits, because an
/// accumulator that starts at +0 can never become -0 (an exact zero sum rounds to +0 unless
/// both terms are -0), and <c>acc + (±0) == acc</c> for every other value (it differs only if a
/// filter value is infinite or NaN, where the GEMM gets NaN). The pixel block stays 16 channels
/// on every vector width (2 or 4 vectors per block below AVX-512), and threads split batch x
/// output-channel blocks x output rows, never a sum, so results are the same on every width and
/// at every thread count. Partial sums between passes over input channel blocks are kept raw in
/// a per-thread buffer (exact), never in y, so y may be the same memory as sum.</para>
/// <para><b>Kernels.</b> Direct: a work item is a block of output rows (about 128 pixels) of
/// one set of up to 4 output blocks; input channels go in passes of 16 (up to 128 for 1x1), and
/// each pass's filter slice (about 36 KiB for 3x3) serves every tile of the item's rows from L1,
/// the raw sums waiting in a per-thread buffer between passes. Tiles: 6 pixels x 4 blocks (24
/// accumulators), 12 pixels x 1 or 2 blocks, sized evenly along the row; rows whose window
/// crosses the top or bottom padding clip ky; columns whose window crosses the left or right
/// padding are tiled down the rows (pixel step = one input row) with kx clipped, so edges never
/// run one pixel at a time when several rows share an item. An unpadded stride-1 1x1
/// convolution reads each plane as one row of H*W pixels (tiles span image rows). NCHW input:
/// the same kernel reading plain NCHW (channel stride H*W). Depthwise: input vector x filter
/// vector per tap. Below AVX-512 a tile covers one block (2 or 4 vectors).</para>
/// </remarks>
public static unsafe partial class Nchwc
{
    /// <summary>Channels per block, on every vector width.</summary>
    public const int BlockSize = 16;

    /// <summary><paramref name="channels"/> rounded up to a multiple of <see cref="BlockSize"/>.</summary>
    /// <param name="channels">Channels (not negative).</param>
    public static int PaddedChannels(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        return (channels + BlockSize - 1) / BlockSize * BlockSize;
    }

    private static bool ValidGeometry(in ConvGeometry g) =>
        g.C >= 1 && g.M >= 1 && g.Group >= 1 && g.C % g.Group == 0 && g.M % g.Group == 0 && g.H >= 1 && g.W >= 1
        && g.KH >= 1 && g.KW >= 1 && g.StrideH >= 1 && g.StrideW >= 1 && g.DilationH >= 1 && g.DilationW >= 1 && g.OH >= 0 && g.OW >= 0
        && g.PadTop >= 0 && g.PadLeft >= 0;

    /// <summary>Which NCHWc kernel <paramref name="g"/> takes, if any.</summary>
    /// <param name="g">The convolution.</param>
    /// <param name="kind">The kernel, when the result is true.</param>
    /// <returns>False when the geometry is invalid or has no NCHWc kernel (then use <see cref="Convolution.Forward"/>).</returns>
    public static bool TryGetKind(in ConvGeometry g, out NchwcConvKind kind)
    {
        kind = default;
        if (!ValidGeometry(in g)) return false;
        int cg = g.C / g.Group, mg = g.M / g.Group;
        if (g.Group == g.C && g.Group == g.M && g.C % BlockSize == 0)
        {
            kind = NchwcConvKind.Depthwise;
            return true;
        }
        if (g.Group == 1 && g.C < BlockSize)
        {
            kind = NchwcConvKind.NchwInput;
            return true;
        }
        if (cg % BlockSize == 0 && (g.Group == 1 || mg % BlockSize == 0))
        {
            kind = NchwcConvKind.Direct;
            return true;
        }
        return false;
    }

    // ---- reorders ------------------------------------------------------------------------------

    /// <summary>
    /// Reorders NCHW <c>[batch, channels, height, width]</c> to NCHWc
    /// <c>[batch, PaddedChannels(channels)/16, height, width, 16]</c>; padded channels are +0.
    /// </summary>
    /// <param name="x">The NCHW input.</param>
    /// <param name="batch">Images.</param>
    /// <param name="channels">Channels.</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <param name="y">The NCHWc output; must not overlap x.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">A size is negative, a span has the wrong length, or the spans overlap.</exception>
    public static void ReorderInput(ReadOnlySpan<float> x, int batch, int channels, int height, int width, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue) =>
        Reorder(x, batch, channels, height, width, y, pool, maxDegree, toBlocked: true);

    /// <summary>
    /// Reorders NCHWc <c>[batch, PaddedChannels(channels)/16, height, width, 16]</c> back to NCHW
    /// <c>[batch, channels, height, width]</c>, dropping the padded channels.
    /// </summary>
    /// <param name="x">The NCHWc input.</param>
    /// <param name="batch">Images.</param>
    /// <param name="channels">Channels (real, not padded).</param>
    /// <param name="height">Rows.</param>
    /// <param name="width">Columns.</param>
    /// <param name="y">The NCHW output; must not overlap x.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">A size is negative, a span has the wrong length, or the spans overlap.</exception>
    public static void ReorderOutput(ReadOnlySpan<float> x, int batch, int channels, int height, int width, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue) =>
        Reorder(x, batch, channels, height, width, y, pool, maxDegree, toBlocked: false);

    private static void Reorder(ReadOnlySpan<float> x, int batch, int channels, int height, int width, Span<float> y, ComputePool pool, int maxDegree, bool toBlocked)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (batch < 0 || channels < 0 || height < 0 || width < 0)
            throw new ArgumentException($"Invalid tensor [{batch}, {channels}, {height}, {width}].", nameof(batch));
        long plane = (long)height * width;
        long plain = (long)batch * channels * plane, blocked = (long)batch * PaddedChannels(channels) * plane;
        long xLen = toBlocked ? plain : blocked, yLen = toBlocked ? blocked : plain;
        string Plain() => $"[{batch}, {channels}, {height}, {width}]";
        string Blocked() => $"[{batch}, {PaddedChannels(channels) / BlockSize}, {height}, {width}, {BlockSize}]";
        if (x.Length != xLen) throw new ArgumentException($"x has {x.Length} floats; {(toBlocked ? Plain() : Blocked())} needs {xLen}.", nameof(x));
        if (y.Length != yLen) throw new ArgumentException($"y has {y.Length} floats; {(toBlocked ? Blocked() : Plain())} needs {yLen}.", nameof(y));
        if (y.IsEmpty) return;
        if (y.Overlaps(x)) throw new ArgumentException("y overlaps x; the output must be separate.", nameof(y));
        long blocks = (long)batch * (PaddedChannels(channels) / BlockSize);
        fixed (float* px = x)
        fixed (float* py = y)
        {
            int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
            if (degree <= 1 || blocked < pool.Options.ParallelWorkThreshold || blocks < 2)
            {
                ReorderBlocks(px, py, channels, plane, toBlocked, 0, blocks);
                return;
            }
            var work = ReorderWork.Rent();
            work.X = px; work.Y = py; work.Channels = channels; work.Plane = plane; work.ToBlocked = toBlocked;
            work.Run(pool, blocks, (int)Math.Min(blocks, degree * 2L), 1, maxDegree);
        }
    }

    private sealed class ReorderWork : ParallelRegion
    {
        [ThreadStatic] private static ReorderWork? t_cached;
        public float* X, Y;
        public int Channels;
        public long Plane;
        public bool ToBlocked;

        public static ReorderWork Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end) => ReorderBlocks(X, Y, Channels, Plane, ToBlocked, start, end);
    }

    // Blocks [b0, b1) of batch x channel blocks, 64 pixels at a time (a 4 KiB blocked run).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReorderBlocks(float* x, float* y, int channels, long plane, bool toBlocked, long b0, long b1)
    {
        int cb = PaddedChannels(channels) / BlockSize;
        for (long b = b0; b < b1; b++)
        {
            long n = b / cb;
            int c0 = (int)(b - n * cb) * BlockSize;
            int real = Math.Min(BlockSize, channels - c0);
            float* blk = (toBlocked ? y : x) + b * plane * BlockSize;
            float* pl = (toBlocked ? x : y) + (n * channels + c0) * plane;
            for (long p0 = 0; p0 < plane; p0 += 64)
            {
                int np = (int)Math.Min(64, plane - p0);
                int ci = 0;
                if (Sse.IsSupported)
                {
                    // 4 channels x 4 pixels at a time: four loads, a 4x4 transpose, four stores.
                    for (; ci + 4 <= real; ci += 4)
                    {
                        float* d = blk + p0 * BlockSize + ci;
                        float* s = pl + ci * plane + p0;
                        int p = 0;
                        for (; p + 4 <= np; p += 4)
                        {
                            if (toBlocked)
                            {
                                Transpose4(Vector128.Load(s + p), Vector128.Load(s + plane + p), Vector128.Load(s + 2 * plane + p), Vector128.Load(s + 3 * plane + p),
                                    out var v0, out var v1, out var v2, out var v3);
                                v0.Store(d + p * BlockSize);
                                v1.Store(d + (p + 1) * BlockSize);
                                v2.Store(d + (p + 2) * BlockSize);
                                v3.Store(d + (p + 3) * BlockSize);
                            }
                            else
                            {
                                Transpose4(Vector128.Load(d + p * BlockSize), Vector128.Load(d + (p + 1) * BlockSize), Vector128.Load(d + (p + 2) * BlockSize), Vector128.Load(d + (p + 3) * BlockSize),
                                    out var v0, out var v1, out var v2, out var v3);
                                v0.Store(s + p);
                                v1.Store(s + plane + p);
                                v2.Store(s + 2 * plane + p);
                                v3.Store(s + 3 * plane + p);
                            }
                        }
                        for (; p < np; p++)
                        {
                            for (int k = 0; k < 4; k++)
                            {
                                if (toBlocked) d[p * BlockSize + k] = s[k * plane + p];
                                else s[k * plane + p] = d[p * BlockSize + k];
                            }
                        }
                    }
                }
                for (; ci < BlockSize; ci++)
                {
                    float* d = blk + p0 * BlockSize + ci;
                    if (ci >= real)
                    {
                        if (toBlocked)
                            for (int p = 0; p < np; p++) d[p * BlockSize] = 0f;
                        continue;
                    }
                    float* s = pl + ci * plane + p0;
                    if (toBlocked)
                        for (int p = 0; p < np; p++) d[p * BlockSize] = s[p];
                    else
                        for (int p = 0; p < np; p++) s[p] = d[p * BlockSize];
                }
            }
        }
    }

    // Rows r0..r3 of a 4x4 block to its columns c0..c3 (c_j[i] = r_i[j]).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(Vector128<float> r0, Vector128<float> r1, Vector128<float> r2, Vector128<float> r3,
        out Vector128<float> c0, out Vector128<float> c1, out Vector128<float> c2, out Vector128<float> c3)
    {
        var t0 = Sse.UnpackLow(r0, r1);  // r0[0] r1[0] r0[1] r1[1]
        var t1 = Sse.UnpackLow(r2, r3);  // r2[0] r3[0] r2[1] r3[1]
        var t2 = Sse.UnpackHigh(r0, r1); // r0[2] r1[2] r0[3] r1[3]
        var t3 = Sse.UnpackHigh(r2, r3); // r2[2] r3[2] r2[3] r3[3]
        c0 = Sse.MoveLowToHigh(t0, t1);
        c1 = Sse.MoveHighToLow(t1, t0);
        c2 = Sse.MoveLowToHigh(t2, t3);
        c3 = Sse.MoveHighToLow(t3, t2);
    }

    // ---- filters -------------------------------------------------------------------------------

    /// <summary>
    /// Floats of the packed filters of a convolution with <paramref name="m"/> filters of
    /// <paramref name="channels"/> / <paramref name="group"/> channels and a
    /// <paramref name="kh"/> x <paramref name="kw"/> kernel:
    /// <c>PaddedChannels(m) * (channels / group) * kh * kw</c>, the element count of filters
    /// <c>[PaddedChannels(m), channels / group, kh, kw]</c> (padded filters are zero).
    /// </summary>
    public static long PackedFilterLength(int m, int channels, int group, int kh, int kw) =>
        (long)PaddedChannels(m) * (channels / Math.Max(group, 1)) * kh * kw;

    /// <summary>
    /// Packs Caffe2 filters <c>[M, C/Group, KH, KW]</c> for <paramref name="g"/>'s NCHWc kernel
    /// (once, when a net is created).
    /// </summary>
    /// <param name="g">The convolution.</param>
    /// <param name="w">The filters.</param>
    /// <returns>The packed filters, for <see cref="Convolution(in ConvGeometry, int, NchwcFilter, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, bool, Span{float}, ComputePool, int)"/> with the same geometry.</returns>
    /// <exception cref="ArgumentException">The geometry has no NCHWc kernel, or w has the wrong length.</exception>
    public static NchwcFilter PackFilter(in ConvGeometry g, ReadOnlySpan<float> w)
    {
        var kind = KindOrThrow(in g);
        var f = new NchwcFilter(in g, kind, PackedFilterLength(g.M, g.C, g.Group, g.KH, g.KW));
        PackFilter(w, g.M, g.C, g.Group, g.KH, g.KW, new Span<float>(f.Data, checked((int)f.Length)));
        return f;
    }

    /// <summary>
    /// Packs Caffe2 filters <c>[m, channels/group, kh, kw]</c> into <paramref name="packed"/>, for the
    /// <see cref="Convolution(in ConvGeometry, int, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, bool, Span{float}, int, int, ComputePool, int)"/>
    /// overload that takes packed spans. The layout depends on the filter shape and the group
    /// only (not on the image size, stride, padding or dilation), so it can be made once, when a
    /// net is optimised, and kept as a constant tensor <c>[PaddedChannels(m), channels/group, kh, kw]</c>.
    /// </summary>
    /// <param name="w">The filters.</param>
    /// <param name="m">Filters (output channels).</param>
    /// <param name="channels">Input channels.</param>
    /// <param name="group">Groups.</param>
    /// <param name="kh">Kernel height.</param>
    /// <param name="kw">Kernel width.</param>
    /// <param name="packed">Receives <see cref="PackedFilterLength"/> floats.</param>
    /// <exception cref="ArgumentException">No NCHWc kernel serves these filters, or a span has the wrong length.</exception>
    public static void PackFilter(ReadOnlySpan<float> w, int m, int channels, int group, int kh, int kw, Span<float> packed)
    {
        var g = FilterGeometry(m, channels, group, kh, kw);
        var kind = KindOrThrow(in g);
        int cg = g.C / g.Group, mg = g.M / g.Group, taps = g.KH * g.KW;
        long needed = (long)g.M * cg * taps;
        if (w.Length != needed) throw new ArgumentException($"w has {w.Length} floats; [{g.M}, {cg}, {g.KH}, {g.KW}] needs {needed}.", nameof(w));
        long length = PackedFilterLength(m, channels, group, kh, kw);
        if (packed.Length != length) throw new ArgumentException($"packed has {packed.Length} floats; filters [{m}, {cg}, {kh}, {kw}] pack into {length}.", nameof(packed));
        if (kind == NchwcConvKind.Depthwise)
        {
            for (int c = 0; c < g.C; c++)
                for (int t = 0; t < taps; t++)
                    packed[(int)(((long)(c / BlockSize) * taps + t) * BlockSize + c % BlockSize)] = w[c * taps + t];
            return;
        }
        int mgb = OutBlocksPerGroup(in g);
        for (int grp = 0; grp < g.Group; grp++)
        {
            for (int tg = 0; tg * 4 < mgb; tg++)
            {
                int nb = Math.Min(4, mgb - 4 * tg);
                var set = packed.Slice((int)((long)(grp * mgb + 4 * tg) * BlockSize * cg * taps));
                for (int c = 0; c < cg; c++)
                    for (int t = 0; t < taps; t++)
                        for (int b = 0; b < nb; b++)
                            for (int lane = 0; lane < BlockSize; lane++)
                            {
                                int f = (4 * tg + b) * BlockSize + lane; // filter within the group
                                set[(int)((((long)c * taps + t) * nb + b) * BlockSize + lane)] = f < mg ? w[(int)(((long)(grp * mg + f) * cg + c) * taps + t)] : 0f;
                            }
            }
        }
    }

    // The sizes that decide the packing (image 1x1, the kernel's own extent as padding so the
    // geometry is valid); everything else in a geometry leaves the packed layout unchanged.
    private static ConvGeometry FilterGeometry(int m, int channels, int group, int kh, int kw) =>
        new(channels, 1, 1, m, group, kh, kw, 1, 1, kh - 1, kw - 1, 1, 1, kh, kw);

    private static NchwcConvKind KindOrThrow(in ConvGeometry g) => TryGetKind(in g, out var kind) ? kind
        : throw new ArgumentException($"No NCHWc convolution kernel for {g}: it needs C/Group a multiple of 16 (and M/Group too when Group > 1), Group == 1 with C < 16, or a depthwise convolution with C a multiple of 16.", nameof(g));

    // Output blocks of 16 channels per group: the padded M for one group, M/Group/16 otherwise.
    private static int OutBlocksPerGroup(in ConvGeometry g) => g.Group == 1 ? PaddedChannels(g.M) / BlockSize : g.M / g.Group / BlockSize;

    // ---- convolution ---------------------------------------------------------------------------

    /// <summary>
    /// Computes <c>y = Relu?(conv(x, w) + bias + sum)</c> on NCHWc tensors (see the class remarks
    /// for the exact rounding).
    /// </summary>
    /// <param name="g">The convolution; must be the geometry <paramref name="filter"/> was packed for.</param>
    /// <param name="batch">Images.</param>
    /// <param name="filter">The packed filters.</param>
    /// <param name="x">Input, <c>[batch, PaddedChannels(C)/16, H, W, 16]</c>; plain NCHW <c>[batch, C, H, W]</c> for <see cref="NchwcConvKind.NchwInput"/>.</param>
    /// <param name="bias">M values, or empty for none.</param>
    /// <param name="sum">A tensor laid out as y to add (a fused residual), or empty; may be the same memory as y.</param>
    /// <param name="relu">Apply Relu (<c>v &lt; 0 ? 0 : v</c>) last.</param>
    /// <param name="y">Output, <c>[batch, PaddedChannels(M)/16, OH, OW, 16]</c>; padded channels get zero filters and bias. Must not overlap x.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">The filters were packed for another geometry, a size is invalid, a span has the wrong length, or y overlaps x (or overlaps sum without being it).</exception>
    public static void Convolution(in ConvGeometry g, int batch, NchwcFilter filter, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> sum,
        bool relu, Span<float> y, ComputePool pool, int maxDegree = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(filter);
        Convolution(in g, batch, filter, x, bias, sum, relu, y, 0, PaddedChannels(g.M) / BlockSize, pool, maxDegree);
    }

    /// <summary>
    /// As <see cref="Convolution(in ConvGeometry, int, NchwcFilter, ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, bool, Span{float}, ComputePool, int)"/>,
    /// but writes output blocks <c>[blockOffset, blockOffset + PaddedChannels(M)/16)</c> of a
    /// <paramref name="y"/> laid out <c>[batch, totalBlocks, OH, OW, 16]</c>: a channel Concat of
    /// several convolutions written in place, each into its own blocks (the others untouched).
    /// </summary>
    /// <param name="g">The convolution; must be the geometry <paramref name="filter"/> was packed for.</param>
    /// <param name="batch">Images.</param>
    /// <param name="filter">The packed filters.</param>
    /// <param name="x">Input, as for the other overload.</param>
    /// <param name="bias">M values, or empty for none.</param>
    /// <param name="sum">Empty, or (only when the blocks are all of y) a tensor laid out as y to add.</param>
    /// <param name="relu">Apply Relu last.</param>
    /// <param name="y">Output, <c>[batch, totalBlocks, OH, OW, 16]</c>.</param>
    /// <param name="blockOffset">The first output block this convolution writes.</param>
    /// <param name="totalBlocks">The blocks of each image of y.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">As the other overload, or the blocks do not lie inside y, or a sum is given with a partial y.</exception>
    public static void Convolution(in ConvGeometry g, int batch, NchwcFilter filter, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> sum,
        bool relu, Span<float> y, int blockOffset, int totalBlocks, ComputePool pool, int maxDegree = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Geometry != g) throw new ArgumentException($"The filters were packed for {filter.Geometry}, not {g}.", nameof(filter));
        Convolution(in g, batch, new ReadOnlySpan<float>(filter.Data, checked((int)filter.Length)), x, bias, sum, relu, y, blockOffset, totalBlocks, pool, maxDegree);
        GC.KeepAlive(filter);
    }

    /// <summary>
    /// As the <see cref="NchwcFilter"/> overload with a block offset, with the filters packed by
    /// <see cref="PackFilter(ReadOnlySpan{float}, int, int, int, int, int, Span{float})"/> for
    /// <paramref name="g"/>'s M, C, Group, KH and KW (a constant tensor kept by an optimised net).
    /// </summary>
    /// <param name="g">The convolution.</param>
    /// <param name="batch">Images.</param>
    /// <param name="packedFilter">The packed filters, <see cref="PackedFilterLength"/> floats (64-byte aligned is fastest).</param>
    /// <param name="x">Input, as for the other overloads.</param>
    /// <param name="bias">M values, or empty for none.</param>
    /// <param name="sum">Empty, or (only when the blocks are all of y) a tensor laid out as y to add.</param>
    /// <param name="relu">Apply Relu last.</param>
    /// <param name="y">Output, <c>[batch, totalBlocks, OH, OW, 16]</c>.</param>
    /// <param name="blockOffset">The first output block this convolution writes.</param>
    /// <param name="totalBlocks">The blocks of each image of y.</param>
    /// <param name="pool">Threads.</param>
    /// <param name="maxDegree">Most threads to use, the caller included.</param>
    /// <exception cref="ArgumentException">The geometry has no NCHWc kernel, the packed filters have the wrong length, or as the other overloads.</exception>
    public static void Convolution(in ConvGeometry g, int batch, ReadOnlySpan<float> packedFilter, ReadOnlySpan<float> x, ReadOnlySpan<float> bias, ReadOnlySpan<float> sum,
        bool relu, Span<float> y, int blockOffset, int totalBlocks, ComputePool pool, int maxDegree = int.MaxValue)
    {
        int ownBlocks = PaddedChannels(g.M) / BlockSize;
        if (blockOffset < 0 || totalBlocks < ownBlocks || blockOffset > totalBlocks - ownBlocks)
            throw new ArgumentException($"Output blocks [{blockOffset}, {(long)blockOffset + ownBlocks}) do not lie inside the {totalBlocks} blocks of y.", nameof(blockOffset));
        if (!sum.IsEmpty && totalBlocks != ownBlocks)
            throw new ArgumentException("A sum needs the whole of y (no block offset, no other blocks).", nameof(sum));
        ArgumentNullException.ThrowIfNull(pool);
        var kind = KindOrThrow(in g);
        long filterLength = PackedFilterLength(g.M, g.C, g.Group, g.KH, g.KW);
        if (packedFilter.Length != filterLength)
            throw new ArgumentException($"packedFilter has {packedFilter.Length} floats; filters [{g.M}, {g.C / g.Group}, {g.KH}, {g.KW}] pack into {filterLength}.", nameof(packedFilter));
        if (batch < 0) throw new ArgumentException($"Invalid batch {batch} for {g}.", nameof(batch));
        int pc = PaddedChannels(g.C), pm = PaddedChannels(g.M);
        long inPlane = (long)g.H * g.W, outPlane = (long)g.OH * g.OW;
        long xLen = kind == NchwcConvKind.NchwInput ? (long)batch * g.C * inPlane : (long)batch * pc * inPlane;
        if (x.Length < xLen)
        {
            string shape = kind == NchwcConvKind.NchwInput ? $"[{batch}, {g.C}, {g.H}, {g.W}]" : $"[{batch}, {pc / BlockSize}, {g.H}, {g.W}, {BlockSize}]";
            throw new ArgumentException($"x has {x.Length} floats; {shape} needs {xLen}.", nameof(x));
        }
        long yLen = (long)batch * totalBlocks * BlockSize * outPlane;
        if (y.Length != yLen) throw new ArgumentException($"y has {y.Length} floats; [{batch}, {totalBlocks}, {g.OH}, {g.OW}, {BlockSize}] needs {yLen}.", nameof(y));
        if (!bias.IsEmpty && bias.Length != g.M) throw new ArgumentException($"bias has {bias.Length} floats; M is {g.M}.", nameof(bias));
        if (!sum.IsEmpty && sum.Length != yLen) throw new ArgumentException($"sum has {sum.Length} floats; it must be laid out as y, [{batch}, {pm / BlockSize}, {g.OH}, {g.OW}, {BlockSize}], {yLen} floats.", nameof(sum));
        if (y.IsEmpty) return;
        if (y.Overlaps(x)) throw new ArgumentException("y overlaps x; the output must be separate.", nameof(y));
        if (!sum.IsEmpty && y.Overlaps(sum) && !Unsafe.AreSame(ref Unsafe.AsRef(in sum[0]), ref y[0]))
            throw new ArgumentException("y overlaps sum without being the same memory.", nameof(sum));
        if (outPlane * BlockSize > int.MaxValue || (long)g.W * BlockSize * g.H > int.MaxValue)
            throw new ArgumentException($"The convolution {g} is too large.", nameof(g));

        fixed (float* pf = packedFilter)
        fixed (float* px = x)
        fixed (float* pb = bias)
        fixed (float* ps = sum)
        fixed (float* py = y)
        {
            float* paddedBias = null;
            if (!bias.IsEmpty)
            {
                // Zero bias on the padded output channels (read a whole block at a time).
                paddedBias = ThreadBuffer<PaddedBias>.Floats(pm);
                new ReadOnlySpan<float>(pb, g.M).CopyTo(new Span<float>(paddedBias, g.M));
                new Span<float>(paddedBias + g.M, pm - g.M).Clear();
            }
            var job = new ConvJob(in g, kind, batch, pf, px, paddedBias, sum.IsEmpty ? null : ps, py, relu, Math.Min(maxDegree, pool.MaxDegreeOfParallelism));
            // Its blocks of each image of y: images are totalBlocks blocks apart.
            job.YImage = job.YBlock * totalBlocks;
            job.Y = py + blockOffset * job.YBlock;
            if (Vector512.IsHardwareAccelerated) Run<Gemm.V512, Vector512<float>>(in job, pool, maxDegree);
            else if (Vector256.IsHardwareAccelerated) Run<Gemm.V256, Vector256<float>>(in job, pool, maxDegree);
            else Run<Gemm.V128, Vector128<float>>(in job, pool, maxDegree);
        }
    }

    // Everything a work item needs; items are (image, group, set of up to 4 output blocks, block of output rows, segment).
    internal struct ConvJob
    {
        public NchwcConvKind Kind;
        public ConvGeometry G; // for the pointwise path, the plane as one row: H = OH = 1, W = OW = H * W
        public float* X, Filter, Bias, Sum, Y;
        public bool Relu;
        public int Groups, Sets, OutBlocksPerGroup, InBlocksPerGroup, PassBlocks, Passes, Segments, SegmentLength, RowsPerItem, RowBlocks, PixelElems;
        public int OxLo, OxHi;
        public long XImage, XGroup, XBlockPlane, YImage, YBlock, Items, Work;

        public ConvJob(in ConvGeometry g0, NchwcConvKind kind, int batch, float* filter, float* x, float* bias, float* sum, float* y, bool relu, int degree)
        {
            Kind = kind;
            X = x; Filter = filter; Bias = bias; Sum = sum; Y = y; Relu = relu;
            var g = g0;
            int taps = g.KH * g.KW;
            Work = (long)batch * g.M * g.OH * g.OW * (g.C / g.Group) * taps;
            YBlock = (long)g.OH * g.OW * BlockSize;
            YImage = YBlock * (PaddedChannels(g.M) / BlockSize);
            SegmentLength = g.OW;
            Segments = 1;
            bool pointwise = kind == NchwcConvKind.Direct && taps == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0
                && g.OH == g.H && g.OW == g.W;
            if (pointwise)
            {
                int plane = g.H * g.W;
                g = g with { H = 1, W = plane, OH = 1, OW = plane };
                SegmentLength = Math.Min(plane, 96); // whole tiles of 6 or 12; the raw sums of a segment stay in L1
                Segments = (plane + SegmentLength - 1) / SegmentLength;
            }
            G = g;
            PixelElems = kind == NchwcConvKind.NchwInput ? 1 : BlockSize;
            XBlockPlane = (long)g.H * g.W * PixelElems;
            switch (kind)
            {
                case NchwcConvKind.Depthwise:
                    Groups = 1;
                    Sets = g.C / BlockSize;
                    OutBlocksPerGroup = Sets;
                    InBlocksPerGroup = 1;
                    PassBlocks = 1;
                    Passes = 1;
                    XGroup = 0;
                    XImage = XBlockPlane * Sets;
                    break;
                case NchwcConvKind.NchwInput:
                    Groups = 1;
                    OutBlocksPerGroup = PaddedChannels(g.M) / BlockSize;
                    Sets = (OutBlocksPerGroup + 3) / 4;
                    InBlocksPerGroup = 1;
                    PassBlocks = 1;
                    Passes = 1;
                    XGroup = 0;
                    XImage = (long)g.C * g.H * g.W;
                    break;
                default:
                    Groups = g.Group;
                    OutBlocksPerGroup = OutBlocksPerGroup(in g);
                    Sets = (OutBlocksPerGroup + 3) / 4;
                    InBlocksPerGroup = g.C / g.Group / BlockSize;
                    // A pass's filter slice (16 channels x taps x 4 blocks x 16 floats = taps x 4 KiB per
                    // input block) should stay in L1 across the row's tiles: 1 block for 3x3, 8 for 1x1.
                    PassBlocks = Math.Clamp(32768 / (taps * 4096), 1, 8);
                    PassBlocks = Math.Min(PassBlocks, InBlocksPerGroup);
                    Passes = (InBlocksPerGroup + PassBlocks - 1) / PassBlocks;
                    XGroup = XBlockPlane * InBlocksPerGroup;
                    XImage = XGroup * g.Group;
                    break;
            }
            // Output columns whose whole window lies inside the image (the others are tiled down the rows).
            OxLo = Math.Min(g.OW, (g.PadLeft + g.StrideW - 1) / g.StrideW);
            long hiNum = (long)g.W - 1 - (long)(g.KW - 1) * g.DilationW + g.PadLeft;
            OxHi = hiNum < 0 ? 0 : (int)Math.Min(g.OW, hiNum / g.StrideW + 1);
            if (OxHi < OxLo) OxHi = OxLo;
            // Rows per item: about 128 output pixels (their raw sums, 32 KiB for 4 blocks, stay in L1
            // with the pass's filter slice), fewer when that leaves under 4 items per thread.
            RowsPerItem = Math.Clamp(128 / Math.Max(1, g.OW), 1, Math.Max(1, g.OH));
            while (RowsPerItem > 1 && (long)batch * Groups * Sets * ((g.OH + RowsPerItem - 1) / RowsPerItem) < 4L * degree) RowsPerItem = (RowsPerItem + 1) / 2;
            RowBlocks = (g.OH + RowsPerItem - 1) / RowsPerItem;
            Items = (long)batch * Groups * Sets * RowBlocks * Segments;
        }
    }

    private static void Run<TOps, TVec>(in ConvJob job, ComputePool pool, int maxDegree) where TOps : struct, Gemm.ISimd<TVec> where TVec : struct
    {
        int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
        if (degree <= 1 || job.Work < pool.Options.ParallelWorkThreshold || job.Items < 2)
        {
            Items<TOps, TVec>(in job, 0, job.Items);
            return;
        }
        var work = ConvWork<TOps, TVec>.Rent();
        work.Job = job;
        work.Run(pool, job.Items, Chunks(job.Items, degree), 1, maxDegree);
    }

    // Few contiguous chunks (2 per thread, as MLAS splits statically): each thread then works on
    // the same part of the tensors call after call (its own L2), where items claimed one by one
    // scatter them across both cores (measured: 1x1 layers bound by memory up to 1.8x slower).
    // The count with the lightest most-loaded thread among 1-4 per thread, as chunks are whole
    // multiples of ceil(items / chunks) (9 items: 2 chunks of 5 and 4, not 3 of 3).
    private static int Chunks(long items, int degree)
    {
        int best = degree;
        long bestLoad = long.MaxValue;
        for (int i = 0; i < 4; i++)
        {
            int k = i == 0 ? 2 : i == 1 ? 1 : i + 1; // 2, 1, 3, 4: ties keep 2 per thread
            long c = Math.Min(items, (long)k * degree);
            long per = (items + c - 1) / c, used = (items + per - 1) / per;
            long load = (used + degree - 1) / degree * per;
            if (load < bestLoad)
            {
                bestLoad = load;
                best = (int)c;
            }
        }
        return best;
    }

    private sealed class ConvWork<TOps, TVec> : ParallelRegion where TOps : struct, Gemm.ISimd<TVec> where TVec : struct
    {
        [ThreadStatic] private static ConvWork<TOps, TVec>? t_cached;
        public ConvJob Job;

        public static ConvWork<TOps, TVec> Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end) => Items<TOps, TVec>(in Job, start, end);
    }

    // Work items [i0, i1): each a block of output rows (or a row segment) of one set of up to 4 output blocks.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Items<TOps, TVec>(in ConvJob job, long i0, long i1) where TOps : struct, Gemm.ISimd<TVec> where TVec : struct
    {
        ref readonly var g = ref job.G;
        int taps = g.KH * g.KW;
        int cg = g.C / g.Group;
        bool depthwise = job.Kind == NchwcConvKind.Depthwise;
        int cnt = TOps.Count;
        float* scratch = job.Passes > 1 ? ThreadBuffer<RawSums>.Floats((long)4 * job.RowsPerItem * job.SegmentLength * BlockSize) : null;
        var k = new NchwcTile.Args
        {
            KW = g.KW,
            BlockStride = (nint)job.XBlockPlane,
            ChannelStride = job.Kind == NchwcConvKind.NchwInput ? (nint)((long)g.H * g.W) : 1,
            ChannelsPerBlock = depthwise ? 1 : job.Kind == NchwcConvKind.NchwInput ? g.C : BlockSize,
            PixelStep = (nint)g.StrideW * job.PixelElems,
            RowTap = (nint)g.DilationH * g.W * job.PixelElems,
            ColTap = (nint)g.DilationW * job.PixelElems,
            ScratchBlock = (nint)job.RowsPerItem * job.SegmentLength * BlockSize,
            OutBlock = (nint)job.YBlock,
            Relu = job.Relu,
        };
        for (long item = i0; item < i1; item++)
        {
            long rest = item;
            int seg = (int)(rest % job.Segments); rest /= job.Segments;
            int rb = (int)(rest % job.RowBlocks); rest /= job.RowBlocks;
            int set = (int)(rest % job.Sets); rest /= job.Sets;
            int grp = (int)(rest % job.Groups);
            long n = rest / job.Groups;
            int nb = depthwise ? 1 : Math.Min(4, job.OutBlocksPerGroup - 4 * set);
            int firstBlock = depthwise ? set : grp * job.OutBlocksPerGroup + 4 * set;
            int oy0 = rb * job.RowsPerItem, oy1 = Math.Min(g.OH, oy0 + job.RowsPerItem);
            int ox0 = seg * job.SegmentLength, ox1 = Math.Min(g.OW, ox0 + job.SegmentLength);
            int interiorEnd = Math.Min(job.OxHi, ox1);
            float* yImg = job.Y + n * job.YImage + firstBlock * job.YBlock;
            float* sImg = job.Sum == null ? null : job.Sum + n * job.YImage + firstBlock * job.YBlock;
            float* xImg = job.X + n * job.XImage + grp * job.XGroup;
            if (depthwise) xImg += set * job.XBlockPlane;
            float* fSet;
            if (depthwise)
            {
                fSet = job.Filter + (long)set * taps * BlockSize;
                k.FilterTap = BlockSize;
                k.FilterChannel = taps * BlockSize;
            }
            else
            {
                fSet = job.Filter + (long)firstBlock * BlockSize * cg * taps;
                k.FilterTap = nb * BlockSize;
                k.FilterChannel = (nint)taps * nb * BlockSize;
            }
            int blocksPerTile = cnt == 16 && !depthwise ? nb : 1;
            int nv = blocksPerTile * BlockSize / cnt;
            // Pixels per tile: with AVX-512, 6 x 4 or 6 x 3 vectors, 12 x 2 or 12 x 1 (at least 8
            // independent sums to cover the multiply-add latency); 6 x 2 vectors with 256-bit
            // (12 + 2 + 1 of 16 registers); 2 x 4 vectors with 128-bit.
            int maxPixels = cnt == 16 ? (nv <= 2 ? 12 : 6) : cnt == 8 ? 6 : 2;
            // Passes over input channel blocks outside, the item's rows inside: a pass's filter slice
            // is read from L1 by every tile of every row; raw sums wait in the scratch rows.
            for (int pass = 0; pass < job.Passes; pass++)
            {
                bool first = pass == 0, last = pass == job.Passes - 1;
                int inBlock = pass * job.PassBlocks;
                k.Blocks = Math.Min(job.PassBlocks, job.InBlocksPerGroup - inBlock);
                float* xPass = xImg + inBlock * job.XBlockPlane;
                float* fPass = fSet + (long)inBlock * BlockSize * k.FilterChannel;
                for (int bt = 0; bt < nb; bt += blocksPerTile)
                {
                    k.Bias = job.Bias == null ? null : job.Bias + (firstBlock + bt) * BlockSize;
                    float* f = fPass + bt * BlockSize;
                    float* tb = scratch + bt * k.ScratchBlock;
                    float* yb = yImg + bt * job.YBlock;
                    float* sb = sImg == null ? null : sImg + bt * job.YBlock;
                    // Pixels whose whole window is inside the image columns, row by row, in tiles
                    // of up to maxPixels consecutive outputs (sized evenly: 25 = 5 x 5, not 4 x 6 + 1).
                    k.PixelStep = (nint)g.StrideW * job.PixelElems;
                    k.OutPixel = BlockSize;
                    k.ScratchPixel = BlockSize;
                    int interiorStart = Math.Max(job.OxLo, ox0);
                    for (int oy = oy0; oy < oy1 && interiorStart < interiorEnd; oy++)
                    {
                        KyRange(in g, oy, out int kyLo, out int kyHi);
                        float* xRow = xPass + (long)(oy * g.StrideH - g.PadTop) * g.W * job.PixelElems;
                        // Scratch pixel (oy - oy0) * segment + (ox - ox0); output pixel oy * OW + ox.
                        float* t = tb + ((long)(oy - oy0) * job.SegmentLength - ox0) * BlockSize;
                        long rowOff = (long)oy * g.OW * BlockSize;
                        for (int ox = interiorStart; ox < interiorEnd;)
                        {
                            int left = interiorEnd - ox;
                            int np = (left + (left + maxPixels - 1) / maxPixels - 1) / ((left + maxPixels - 1) / maxPixels);
                            float* xp = xRow + (long)(ox * g.StrideW - g.PadLeft) * job.PixelElems;
                            long o = rowOff + (long)ox * BlockSize;
                            float* s = sb == null ? null : sb + o;
                            if (depthwise)
                                NchwcTile.Run<TOps, TVec, NchwcTile.VectorMode>(nv, np, in k, xp, f, null, yb + o, s, kyLo, kyHi, 0, g.KW, true, true);
                            else
                                NchwcTile.Run<TOps, TVec, NchwcTile.BroadcastMode>(nv, np, in k, xp, f, t + (long)ox * BlockSize, yb + o, s, kyLo, kyHi, 0, g.KW, first, last);
                            ox += np;
                        }
                    }
                    // Columns whose window crosses the left or right padding: only their taps inside
                    // the image; a tile is a run of rows of one column with the same ky range
                    // (pixel step = the input row step), so edges do not run one pixel at a time.
                    if (job.OxLo > ox0 || interiorEnd < ox1)
                    {
                        k.PixelStep = (nint)g.StrideH * g.W * job.PixelElems;
                        k.OutPixel = (nint)g.OW * BlockSize;
                        k.ScratchPixel = (nint)job.SegmentLength * BlockSize;
                        for (int ox = ox0; ox < ox1; ox++)
                        {
                            if (ox >= job.OxLo && ox < interiorEnd) ox = interiorEnd;
                            if (ox >= ox1) break;
                            int ix0 = ox * g.StrideW - g.PadLeft;
                            int kxLo = ix0 >= 0 ? 0 : Math.Min(g.KW, (-ix0 + g.DilationW - 1) / g.DilationW);
                            int kxHi = g.W - 1 - ix0 < 0 ? 0 : Math.Min(g.KW, (g.W - 1 - ix0) / g.DilationW + 1);
                            if (kxHi < kxLo) kxHi = kxLo;
                            for (int oy = oy0; oy < oy1;)
                            {
                                KyRange(in g, oy, out int kyLo, out int kyHi);
                                int np = 1;
                                while (np < maxPixels && oy + np < oy1)
                                {
                                    KyRange(in g, oy + np, out int lo2, out int hi2);
                                    if (lo2 != kyLo || hi2 != kyHi) break;
                                    np++;
                                }
                                float* xp = xPass + ((long)(oy * g.StrideH - g.PadTop) * g.W + ix0) * job.PixelElems;
                                long o = ((long)oy * g.OW + ox) * BlockSize;
                                float* s = sb == null ? null : sb + o;
                                float* t = tb + ((long)(oy - oy0) * job.SegmentLength + ox - ox0) * BlockSize;
                                if (depthwise)
                                    NchwcTile.Run<TOps, TVec, NchwcTile.VectorMode>(nv, np, in k, xp, f, null, yb + o, s, kyLo, kyHi, kxLo, kxHi, true, true);
                                else
                                    NchwcTile.Run<TOps, TVec, NchwcTile.BroadcastMode>(nv, np, in k, xp, f, t, yb + o, s, kyLo, kyHi, kxLo, kxHi, first, last);
                                oy += np;
                            }
                        }
                    }
                }
            }
        }
    }

    // The taps ky of output row oy that read image rows (the others lie in the padding).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void KyRange(in ConvGeometry g, int oy, out int kyLo, out int kyHi)
    {
        int iy0 = oy * g.StrideH - g.PadTop;
        kyLo = iy0 >= 0 ? 0 : Math.Min(g.KH, (-iy0 + g.DilationH - 1) / g.DilationH);
        kyHi = g.H - 1 - iy0 < 0 ? 0 : Math.Min(g.KH, (g.H - 1 - iy0) / g.DilationH + 1);
        if (kyHi < kyLo) kyHi = kyLo;
    }

    // Name the per-thread bias padded to whole blocks and the raw sums between passes (ThreadBuffer).
    private struct PaddedBias;
    private struct RawSums;
}
