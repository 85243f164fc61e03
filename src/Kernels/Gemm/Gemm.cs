// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// What <see cref="Gemm.Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, GemmEpilogue, ComputePool, int)"/>
/// applies to each element of C as it stores it: a bias per row or per column, then an optional Relu.
/// </summary>
/// <remarks>
/// Each element is computed as <c>v = alpha * acc + beta * C</c> (see <see cref="Gemm"/>), then
/// <c>v = v + RowBias[i]</c> (if given), <c>v = v + ColumnBias[j]</c> (if given), each one float
/// addition after the whole k sum (so an FC's <c>X W^T + b</c> rounds exactly as filling Y with b
/// and accumulating with <c>beta</c> = 1), then, with <see cref="Relu"/>,
/// <c>v = v &lt; 0 ? 0 : v</c>: NaN and -0.0 pass through unchanged, exactly as the Relu operator,
/// so a fused Relu is bit-identical to a separate one.
/// </remarks>
public readonly ref struct GemmEpilogue
{
    /// <summary>No bias, no activation.</summary>
    public static GemmEpilogue None => default;

    /// <summary>A bias per row of C (m values), or empty for none.</summary>
    public ReadOnlySpan<float> RowBias { get; init; }

    /// <summary>A bias per column of C (n values), or empty for none.</summary>
    public ReadOnlySpan<float> ColumnBias { get; init; }

    /// <summary>Replace negative results by 0 (<c>v &lt; 0 ? 0 : v</c>) after the biases.</summary>
    public bool Relu { get; init; }
}

/// <summary>
/// Single-precision general matrix multiply on row-major matrices:
/// <c>C = alpha * op(A) * op(B) + beta * C</c>, <c>op(X)</c> being X or its transpose, with an
/// optional fused bias and Relu (<see cref="GemmEpilogue"/>).
/// </summary>
/// <remarks>
/// <para><b>Algorithm (v2, after ONNX Runtime's MLAS SGEMM).</b> Let <c>W</c> be the floats per
/// vector (16 with AVX-512, 8 with AVX2, 4 otherwise) and <c>NR = 2 * W</c>. Columns of C are taken
/// in panels of <c>NC</c> columns and k in blocks of at most <see cref="KBlock"/> (256) values; for
/// each (panel, k block), the slice of <c>op(B)</c> is packed into strips of NR columns, k-major
/// (NR floats per k, the last strip zero-padded): with NC = 256 and a 256-deep block that is a
/// 256 KiB panel that stays in L2, each 32 KiB strip in L1 while it is used. Rows of C are then
/// taken 12 at a time (then 8, 6, 4, 3, 2, 1 for the remainder; see TileRows) and, for each strip, a register-tiled
/// micro-kernel keeps a rows x 2-vector block of C in up to 24 accumulators over the block: per k,
/// two packed B vectors, one broadcast of A per row (A read in place through <c>lda</c>, never
/// packed) and two multiply-adds per row. Between k blocks the raw sums are kept in C itself and
/// loaded back into the accumulators by the next block; the last block applies
/// <c>alpha</c>, <c>beta</c> and the epilogue on the store. A partial strip (the last columns)
/// is computed on the zero padding and only its valid columns are loaded and stored (with masked
/// loads and stores on AVX-512, element by element otherwise, with the same operations). When
/// <c>beta</c> != 0, C's old value is needed at the end, so k is not blocked (one block of k).</para>
/// <para><b>B in place.</b> A non-transposed B is not copied at all for its full strips: the
/// micro-kernel reads the 2W columns of each k row where they are (row p at <c>p * ldb</c>, through
/// a per-thread table of offsets), the strip's rows staying in L1 across the row blocks; only the
/// last, partial strip of a panel is packed. Packing costs one read and one write of K x N floats
/// per call, which with a small M (64, as in many convolutions) is a fifth of the time; ONNX
/// Runtime avoids it for a constant B by packing once at load. Same operations, same results.</para>
/// <para><b>Determinism.</b> Every element of C is <c>acc = 0; for p in 0..k: acc = a[i,p] * b[p,j] + acc</c>
/// (fused when the hardware has FMA, else a multiply then an add), in that order; storing a raw
/// sum between k blocks and loading it back is exact, so neither the block sizes nor which kernel,
/// lane, panel or thread computes the element change it. Then <c>v = acc</c>; <c>v = v * alpha</c>
/// unless alpha is 1; if beta != 0, <c>v = v + (beta == 1 ? C : C * beta)</c>; then the epilogue.
/// Work is split across threads only along m or n, never along k, so results are bit-identical
/// at every thread count. They may differ between machines (FMA or not) and from a BLAS that sums
/// in another order.</para>
/// <para><b>Threads.</b> As MLAS: columns when n &gt; m (each thread packs only its columns of B),
/// else rows (each thread packs all of B); one chunk per thread.</para>
/// <para><c>alpha</c> == 0 or <c>k</c> == 0 only scales C by <c>beta</c> (A and B are not read),
/// then applies the epilogue.</para>
/// </remarks>
public static partial class Gemm
{
    /// <summary>The most values of k in one packed block.</summary>
    public const int KBlock = 256;

