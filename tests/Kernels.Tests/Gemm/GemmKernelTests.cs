using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Kernels.Tests.Gemm;

/// <summary>
/// The SGEMM kernel against a naive triple loop in double. Named "Kernel" so CI reruns it per SIMD tier.
/// </summary>
public class GemmKernelTests
{
    private static readonly int[] Sizes = [1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 64, 100];

    // Stored [rows, cols] with leading dimension ld, random in [-1, 1); the padding holds a sentinel.
    private static float[] RandomMatrix(Random rng, int rows, int cols, int ld, float pad = 12345f)
    {
        var x = new float[Math.Max(1, rows * ld)];
        Array.Fill(x, pad);
        for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++) x[r * ld + q] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static void CheckAgainstReference(bool transA, bool transB, int m, int n, int k, float alpha, float[] a, int lda,
        float[] b, int ldb, float beta, float[] c0, float[] c, int ldc, string label)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double prod = (double)(transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                    sum += prod;
                    magnitude += Math.Abs(prod);
                }
                double expected = alpha * sum;
                magnitude *= Math.Abs(alpha);
                if (beta != 0)
                {
                    expected += (double)beta * c0[i * ldc + j];
                    magnitude += Math.Abs((double)beta * c0[i * ldc + j]);
                }
                float actual = c[i * ldc + j];
                Assert.True(Math.Abs(actual - expected) <= 1e-5 * magnitude + 1e-30,
                    $"{label}: C[{i}, {j}] = {actual:R}, expected {expected:R} (sum |products| {magnitude:R})");
            }
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                Assert.True(c0[i * ldc + j].Equals(c[i * ldc + j]), $"{label}: padding C[{i}, {j}] was written");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void EveryShape_MatchesTheNaiveProduct(bool transA, bool transB)
    {
        var rng = new Random(17 + (transA ? 2 : 0) + (transB ? 1 : 0));
        (float Alpha, float Beta)[] scales = [(1, 0), (1, 1), (0.5f, -1.5f), (-2, 0), (1, 0.25f)];
        int index = 0;
        foreach (int m in Sizes)
            foreach (int n in Sizes)
                foreach (int k in Sizes)
                {
                    var (alpha, beta) = scales[index++ % scales.Length];
                    int extra = index % 3 == 0 ? 3 : 0; // every third case has leading dimensions longer than the rows
                    int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
                    int lda = aCols + extra, ldb = bCols + extra, ldc = n + extra;
                    var a = RandomMatrix(rng, aRows, aCols, lda);
                    var b = RandomMatrix(rng, bRows, bCols, ldb);
                    var c0 = RandomMatrix(rng, m, n, ldc);
                    if (beta == 0) for (int i = 0; i < m; i++) c0.AsSpan(i * ldc, n).Fill(float.NaN);
                    var c = (float[])c0.Clone();
                    Kernels.Gemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ComputePool.Serial);
                    CheckAgainstReference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, c, ldc,
                        $"transA {transA}, transB {transB}, m {m}, n {n}, k {k}, alpha {alpha}, beta {beta}, extra {extra}");
                }
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void ThreadCounts_GiveBitIdenticalResults(bool transA, bool transB)
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 3, ParallelWorkThreshold = 1 });
        var rng = new Random(5);
        int[] sizes = [1, 7, 17, 33, 100];
        foreach (int m in sizes)
            foreach (int n in sizes)
                foreach (int k in new[] { 1, 31, 100 })
                {
                    int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 1;
                    var a = RandomMatrix(rng, transA ? k : m, transA ? m : k, lda);
                    var b = RandomMatrix(rng, transB ? n : k, transB ? k : n, ldb);
                    var c0 = RandomMatrix(rng, m, n, ldc);
                    float[]? first = null;
                    foreach (int threads in new[] { 1, 2, 3 })
                    {
                        var c = (float[])c0.Clone();
                        Kernels.Gemm.Multiply(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c, ldc, pool, threads);
                        if (first is null)
                        {
                            CheckAgainstReference(transA, transB, m, n, k, 0.75f, a, lda, b, ldb, 0.5f, c0, c, ldc, $"m {m}, n {n}, k {k}");
                            first = c;
                        }
                        else
                        {
                            for (int e = 0; e < c.Length; e++)
                                Assert.True(BitConverter.SingleToInt32Bits(first[e]) == BitConverter.SingleToInt32Bits(c[e]),
                                    $"m {m}, n {n}, k {k}, {threads} threads: element {e} is {c[e]:R}, 1 thread gave {first[e]:R}");
                        }
                    }
                }
    }

    // Shapes around the blocking: k across KBlock (256) boundaries, m % 12 remainders 0..11, n
    // tails around the 2-vector strip widths 8, 16 and 32 and the 256-column panel.
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void BlockEdges_MatchTheNaiveProduct(bool transA, bool transB)
    {
        var rng = new Random(29 + (transA ? 2 : 0) + (transB ? 1 : 0));
        (int M, int N, int K)[] shapes =
        [
            (12, 32, 256), (13, 33, 257), (24, 31, 511), (23, 17, 513), (11, 9, 300), (10, 40, 700), (9, 257, 260),
            (8, 263, 255), (7, 300, 2), (5, 65, 1000), (4, 48, 512), (3, 1, 777), (2, 95, 256), (1, 129, 600),
            (25, 7, 768), (36, 16, 1), (6, 64, 258),
        ];
        (float Alpha, float Beta)[] scales = [(1, 0), (0.5f, 0), (1, 1), (-2, 0.25f)];
        int index = 0;
        foreach (var (m, n, k) in shapes)
        {
            var (alpha, beta) = scales[index++ % scales.Length];
            int extra = index % 2;
            int lda = (transA ? m : k) + extra, ldb = (transB ? k : n) + extra, ldc = n + extra;
            var a = RandomMatrix(rng, transA ? k : m, transA ? m : k, lda);
            var b = RandomMatrix(rng, transB ? n : k, transB ? k : n, ldb);
            var c0 = RandomMatrix(rng, m, n, ldc);
            if (beta == 0) for (int i = 0; i < m; i++) c0.AsSpan(i * ldc, n).Fill(float.NaN);
            var c = (float[])c0.Clone();
            Kernels.Gemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ComputePool.Serial);
            CheckAgainstReference(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c0, c, ldc,
                $"transA {transA}, transB {transB}, m {m}, n {n}, k {k}, alpha {alpha}, beta {beta}");
        }
    }

    // K blocking keeps raw sums in C between blocks: the result must equal the unblocked sequence
    // acc = fma(a, b, acc) over all of k, bit for bit, at every thread count.
    [Fact]
    public void KBlocking_IsBitIdenticalToOneSequentialSum_AtEveryThreadCount()
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 3, ParallelWorkThreshold = 1 });
        var rng = new Random(41);
        foreach (var (m, n, k) in new[] { (13, 40, 600), (30, 70, 513), (5, 3, 1030) })
        {
            var a = RandomMatrix(rng, m, k, k);
            var b = RandomMatrix(rng, k, n, n);
            var expected = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    float acc = 0;
                    for (int p = 0; p < k; p++) acc = Kernels.Gemm.VectorWidth > 4 || System.Runtime.Intrinsics.X86.Fma.IsSupported ? MathF.FusedMultiplyAdd(a[i * k + p], b[p * n + j], acc) : a[i * k + p] * b[p * n + j] + acc;
                    expected[i * n + j] = acc;
                }
            foreach (int threads in new[] { 1, 2, 3 })
            {
                var c = new float[m * n];
                Kernels.Gemm.Multiply(false, false, m, n, k, 1, a, k, b, n, 0, c, n, pool, threads);
                if (!System.Runtime.Intrinsics.X86.Fma.IsSupported) continue; // the scalar reference above assumes FMA
                for (int e = 0; e < c.Length; e++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[e]) == BitConverter.SingleToInt32Bits(c[e]),
                        $"m {m}, n {n}, k {k}, {threads} threads: element {e} is {c[e]:R}, sequential FMA sum {expected[e]:R}");
            }
        }
    }

    // One row of A and a dense B (an FC at batch 1) takes the row-streaming path; it must give the
    // tiled path's bits: row 0 of the same multiply with a second row, which tiles.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneRow_IsBitIdenticalToTheTiledPath(bool transA)
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        var rng = new Random(transA ? 5 : 6);
        foreach (var (n, k) in new[] { (1, 1), (7, 3), (33, 40), (1000, 300), (4100, 20), (70, 600) })
        {
            var a2 = RandomMatrix(rng, transA ? k : 2, transA ? 2 : k, transA ? 2 : k);
            var a1 = new float[k];
            for (int p = 0; p < k; p++) a1[p] = transA ? a2[p * 2] : a2[p];
            var b = RandomMatrix(rng, k, n, n + 3);
            b[0] = float.NaN; // propagates the same way on both paths
            var bias = RandomMatrix(rng, 1, n, n);
            foreach (var (alpha, relu, withBias) in new[] { (1f, false, false), (1f, true, true), (-0.75f, true, false), (2f, false, true) })
            {
                var epilogue = new GemmEpilogue { ColumnBias = withBias ? bias : default, Relu = relu, RowBias = withBias ? [0.25f, -3f] : default };
                var tiled = new float[2 * n];
                Kernels.Gemm.Multiply(transA, false, 2, n, k, alpha, a2, transA ? 2 : k, b, n + 3, 0, tiled, n, epilogue, ComputePool.Serial);
                foreach (int threads in new[] { 1, 2 })
                {
                    var row = new float[n + 5];
                    Array.Fill(row, 777f);
                    var epilogue1 = epilogue with { RowBias = withBias ? [0.25f] : default };
                    Kernels.Gemm.Multiply(transA, false, 1, n, k, alpha, transA ? a2 : a1, transA ? 2 : k, b, n + 3, 0, row.AsSpan(0, n), n, epilogue1, pool, threads);
                    for (int j = 0; j < n; j++)
                        Assert.True(BitConverter.SingleToInt32Bits(tiled[j]) == BitConverter.SingleToInt32Bits(row[j]),
                            $"n {n}, k {k}, alpha {alpha}, relu {relu}, bias {withBias}, {threads} threads: C[0, {j}] is {row[j]:R}, tiled {tiled[j]:R}");
                    Assert.All(row[n..], v => Assert.Equal(777f, v));
                }
            }
        }
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]
    public void Epilogue_AddsBiasAfterTheSum_ThenRelu(bool rowBias, bool columnBias, bool relu)
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        var rng = new Random(7);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (13, 45, 300), (30, 17, 64), (64, 100, 3) })
            foreach (float beta in new[] { 0f, 1f })
            {
                var a = RandomMatrix(rng, m, k, k);
                var b = RandomMatrix(rng, k, n, n);
                var rb = RandomMatrix(rng, 1, m, m);
                var cb = RandomMatrix(rng, 1, n, n);
                var c0 = RandomMatrix(rng, m, n, n);
                // The unfused sequence: the product (with beta), then each bias, then Relu.
                var expected = (float[])c0.Clone();
                Kernels.Gemm.Multiply(false, false, m, n, k, 1, a, k, b, n, beta, expected, n, ComputePool.Serial);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                    {
                        float v = expected[i * n + j];
                        if (rowBias) v += rb[i];
                        if (columnBias) v += cb[j];
                        if (relu && v < 0) v = 0;
                        expected[i * n + j] = v;
                    }
                foreach (int threads in new[] { 1, 2 })
                {
                    var c = (float[])c0.Clone();
                    var epilogue = new GemmEpilogue { RowBias = rowBias ? rb : default, ColumnBias = columnBias ? cb : default, Relu = relu };
                    Kernels.Gemm.Multiply(false, false, m, n, k, 1, a, k, b, n, beta, c, n, epilogue, pool, threads);
                    for (int e = 0; e < c.Length; e++)
                        Assert.True(BitConverter.SingleToInt32Bits(expected[e]) == BitConverter.SingleToInt32Bits(c[e]),
                            $"m {m}, n {n}, k {k}, beta {beta}, {threads} threads: element {e} is {c[e]:R}, expected {expected[e]:R}");
                }
            }
    }

    [Fact]
    public void Epilogue_Relu_LetsNaNAndNegativeZeroThrough()
    {
        float[] a = [float.NaN, 0, 0, 0, -1, 0];
        float[] b = [1, 1, 1, 1, 1, 1]; // k 3, n 2
        var c = new float[4];
        Kernels.Gemm.Multiply(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2, new GemmEpilogue { Relu = true, RowBias = new float[] { 0, -0f } }, ComputePool.Serial);
        Assert.True(float.IsNaN(c[0]) && float.IsNaN(c[1]));
        Assert.Equal(0f, c[2]);
        Assert.Equal(0f, c[3]);
        var z = new float[1];
        // acc = +0, alpha = -1 gives -0, which Relu keeps (-0 < 0 is false).
        Kernels.Gemm.Multiply(false, false, 1, 1, 1, -1, new float[] { 0f }, 1, new float[] { 1 }, 1, 0, z, 1, new GemmEpilogue { Relu = true }, ComputePool.Serial);
        Assert.True(z[0] == 0 && float.IsNegative(z[0]), $"Relu(-0) is {z[0]:R}");
    }

    [Fact]
    public void Epilogue_WrongBiasLength_Throws()
    {
        var c = new float[4];
        Assert.Throws<ArgumentException>(() => Kernels.Gemm.Multiply(false, false, 2, 2, 1, 1, new float[2], 1, new float[2], 2, 0, c, 2,
            new GemmEpilogue { RowBias = new float[3] }, ComputePool.Serial));
        Assert.Throws<ArgumentException>(() => Kernels.Gemm.Multiply(false, false, 2, 2, 1, 1, new float[2], 1, new float[2], 2, 0, c, 2,
            new GemmEpilogue { ColumnBias = new float[1] }, ComputePool.Serial));
    }

    [Fact]
    public void AlphaZeroOrEmptyK_OnlyScalesC_AndBetaZeroClearsNaN()
    {
        float[] a = [float.NaN, 1, 2, 3];
        float[] b = [float.NaN, 1, 2, 3];
        float[] c = [1, 2, 3, 4];
        Kernels.Gemm.Multiply(false, false, 2, 2, 2, 0f, a, 2, b, 2, 2f, c, 2, ComputePool.Serial);
        Assert.Equal([2f, 4, 6, 8], c);
        Kernels.Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0.5f, c, 2, ComputePool.Serial);
        Assert.Equal([1f, 2, 3, 4], c);
        float[] nan = [float.NaN, float.NaN, float.NaN, float.NaN];
        Kernels.Gemm.Multiply(false, false, 2, 2, 0, 1f, [], 1, [], 2, 0f, nan, 2, ComputePool.Serial);
        Assert.Equal([0f, 0, 0, 0], nan);
    }

    [Fact]
    public void InvalidArguments_Throw()
    {
        var pool = ComputePool.Serial;
        float[] a = new float[6], b = new float[6], c = new float[4];
        Assert.Throws<ArgumentException>(() => Kernels.Gemm.Multiply(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2, pool)); // lda < k
        Assert.Throws<ArgumentException>(() => Kernels.Gemm.Multiply(false, false, 2, 2, 3, 1, a.AsSpan(0, 5), 3, b, 2, 0, c, 2, pool)); // A short
        Assert.Throws<ArgumentException>(() => Kernels.Gemm.Multiply(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c.AsSpan(0, 3), 2, pool)); // C short
        Assert.Throws<ArgumentOutOfRangeException>(() => Kernels.Gemm.Multiply(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2, pool));
        var shared = new float[16];
        Assert.Throws<ArgumentException>(() => Kernels.Gemm.Multiply(false, false, 2, 2, 2, 1, shared.AsSpan(0, 4), 2, shared.AsSpan(4, 4), 2, 0, shared.AsSpan(2, 4), 2, pool));
        // Adjacent, not overlapping: fine.
        Kernels.Gemm.Multiply(false, false, 2, 2, 2, 1, shared.AsSpan(0, 4), 2, shared.AsSpan(4, 4), 2, 0, shared.AsSpan(8, 4), 2, pool);
    }

    [Fact]
    public void SteadyState_DoesNotAllocate()
    {
        var rng = new Random(3);
        var a = RandomMatrix(rng, 64, 96, 96);
        var b = RandomMatrix(rng, 80, 96, 96);
        var c = new float[64 * 80];
        Kernels.Gemm.Multiply(false, true, 64, 80, 96, 1, a, 96, b, 96, 0, c, 80, ComputePool.Serial);
        SteadyState.AllocatesNothing(() => Kernels.Gemm.Multiply(false, true, 64, 80, 96, 1, a, 96, b, 96, 0, c, 80, ComputePool.Serial), runs: 3);
    }
}
