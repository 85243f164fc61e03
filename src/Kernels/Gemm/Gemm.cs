// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// Single-precision general matrix multiply on row-major matrices:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, <c>op(X)</c> being X or its transpose.
/// </summary>
/// <remarks>
/// <para><b>Algorithm (v1).</b> Columns of C are taken in panels of up to <c>PanelFloats / k</c>
/// columns (at least one strip). For each panel, <c>op(B)</c> is packed into strips of
/// <c>NR = 2 * W</c> columns (<c>W</c> = floats per vector: 16 with AVX-512, 8 with AVX, 4
/// otherwise), k-major (<c>NR</c> floats per k), the last strip zero-padded. The packing buffer is
/// cached per thread, so steady state allocates nothing. Rows of C are then taken 6 at a time
/// (then one at a time for the remainder); for each strip a register-tiled micro-kernel keeps a
/// 6 x 2-vector block of C in 12 accumulators and runs over the whole of k: per k, two packed B
/// vectors, six broadcasts of A (read in place through <c>lda</c>, never packed) and twelve
/// multiply-adds. The block is then written: <c>C = alpha * acc + beta * C</c> (a multiply by 1
/// is skipped, which is exact; with <c>beta</c> == 0, C is not read, so NaNs already in C do not leak).
/// A partial strip (the last columns) is computed in full on the zero padding and only the valid
/// columns are stored, element by element, with the same operations.</para>
/// <para><b>Determinism.</b> Every element of C is <c>acc = 0; for p in 0..k: acc = a[i,p] * b[p,j] + acc</c>
/// (fused when the hardware has FMA, else a multiply then an add), then the same update of C.
/// That sequence does not depend on which kernel, lane, panel or thread computes the element, and
/// work is split across threads only along m (or along n when m is small), never along k, so
/// results are bit-identical at every thread count. They may differ between machines (FMA or
/// not) and from a blocked BLAS.</para>
/// <para><b>Limits (to tune against MLAS).</b> No k blocking: a strip holds <c>NR * k</c> floats,
/// so a very large k spills the packed panel out of L2. A is not packed: a transposed A is read
/// with a stride, row blocks are 6 (MLAS: 12 with AVX-512), and there is no prefetching, no
/// packing of constant weights ahead of time, and no special M == 1 kernel: a batch-1 FC
/// (transposed B) is bound by the packing transpose. Measured here (AVX-512, 1 thread, Release):
/// 256^3 about 180 GFLOP/s (AVX2 path about 100, SSE path about 36); m 64, n 1000, k 2048 with B
/// transposed about 85; m 1 of the same only about 2.7. <c>alpha</c> == 0 or
/// <c>k</c> == 0 only scales C by <c>beta</c> (A and B are not read).</para>
/// </remarks>
public static class Gemm
{
    // Rows of C per micro-kernel call.
    private const int MR = 6;

    // Target size of one packed B panel, in floats (256 KiB: a fraction of a 1-2 MiB L2).
    private const int PanelFloats = 64 * 1024;

