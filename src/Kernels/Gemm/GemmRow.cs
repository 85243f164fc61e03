// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels;

public static partial class Gemm
{
    // Columns of C one pass accumulates (16 KiB of sums, which stay in L1 while B streams by).
    private const int RowBlock = 4096;

    /// <summary>
    /// <c>C[1, n] = alpha * a[1, k] * B[k, n]</c> plus the epilogue, for a dense B and beta = 0
    /// (an FC at batch 1, its weights stored <c>[K, N]</c>). The tiles would read B in strips of
    /// 2 vectors per row, one row every <c>ldb</c> floats, which the prefetcher follows badly (and
    /// pack nothing worth reusing with one row of A); here each pass reads whole rows of its
    /// columns front to back, accumulating in C.
    /// </summary>
    /// <remarks>
    /// Every element is the tiles' chain: <c>acc = +0; acc = a[p] * b[p, j] + acc</c> for p in
    /// order (the same MulAdd), then the same <see cref="Finish{TOps, TVec}"/> store, so results
    /// are bit-identical to the tiled path. Threads split the columns in contiguous ranges.
    /// </remarks>
    private static unsafe void RowTimesMatrix(in Args g, float* b, int ldb, ComputePool pool, int maxDegree)
    {
        if (Vector512.IsHardwareAccelerated) RowTimesMatrix<V512, Vector512<float>>(in g, b, ldb, pool, maxDegree);
        else if (Vector256.IsHardwareAccelerated) RowTimesMatrix<V256, Vector256<float>>(in g, b, ldb, pool, maxDegree);
        else RowTimesMatrix<V128, Vector128<float>>(in g, b, ldb, pool, maxDegree);
    }

    private static unsafe void RowTimesMatrix<TOps, TVec>(in Args g, float* b, int ldb, ComputePool pool, int maxDegree)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
        int nr = 2 * TOps.Count;
        int chunks = (int)Math.Min(4L * degree, (g.N + nr - 1) / nr); // claimed one by one: a late helper takes fewer
        if (chunks <= 1 || (long)g.N * g.K < pool.Options.ParallelWorkThreshold)
        {
            RowColumns<TOps, TVec>(in g, b, ldb, 0, g.N);
            return;
        }
        var region = RowWork<TOps, TVec>.Rent();
        region.Args = g;
        region.B = b;
        region.Ldb = ldb;
        region.Run(pool, g.N, chunks, nr, maxDegree);
    }

    // Columns [j0, j1) of C's one row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void RowColumns<TOps, TVec>(in Args g, float* b, int ldb, int j0, int j1)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int w = TOps.Count;
        nint step = g.TransA ? g.Lda : 1; // A is [1, k], or [k, 1] read down its column
        for (int jb = j0; jb < j1; jb += RowBlock)
        {
            int cols = Math.Min(RowBlock, j1 - jb);
            int full = cols / w, tail = cols - full * w;
            float* c = g.C + jb;
            TVec zero = TOps.Broadcast(0f);
            // Row 0 starts each chain from +0; then four rows per sweep over the sums (four streams
            // of B in flight, a quarter of the loads and stores of C), one at a time for the rest.
            // Each element still takes its rows in order, one multiply-add each.
            Row1<TOps, TVec>(g.A[0], b + jb, c, full, tail, zero, first: true);
            int p = 1;
            for (; p + 4 <= g.K; p += 4)
            {
                TVec a0 = TOps.Broadcast(g.A[p * step]), a1 = TOps.Broadcast(g.A[(p + 1) * step]);
                TVec a2 = TOps.Broadcast(g.A[(p + 2) * step]), a3 = TOps.Broadcast(g.A[(p + 3) * step]);
                float* r0 = b + (long)p * ldb + jb;
                float* r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
                for (int v = 0; v < full; v++)
                {
                    int o = v * w;
                    TVec acc = TOps.Load(c + o);
                    acc = TOps.MulAdd(a0, TOps.Load(r0 + o), acc);
                    acc = TOps.MulAdd(a1, TOps.Load(r1 + o), acc);
                    acc = TOps.MulAdd(a2, TOps.Load(r2 + o), acc);
                    acc = TOps.MulAdd(a3, TOps.Load(r3 + o), acc);
                    TOps.Store(c + o, acc);
                }
                if (tail > 0)
                {
                    int o = full * w;
                    TVec acc = TOps.LoadN(c + o, tail);
                    acc = TOps.MulAdd(a0, TOps.LoadN(r0 + o, tail), acc);
                    acc = TOps.MulAdd(a1, TOps.LoadN(r1 + o, tail), acc);
                    acc = TOps.MulAdd(a2, TOps.LoadN(r2 + o, tail), acc);
                    acc = TOps.MulAdd(a3, TOps.LoadN(r3 + o, tail), acc);
                    TOps.StoreN(c + o, acc, tail);
                }
            }
            for (; p < g.K; p++) Row1<TOps, TVec>(g.A[p * step], b + (long)p * ldb + jb, c, full, tail, zero, first: false);
            // The tiles' store, two vectors at a time (alpha, row and column bias, Relu).
            for (int j = 0; j < cols; j += 2 * w)
            {
                int n0 = Math.Min(w, cols - j), n1 = Math.Clamp(cols - j - w, 0, w);
                var e = new Finish<TOps, TVec>(in g, jb + j, n0, n1);
                TVec lo = TOps.LoadN(c + j, n0), hi = n1 > 0 ? TOps.LoadN(c + j + w, n1) : zero;
                e.Row(lo, hi, c + j, 0, n1 > 0);
            }
        }
    }

    // c += a * row over full vectors and a tail (c = a * row + 0 for the first row).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Row1<TOps, TVec>(float a, float* row, float* c, int full, int tail, TVec zero, bool first)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int w = TOps.Count;
        TVec av = TOps.Broadcast(a);
        for (int v = 0; v < full; v++) TOps.Store(c + v * w, TOps.MulAdd(av, TOps.Load(row + v * w), first ? zero : TOps.Load(c + v * w)));
        if (tail > 0) TOps.StoreN(c + full * w, TOps.MulAdd(av, TOps.LoadN(row + full * w, tail), first ? zero : TOps.LoadN(c + full * w, tail)), tail);
    }

    private sealed unsafe class RowWork<TOps, TVec> : ParallelRegion where TOps : struct, ISimd<TVec> where TVec : struct
    {
        [ThreadStatic] private static RowWork<TOps, TVec>? t_cached;
        public Args Args;
        public float* B;
        public int Ldb;

        public static RowWork<TOps, TVec> Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end) => RowColumns<TOps, TVec>(in Args, B, Ldb, (int)start, (int)end);
    }
}
