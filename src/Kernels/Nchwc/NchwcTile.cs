// Hand-written (the repetitive register-tile bodies expanded from one pattern).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// The register-tiled micro-kernels of the NCHWc convolutions, over a range of input channels and
/// taps: <c>Tile</c> keeps up to 6 output pixels x 4 vectors of output channels, <c>TileWide</c>
/// up to 12 pixels x 2 vectors, in separate local accumulators (24 at most: all in zmm registers).
/// The pixel and vector counts are JIT-time constants (absent ones are dead code), and so is the
/// mode: broadcast (one input scalar times a filter vector of 16 output channels, Direct and
/// NCHW-input) or vector (an input vector times a filter vector lane by lane, depthwise). The two
/// bodies are the same pattern expanded for each accumulator; keep them in step when editing.
/// </summary>
internal static unsafe class NchwcTile
{
    internal interface IConst { static abstract int Value { get; } }
    internal readonly struct N1 : IConst { public static int Value => 1; }
    internal readonly struct N2 : IConst { public static int Value => 2; }
    internal readonly struct N3 : IConst { public static int Value => 3; }
    internal readonly struct N4 : IConst { public static int Value => 4; }
    internal readonly struct N5 : IConst { public static int Value => 5; }
    internal readonly struct N6 : IConst { public static int Value => 6; }
    internal readonly struct N7 : IConst { public static int Value => 7; }
    internal readonly struct N8 : IConst { public static int Value => 8; }
    internal readonly struct N9 : IConst { public static int Value => 9; }
    internal readonly struct N10 : IConst { public static int Value => 10; }
    internal readonly struct N11 : IConst { public static int Value => 11; }
    internal readonly struct N12 : IConst { public static int Value => 12; }

    internal interface IMode { static abstract bool Vector { get; } }
    internal readonly struct BroadcastMode : IMode { public static bool Vector => false; }
    internal readonly struct VectorMode : IMode { public static bool Vector => true; }

    /// <summary>What stays the same across the tiles of one pass (strides in floats).</summary>
    internal struct Args
    {
        public int Blocks, ChannelsPerBlock, KW;
        public nint BlockStride, ChannelStride, PixelStep, RowTap, ColTap, FilterTap, FilterChannel, ScratchBlock, OutBlock;
        public nint ScratchPixel, OutPixel; // floats between the tile's pixels in t, and in y and sum
        public float* Bias; // the tile's first output channel in the zero-padded bias, or null
        public bool Relu;
    }