    // Columns of C per packed panel (a multiple of every NR): KBlock * NBlock floats = 256 KiB.
    private const int NBlock = 256;

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
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        ComputePool pool, int maxDegree = int.MaxValue) =>
        Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, GemmEpilogue.None, pool, maxDegree);

    /// <summary>
    /// Computes <c>C = alpha * op(A) * op(B) + beta * C</c> on row-major matrices, then applies
    /// <paramref name="epilogue"/> (bias, Relu) to each element as it is stored.
    /// </summary>
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
    /// <param name="epilogue">Bias per row or column and Relu, applied on the store (see <see cref="GemmEpilogue"/>).</param>
    /// <param name="pool">Threads and thresholds.</param>
    /// <param name="maxDegree">Most threads to use, the caller included (capped by the pool).</param>
    /// <exception cref="ArgumentException">A size or leading dimension is invalid, a span is too short, a bias has the wrong length, or C overlaps A or B.</exception>
    public static unsafe void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        GemmEpilogue epilogue, ComputePool pool, int maxDegree = int.MaxValue)
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
        if (!epilogue.RowBias.IsEmpty && epilogue.RowBias.Length != m)
            throw new ArgumentException($"The row bias has {epilogue.RowBias.Length} values; C has {m} rows.", nameof(epilogue));
        if (!epilogue.ColumnBias.IsEmpty && epilogue.ColumnBias.Length != n)
            throw new ArgumentException($"The column bias has {epilogue.ColumnBias.Length} values; C has {n} columns.", nameof(epilogue));
        if (m == 0 || n == 0) return;
        long cUsed = (long)(m - 1) * ldc + n;
        var cRegion = c[..(int)cUsed];
        bool product = k > 0 && alpha != 0;
        if (product)
        {
            if (cRegion.Overlaps(a[..Used(transA ? k : m, transA ? m : k, lda)])) throw new ArgumentException("C overlaps A; the destination must be separate.", nameof(c));
            if (cRegion.Overlaps(b[..Used(transB ? n : k, transB ? k : n, ldb)])) throw new ArgumentException("C overlaps B; the destination must be separate.", nameof(c));
        }
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* prb = epilogue.RowBias)
        fixed (float* pcb = epilogue.ColumnBias)
        {
            var args = new Args
            {
                A = pa, C = pc, Lda = lda, Ldc = ldc, M = m, N = n, K = product ? k : 0, TransA = transA,
                Alpha = alpha, Beta = beta, RowBias = epilogue.RowBias.IsEmpty ? null : prb,
                ColumnBias = epilogue.ColumnBias.IsEmpty ? null : pcb, Relu = epilogue.Relu,
            };
            if (!product)
            {
                ScaleOnly(in args);
                return;
            }
            if (m == 1 && !transB && beta == 0)
            {
                // One row of C from a dense B (an FC at batch 1): stream B row by row.
                RowTimesMatrix(in args, pb, ldb, pool, maxDegree);
                return;
            }
            var packer = new DensePacker(pb, ldb, transB);
            Run(in args, packer, pool, maxDegree);
        }
    }

    /// <summary>The vector width in floats the kernel uses on this machine (16, 8 or 4).</summary>
    public static int VectorWidth =>
        Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4;

    /// <summary>True when the kernels' multiply-add is fused (one rounding), false when it is a multiply then an add.</summary>
    internal static bool FusesMultiplyAdd => Fma.IsSupported || (!Vector256.IsHardwareAccelerated && AdvSimd.IsSupported);

    private static int Used(int rows, int cols, int ld) => rows == 0 || cols == 0 ? 0 : (int)((long)(rows - 1) * ld + cols);

    private static void CheckMatrix(int length, int rows, int cols, int ld, string name, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{ldName} = {ld} is less than the row length {cols} of {name} (stored [{rows}, {cols}]).", ldName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} has {length} elements; a stored [{rows}, {cols}] matrix with leading dimension {ld} needs {needed}.", name);
    }

    // k == 0 or alpha == 0: C = beta * C (cleared when beta == 0), then the epilogue.
    private static unsafe void ScaleOnly(in Args g)
    {
        for (int i = 0; i < g.M; i++)
        {
            float* row = g.C + (long)i * g.Ldc;
            for (int j = 0; j < g.N; j++)
            {
                float v = 0;
                if (g.Beta != 0) v = g.Beta == 1 ? row[j] : row[j] * g.Beta;
                row[j] = Epilogue(v, in g, i, j);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe float Epilogue(float v, in Args g, int i, int j)
    {
        if (g.RowBias != null) v += g.RowBias[i];
        if (g.ColumnBias != null) v += g.ColumnBias[j];
        if (g.Relu && v < 0) v = 0;
        return v;
    }

    /// <summary>The operands of one multiply, B excepted (its packer supplies it).</summary>
    internal unsafe struct Args
    {
        public float* A, C, RowBias, ColumnBias;
        public int Lda, Ldc, M, N, K;
        public bool TransA, Relu;
        public float Alpha, Beta;
    }

    /// <summary>
    /// Runs <c>C = alpha * op(A) * B + beta * C</c> plus the epilogue with B supplied by
    /// <paramref name="packer"/>, on the widest accelerated vector width. K must be &gt; 0.
    /// </summary>
    internal static void Run<TPack>(in Args args, TPack packer, ComputePool pool, int maxDegree) where TPack : struct, IPackB
    {
        if (Vector512.IsHardwareAccelerated) Run<V512, Vector512<float>, TPack>(in args, packer, pool, maxDegree);
        else if (Vector256.IsHardwareAccelerated) Run<V256, Vector256<float>, TPack>(in args, packer, pool, maxDegree);
        else Run<V128, Vector128<float>, TPack>(in args, packer, pool, maxDegree);
    }

    private static void Run<TOps, TVec, TPack>(in Args args, TPack packer, ComputePool pool, int maxDegree)
        where TOps : struct, ISimd<TVec> where TVec : struct where TPack : struct, IPackB
    {
        int nr = 2 * TOps.Count;
        int degree = Math.Min(maxDegree, pool.MaxDegreeOfParallelism);
        long work = (long)args.M * args.N * args.K;
        if (degree <= 1 || work < pool.Options.ParallelWorkThreshold)
        {
            Compute<TOps, TVec, TPack>(in args, ref packer, 0, args.M, 0, args.N);
            return;
        }
        // One chunk per thread, as MLAS: columns when n > m (each thread packs only its part of
        // B), else rows; the other way when the preferred one has too few blocks for the threads.
        int rowBlocks = (args.M + 11) / 12;
        int strips = (args.N + nr - 1) / nr;
        bool byRows = args.N > args.M ? strips < degree && rowBlocks > strips : rowBlocks >= degree || rowBlocks >= strips;
        int chunks = Math.Min(degree, byRows ? rowBlocks : strips);
        if (chunks <= 1)
        {
            Compute<TOps, TVec, TPack>(in args, ref packer, 0, args.M, 0, args.N);
            return;
        }
        var region = Work<TOps, TVec, TPack>.Rent();
        region.Args = args;
        region.Packer = packer;
        region.ByRows = byRows;
        region.Run(pool, byRows ? args.M : args.N, chunks, byRows ? 12 : nr, maxDegree);
    }

    /// <summary>The k block size for <paramref name="k"/>: all of it when C's old value is read
    /// at the end (beta != 0), else blocks of at most <see cref="KBlock"/>, as even as possible.
    /// Depends only on k and beta, never on the thread split.</summary>
    private static int KcFor(int k, float beta)
    {
        if (beta != 0 || k <= KBlock) return k;
        int blocks = (k + KBlock - 1) / KBlock;
        return (k + blocks - 1) / blocks;
    }

    // Rows [i0, i1) and columns [j0, j1) of C. Fully optimised from the first call (its loops
    // would otherwise run unoptimised code until tier-up, which a short benchmark never reaches).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Compute<TOps, TVec, TPack>(in Args g, ref TPack packer, int i0, int i1, int j0, int j1)
        where TOps : struct, ISimd<TVec> where TVec : struct where TPack : struct, IPackB
    {
        int nr = 2 * TOps.Count;
        int k = g.K;
        int kc = KcFor(k, g.Beta);
        int nc = kc <= KBlock ? NBlock : Math.Max(nr, NBlock * KBlock / kc / nr * nr);
        nint rs = g.TransA ? 1 : g.Lda, cs = g.TransA ? g.Lda : 1;
        int width = Math.Min(nc, (j1 - j0 + nr - 1) / nr * nr);
        float* packed = ThreadBuffer<PackedPanel>.Floats((long)width * kc);
        bool inPlace = packer.TryInPlace(out float* bIn, out int ldbIn) && (long)kc * ldbIn <= int.MaxValue;
        int* off = null;
        if (inPlace)
        {
            off = ThreadBuffer<PackedPanel>.Ints(kc);
            for (int p = 0; p < kc; p++) off[p] = p * ldbIn;
        }
        for (int jp = j0; jp < j1; jp += nc)
        {
            int cols = Math.Min(nc, j1 - jp);
            int strips = (cols + nr - 1) / nr;
            for (int kp = 0; kp < k; kp += kc)
            {
                int kb = Math.Min(kc, k - kp);
                int flags = (kp == 0 ? First : 0) | (kp + kb == k ? Last : 0);
                // Full strips of a dense B are read where they are (no copy): the kernel's indirect
                // mode with off[p] = p * ldb. Only the last, partial strip is packed (its zero
                // padding must not be read past B's end).
                int direct = inPlace ? cols / nr : 0;
                if (direct < strips) packer.Pack(kp, kb, jp + direct * nr, cols - direct * nr, nr, packed);
                float* a = g.A + kp * cs;
                int i = i0;
                while (i < i1)
                {
                    int left = i1 - i;
                    int rows = TileRows(left);
                    float* arow = a + i * rs;
                    for (int s = 0; s < strips; s++)
                    {
                        int j = jp + s * nr;
                        float* c = g.C + (long)i * g.Ldc + j;
                        int w = Math.Min(nr, cols - s * nr);
                        if (s < direct) Tile<TOps, TVec, IndirectB>(rows, kb, arow, rs, cs, bIn + (long)kp * ldbIn + j, off, c, g.Ldc, w, flags, in g, i, j);
                        else Tile<TOps, TVec, Packed>(rows, kb, arow, rs, cs, packed + (long)(s - direct) * nr * kb, null, c, g.Ldc, w, flags, in g, i, j);
                    }
                    i += rows;
                }
            }
        }
    }

    private const int First = 1, Last = 2;

    // Names the per-thread packed B panel and its k-offset table (ThreadBuffer).
    private struct PackedPanel;

    // Rows of a micro-kernel, a JIT-time constant: the code for absent rows is removed.
    private interface IRows { static abstract int Value { get; } }
    private readonly struct R12 : IRows { public static int Value => 12; }
    private readonly struct R8 : IRows { public static int Value => 8; }
    private readonly struct R6 : IRows { public static int Value => 6; }
    private readonly struct R4 : IRows { public static int Value => 4; }
    private readonly struct R3 : IRows { public static int Value => 3; }
    private readonly struct R2 : IRows { public static int Value => 2; }
    private readonly struct R1 : IRows { public static int Value => 1; }

    // C[0..R, 0..cols) (C's row 0 is row i, column 0 is column j of the whole C) from R rows of A
    // (element (r, p) at a[r * rs + p * cs]) and one packed strip of kb values of k. flags: First
    // (start from 0, else from the raw sums in C), Last (apply alpha, beta and the epilogue, else
    // store the raw sums). Accumulators are separate locals (never an array: that would put them
    // on the stack); rows beyond R are dead code for the JIT.
    // Where the micro-kernel reads B: packed strips (bp advancing by 2W per k) or, indirect, the
    // 2W consecutive floats at bp + off[p] (a convolution's padded input; see Convolution).
    private interface IBSource { static abstract bool Indirect { get; } }
    private readonly struct Packed : IBSource { public static bool Indirect => false; }
    private readonly struct IndirectB : IBSource { public static bool Indirect => true; }

    /// <summary>
    /// The micro-kernels over an indirect B: rows [i, i + rows) (rows &lt;= 12) of C, columns
    /// [j, j + cols) (cols &lt;= 2W), with <c>B[p, q] = b[off[p] + q]</c> for p in [0, kb). The
    /// same per-element operations as the packed path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void IndirectTile<TOps, TVec>(int rows, int kb, float* a, nint lda, float* b, int* off, float* c, nint ldc, int cols, bool first, bool last, in Args g, int i, int j)
        where TOps : struct, ISimd<TVec> where TVec : struct
    {
        int flags = (first ? First : 0) | (last ? Last : 0);
        Tile<TOps, TVec, IndirectB>(rows, kb, a, lda, 1, b, off, c, ldc, cols, flags, in g, i, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile<TOps, TVec, TB>(int rows, int kb, float* a, nint rs, nint cs, float* bp, int* off, float* c, nint ldc, int cols, int flags, in Args g, int i, int j)
        where TOps : struct, ISimd<TVec> where TVec : struct where TB : struct, IBSource
    {
        // A tail of at most W columns runs one vector per row (half the multiply-adds), as MLAS.
        if (cols > TOps.Count) Tile<TOps, TVec, TB, R2>(rows, kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j);
        else Tile<TOps, TVec, TB, R1>(rows, kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Tile<TOps, TVec, TB, TV>(int rows, int kb, float* a, nint rs, nint cs, float* bp, int* off, float* c, nint ldc, int cols, int flags, in Args g, int i, int j)
        where TOps : struct, ISimd<TVec> where TVec : struct where TB : struct, IBSource where TV : struct, IRows
    {
        switch (rows)
        {
            case 12: Kernel<TOps, TVec, R12, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
            case 8: Kernel<TOps, TVec, R8, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
            case 6: Kernel<TOps, TVec, R6, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
            case 4: Kernel<TOps, TVec, R4, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
            case 3: Kernel<TOps, TVec, R3, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
            case 2: Kernel<TOps, TVec, R2, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
            default: Kernel<TOps, TVec, R1, TB, TV>(kb, a, rs, cs, bp, off, c, ldc, cols, flags, in g, i, j); break;
        }
    }

    /// <summary>
    /// Rows of the micro-kernel call for <paramref name="left"/> rows still to do: 12 (but 8 + 8
    /// for the last 16, so M = 16, 64, 256, 1024 end in two 8-row tiles rather than a 12 and a
    /// thin 4), then 8, 6, 4, then what is left.
    /// </summary>
    internal static int TileRows(int left) => left >= 12 ? (left == 16 ? 8 : 12) : left >= 8 ? 8 : left >= 6 ? 6 : left >= 4 ? 4 : left;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Kernel<TOps, TVec, TRows, TB, TV>(int kb, float* a, nint rs, nint cs, float* bp, int* off, float* c, nint ldc, int cols, int flags, in Args g, int i, int j)
        where TOps : struct, ISimd<TVec> where TVec : struct where TRows : struct, IRows where TB : struct, IBSource where TV : struct, IRows
    {
        int w = TOps.Count;
        int n0 = Math.Min(cols, w), n1 = cols - n0;
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        TVec c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        TVec c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        if ((flags & First) == 0)
        {
            c00 = TOps.LoadN(c, n0); if (TV.Value > 1) c01 = TOps.LoadN(c + w, n1);
            if (TRows.Value > 1) { c10 = TOps.LoadN(c + ldc, n0); if (TV.Value > 1) c11 = TOps.LoadN(c + ldc + w, n1); }
            if (TRows.Value > 2) { c20 = TOps.LoadN(c + 2 * ldc, n0); if (TV.Value > 1) c21 = TOps.LoadN(c + 2 * ldc + w, n1); }
            if (TRows.Value > 3) { c30 = TOps.LoadN(c + 3 * ldc, n0); if (TV.Value > 1) c31 = TOps.LoadN(c + 3 * ldc + w, n1); }
            if (TRows.Value > 4) { c40 = TOps.LoadN(c + 4 * ldc, n0); if (TV.Value > 1) c41 = TOps.LoadN(c + 4 * ldc + w, n1); }
            if (TRows.Value > 5) { c50 = TOps.LoadN(c + 5 * ldc, n0); if (TV.Value > 1) c51 = TOps.LoadN(c + 5 * ldc + w, n1); }
            if (TRows.Value > 6) { c60 = TOps.LoadN(c + 6 * ldc, n0); if (TV.Value > 1) c61 = TOps.LoadN(c + 6 * ldc + w, n1); }
            if (TRows.Value > 7) { c70 = TOps.LoadN(c + 7 * ldc, n0); if (TV.Value > 1) c71 = TOps.LoadN(c + 7 * ldc + w, n1); }
            if (TRows.Value > 8) { c80 = TOps.LoadN(c + 8 * ldc, n0); if (TV.Value > 1) c81 = TOps.LoadN(c + 8 * ldc + w, n1); }
            if (TRows.Value > 9) { c90 = TOps.LoadN(c + 9 * ldc, n0); if (TV.Value > 1) c91 = TOps.LoadN(c + 9 * ldc + w, n1); }
            if (TRows.Value > 10) { ca0 = TOps.LoadN(c + 10 * ldc, n0); if (TV.Value > 1) ca1 = TOps.LoadN(c + 10 * ldc + w, n1); }
            if (TRows.Value > 11) { cb0 = TOps.LoadN(c + 11 * ldc, n0); if (TV.Value > 1) cb1 = TOps.LoadN(c + 11 * ldc + w, n1); }
        }
        // Row pointers at rows 0, 3, 6, 9; rows +1 and +2 through the byte offsets r1 and r2 (one
        // addressing mode each), and a byte step per k: nothing is recomputed in the loop. Each row
        // (and the second vector) is guarded by a JIT-time constant, so a kernel of R rows holds only
        // R rows' code.
        byte* a0 = (byte*)a, a3 = (byte*)(a + 3 * rs), a6 = (byte*)(a + 6 * rs), a9 = (byte*)(a + 9 * rs);
        nint r1 = rs * sizeof(float), r2 = 2 * rs * sizeof(float), step = cs * sizeof(float);
        // Counted down, and the offsets walked by pointer: one register fewer than p < kb and off[p].
        for (int p = kb; p > 0; p--)
        {
            TVec b0, b1 = default;
            if (TB.Indirect)
            {
                float* bq = bp + *off++;
                b0 = TOps.Load(bq);
                if (TV.Value > 1) b1 = TOps.Load(bq + w);
            }
            else
            {
                b0 = TOps.Load(bp);
                if (TV.Value > 1) b1 = TOps.Load(bp + w);
                bp += 2 * w;
            }
            TVec x;
            x = TOps.Broadcast(*(float*)a0); c00 = TOps.MulAdd(x, b0, c00); if (TV.Value > 1) c01 = TOps.MulAdd(x, b1, c01);
            if (TRows.Value > 1) { x = TOps.Broadcast(*(float*)(a0 + r1)); c10 = TOps.MulAdd(x, b0, c10); if (TV.Value > 1) c11 = TOps.MulAdd(x, b1, c11); }
            if (TRows.Value > 2) { x = TOps.Broadcast(*(float*)(a0 + r2)); c20 = TOps.MulAdd(x, b0, c20); if (TV.Value > 1) c21 = TOps.MulAdd(x, b1, c21); }
            if (TRows.Value > 3) { x = TOps.Broadcast(*(float*)a3); c30 = TOps.MulAdd(x, b0, c30); if (TV.Value > 1) c31 = TOps.MulAdd(x, b1, c31); }
            if (TRows.Value > 4) { x = TOps.Broadcast(*(float*)(a3 + r1)); c40 = TOps.MulAdd(x, b0, c40); if (TV.Value > 1) c41 = TOps.MulAdd(x, b1, c41); }
            if (TRows.Value > 5) { x = TOps.Broadcast(*(float*)(a3 + r2)); c50 = TOps.MulAdd(x, b0, c50); if (TV.Value > 1) c51 = TOps.MulAdd(x, b1, c51); }
            if (TRows.Value > 6) { x = TOps.Broadcast(*(float*)a6); c60 = TOps.MulAdd(x, b0, c60); if (TV.Value > 1) c61 = TOps.MulAdd(x, b1, c61); }
            if (TRows.Value > 7) { x = TOps.Broadcast(*(float*)(a6 + r1)); c70 = TOps.MulAdd(x, b0, c70); if (TV.Value > 1) c71 = TOps.MulAdd(x, b1, c71); }
            if (TRows.Value > 8) { x = TOps.Broadcast(*(float*)(a6 + r2)); c80 = TOps.MulAdd(x, b0, c80); if (TV.Value > 1) c81 = TOps.MulAdd(x, b1, c81); }
            if (TRows.Value > 9) { x = TOps.Broadcast(*(float*)a9); c90 = TOps.MulAdd(x, b0, c90); if (TV.Value > 1) c91 = TOps.MulAdd(x, b1, c91); }
            if (TRows.Value > 10) { x = TOps.Broadcast(*(float*)(a9 + r1)); ca0 = TOps.MulAdd(x, b0, ca0); if (TV.Value > 1) ca1 = TOps.MulAdd(x, b1, ca1); }
            if (TRows.Value > 11) { x = TOps.Broadcast(*(float*)(a9 + r2)); cb0 = TOps.MulAdd(x, b0, cb0); if (TV.Value > 1) cb1 = TOps.MulAdd(x, b1, cb1); }
            a0 += step;
            if (TRows.Value > 3) a3 += step;
            if (TRows.Value > 6) a6 += step;
            if (TRows.Value > 9) a9 += step;
        }
        if ((flags & Last) == 0)
        {
            TOps.StoreN(c, c00, n0); if (TV.Value > 1) TOps.StoreN(c + w, c01, n1);
            if (TRows.Value > 1) { TOps.StoreN(c + ldc, c10, n0); if (TV.Value > 1) TOps.StoreN(c + ldc + w, c11, n1); }
            if (TRows.Value > 2) { TOps.StoreN(c + 2 * ldc, c20, n0); if (TV.Value > 1) TOps.StoreN(c + 2 * ldc + w, c21, n1); }
            if (TRows.Value > 3) { TOps.StoreN(c + 3 * ldc, c30, n0); if (TV.Value > 1) TOps.StoreN(c + 3 * ldc + w, c31, n1); }
            if (TRows.Value > 4) { TOps.StoreN(c + 4 * ldc, c40, n0); if (TV.Value > 1) TOps.StoreN(c + 4 * ldc + w, c41, n1); }
            if (TRows.Value > 5) { TOps.StoreN(c + 5 * ldc, c50, n0); if (TV.Value > 1) TOps.StoreN(c + 5 * ldc + w, c51, n1); }
            if (TRows.Value > 6) { TOps.StoreN(c + 6 * ldc, c60, n0); if (TV.Value > 1) TOps.StoreN(c + 6 * ldc + w, c61, n1); }
            if (TRows.Value > 7) { TOps.StoreN(c + 7 * ldc, c70, n0); if (TV.Value > 1) TOps.StoreN(c + 7 * ldc + w, c71, n1); }
            if (TRows.Value > 8) { TOps.StoreN(c + 8 * ldc, c80, n0); if (TV.Value > 1) TOps.StoreN(c + 8 * ldc + w, c81, n1); }
            if (TRows.Value > 9) { TOps.StoreN(c + 9 * ldc, c90, n0); if (TV.Value > 1) TOps.StoreN(c + 9 * ldc + w, c91, n1); }
            if (TRows.Value > 10) { TOps.StoreN(c + 10 * ldc, ca0, n0); if (TV.Value > 1) TOps.StoreN(c + 10 * ldc + w, ca1, n1); }
            if (TRows.Value > 11) { TOps.StoreN(c + 11 * ldc, cb0, n0); if (TV.Value > 1) TOps.StoreN(c + 11 * ldc + w, cb1, n1); }
            return;
        }
        var e = new Finish<TOps, TVec>(in g, j, n0, n1);
        e.Row(c00, c01, c, i, TV.Value > 1);
        if (TRows.Value > 1) { e.Row(c10, c11, c + ldc, i + 1, TV.Value > 1); }
        if (TRows.Value > 2) { e.Row(c20, c21, c + 2 * ldc, i + 2, TV.Value > 1); }
        if (TRows.Value > 3) { e.Row(c30, c31, c + 3 * ldc, i + 3, TV.Value > 1); }
        if (TRows.Value > 4) { e.Row(c40, c41, c + 4 * ldc, i + 4, TV.Value > 1); }
        if (TRows.Value > 5) { e.Row(c50, c51, c + 5 * ldc, i + 5, TV.Value > 1); }
        if (TRows.Value > 6) { e.Row(c60, c61, c + 6 * ldc, i + 6, TV.Value > 1); }
        if (TRows.Value > 7) { e.Row(c70, c71, c + 7 * ldc, i + 7, TV.Value > 1); }
        if (TRows.Value > 8) { e.Row(c80, c81, c + 8 * ldc, i + 8, TV.Value > 1); }
        if (TRows.Value > 9) { e.Row(c90, c91, c + 9 * ldc, i + 9, TV.Value > 1); }
        if (TRows.Value > 10) { e.Row(ca0, ca1, c + 10 * ldc, i + 10, TV.Value > 1); }
        if (TRows.Value > 11) { e.Row(cb0, cb1, c + 11 * ldc, i + 11, TV.Value > 1); }
    }

    // The last block's store of one row of a tile: v = alpha * acc (+ beta * C) (+ row bias)
    // (+ column bias), then Relu; vector operations lane by lane, the same as the scalar Epilogue.
    private readonly unsafe ref struct Finish<TOps, TVec> where TOps : struct, ISimd<TVec> where TVec : struct
    {
        private readonly float _alpha, _beta;
        private readonly float* _rowBias;
        private readonly bool _relu, _hasColumnBias;
        private readonly TVec _cb0, _cb1;
        private readonly int _n0, _n1;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Finish(in Args g, int j, int n0, int n1)
        {
            _alpha = g.Alpha;
            _beta = g.Beta;
            _rowBias = g.RowBias;
            _relu = g.Relu;
            _n0 = n0;
            _n1 = n1;
            _hasColumnBias = g.ColumnBias != null;
            if (_hasColumnBias)
            {
                _cb0 = TOps.LoadN(g.ColumnBias + j, n0);
                _cb1 = TOps.LoadN(g.ColumnBias + j + TOps.Count, n1);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Row(TVec lo, TVec hi, float* c, int i, bool two)
        {
            int w = TOps.Count;
            if (_alpha != 1)
            {
                TVec s = TOps.Broadcast(_alpha);
                lo = TOps.Multiply(lo, s);
                hi = TOps.Multiply(hi, s);
            }
            if (_beta != 0)
            {
                TVec o0 = TOps.LoadN(c, _n0), o1 = TOps.LoadN(c + w, _n1);
                if (_beta != 1)
                {
                    TVec s = TOps.Broadcast(_beta);
                    o0 = TOps.Multiply(o0, s);
                    o1 = TOps.Multiply(o1, s);
                }
                lo = TOps.Add(lo, o0);
                hi = TOps.Add(hi, o1);
            }
            if (_rowBias != null)
            {
                TVec rb = TOps.Broadcast(_rowBias[i]);
                lo = TOps.Add(lo, rb);
                hi = TOps.Add(hi, rb);
            }
            if (_hasColumnBias)
            {
                lo = TOps.Add(lo, _cb0);
                hi = TOps.Add(hi, _cb1);
            }
            if (_relu)
            {
                lo = TOps.Relu(lo);
                hi = TOps.Relu(hi);
            }
            TOps.StoreN(c, lo, _n0);
            if (two) TOps.StoreN(c + w, hi, _n1); // a one-vector tile has no second half (n1 = 0)
        }
    }

    /// <summary>Packs a block of <c>op(B)</c> for the micro-kernels.</summary>
    internal interface IPackB
    {
        /// <summary>
        /// Writes <c>op(B)[kp .. kp + kc, jp .. jp + cols)</c> to <paramref name="dst"/> as
        /// <c>ceil(cols / nr)</c> strips of <paramref name="nr"/> columns, each k-major
        /// (<paramref name="nr"/> floats per k, strip s at <c>dst + s * nr * kc</c>), the columns
        /// past <paramref name="cols"/> in the last strip zero.
        /// </summary>
        unsafe void Pack(int kp, int kc, int jp, int cols, int nr, float* dst);

        /// <summary>True, with B's address and leading dimension, when op(B) is a dense row-major
        /// matrix the kernel may read in place; false when it must be packed.</summary>
        unsafe bool TryInPlace(out float* b, out int ldb);
    }

    // B as a dense row-major matrix, or its transpose.
    internal readonly unsafe struct DensePacker(float* b, int ldb, bool transB) : IPackB
    {
        public bool TryInPlace(out float* bIn, out int ldbIn)
        {
            bIn = b;
            ldbIn = ldb;
            return !transB;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Pack(int kp, int kc, int jp, int cols, int nr, float* dst)
        {
            int strips = (cols + nr - 1) / nr;
            for (int s = 0; s < strips; s++)
            {
                int j = jp + s * nr;
                int w = Math.Min(nr, cols - s * nr);
                float* d = dst + (long)s * nr * kc;
                if (!transB)
                {
                    float* src = b + (long)kp * ldb + j;
                    if (w == nr) CopyRows(src, ldb, d, nr, kc);
                    else
                    {
                        for (int p = 0; p < kc; p++, d += nr, src += ldb)
                        {
                            for (int q = 0; q < w; q++) d[q] = src[q];
                            for (int q = w; q < nr; q++) d[q] = 0;
                        }
                    }
                }
                else
                {
                    // op(B)[p, j + q] = B[j + q, p]: a transpose, 16 values of k at a time so the
                    // writes stay within 16 rows of the strip (in L1) while each row of B is read in order.
                    if (w < nr) new Span<float>(d, nr * kc).Clear();
                    for (int p0 = 0; p0 < kc; p0 += 16)
                    {
                        int pe = Math.Min(kc, p0 + 16);
                        for (int q = 0; q < w; q++)
                        {
                            float* src = b + (long)(j + q) * ldb + kp;
                            float* dq = d + q;
                            for (int p = p0; p < pe; p++) dq[(long)p * nr] = src[p];
                        }
                    }
                }
            }
        }
    }

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="nr"/> floats (a whole strip
    /// row) from a strided source to consecutive rows of the strip.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void CopyRows(float* src, nint ld, float* d, int nr, int rows)
    {
        if (nr == 32 && Vector512.IsHardwareAccelerated)
        {
            for (int p = 0; p < rows; p++, d += 32, src += ld)
            {
                Vector512.Load(src).Store(d);
                Vector512.Load(src + 16).Store(d + 16);
            }
        }
        else if (nr == 16 && Vector256.IsHardwareAccelerated)
        {
            for (int p = 0; p < rows; p++, d += 16, src += ld)
            {
                Vector256.Load(src).Store(d);
                Vector256.Load(src + 8).Store(d + 8);
            }
        }
        else
        {
            for (int p = 0; p < rows; p++, d += nr, src += ld)
                for (int q = 0; q < nr; q++) d[q] = src[q];
        }
    }

    // The per-thread packing buffer, 64-byte aligned, grown as needed and kept (pinned, so its
    // address is stable; freed with the thread).
    // The cached work item of a threaded run: rows (or columns) [start, end).
    private sealed class Work<TOps, TVec, TPack> : ParallelRegion
        where TOps : struct, ISimd<TVec> where TVec : struct where TPack : struct, IPackB
    {
        [ThreadStatic] private static Work<TOps, TVec, TPack>? t_cached;
        public Args Args;
        public TPack Packer;
        public bool ByRows;

        public static Work<TOps, TVec, TPack> Rent() => t_cached ??= new();

        protected override void RunRange(long start, long end)
        {
            var packer = Packer;
            if (ByRows) Compute<TOps, TVec, TPack>(in Args, ref packer, (int)start, (int)end, 0, Args.N);
            else Compute<TOps, TVec, TPack>(in Args, ref packer, 0, Args.M, (int)start, (int)end);
        }
    }

    // Vector operations the kernel is generic over (specialised per struct by the JIT).
    internal interface ISimd<TVec> where TVec : struct
    {
        static abstract int Count { get; }
        static abstract unsafe TVec Load(float* p);
        static abstract unsafe void Store(float* p, TVec v);
        // The first n (0..Count) floats at p, zeros above; reads nothing past p + n.
        static abstract unsafe TVec LoadN(float* p, int n);
        // Stores the first n (0..Count) lanes; writes nothing past p + n.
        static abstract unsafe void StoreN(float* p, TVec v, int n);
        static abstract TVec Broadcast(float x);
        static abstract TVec MulAdd(TVec x, TVec y, TVec acc);
        static abstract TVec Multiply(TVec x, TVec y);
        static abstract TVec Add(TVec x, TVec y);
        // x < 0 ? 0 : x per lane (NaN and -0 unchanged).
        static abstract TVec Relu(TVec x);
    }

    // Fused multiply-add when the hardware has it; otherwise a multiply then an add (never a
    // software FMA). The IsSupported checks are JIT-time constants. Partial loads and stores use
    // AVX-512 masks; the narrower widths go element by element through a stack copy.
    internal readonly struct V512 : ISimd<Vector512<float>>
    {
        public static int Count => Vector512<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> Load(float* p) => Vector512.Load(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Store(float* p, Vector512<float> v) => v.Store(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector512<float> LoadN(float* p, int n)
        {
            if (n == 16) return Vector512.Load(p);
            if (Avx512F.IsSupported)
                return Avx512F.MaskLoad(p, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle(), Vector512<float>.Zero);
            return LoadSlow(p, n);
        }

        private static unsafe Vector512<float> LoadSlow(float* p, int n)
        {
            float* t = stackalloc float[16];
            for (int q = 0; q < 16; q++) t[q] = q < n ? p[q] : 0f;
            return Vector512.Load(t);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void StoreN(float* p, Vector512<float> v, int n)
        {
            if (n == 16) v.Store(p);
            else if (Avx512F.IsSupported) Avx512F.MaskStore(p, Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(n)).AsSingle(), v);
            else StoreSlow(p, v, n);
        }

        private static unsafe void StoreSlow(float* p, Vector512<float> v, int n)
        {
            for (int q = 0; q < n; q++) p[q] = v.GetElement(q);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float x) => Vector512.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MulAdd(Vector512<float> x, Vector512<float> y, Vector512<float> acc) =>
            Fma.IsSupported ? Vector512.FusedMultiplyAdd(x, y, acc) : x * y + acc;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Multiply(Vector512<float> x, Vector512<float> y) => x * y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Add(Vector512<float> x, Vector512<float> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Relu(Vector512<float> x) =>
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), Vector512<float>.Zero, x);
    }

    internal readonly struct V256 : ISimd<Vector256<float>>
    {
        public static int Count => Vector256<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> Load(float* p) => Vector256.Load(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Store(float* p, Vector256<float> v) => v.Store(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector256<float> LoadN(float* p, int n) => n == 8 ? Vector256.Load(p) : LoadSlow(p, n);

        private static unsafe Vector256<float> LoadSlow(float* p, int n)
        {
            float* t = stackalloc float[8];
            for (int q = 0; q < 8; q++) t[q] = q < n ? p[q] : 0f;
            return Vector256.Load(t);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void StoreN(float* p, Vector256<float> v, int n)
        {
            if (n == 8) v.Store(p);
            else StoreSlow(p, v, n);
        }

        private static unsafe void StoreSlow(float* p, Vector256<float> v, int n)
        {
            for (int q = 0; q < n; q++) p[q] = v.GetElement(q);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float x) => Vector256.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MulAdd(Vector256<float> x, Vector256<float> y, Vector256<float> acc) =>
            Fma.IsSupported ? Vector256.FusedMultiplyAdd(x, y, acc) : x * y + acc;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Multiply(Vector256<float> x, Vector256<float> y) => x * y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Add(Vector256<float> x, Vector256<float> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Relu(Vector256<float> x) =>
            Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<float>.Zero), Vector256<float>.Zero, x);
    }

    internal readonly struct V128 : ISimd<Vector128<float>>
    {
        public static int Count => Vector128<float>.Count;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector128<float> Load(float* p) => Vector128.Load(p);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void Store(float* p, Vector128<float> v) => v.Store(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe Vector128<float> LoadN(float* p, int n) => n == 4 ? Vector128.Load(p) : LoadSlow(p, n);

        private static unsafe Vector128<float> LoadSlow(float* p, int n)
        {
            float* t = stackalloc float[4];
            for (int q = 0; q < 4; q++) t[q] = q < n ? p[q] : 0f;
            return Vector128.Load(t);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static unsafe void StoreN(float* p, Vector128<float> v, int n)
        {
            if (n == 4) v.Store(p);
            else StoreSlow(p, v, n);
        }

        private static unsafe void StoreSlow(float* p, Vector128<float> v, int n)
        {
            for (int q = 0; q < n; q++) p[q] = v.GetElement(q);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Broadcast(float x) => Vector128.Create(x);
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> MulAdd(Vector128<float> x, Vector128<float> y, Vector128<float> acc) =>
            Fma.IsSupported || AdvSimd.IsSupported ? Vector128.FusedMultiplyAdd(x, y, acc) : x * y + acc;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Multiply(Vector128<float> x, Vector128<float> y) => x * y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Add(Vector128<float> x, Vector128<float> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<float> Relu(Vector128<float> x) =>
            Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<float>.Zero), Vector128<float>.Zero, x);
    }
}