    /// <summary>Computes <c>C = alpha * op(A) * op(B) + beta * C</c> on row-major matrices.</summary>
    /// <param name="transA">True: A is stored <c>[k, m]</c> and transposed; false: A is <c>[m, k]</c>.</param>
    /// <param name="transB">True: B is stored <c>[n, k]</c> and transposed; false: B is <c>[k, n]</c>.</param>
    /// <param name="m">Rows of C and of op(A).</param>
    /// <param name="n">Columns of C and of op(B).</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored, at least its row length (k, or m when transposed).</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of B as stored, at least its row length (n, or k when transposed).</param>
    /// <param name="beta">Scale of C's old value; 0 means C is not read.</param>
    /// <param name="c">C, <c>[m, n]</c> row-major with leading dimension <paramref name="ldc"/>; must not overlap A or B.</param>
    /// <param name="ldc">Distance between rows of C, at least n.</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegree">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A size or leading dimension is invalid, a span is too short, or C overlaps A or B.</exception>
    public static unsafe void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ComputePool pool, int maxDegree = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (transA) CheckMatrix(a.Length, k, m, lda, nameof(a), nameof(lda));
        else CheckMatrix(a.Length, m, k, lda, nameof(a), nameof(lda));
        if (transB) CheckMatrix(b.Length, n, k, ldb, nameof(b), nameof(ldb));
        else CheckMatrix(b.Length, k, n, ldb, nameof(b), nameof(ldb));
        CheckMatrix(c.Length, m, n, ldc, nameof(c), nameof(ldc));
        if (m == 0 || n == 0) return;
        long cUsed = (long)(m - 1) * ldc + n;
        var cRegion = c[..(int)cUsed];
        if (k > 0 && alpha != 0)
        {
            if (cRegion.Overlaps(a[..Used(transA ? k : m, transA ? m : k, lda)])) throw new ArgumentException("C overlaps A; the destination must be separate.", nameof(c));
            if (cRegion.Overlaps(b[..Used(transB ? n : k, transB ? k : n, ldb)])) throw new ArgumentException("C overlaps B; the destination must be separate.", nameof(c));
        }
        if (k == 0 || alpha == 0)
        {
            for (int i = 0; i < m; i++)
            {
                var row = c.Slice(i * ldc, n);
                if (beta == 0) row.Clear();
                else if (beta != 1) for (int j = 0; j < n; j++) row[j] *= beta;
            }
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var args = new Args
            {
                A = pa, B = pb, C = pc, Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k,
                TransA = transA, TransB = transB, Alpha = alpha, Beta = beta,
            };
            if (Vector512.IsHardwareAccelerated) Run<V512, Vector512<float>>(in args, pool, maxDegree);
            else if (Vector256.IsHardwareAccelerated) Run<V256, Vector256<float>>(in args, pool, maxDegree);
            else Run<V128, Vector128<float>>(in args, pool, maxDegree);
        }
    }

    /// <summary>The vector width in floats the kernel uses on this machine (16, 8 or 4).</summary>
    public static int VectorWidth =>
        Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    private static int Used(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (int)((long)(rows - 1) * ld + cols);

    private static void CheckMatrix(int length, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{ldName} = {ld} is less than the row length {cols} of {name} (stored [{rows}, {cols}]).", ldName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} has {length} elements; a stored [{rows}, {cols}] matrix with leading dimension {ld} needs {needed}.", name);
    }

    private unsafe struct Args
    {
        public float* A, B, C;
        public int Lda, Ldb, Ldc, M, N, K;
        public bool TransA, TransB;
        public float Alpha, Beta;
    }

    private static void Run<TOps, TVec>(in Args args, ComputePool pool, int maxDegree)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int nr = 2 * TOps.Count;
        int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
        long work = (long)args.M * args.N * args.K;
        if (degree <= 1 || work < pool.Options.ParallelWorkThreshold)
        {
            Compute<TOps, TVec>(in args, 0, args.M, 0, args.N);
            return;
        }
        // One chunk per thread: each chunk packs its own part of B. Rows when there are enough
        // row blocks for every thread, else columns in whole strips.
        int rowBlocks = (args.M + MR - 1) / MR;
        int strips = (args.N + nr - 1) / nr;
        bool byRows = rowBlocks >= degree || rowBlocks >= strips;
        int chunks = Math.Min(degree, byRows ? rowBlocks : strips);
        if (chunks <= 1)
        {
            Compute<TOps, TVec>(in args, 0, args.M, 0, args.N);
            return;
        }
        var region = Work<TOps, TVec>.Rent();
        region.Args = args;
        region.ByRows = byRows;
        region.Run(pool, byRows ? args.M : args.N, chunks, byRows ? MR : nr, maxDegree);
    }

    // Rows [i0, i1) and columns [j0, j1) of C.
    private static unsafe void Compute<TOps, TVec>(in Args g, int i0, int i1, int j0, int j1)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int nr = 2 * TOps.Count;
        int k = g.K;
        int panel = Math.Max(nr, PanelFloats / k / nr * nr);
        nint rs = g.TransA ? 1 : g.Lda, cs = g.TransA ? g.Lda : 1;
        var buffer = PackBuffer.Rent((long)Math.Min(panel, (j1 - j0 + nr - 1) / nr * nr) * k);
        fixed (float* packed = buffer)
        {
            for (int jp = j0; jp < j1; jp += panel)
            {
                int cols = Math.Min(panel, j1 - jp);
                int strips = (cols + nr - 1) / nr;
                Pack(in g, jp, cols, strips, nr, packed);
                int i = i0;
                for (; i + MR <= i1; i += MR)
                {
                    float* arow = g.A + i * rs;
                    for (int s = 0; s < strips; s++)
                        Kernel6<TOps, TVec>(k, arow, rs, cs, packed + (long)s * nr * k, g.C + (long)i * g.Ldc + jp + s * nr, g.Ldc,
                            Math.Min(nr, cols - s * nr), g.Alpha, g.Beta);
                }
                for (; i < i1; i++)
                {
                    float* arow = g.A + i * rs;
                    for (int s = 0; s < strips; s++)
                        Kernel1<TOps, TVec>(k, arow, cs, packed + (long)s * nr * k, g.C + (long)i * g.Ldc + jp + s * nr,
                            Math.Min(nr, cols - s * nr), g.Alpha, g.Beta);
                }
            }
        }
    }

    // Packs op(B)[:, jp .. jp + cols) into strips of nr columns, k-major, zero-padded.
    private static unsafe void Pack(in Args g, int jp, int cols, int strips, int nr, float* dst)
    {
        int k = g.K;
        for (int s = 0; s < strips; s++)
        {
            int j = jp + s * nr;
            int w = Math.Min(nr, cols - s * nr);
            float* d = dst + (long)s * nr * k;
            if (!g.TransB)
            {
                float* src = g.B + j;
                for (int p = 0; p < k; p++, d += nr, src += g.Ldb)
                {
                    new ReadOnlySpan<float>(src, w).CopyTo(new Span<float>(d, w));
                    if (w < nr) new Span<float>(d + w, nr - w).Clear();
                }
            }
            else
            {
                // op(B)[p, j + q] = B[j + q, p]: a transpose, 16 values of k at a time so the
                // writes stay within 16 rows of the strip (in L1) while each row of B is read in order.
                if (w < nr) new Span<float>(d, nr * k).Clear();
                for (int p0 = 0; p0 < k; p0 += 16)
                {
                    int pe = Math.Min(k, p0 + 16);
                    for (int q = 0; q < w; q++)
                    {
                        float* src = g.B + (long)(j + q) * g.Ldb;
                        float* dq = d + q;
                        for (int p = p0; p < pe; p++) dq[(long)p * nr] = src[p];
                    }
                }
            }
        }
    }

    // C[0..6, 0..cols) from 6 rows of A (element (r, p) at a[r * rs + p * cs]) and one packed strip.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel6<TOps, TVec>(int k, float* a, nint rs, nint cs, float* bp, float* c, nint ldc, int cols, float alpha, float beta)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int w = TOps.Count;
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        float* a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs, a4 = a + 4 * rs, a5 = a + 5 * rs;
        nint off = 0;
        for (int p = 0; p < k; p++, off += cs, bp += 2 * w)
        {
            TVec b0 = TOps.Load(bp), b1 = TOps.Load(bp + w);
            TVec x = TOps.Broadcast(a0[off]);
            c00 = TOps.MulAdd(x, b0, c00); c01 = TOps.MulAdd(x, b1, c01);
            x = TOps.Broadcast(a1[off]);
            c10 = TOps.MulAdd(x, b0, c10); c11 = TOps.MulAdd(x, b1, c11);
            x = TOps.Broadcast(a2[off]);
            c20 = TOps.MulAdd(x, b0, c20); c21 = TOps.MulAdd(x, b1, c21);
            x = TOps.Broadcast(a3[off]);
            c30 = TOps.MulAdd(x, b0, c30); c31 = TOps.MulAdd(x, b1, c31);
            x = TOps.Broadcast(a4[off]);
            c40 = TOps.MulAdd(x, b0, c40); c41 = TOps.MulAdd(x, b1, c41);
            x = TOps.Broadcast(a5[off]);
            c50 = TOps.MulAdd(x, b0, c50); c51 = TOps.MulAdd(x, b1, c51);
        }
        // The full-strip stores are inlined (no call keeps the accumulators alive); a partial
        // strip goes through a buffer and the scalar path.
        if (cols == 2 * w)
        {
            StoreFull<TOps, TVec>(c00, c01, c, alpha, beta);
            StoreFull<TOps, TVec>(c10, c11, c + ldc, alpha, beta);
            StoreFull<TOps, TVec>(c20, c21, c + 2 * ldc, alpha, beta);
            StoreFull<TOps, TVec>(c30, c31, c + 3 * ldc, alpha, beta);
            StoreFull<TOps, TVec>(c40, c41, c + 4 * ldc, alpha, beta);
            StoreFull<TOps, TVec>(c50, c51, c + 5 * ldc, alpha, beta);
        }
        else
        {
            float* t = stackalloc float[MR * 32];
            TOps.Store(t, c00); TOps.Store(t + w, c01);
            TOps.Store(t + 2 * w, c10); TOps.Store(t + 3 * w, c11);
            TOps.Store(t + 4 * w, c20); TOps.Store(t + 5 * w, c21);
            TOps.Store(t + 6 * w, c30); TOps.Store(t + 7 * w, c31);
            TOps.Store(t + 8 * w, c40); TOps.Store(t + 9 * w, c41);
            TOps.Store(t + 10 * w, c50); TOps.Store(t + 11 * w, c51);
            StorePartial(t, 2 * w, MR, c, ldc, cols, alpha, beta);
        }
    }

    // C[0, 0..cols) from one row of A and one packed strip: the same operations per element as Kernel6.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel1<TOps, TVec>(int k, float* a, nint cs, float* bp, float* c, int cols, float alpha, float beta)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int w = TOps.Count;
        TVec c0 = default, c1 = default;
        nint off = 0;
        for (int p = 0; p < k; p++, off += cs, bp += 2 * w)
        {
            TVec x = TOps.Broadcast(a[off]);
            c0 = TOps.MulAdd(x, TOps.Load(bp), c0);
            c1 = TOps.MulAdd(x, TOps.Load(bp + w), c1);
        }
        if (cols == 2 * w) StoreFull<TOps, TVec>(c0, c1, c, alpha, beta);
        else
        {
            float* t = stackalloc float[32];
            TOps.Store(t, c0);
            TOps.Store(t + w, c1);
            StorePartial(t, 2 * w, 1, c, 0, cols, alpha, beta);
        }
    }

    // c[0..2W) = alpha * acc + beta * c.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void StoreFull<TOps, TVec>(TVec lo, TVec hi, float* c, float alpha, float beta)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        TOps.Store(c, Update<TOps, TVec>(lo, c, alpha, beta));
        TOps.Store(c + TOps.Count, Update<TOps, TVec>(hi, c + TOps.Count, alpha, beta));
    }

    // rows x cols of C from the accumulators spilled to t (row stride tStride): the same
    // operations per element as the vector path (a multiply, a multiply, an add; no FMA).
    private static unsafe void StorePartial(float* t, int tStride, int rows, float* c, nint ldc, int cols, float alpha, float beta)
    {
        for (int r = 0; r < rows; r++, t += tStride, c += ldc)
        {
            for (int j = 0; j < cols; j++)
            {
                float v = t[j];
                if (alpha != 1) v *= alpha;
                if (beta != 0)
                {
                    float old = c[j];
                    if (beta != 1) old *= beta;
                    v += old;
                }
                c[j] = v;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe TVec Update<TOps, TVec>(TVec acc, float* c, float alpha, float beta)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        if (alpha != 1) acc = TOps.Multiply(acc, TOps.Broadcast(alpha));
        if (beta != 0)
        {
            TVec old = TOps.Load(c);
            if (beta != 1) old = TOps.Multiply(old, TOps.Broadcast(beta));
            acc = TOps.Add(acc, old);
        }
        return acc;
    }

    // The per-thread packing buffer, grown as needed and kept.
    private static class PackBuffer
    {
        [ThreadStatic] private static float[]? t_buffer;

        public static float[] Rent(long length)
        {
            if (length > Array.MaxLength) throw new ArgumentException($"The packed B panel would need {length} floats; k is too large.");
            var buffer = t_buffer;
            if (buffer is null || buffer.Length < length) t_buffer = buffer = new float[Math.Max(length, 1)];
            return buffer;
        }
    }

    // The cached work item of a threaded run: rows (or columns) [start, end).
    private sealed class Work<TOps, TVec> : ParallelRegion where TOps : struct, ISimd<TVec> where TVec : struct
    {
        [ThreadStatic] private static Work<TOps, TVec>? t_cached;
        public Args Args;
        public bool ByRows;

        public static Work<TOps, TVec> Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end)
        {
            if (ByRows) Compute<TOps, TVec>(in Args, (int)start, (int)end, 0, Args.N);
            else Compute<TOps, TVec>(in Args, 0, Args.M, (int)start, (int)end);
        }
    }

    // Vector operations the kernel is generic over (specialised per struct by the JIT).
    private interface ISimd<TVec> where TVec : struct
    {
        static abstract int Count { get; }
        static abstract unsafe TVec Load(float* p);
        static abstract unsafe void Store(float* p, TVec v);
        static abstract TVec Broadcast(float x);
        static abstract TVec MulAdd(TVec x, TVec y, TVec acc);
        static abstract TVec Multiply(TVec x, TVec y);
        static abstract TVec Add(TVec x, TVec y);
    }

    // Fused multiply-add when the hardware has it; otherwise a multiply then an add (never a
    // software FMA). The IsSupported checks are JIT-time constants.
    private readonly struct V512 : ISimd<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;
        public static unsafe Vector512<float> Load(float* p) => Vector512.Load(p);
        public static unsafe void Store(float* p, Vector512<float> v) => v.Store(p);
        public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
        public static Vector512<float> MulAdd(Vector512<float> x, Vector512<float> y, Vector512<float> acc) =>
            Fma.IsSupported ? Vector512.FusedMultiplyAdd(x, y, acc) : x * y + acc;
        public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;
        public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
    }

    private readonly struct V256 : ISimd<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;
        public static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
        public static unsafe void Store(float* p, Vector256<float> v) => v.Store(p);
        public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
        public static Vector256<float> MulAdd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
            Fma.IsSupported ? Vector256.FusedMultiplyAdd(x, y, acc) : x * y + acc;
        public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;
        public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
    }

    private readonly struct V128 : ISimd<Vector128<float>>
    {
        public static int Count => Vector128<float>.Count;
        public static unsafe Vector128<float> Load(float* p) => Vector128.Load(p);
        public static unsafe void Store(float* p, Vector128<float> v) => v.Store(p);
        public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
        public static Vector128<float> MulAdd(Vector128<float> x, Vector128<float> y, Vector128<float> acc) =>
            Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(x, y, acc) : x * y + acc;
        public static Vector128<float> Multiply(Vector128<float> x, Vector128<float> y) => x * y;
        public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;
    }
}