    /// <summary>Runs one tile: <paramref name="nv"/> (1..4) vectors x <paramref name="np"/> (1..12) pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TOps, TVec, TMode>(int nv, int np, in Args k, float* x, float* f, float* t, float* y, float* s,
        int kyLo, int kyHi, int kxLo, int kxHi, bool first, bool last)
        where TOps : struct, Gemm.ISimd<TVec> where TVec : struct where TMode : struct, IMode
    {
        switch (nv)
        {
            case 4: RunP<TOps, TVec, N4, TMode>(np, in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 3: RunP<TOps, TVec, N3, TMode>(np, in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 2: RunP<TOps, TVec, N2, TMode>(np, in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            default: RunP<TOps, TVec, N1, TMode>(np, in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RunP<TOps, TVec, TNV, TMode>(int np, in Args k, float* x, float* f, float* t, float* y, float* s,
        int kyLo, int kyHi, int kxLo, int kxHi, bool first, bool last)
        where TOps : struct, Gemm.ISimd<TVec> where TVec : struct where TNV : struct, IConst where TMode : struct, IMode
    {
        // More than 6 pixels only with 1 or 2 vectors (TileWide: 12 x 2 accumulators at most).
        if (np > 6 && TNV.Value > 2) throw new ArgumentOutOfRangeException(nameof(np));
        switch (np)
        {
            case 12: TileWide<TOps, TVec, TNV, N12, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 11: TileWide<TOps, TVec, TNV, N11, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 10: TileWide<TOps, TVec, TNV, N10, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 9: TileWide<TOps, TVec, TNV, N9, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 8: TileWide<TOps, TVec, TNV, N8, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 7: TileWide<TOps, TVec, TNV, N7, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 6: Tile<TOps, TVec, TNV, N6, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 5: Tile<TOps, TVec, TNV, N5, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 4: Tile<TOps, TVec, TNV, N4, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 3: Tile<TOps, TVec, TNV, N3, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            case 2: Tile<TOps, TVec, TNV, N2, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
            default: Tile<TOps, TVec, TNV, N1, TMode>(in k, x, f, t, y, s, kyLo, kyHi, kxLo, kxHi, first, last); break;
        }
    }

    /// <summary>
    /// One tile. x: input of pixel 0 (at ky = kx = 0, channel 0 of the pass); pixel p at
    /// <c>p * PixelStep</c>. f: the filter vector of (channel 0, tap (0, 0)); FilterTap floats per
    /// tap, FilterChannel per channel. t: raw sums between passes (pixel p at <c>p * ScratchPixel</c>,
    /// block b at <c>b * ScratchBlock</c>); y and s (sum, or null): output and residual, pixel p at
    /// <c>p * OutPixel</c>, block b at <c>b * OutBlock</c>. Only taps with ky in [kyLo, kyHi) and kx in [kxLo, kxHi) are read
    /// (the others lie in the padding; skipping them is exact, see Nchwc). Each accumulator runs
    /// channel, then ky, then kx, as the GEMM path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TOps, TVec, TNV, TNP, TMode>(in Args k, float* x, float* f, float* t, float* y, float* s,
        int kyLo, int kyHi, int kxLo, int kxHi, bool first, bool last)
        where TOps : struct, Gemm.ISimd<TVec> where TVec : struct where TNV : struct, IConst where TNP : struct, IConst where TMode : struct, IMode
    {
        int cnt = TOps.Count;
        nint sb = k.ScratchBlock, tp = k.ScratchPixel;
        float* t0 = t, t1 = t + ((1 * cnt) >> 4) * sb + ((1 * cnt) & 15), t2 = t + ((2 * cnt) >> 4) * sb + ((2 * cnt) & 15), t3 = t + ((3 * cnt) >> 4) * sb + ((3 * cnt) & 15);
        TVec a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default, a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default, a40 = default, a41 = default, a42 = default, a43 = default, a50 = default, a51 = default, a52 = default, a53 = default;
        if (!first)
        {
            a00 = TOps.Load(t0 + 0 * tp);
            if (TNV.Value > 1) a01 = TOps.Load(t1 + 0 * tp);
            if (TNV.Value > 2) a02 = TOps.Load(t2 + 0 * tp);
            if (TNV.Value > 3) a03 = TOps.Load(t3 + 0 * tp);
            if (TNP.Value > 1) a10 = TOps.Load(t0 + 1 * tp);
            if (TNP.Value > 1 && TNV.Value > 1) a11 = TOps.Load(t1 + 1 * tp);
            if (TNP.Value > 1 && TNV.Value > 2) a12 = TOps.Load(t2 + 1 * tp);
            if (TNP.Value > 1 && TNV.Value > 3) a13 = TOps.Load(t3 + 1 * tp);
            if (TNP.Value > 2) a20 = TOps.Load(t0 + 2 * tp);
            if (TNP.Value > 2 && TNV.Value > 1) a21 = TOps.Load(t1 + 2 * tp);
            if (TNP.Value > 2 && TNV.Value > 2) a22 = TOps.Load(t2 + 2 * tp);
            if (TNP.Value > 2 && TNV.Value > 3) a23 = TOps.Load(t3 + 2 * tp);
            if (TNP.Value > 3) a30 = TOps.Load(t0 + 3 * tp);
            if (TNP.Value > 3 && TNV.Value > 1) a31 = TOps.Load(t1 + 3 * tp);
            if (TNP.Value > 3 && TNV.Value > 2) a32 = TOps.Load(t2 + 3 * tp);
            if (TNP.Value > 3 && TNV.Value > 3) a33 = TOps.Load(t3 + 3 * tp);
            if (TNP.Value > 4) a40 = TOps.Load(t0 + 4 * tp);
            if (TNP.Value > 4 && TNV.Value > 1) a41 = TOps.Load(t1 + 4 * tp);
            if (TNP.Value > 4 && TNV.Value > 2) a42 = TOps.Load(t2 + 4 * tp);
            if (TNP.Value > 4 && TNV.Value > 3) a43 = TOps.Load(t3 + 4 * tp);
            if (TNP.Value > 5) a50 = TOps.Load(t0 + 5 * tp);
            if (TNP.Value > 5 && TNV.Value > 1) a51 = TOps.Load(t1 + 5 * tp);
            if (TNP.Value > 5 && TNV.Value > 2) a52 = TOps.Load(t2 + 5 * tp);
            if (TNP.Value > 5 && TNV.Value > 3) a53 = TOps.Load(t3 + 5 * tp);
        }
        int blocks = k.Blocks, cpb = k.ChannelsPerBlock, kw = k.KW;
        nint bstr = k.BlockStride, cstrB = k.ChannelStride * sizeof(float), rowTap = k.RowTap, colTap = k.ColTap;
        nint ftap = k.FilterTap, fchan = k.FilterChannel;
        nint r1 = k.PixelStep * sizeof(float), r2 = 2 * r1, r3 = 3 * r1, colTapB = colTap * sizeof(float);
        int kxn = kxHi - kxLo;
        if (kyHi - kyLo == 1 && kxn == 1)
        {
            // One tap (1x1 kernels, or an edge pixel with a single tap inside): a channel loop only.
            float* xs = x + kyLo * rowTap + kxLo * colTap;
            float* fr = f + (kyLo * kw + kxLo) * ftap;
            for (int b = 0; b < blocks; b++)
            {
                byte* x0 = (byte*)(xs + b * bstr);
                for (int ci = cpb; ci > 0; ci--)
                {
                    byte* x3 = x0 + r3, x6 = null, x9 = null;
                    if (TNP.Value > 6) x6 = x3 + r3;
                    if (TNP.Value > 9) x9 = x6 + r3;
                    if (TMode.Vector)
                    {
                        TVec f0 = TOps.Load(fr), f1 = default, f2 = default, f3 = default;
                        if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                        if (TNV.Value > 2) f2 = TOps.Load(fr + 2 * TOps.Count);
                        if (TNV.Value > 3) f3 = TOps.Load(fr + 3 * TOps.Count);
                        { a00 = TOps.MulAdd(TOps.Load((float*)(x0) + 0 * TOps.Count), f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(TOps.Load((float*)(x0) + 1 * TOps.Count), f1, a01); if (TNV.Value > 2) a02 = TOps.MulAdd(TOps.Load((float*)(x0) + 2 * TOps.Count), f2, a02); if (TNV.Value > 3) a03 = TOps.MulAdd(TOps.Load((float*)(x0) + 3 * TOps.Count), f3, a03); }
                        if (TNP.Value > 1) { a10 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 0 * TOps.Count), f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 1 * TOps.Count), f1, a11); if (TNV.Value > 2) a12 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 2 * TOps.Count), f2, a12); if (TNV.Value > 3) a13 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 3 * TOps.Count), f3, a13); }
                        if (TNP.Value > 2) { a20 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 0 * TOps.Count), f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 1 * TOps.Count), f1, a21); if (TNV.Value > 2) a22 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 2 * TOps.Count), f2, a22); if (TNV.Value > 3) a23 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 3 * TOps.Count), f3, a23); }
                        if (TNP.Value > 3) { a30 = TOps.MulAdd(TOps.Load((float*)(x3) + 0 * TOps.Count), f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(TOps.Load((float*)(x3) + 1 * TOps.Count), f1, a31); if (TNV.Value > 2) a32 = TOps.MulAdd(TOps.Load((float*)(x3) + 2 * TOps.Count), f2, a32); if (TNV.Value > 3) a33 = TOps.MulAdd(TOps.Load((float*)(x3) + 3 * TOps.Count), f3, a33); }
                        if (TNP.Value > 4) { a40 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 0 * TOps.Count), f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 1 * TOps.Count), f1, a41); if (TNV.Value > 2) a42 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 2 * TOps.Count), f2, a42); if (TNV.Value > 3) a43 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 3 * TOps.Count), f3, a43); }
                        if (TNP.Value > 5) { a50 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 0 * TOps.Count), f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 1 * TOps.Count), f1, a51); if (TNV.Value > 2) a52 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 2 * TOps.Count), f2, a52); if (TNV.Value > 3) a53 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 3 * TOps.Count), f3, a53); }
                    }
                    else
                    {
                        TVec f0 = TOps.Load(fr), f1 = default, f2 = default, f3 = default, bx;
                        if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                        if (TNV.Value > 2) f2 = TOps.Load(fr + 2 * TOps.Count);
                        if (TNV.Value > 3) f3 = TOps.Load(fr + 3 * TOps.Count);
                        { bx = TOps.Broadcast(*(float*)(x0)); a00 = TOps.MulAdd(bx, f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(bx, f1, a01); if (TNV.Value > 2) a02 = TOps.MulAdd(bx, f2, a02); if (TNV.Value > 3) a03 = TOps.MulAdd(bx, f3, a03); }
                        if (TNP.Value > 1) { bx = TOps.Broadcast(*(float*)(x0 + r1)); a10 = TOps.MulAdd(bx, f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(bx, f1, a11); if (TNV.Value > 2) a12 = TOps.MulAdd(bx, f2, a12); if (TNV.Value > 3) a13 = TOps.MulAdd(bx, f3, a13); }
                        if (TNP.Value > 2) { bx = TOps.Broadcast(*(float*)(x0 + r2)); a20 = TOps.MulAdd(bx, f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(bx, f1, a21); if (TNV.Value > 2) a22 = TOps.MulAdd(bx, f2, a22); if (TNV.Value > 3) a23 = TOps.MulAdd(bx, f3, a23); }
                        if (TNP.Value > 3) { bx = TOps.Broadcast(*(float*)(x3)); a30 = TOps.MulAdd(bx, f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(bx, f1, a31); if (TNV.Value > 2) a32 = TOps.MulAdd(bx, f2, a32); if (TNV.Value > 3) a33 = TOps.MulAdd(bx, f3, a33); }
                        if (TNP.Value > 4) { bx = TOps.Broadcast(*(float*)(x3 + r1)); a40 = TOps.MulAdd(bx, f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(bx, f1, a41); if (TNV.Value > 2) a42 = TOps.MulAdd(bx, f2, a42); if (TNV.Value > 3) a43 = TOps.MulAdd(bx, f3, a43); }
                        if (TNP.Value > 5) { bx = TOps.Broadcast(*(float*)(x3 + r2)); a50 = TOps.MulAdd(bx, f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(bx, f1, a51); if (TNV.Value > 2) a52 = TOps.MulAdd(bx, f2, a52); if (TNV.Value > 3) a53 = TOps.MulAdd(bx, f3, a53); }
                    }
                    x0 += cstrB;
                    fr += fchan;
                }
            }
        }
        else if (kyHi > kyLo && kxn > 0)
        {
            // Pointers walk (no index arithmetic per ky): the filter taps of one channel are
            // consecutive, (ky, kx) row-major; a clipped kx range skips kw - kxn taps per row.
            nint rowTapB = rowTap * sizeof(float), fskip = (kw - kxn) * ftap;
            int kyn = kyHi - kyLo;
            float* fc = f + (kyLo * kw + kxLo) * ftap;
            for (int b = 0; b < blocks; b++)
            {
                byte* xc = (byte*)(x + b * bstr + kyLo * rowTap + kxLo * colTap);
                for (int ci = cpb; ci > 0; ci--, xc += cstrB, fc += fchan)
                {
                    byte* xr = xc;
                    float* fr = fc;
                    for (int ky = kyn; ky > 0; ky--, xr += rowTapB, fr += fskip)
                    {
                        byte* x0 = xr;
                        for (int kx = kxn; kx > 0; kx--)
                        {
                            byte* x3 = x0 + r3, x6 = null, x9 = null;
                            if (TNP.Value > 6) x6 = x3 + r3;
                            if (TNP.Value > 9) x9 = x6 + r3;
                            if (TMode.Vector)
                            {
                                TVec f0 = TOps.Load(fr), f1 = default, f2 = default, f3 = default;
                                if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                                if (TNV.Value > 2) f2 = TOps.Load(fr + 2 * TOps.Count);
                                if (TNV.Value > 3) f3 = TOps.Load(fr + 3 * TOps.Count);
                                { a00 = TOps.MulAdd(TOps.Load((float*)(x0) + 0 * TOps.Count), f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(TOps.Load((float*)(x0) + 1 * TOps.Count), f1, a01); if (TNV.Value > 2) a02 = TOps.MulAdd(TOps.Load((float*)(x0) + 2 * TOps.Count), f2, a02); if (TNV.Value > 3) a03 = TOps.MulAdd(TOps.Load((float*)(x0) + 3 * TOps.Count), f3, a03); }
                                if (TNP.Value > 1) { a10 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 0 * TOps.Count), f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 1 * TOps.Count), f1, a11); if (TNV.Value > 2) a12 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 2 * TOps.Count), f2, a12); if (TNV.Value > 3) a13 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 3 * TOps.Count), f3, a13); }
                                if (TNP.Value > 2) { a20 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 0 * TOps.Count), f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 1 * TOps.Count), f1, a21); if (TNV.Value > 2) a22 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 2 * TOps.Count), f2, a22); if (TNV.Value > 3) a23 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 3 * TOps.Count), f3, a23); }
                                if (TNP.Value > 3) { a30 = TOps.MulAdd(TOps.Load((float*)(x3) + 0 * TOps.Count), f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(TOps.Load((float*)(x3) + 1 * TOps.Count), f1, a31); if (TNV.Value > 2) a32 = TOps.MulAdd(TOps.Load((float*)(x3) + 2 * TOps.Count), f2, a32); if (TNV.Value > 3) a33 = TOps.MulAdd(TOps.Load((float*)(x3) + 3 * TOps.Count), f3, a33); }
                                if (TNP.Value > 4) { a40 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 0 * TOps.Count), f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 1 * TOps.Count), f1, a41); if (TNV.Value > 2) a42 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 2 * TOps.Count), f2, a42); if (TNV.Value > 3) a43 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 3 * TOps.Count), f3, a43); }
                                if (TNP.Value > 5) { a50 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 0 * TOps.Count), f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 1 * TOps.Count), f1, a51); if (TNV.Value > 2) a52 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 2 * TOps.Count), f2, a52); if (TNV.Value > 3) a53 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 3 * TOps.Count), f3, a53); }
                            }
                            else
                            {
                                TVec f0 = TOps.Load(fr), f1 = default, f2 = default, f3 = default, bx;
                                if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                                if (TNV.Value > 2) f2 = TOps.Load(fr + 2 * TOps.Count);
                                if (TNV.Value > 3) f3 = TOps.Load(fr + 3 * TOps.Count);
                                { bx = TOps.Broadcast(*(float*)(x0)); a00 = TOps.MulAdd(bx, f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(bx, f1, a01); if (TNV.Value > 2) a02 = TOps.MulAdd(bx, f2, a02); if (TNV.Value > 3) a03 = TOps.MulAdd(bx, f3, a03); }
                                if (TNP.Value > 1) { bx = TOps.Broadcast(*(float*)(x0 + r1)); a10 = TOps.MulAdd(bx, f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(bx, f1, a11); if (TNV.Value > 2) a12 = TOps.MulAdd(bx, f2, a12); if (TNV.Value > 3) a13 = TOps.MulAdd(bx, f3, a13); }
                                if (TNP.Value > 2) { bx = TOps.Broadcast(*(float*)(x0 + r2)); a20 = TOps.MulAdd(bx, f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(bx, f1, a21); if (TNV.Value > 2) a22 = TOps.MulAdd(bx, f2, a22); if (TNV.Value > 3) a23 = TOps.MulAdd(bx, f3, a23); }
                                if (TNP.Value > 3) { bx = TOps.Broadcast(*(float*)(x3)); a30 = TOps.MulAdd(bx, f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(bx, f1, a31); if (TNV.Value > 2) a32 = TOps.MulAdd(bx, f2, a32); if (TNV.Value > 3) a33 = TOps.MulAdd(bx, f3, a33); }
                                if (TNP.Value > 4) { bx = TOps.Broadcast(*(float*)(x3 + r1)); a40 = TOps.MulAdd(bx, f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(bx, f1, a41); if (TNV.Value > 2) a42 = TOps.MulAdd(bx, f2, a42); if (TNV.Value > 3) a43 = TOps.MulAdd(bx, f3, a43); }
                                if (TNP.Value > 5) { bx = TOps.Broadcast(*(float*)(x3 + r2)); a50 = TOps.MulAdd(bx, f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(bx, f1, a51); if (TNV.Value > 2) a52 = TOps.MulAdd(bx, f2, a52); if (TNV.Value > 3) a53 = TOps.MulAdd(bx, f3, a53); }
                            }
                            x0 += colTapB;
                            fr += ftap;
                        }
                    }
                }
            }
        }
        if (!last)
        {
            TOps.Store(t0 + 0 * tp, a00);
            if (TNV.Value > 1) TOps.Store(t1 + 0 * tp, a01);
            if (TNV.Value > 2) TOps.Store(t2 + 0 * tp, a02);
            if (TNV.Value > 3) TOps.Store(t3 + 0 * tp, a03);
            if (TNP.Value > 1) TOps.Store(t0 + 1 * tp, a10);
            if (TNP.Value > 1 && TNV.Value > 1) TOps.Store(t1 + 1 * tp, a11);
            if (TNP.Value > 1 && TNV.Value > 2) TOps.Store(t2 + 1 * tp, a12);
            if (TNP.Value > 1 && TNV.Value > 3) TOps.Store(t3 + 1 * tp, a13);
            if (TNP.Value > 2) TOps.Store(t0 + 2 * tp, a20);
            if (TNP.Value > 2 && TNV.Value > 1) TOps.Store(t1 + 2 * tp, a21);
            if (TNP.Value > 2 && TNV.Value > 2) TOps.Store(t2 + 2 * tp, a22);
            if (TNP.Value > 2 && TNV.Value > 3) TOps.Store(t3 + 2 * tp, a23);
            if (TNP.Value > 3) TOps.Store(t0 + 3 * tp, a30);
            if (TNP.Value > 3 && TNV.Value > 1) TOps.Store(t1 + 3 * tp, a31);
            if (TNP.Value > 3 && TNV.Value > 2) TOps.Store(t2 + 3 * tp, a32);
            if (TNP.Value > 3 && TNV.Value > 3) TOps.Store(t3 + 3 * tp, a33);
            if (TNP.Value > 4) TOps.Store(t0 + 4 * tp, a40);
            if (TNP.Value > 4 && TNV.Value > 1) TOps.Store(t1 + 4 * tp, a41);
            if (TNP.Value > 4 && TNV.Value > 2) TOps.Store(t2 + 4 * tp, a42);
            if (TNP.Value > 4 && TNV.Value > 3) TOps.Store(t3 + 4 * tp, a43);
            if (TNP.Value > 5) TOps.Store(t0 + 5 * tp, a50);
            if (TNP.Value > 5 && TNV.Value > 1) TOps.Store(t1 + 5 * tp, a51);
            if (TNP.Value > 5 && TNV.Value > 2) TOps.Store(t2 + 5 * tp, a52);
            if (TNP.Value > 5 && TNV.Value > 3) TOps.Store(t3 + 5 * tp, a53);
            return;
        }
        bool hasBias = k.Bias != null, relu = k.Relu;
        TVec bias0 = default, bias1 = default, bias2 = default, bias3 = default;
        if (hasBias)
        {
            bias0 = TOps.Load(k.Bias);
            if (TNV.Value > 1) bias1 = TOps.Load(k.Bias + cnt);
            if (TNV.Value > 2) bias2 = TOps.Load(k.Bias + 2 * cnt);
            if (TNV.Value > 3) bias3 = TOps.Load(k.Bias + 3 * cnt);
        }
        nint ob = k.OutBlock, op = k.OutPixel;
        nint o1 = ((1 * cnt) >> 4) * ob + ((1 * cnt) & 15), o2 = ((2 * cnt) >> 4) * ob + ((2 * cnt) & 15), o3 = ((3 * cnt) >> 4) * ob + ((3 * cnt) & 15);
        float* y0 = y, y1 = y + o1, y2 = y + o2, y3 = y + o3;
        float* s0 = s, s1 = s + o1, s2 = s + o2, s3 = s + o3;
        { TVec r = a00; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 0 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 0 * op, r); }
        if (TNV.Value > 1) { TVec r = a01; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 0 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 0 * op, r); }
        if (TNV.Value > 2) { TVec r = a02; if (hasBias) r = TOps.Add(r, bias2); if (s != null) r = TOps.Add(r, TOps.Load(s2 + 0 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y2 + 0 * op, r); }
        if (TNV.Value > 3) { TVec r = a03; if (hasBias) r = TOps.Add(r, bias3); if (s != null) r = TOps.Add(r, TOps.Load(s3 + 0 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y3 + 0 * op, r); }
        if (TNP.Value > 1) { TVec r = a10; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 1 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 1 * op, r); }
        if (TNP.Value > 1 && TNV.Value > 1) { TVec r = a11; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 1 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 1 * op, r); }
        if (TNP.Value > 1 && TNV.Value > 2) { TVec r = a12; if (hasBias) r = TOps.Add(r, bias2); if (s != null) r = TOps.Add(r, TOps.Load(s2 + 1 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y2 + 1 * op, r); }
        if (TNP.Value > 1 && TNV.Value > 3) { TVec r = a13; if (hasBias) r = TOps.Add(r, bias3); if (s != null) r = TOps.Add(r, TOps.Load(s3 + 1 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y3 + 1 * op, r); }
        if (TNP.Value > 2) { TVec r = a20; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 2 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 2 * op, r); }
        if (TNP.Value > 2 && TNV.Value > 1) { TVec r = a21; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 2 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 2 * op, r); }
        if (TNP.Value > 2 && TNV.Value > 2) { TVec r = a22; if (hasBias) r = TOps.Add(r, bias2); if (s != null) r = TOps.Add(r, TOps.Load(s2 + 2 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y2 + 2 * op, r); }
        if (TNP.Value > 2 && TNV.Value > 3) { TVec r = a23; if (hasBias) r = TOps.Add(r, bias3); if (s != null) r = TOps.Add(r, TOps.Load(s3 + 2 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y3 + 2 * op, r); }
        if (TNP.Value > 3) { TVec r = a30; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 3 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 3 * op, r); }
        if (TNP.Value > 3 && TNV.Value > 1) { TVec r = a31; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 3 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 3 * op, r); }
        if (TNP.Value > 3 && TNV.Value > 2) { TVec r = a32; if (hasBias) r = TOps.Add(r, bias2); if (s != null) r = TOps.Add(r, TOps.Load(s2 + 3 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y2 + 3 * op, r); }
        if (TNP.Value > 3 && TNV.Value > 3) { TVec r = a33; if (hasBias) r = TOps.Add(r, bias3); if (s != null) r = TOps.Add(r, TOps.Load(s3 + 3 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y3 + 3 * op, r); }
        if (TNP.Value > 4) { TVec r = a40; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 4 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 4 * op, r); }
        if (TNP.Value > 4 && TNV.Value > 1) { TVec r = a41; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 4 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 4 * op, r); }
        if (TNP.Value > 4 && TNV.Value > 2) { TVec r = a42; if (hasBias) r = TOps.Add(r, bias2); if (s != null) r = TOps.Add(r, TOps.Load(s2 + 4 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y2 + 4 * op, r); }
        if (TNP.Value > 4 && TNV.Value > 3) { TVec r = a43; if (hasBias) r = TOps.Add(r, bias3); if (s != null) r = TOps.Add(r, TOps.Load(s3 + 4 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y3 + 4 * op, r); }
        if (TNP.Value > 5) { TVec r = a50; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 5 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 5 * op, r); }
        if (TNP.Value > 5 && TNV.Value > 1) { TVec r = a51; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 5 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 5 * op, r); }
        if (TNP.Value > 5 && TNV.Value > 2) { TVec r = a52; if (hasBias) r = TOps.Add(r, bias2); if (s != null) r = TOps.Add(r, TOps.Load(s2 + 5 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y2 + 5 * op, r); }
        if (TNP.Value > 5 && TNV.Value > 3) { TVec r = a53; if (hasBias) r = TOps.Add(r, bias3); if (s != null) r = TOps.Add(r, TOps.Load(s3 + 5 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y3 + 5 * op, r); }
    }

    /// <summary>
    /// One tile. x: input of pixel 0 (at ky = kx = 0, channel 0 of the pass); pixel p at
    /// <c>p * PixelStep</c>. f: the filter vector of (channel 0, tap (0, 0)); FilterTap floats per
    /// tap, FilterChannel per channel. t: raw sums between passes (pixel p at <c>p * ScratchPixel</c>,
    /// block b at <c>b * ScratchBlock</c>); y and s (sum, or null): output and residual, pixel p at
    /// <c>p * OutPixel</c>, block b at <c>b * OutBlock</c>. Only taps with ky in [kyLo, kyHi) and kx in [kxLo, kxHi) are read
    /// (the others lie in the padding; skipping them is exact, see Nchwc). Each accumulator runs
    /// channel, then ky, then kx, as the GEMM path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TileWide<TOps, TVec, TNV, TNP, TMode>(in Args k, float* x, float* f, float* t, float* y, float* s,
        int kyLo, int kyHi, int kxLo, int kxHi, bool first, bool last)
        where TOps : struct, Gemm.ISimd<TVec> where TVec : struct where TNV : struct, IConst where TNP : struct, IConst where TMode : struct, IMode
    {
        int cnt = TOps.Count;
        nint sb = k.ScratchBlock, tp = k.ScratchPixel;
        float* t0 = t, t1 = t + ((1 * cnt) >> 4) * sb + ((1 * cnt) & 15), t2 = t + ((2 * cnt) >> 4) * sb + ((2 * cnt) & 15), t3 = t + ((3 * cnt) >> 4) * sb + ((3 * cnt) & 15);
        TVec a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default, a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default, a80 = default, a81 = default, a90 = default, a91 = default, a100 = default, a101 = default, a110 = default, a111 = default;
        if (!first)
        {
            a00 = TOps.Load(t0 + 0 * tp);
            if (TNV.Value > 1) a01 = TOps.Load(t1 + 0 * tp);
            if (TNP.Value > 1) a10 = TOps.Load(t0 + 1 * tp);
            if (TNP.Value > 1 && TNV.Value > 1) a11 = TOps.Load(t1 + 1 * tp);
            if (TNP.Value > 2) a20 = TOps.Load(t0 + 2 * tp);
            if (TNP.Value > 2 && TNV.Value > 1) a21 = TOps.Load(t1 + 2 * tp);
            if (TNP.Value > 3) a30 = TOps.Load(t0 + 3 * tp);
            if (TNP.Value > 3 && TNV.Value > 1) a31 = TOps.Load(t1 + 3 * tp);
            if (TNP.Value > 4) a40 = TOps.Load(t0 + 4 * tp);
            if (TNP.Value > 4 && TNV.Value > 1) a41 = TOps.Load(t1 + 4 * tp);
            if (TNP.Value > 5) a50 = TOps.Load(t0 + 5 * tp);
            if (TNP.Value > 5 && TNV.Value > 1) a51 = TOps.Load(t1 + 5 * tp);
            if (TNP.Value > 6) a60 = TOps.Load(t0 + 6 * tp);
            if (TNP.Value > 6 && TNV.Value > 1) a61 = TOps.Load(t1 + 6 * tp);
            if (TNP.Value > 7) a70 = TOps.Load(t0 + 7 * tp);
            if (TNP.Value > 7 && TNV.Value > 1) a71 = TOps.Load(t1 + 7 * tp);
            if (TNP.Value > 8) a80 = TOps.Load(t0 + 8 * tp);
            if (TNP.Value > 8 && TNV.Value > 1) a81 = TOps.Load(t1 + 8 * tp);
            if (TNP.Value > 9) a90 = TOps.Load(t0 + 9 * tp);
            if (TNP.Value > 9 && TNV.Value > 1) a91 = TOps.Load(t1 + 9 * tp);
            if (TNP.Value > 10) a100 = TOps.Load(t0 + 10 * tp);
            if (TNP.Value > 10 && TNV.Value > 1) a101 = TOps.Load(t1 + 10 * tp);
            if (TNP.Value > 11) a110 = TOps.Load(t0 + 11 * tp);
            if (TNP.Value > 11 && TNV.Value > 1) a111 = TOps.Load(t1 + 11 * tp);
        }
        int blocks = k.Blocks, cpb = k.ChannelsPerBlock, kw = k.KW;
        nint bstr = k.BlockStride, cstrB = k.ChannelStride * sizeof(float), rowTap = k.RowTap, colTap = k.ColTap;
        nint ftap = k.FilterTap, fchan = k.FilterChannel;
        nint r1 = k.PixelStep * sizeof(float), r2 = 2 * r1, r3 = 3 * r1, colTapB = colTap * sizeof(float);
        int kxn = kxHi - kxLo;
        if (kyHi - kyLo == 1 && kxn == 1)
        {
            // One tap (1x1 kernels, or an edge pixel with a single tap inside): a channel loop only.
            float* xs = x + kyLo * rowTap + kxLo * colTap;
            float* fr = f + (kyLo * kw + kxLo) * ftap;
            for (int b = 0; b < blocks; b++)
            {
                byte* x0 = (byte*)(xs + b * bstr);
                for (int ci = cpb; ci > 0; ci--)
                {
                    byte* x3 = x0 + r3, x6 = null, x9 = null;
                    if (TNP.Value > 6) x6 = x3 + r3;
                    if (TNP.Value > 9) x9 = x6 + r3;
                    if (TMode.Vector)
                    {
                        TVec f0 = TOps.Load(fr), f1 = default;
                        if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                        { a00 = TOps.MulAdd(TOps.Load((float*)(x0) + 0 * TOps.Count), f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(TOps.Load((float*)(x0) + 1 * TOps.Count), f1, a01); }
                        if (TNP.Value > 1) { a10 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 0 * TOps.Count), f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 1 * TOps.Count), f1, a11); }
                        if (TNP.Value > 2) { a20 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 0 * TOps.Count), f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 1 * TOps.Count), f1, a21); }
                        if (TNP.Value > 3) { a30 = TOps.MulAdd(TOps.Load((float*)(x3) + 0 * TOps.Count), f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(TOps.Load((float*)(x3) + 1 * TOps.Count), f1, a31); }
                        if (TNP.Value > 4) { a40 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 0 * TOps.Count), f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 1 * TOps.Count), f1, a41); }
                        if (TNP.Value > 5) { a50 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 0 * TOps.Count), f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 1 * TOps.Count), f1, a51); }
                        if (TNP.Value > 6) { a60 = TOps.MulAdd(TOps.Load((float*)(x6) + 0 * TOps.Count), f0, a60); if (TNV.Value > 1) a61 = TOps.MulAdd(TOps.Load((float*)(x6) + 1 * TOps.Count), f1, a61); }
                        if (TNP.Value > 7) { a70 = TOps.MulAdd(TOps.Load((float*)(x6 + r1) + 0 * TOps.Count), f0, a70); if (TNV.Value > 1) a71 = TOps.MulAdd(TOps.Load((float*)(x6 + r1) + 1 * TOps.Count), f1, a71); }
                        if (TNP.Value > 8) { a80 = TOps.MulAdd(TOps.Load((float*)(x6 + r2) + 0 * TOps.Count), f0, a80); if (TNV.Value > 1) a81 = TOps.MulAdd(TOps.Load((float*)(x6 + r2) + 1 * TOps.Count), f1, a81); }
                        if (TNP.Value > 9) { a90 = TOps.MulAdd(TOps.Load((float*)(x9) + 0 * TOps.Count), f0, a90); if (TNV.Value > 1) a91 = TOps.MulAdd(TOps.Load((float*)(x9) + 1 * TOps.Count), f1, a91); }
                        if (TNP.Value > 10) { a100 = TOps.MulAdd(TOps.Load((float*)(x9 + r1) + 0 * TOps.Count), f0, a100); if (TNV.Value > 1) a101 = TOps.MulAdd(TOps.Load((float*)(x9 + r1) + 1 * TOps.Count), f1, a101); }
                        if (TNP.Value > 11) { a110 = TOps.MulAdd(TOps.Load((float*)(x9 + r2) + 0 * TOps.Count), f0, a110); if (TNV.Value > 1) a111 = TOps.MulAdd(TOps.Load((float*)(x9 + r2) + 1 * TOps.Count), f1, a111); }
                    }
                    else
                    {
                        TVec f0 = TOps.Load(fr), f1 = default, bx;
                        if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                        { bx = TOps.Broadcast(*(float*)(x0)); a00 = TOps.MulAdd(bx, f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(bx, f1, a01); }
                        if (TNP.Value > 1) { bx = TOps.Broadcast(*(float*)(x0 + r1)); a10 = TOps.MulAdd(bx, f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(bx, f1, a11); }
                        if (TNP.Value > 2) { bx = TOps.Broadcast(*(float*)(x0 + r2)); a20 = TOps.MulAdd(bx, f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(bx, f1, a21); }
                        if (TNP.Value > 3) { bx = TOps.Broadcast(*(float*)(x3)); a30 = TOps.MulAdd(bx, f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(bx, f1, a31); }
                        if (TNP.Value > 4) { bx = TOps.Broadcast(*(float*)(x3 + r1)); a40 = TOps.MulAdd(bx, f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(bx, f1, a41); }
                        if (TNP.Value > 5) { bx = TOps.Broadcast(*(float*)(x3 + r2)); a50 = TOps.MulAdd(bx, f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(bx, f1, a51); }
                        if (TNP.Value > 6) { bx = TOps.Broadcast(*(float*)(x6)); a60 = TOps.MulAdd(bx, f0, a60); if (TNV.Value > 1) a61 = TOps.MulAdd(bx, f1, a61); }
                        if (TNP.Value > 7) { bx = TOps.Broadcast(*(float*)(x6 + r1)); a70 = TOps.MulAdd(bx, f0, a70); if (TNV.Value > 1) a71 = TOps.MulAdd(bx, f1, a71); }
                        if (TNP.Value > 8) { bx = TOps.Broadcast(*(float*)(x6 + r2)); a80 = TOps.MulAdd(bx, f0, a80); if (TNV.Value > 1) a81 = TOps.MulAdd(bx, f1, a81); }
                        if (TNP.Value > 9) { bx = TOps.Broadcast(*(float*)(x9)); a90 = TOps.MulAdd(bx, f0, a90); if (TNV.Value > 1) a91 = TOps.MulAdd(bx, f1, a91); }
                        if (TNP.Value > 10) { bx = TOps.Broadcast(*(float*)(x9 + r1)); a100 = TOps.MulAdd(bx, f0, a100); if (TNV.Value > 1) a101 = TOps.MulAdd(bx, f1, a101); }
                        if (TNP.Value > 11) { bx = TOps.Broadcast(*(float*)(x9 + r2)); a110 = TOps.MulAdd(bx, f0, a110); if (TNV.Value > 1) a111 = TOps.MulAdd(bx, f1, a111); }
                    }
                    x0 += cstrB;
                    fr += fchan;
                }
            }
        }
        else if (kyHi > kyLo && kxn > 0)
        {
            // Pointers walk (no index arithmetic per ky): the filter taps of one channel are
            // consecutive, (ky, kx) row-major; a clipped kx range skips kw - kxn taps per row.
            nint rowTapB = rowTap * sizeof(float), fskip = (kw - kxn) * ftap;
            int kyn = kyHi - kyLo;
            float* fc = f + (kyLo * kw + kxLo) * ftap;
            for (int b = 0; b < blocks; b++)
            {
                byte* xc = (byte*)(x + b * bstr + kyLo * rowTap + kxLo * colTap);
                for (int ci = cpb; ci > 0; ci--, xc += cstrB, fc += fchan)
                {
                    byte* xr = xc;
                    float* fr = fc;
                    for (int ky = kyn; ky > 0; ky--, xr += rowTapB, fr += fskip)
                    {
                        byte* x0 = xr;
                        for (int kx = kxn; kx > 0; kx--)
                        {
                            byte* x3 = x0 + r3, x6 = null, x9 = null;
                            if (TNP.Value > 6) x6 = x3 + r3;
                            if (TNP.Value > 9) x9 = x6 + r3;
                            if (TMode.Vector)
                            {
                                TVec f0 = TOps.Load(fr), f1 = default;
                                if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                                { a00 = TOps.MulAdd(TOps.Load((float*)(x0) + 0 * TOps.Count), f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(TOps.Load((float*)(x0) + 1 * TOps.Count), f1, a01); }
                                if (TNP.Value > 1) { a10 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 0 * TOps.Count), f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(TOps.Load((float*)(x0 + r1) + 1 * TOps.Count), f1, a11); }
                                if (TNP.Value > 2) { a20 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 0 * TOps.Count), f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(TOps.Load((float*)(x0 + r2) + 1 * TOps.Count), f1, a21); }
                                if (TNP.Value > 3) { a30 = TOps.MulAdd(TOps.Load((float*)(x3) + 0 * TOps.Count), f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(TOps.Load((float*)(x3) + 1 * TOps.Count), f1, a31); }
                                if (TNP.Value > 4) { a40 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 0 * TOps.Count), f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(TOps.Load((float*)(x3 + r1) + 1 * TOps.Count), f1, a41); }
                                if (TNP.Value > 5) { a50 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 0 * TOps.Count), f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(TOps.Load((float*)(x3 + r2) + 1 * TOps.Count), f1, a51); }
                                if (TNP.Value > 6) { a60 = TOps.MulAdd(TOps.Load((float*)(x6) + 0 * TOps.Count), f0, a60); if (TNV.Value > 1) a61 = TOps.MulAdd(TOps.Load((float*)(x6) + 1 * TOps.Count), f1, a61); }
                                if (TNP.Value > 7) { a70 = TOps.MulAdd(TOps.Load((float*)(x6 + r1) + 0 * TOps.Count), f0, a70); if (TNV.Value > 1) a71 = TOps.MulAdd(TOps.Load((float*)(x6 + r1) + 1 * TOps.Count), f1, a71); }
                                if (TNP.Value > 8) { a80 = TOps.MulAdd(TOps.Load((float*)(x6 + r2) + 0 * TOps.Count), f0, a80); if (TNV.Value > 1) a81 = TOps.MulAdd(TOps.Load((float*)(x6 + r2) + 1 * TOps.Count), f1, a81); }
                                if (TNP.Value > 9) { a90 = TOps.MulAdd(TOps.Load((float*)(x9) + 0 * TOps.Count), f0, a90); if (TNV.Value > 1) a91 = TOps.MulAdd(TOps.Load((float*)(x9) + 1 * TOps.Count), f1, a91); }
                                if (TNP.Value > 10) { a100 = TOps.MulAdd(TOps.Load((float*)(x9 + r1) + 0 * TOps.Count), f0, a100); if (TNV.Value > 1) a101 = TOps.MulAdd(TOps.Load((float*)(x9 + r1) + 1 * TOps.Count), f1, a101); }
                                if (TNP.Value > 11) { a110 = TOps.MulAdd(TOps.Load((float*)(x9 + r2) + 0 * TOps.Count), f0, a110); if (TNV.Value > 1) a111 = TOps.MulAdd(TOps.Load((float*)(x9 + r2) + 1 * TOps.Count), f1, a111); }
                            }
                            else
                            {
                                TVec f0 = TOps.Load(fr), f1 = default, bx;
                                if (TNV.Value > 1) f1 = TOps.Load(fr + 1 * TOps.Count);
                                { bx = TOps.Broadcast(*(float*)(x0)); a00 = TOps.MulAdd(bx, f0, a00); if (TNV.Value > 1) a01 = TOps.MulAdd(bx, f1, a01); }
                                if (TNP.Value > 1) { bx = TOps.Broadcast(*(float*)(x0 + r1)); a10 = TOps.MulAdd(bx, f0, a10); if (TNV.Value > 1) a11 = TOps.MulAdd(bx, f1, a11); }
                                if (TNP.Value > 2) { bx = TOps.Broadcast(*(float*)(x0 + r2)); a20 = TOps.MulAdd(bx, f0, a20); if (TNV.Value > 1) a21 = TOps.MulAdd(bx, f1, a21); }
                                if (TNP.Value > 3) { bx = TOps.Broadcast(*(float*)(x3)); a30 = TOps.MulAdd(bx, f0, a30); if (TNV.Value > 1) a31 = TOps.MulAdd(bx, f1, a31); }
                                if (TNP.Value > 4) { bx = TOps.Broadcast(*(float*)(x3 + r1)); a40 = TOps.MulAdd(bx, f0, a40); if (TNV.Value > 1) a41 = TOps.MulAdd(bx, f1, a41); }
                                if (TNP.Value > 5) { bx = TOps.Broadcast(*(float*)(x3 + r2)); a50 = TOps.MulAdd(bx, f0, a50); if (TNV.Value > 1) a51 = TOps.MulAdd(bx, f1, a51); }
                                if (TNP.Value > 6) { bx = TOps.Broadcast(*(float*)(x6)); a60 = TOps.MulAdd(bx, f0, a60); if (TNV.Value > 1) a61 = TOps.MulAdd(bx, f1, a61); }
                                if (TNP.Value > 7) { bx = TOps.Broadcast(*(float*)(x6 + r1)); a70 = TOps.MulAdd(bx, f0, a70); if (TNV.Value > 1) a71 = TOps.MulAdd(bx, f1, a71); }
                                if (TNP.Value > 8) { bx = TOps.Broadcast(*(float*)(x6 + r2)); a80 = TOps.MulAdd(bx, f0, a80); if (TNV.Value > 1) a81 = TOps.MulAdd(bx, f1, a81); }
                                if (TNP.Value > 9) { bx = TOps.Broadcast(*(float*)(x9)); a90 = TOps.MulAdd(bx, f0, a90); if (TNV.Value > 1) a91 = TOps.MulAdd(bx, f1, a91); }
                                if (TNP.Value > 10) { bx = TOps.Broadcast(*(float*)(x9 + r1)); a100 = TOps.MulAdd(bx, f0, a100); if (TNV.Value > 1) a101 = TOps.MulAdd(bx, f1, a101); }
                                if (TNP.Value > 11) { bx = TOps.Broadcast(*(float*)(x9 + r2)); a110 = TOps.MulAdd(bx, f0, a110); if (TNV.Value > 1) a111 = TOps.MulAdd(bx, f1, a111); }
                            }
                            x0 += colTapB;
                            fr += ftap;
                        }
                    }
                }
            }
        }
        if (!last)
        {
            TOps.Store(t0 + 0 * tp, a00);
            if (TNV.Value > 1) TOps.Store(t1 + 0 * tp, a01);
            if (TNP.Value > 1) TOps.Store(t0 + 1 * tp, a10);
            if (TNP.Value > 1 && TNV.Value > 1) TOps.Store(t1 + 1 * tp, a11);
            if (TNP.Value > 2) TOps.Store(t0 + 2 * tp, a20);
            if (TNP.Value > 2 && TNV.Value > 1) TOps.Store(t1 + 2 * tp, a21);
            if (TNP.Value > 3) TOps.Store(t0 + 3 * tp, a30);
            if (TNP.Value > 3 && TNV.Value > 1) TOps.Store(t1 + 3 * tp, a31);
            if (TNP.Value > 4) TOps.Store(t0 + 4 * tp, a40);
            if (TNP.Value > 4 && TNV.Value > 1) TOps.Store(t1 + 4 * tp, a41);
            if (TNP.Value > 5) TOps.Store(t0 + 5 * tp, a50);
            if (TNP.Value > 5 && TNV.Value > 1) TOps.Store(t1 + 5 * tp, a51);
            if (TNP.Value > 6) TOps.Store(t0 + 6 * tp, a60);
            if (TNP.Value > 6 && TNV.Value > 1) TOps.Store(t1 + 6 * tp, a61);
            if (TNP.Value > 7) TOps.Store(t0 + 7 * tp, a70);
            if (TNP.Value > 7 && TNV.Value > 1) TOps.Store(t1 + 7 * tp, a71);
            if (TNP.Value > 8) TOps.Store(t0 + 8 * tp, a80);
            if (TNP.Value > 8 && TNV.Value > 1) TOps.Store(t1 + 8 * tp, a81);
            if (TNP.Value > 9) TOps.Store(t0 + 9 * tp, a90);
            if (TNP.Value > 9 && TNV.Value > 1) TOps.Store(t1 + 9 * tp, a91);
            if (TNP.Value > 10) TOps.Store(t0 + 10 * tp, a100);
            if (TNP.Value > 10 && TNV.Value > 1) TOps.Store(t1 + 10 * tp, a101);
            if (TNP.Value > 11) TOps.Store(t0 + 11 * tp, a110);
            if (TNP.Value > 11 && TNV.Value > 1) TOps.Store(t1 + 11 * tp, a111);
            return;
        }
        bool hasBias = k.Bias != null, relu = k.Relu;
        TVec bias0 = default, bias1 = default, bias2 = default, bias3 = default;
        if (hasBias)
        {
            bias0 = TOps.Load(k.Bias);
            if (TNV.Value > 1) bias1 = TOps.Load(k.Bias + cnt);
            if (TNV.Value > 2) bias2 = TOps.Load(k.Bias + 2 * cnt);
            if (TNV.Value > 3) bias3 = TOps.Load(k.Bias + 3 * cnt);
        }
        nint ob = k.OutBlock, op = k.OutPixel;
        nint o1 = ((1 * cnt) >> 4) * ob + ((1 * cnt) & 15), o2 = ((2 * cnt) >> 4) * ob + ((2 * cnt) & 15), o3 = ((3 * cnt) >> 4) * ob + ((3 * cnt) & 15);
        float* y0 = y, y1 = y + o1, y2 = y + o2, y3 = y + o3;
        float* s0 = s, s1 = s + o1, s2 = s + o2, s3 = s + o3;
        { TVec r = a00; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 0 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 0 * op, r); }
        if (TNV.Value > 1) { TVec r = a01; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 0 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 0 * op, r); }
        if (TNP.Value > 1) { TVec r = a10; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 1 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 1 * op, r); }
        if (TNP.Value > 1 && TNV.Value > 1) { TVec r = a11; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 1 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 1 * op, r); }
        if (TNP.Value > 2) { TVec r = a20; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 2 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 2 * op, r); }
        if (TNP.Value > 2 && TNV.Value > 1) { TVec r = a21; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 2 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 2 * op, r); }
        if (TNP.Value > 3) { TVec r = a30; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 3 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 3 * op, r); }
        if (TNP.Value > 3 && TNV.Value > 1) { TVec r = a31; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 3 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 3 * op, r); }
        if (TNP.Value > 4) { TVec r = a40; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 4 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 4 * op, r); }
        if (TNP.Value > 4 && TNV.Value > 1) { TVec r = a41; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 4 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 4 * op, r); }
        if (TNP.Value > 5) { TVec r = a50; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 5 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 5 * op, r); }
        if (TNP.Value > 5 && TNV.Value > 1) { TVec r = a51; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 5 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 5 * op, r); }
        if (TNP.Value > 6) { TVec r = a60; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 6 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 6 * op, r); }
        if (TNP.Value > 6 && TNV.Value > 1) { TVec r = a61; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 6 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 6 * op, r); }
        if (TNP.Value > 7) { TVec r = a70; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 7 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 7 * op, r); }
        if (TNP.Value > 7 && TNV.Value > 1) { TVec r = a71; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 7 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 7 * op, r); }
        if (TNP.Value > 8) { TVec r = a80; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 8 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 8 * op, r); }
        if (TNP.Value > 8 && TNV.Value > 1) { TVec r = a81; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 8 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 8 * op, r); }
        if (TNP.Value > 9) { TVec r = a90; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 9 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 9 * op, r); }
        if (TNP.Value > 9 && TNV.Value > 1) { TVec r = a91; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 9 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 9 * op, r); }
        if (TNP.Value > 10) { TVec r = a100; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 10 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 10 * op, r); }
        if (TNP.Value > 10 && TNV.Value > 1) { TVec r = a101; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 10 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 10 * op, r); }
        if (TNP.Value > 11) { TVec r = a110; if (hasBias) r = TOps.Add(r, bias0); if (s != null) r = TOps.Add(r, TOps.Load(s0 + 11 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y0 + 11 * op, r); }
        if (TNP.Value > 11 && TNV.Value > 1) { TVec r = a111; if (hasBias) r = TOps.Add(r, bias1); if (s != null) r = TOps.Add(r, TOps.Load(s1 + 11 * op)); if (relu) r = TOps.Relu(r); TOps.Store(y1 + 11 * op, r); }
    }
}
