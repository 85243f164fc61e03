using Caffe2Sharp.Operators.Linear;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Operators.Tests.Linear;

/// <summary>BatchMatMul (both broadcast modes, every transpose) and the 2-D MatMul on the harness, against numpy's matmul in plain loops.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class MatMulTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(MatMul.Register);

    private static double[] Values(long n, int seed)
    {
        var r = new Random(seed);
        return [.. Enumerable.Range(0, (int)n).Select(_ => Math.Round(r.NextDouble() * 4 - 2, 3))];
    }

    private static long Size(long[] dims) => dims.Aggregate(1L, (p, d) => p * d);

    /// <summary>
    /// numpy's matmul of A and B, each first transposed in its last two dims when flagged (rank 2 or
    /// more), in double with k summed in order: 1-D operands promoted and the added dim removed,
    /// batch dims broadcast.
    /// </summary>
    private static (double[] Values, long[] Dims) Reference(double[] a, long[] aDims, double[] b, long[] bDims, bool transA, bool transB)
    {
        (a, aDims) = transA && aDims.Length >= 2 ? Transposed(a, aDims) : (a, aDims);
        (b, bDims) = transB && bDims.Length >= 2 ? Transposed(b, bDims) : (b, bDims);
        bool vecA = aDims.Length == 1, vecB = bDims.Length == 1;
        long[] pa = vecA ? [1, aDims[0]] : aDims, pb = vecB ? [bDims[0], 1] : bDims;
        long m = pa[^2], k = pa[^1], n = pb[^1];
        Assert.Equal(k, pb[^2]);
        int rank = Math.Max(pa.Length, pb.Length) - 2;
        var batch = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            long da = d - (rank - (pa.Length - 2)) >= 0 ? pa[d - (rank - (pa.Length - 2))] : 1;
            long db = d - (rank - (pb.Length - 2)) >= 0 ? pb[d - (rank - (pb.Length - 2))] : 1;
            batch[d] = Math.Max(da, db);
        }
        long count = Size(batch);
        var y = new double[count * m * n];
        var index = new long[rank];
        for (long t = 0; t < count; t++)
        {
            long rest = t;
            for (int d = rank - 1; d >= 0; d--) { index[d] = rest % batch[d]; rest /= batch[d]; }
            long ao = Offset(index, pa) * m * k, bo = Offset(index, pb) * k * n;
            for (long i = 0; i < m; i++)
                for (long j = 0; j < n; j++)
                {
                    double s = 0;
                    for (long p = 0; p < k; p++) s += a[ao + i * k + p] * b[bo + p * n + j];
                    y[t * m * n + i * n + j] = s;
                }
        }
        var dims = new List<long>(batch);
        if (!vecA) dims.Add(m);
        if (!vecB) dims.Add(n);
        return (y, [.. dims]);
    }

    private static long Offset(long[] outIndex, long[] dims)
    {
        int r = dims.Length - 2, shift = outIndex.Length - r;
        long flat = 0;
        for (int d = 0; d < r; d++) flat = flat * dims[d] + (dims[d] == 1 ? 0 : outIndex[d + shift]);
        return flat;
    }

    private static (double[], long[]) Transposed(double[] x, long[] dims)
    {
        long r = dims[^2], c = dims[^1], batch = Size(dims) / (r * c);
        var t = new double[x.Length];
        for (long b = 0; b < batch; b++)
            for (long i = 0; i < r; i++)
                for (long j = 0; j < c; j++) t[b * r * c + j * r + i] = x[b * r * c + i * c + j];
        long[] td = [.. dims];
        (td[^2], td[^1]) = (c, r);
        return (t, td);
    }

    private static void Check(long[] aDims, long[] bDims, bool transA, bool transB, bool broadcast, bool asDouble)
    {
        var a = Values(Size(aDims), 1);
        var b = Values(Size(bDims), 2);
        var (y, yDims) = Reference(a, aDims, b, bDims, transA, transB);
        var t = new OperatorTester(Catalog, "BatchMatMul").Arg("trans_a", transA ? 1 : 0).Arg("trans_b", transB ? 1 : 0).Arg("broadcast", broadcast ? 1 : 0);
        if (asDouble)
            // The DOUBLE kernel sums k in order, as the reference does: bit for bit.
            t.Input("A", a, aDims).Input("B", b, bDims).Output("Y", Tensor.From<double>(y, yDims)).Run();
        else
            t.Input("A", a.Select(v => (float)v).ToArray(), aDims).Input("B", b.Select(v => (float)v).ToArray(), bDims)
                .Output("Y", Tensor.From<float>(y.Select(v => (float)v).ToArray(), yDims)).Tolerance(1e-5, 1e-5).Run();
    }

    public static TheoryData<bool, bool, bool> Transposes() => new()
    {
        { false, false, false }, { true, false, false }, { false, true, false }, { true, true, false },
        { false, false, true }, { true, false, true }, { false, true, true }, { true, true, true },
    };

    [Theory]
    [MemberData(nameof(Transposes))]
    public void NoBroadcast_SameBatchDims_EveryTranspose(bool transA, bool transB, bool asDouble)
    {
        long[] a = transA ? [2, 3, 7, 5] : [2, 3, 5, 7];
        long[] b = transB ? [2, 3, 6, 7] : [2, 3, 7, 6];
        Check(a, b, transA, transB, broadcast: false, asDouble);
        // Plain 2-D, large enough for the GEMM's tiles and threads.
        Check(transA ? [40, 33] : [33, 40], transB ? [17, 40] : [40, 17], transA, transB, broadcast: false, asDouble);
    }

    public static TheoryData<long[], long[], bool, bool> NumpyForms() => new()
    {
        { [3], [3], false, false },                 // vector . vector: a scalar
        { [3], [2, 3, 4], false, false },           // 1-D A promoted to [1, 3], the 1 removed: [2, 4]
        { [2, 3, 4], [4], false, false },           // 1-D B promoted to [4, 1]: [2, 3]
        { [2, 1, 3, 4], [5, 4, 2], false, false },  // batch [2, 1] with [5]: [2, 5, 3, 2]
        { [1, 3, 4], [6, 4, 2], false, false },
        { [4, 3], [2, 2, 4], true, true },          // 2-D A shared by every batch of B, both transposed
        { [3], [5, 3], false, true },               // trans_b on a matrix, vector A
        { [3], [3], true, true },                   // a flag on a vector has no effect
        { [2, 3, 4], [2, 4, 3], false, false },
    };

    [Theory]
    [MemberData(nameof(NumpyForms))]
    public void Broadcast_IsNumpysMatmul(long[] a, long[] b, bool transA, bool transB)
    {
        Check(a, b, transA, transB, broadcast: true, asDouble: false);
        Check(a, b, transA, transB, broadcast: true, asDouble: true);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Gradient_MatchesFiniteDifferences_EveryTranspose(bool transA, bool transB)
    {
        long[] a = transA ? [2, 4, 3] : [2, 3, 4];
        long[] b = transB ? [2, 5, 4] : [2, 4, 5];
        foreach (int input in new[] { 0, 1 })
        {
            new OperatorTester(Catalog, "BatchMatMul").Arg("trans_a", transA ? 1 : 0).Arg("trans_b", transB ? 1 : 0)
                .Input("A", Values(Size(a), 8), a).Input("B", Values(Size(b), 9), b).Output("Y").GradientCheck(input).Run();
            new OperatorTester(Catalog, "BatchMatMul").Arg("trans_a", transA ? 1 : 0).Arg("trans_b", transB ? 1 : 0)
                .Input("A", Values(Size(a), 8).Select(v => (float)v).ToArray(), a).Input("B", Values(Size(b), 9).Select(v => (float)v).ToArray(), b)
                .Output("Y").GradientCheck(input).Run();
        }
    }

    [Fact]
    public void Gradient_IsCaffe2sPairOfBatchMatMuls_AndRefusedWithBroadcast()
    {
        var def = OperatorDef.Create("BatchMatMul", "", ["A", "B"], ["Y"]).SetArgument("trans_b", 1);
        var ops = Catalog.GetGradientForOp(def, [new Schema.Gradients.GradientWrapper("Y_grad")]).Ops;
        Assert.Equal(2, ops.Count);
        // Y = A B^T: dA = dY B, dB = dY^T A.
        Assert.Equal("BatchMatMul(Y_grad, B) -> A_grad 0 0", Describe(ops[0]));
        Assert.Equal("BatchMatMul(Y_grad, A) -> B_grad 1 0", Describe(ops[1]));
        Assert.All(ops, o => Assert.False(o.HasArgument("broadcast")));
        def.SetArgument("broadcast", 1);
        var ex = Assert.ThrowsAny<Exception>(() => Catalog.GetGradientForOp(def, [new Schema.Gradients.GradientWrapper("Y_grad")]));
        Assert.Contains("broadcast = 1 is not supported", ex.Message, StringComparison.Ordinal);
    }

    private static string Describe(OperatorDef op) =>
        $"{op.Type}({string.Join(", ", op.Input)}) -> {string.Join(", ", op.Output)} {op.GetSingleArgument("trans_a", -1)} {op.GetSingleArgument("trans_b", -1)}";

    [Fact]
    public void EmptyInnerDim_GivesZeros_AndEmptyOutputsRun()
    {
        new OperatorTester(Catalog, "BatchMatMul").Input("A", new float[0], 2, 3, 0).Input("B", new float[0], 2, 0, 4)
            .Output("Y", new float[24], 2, 3, 4).Run();
        new OperatorTester(Catalog, "BatchMatMul").Input("A", new float[0], 0, 3, 2).Input("B", new float[0], 0, 2, 4)
            .Output("Y", new float[0], 0, 3, 4).Run();
    }

    [Fact]
    public void InnerDimMismatch_NamesBothShapes()
    {
        new OperatorTester(Catalog, "BatchMatMul").Input("A", new float[24], 2, 3, 4).Input("B", new float[30], 2, 5, 3).Output("Y")
            .ExpectError("A [2, 3, 4] and B [2, 5, 3]: the inner dims differ (A gives K = 4, B gives K = 5)").Run();
        new OperatorTester(Catalog, "BatchMatMul").Arg("trans_b", 1).Arg("broadcast", 1).Input("A", new float[24], 2, 3, 4).Input("B", new float[12], 4, 3).Output("Y")
            .ExpectError("A [2, 3, 4] and B [4, 3] (trans_b): the inner dims differ (A gives K = 4, B gives K = 3)").Run();
        new OperatorTester(Catalog, "MatMul").Input("A", new float[24], 2, 3, 4).Input("B", new float[10], 5, 2).Output("Y")
            .ExpectError("A [2, 3, 4] flattened at axis_a 1 is [2, 12] and B [5, 2] flattened at axis_b 1 is [5, 2]; the inner dims differ (12 vs 5)").Run();
    }

    [Fact]
    public void WithoutBroadcast_RanksAndBatchDimsMustAgree()
    {
        new OperatorTester(Catalog, "BatchMatMul").Input("A", new float[12], 3, 4).Input("B", new float[40], 2, 4, 5).Output("Y")
            .ExpectError("without broadcast, A and B must have the same rank, at least 2").Run();
        new OperatorTester(Catalog, "BatchMatMul").Input("A", new float[24], 2, 3, 4).Input("B", new float[60], 3, 4, 5).Output("Y")
            .ExpectError("without broadcast, the batch dims (all but the last two) must be equal").Run();
        new OperatorTester(Catalog, "BatchMatMul").Arg("broadcast", 1).Input("A", new float[24], 2, 3, 4).Input("B", new float[60], 3, 4, 5).Output("Y")
            .ExpectError("the batch dims [2] and [3] do not broadcast").Run();
        new OperatorTester(Catalog, "BatchMatMul").Arg("broadcast", 1).Input("A", Tensor.From<float>([1f], [])).Input("B", new float[4], 4).Output("Y")
            .ExpectError("a matrix product needs operands of rank 1 or more").Run();
        new OperatorTester(Catalog, "BatchMatMul").Arg("broadcast", 2).Input("A", new float[4], 2, 2).Input("B", new float[4], 2, 2).Output("Y")
            .ExpectError("argument 'broadcast' must be 0 or 1; got 2").Run();
    }

    [Fact]
    public void WrongTypes_AndInPlace_AreClearErrors()
    {
        new OperatorTester(Catalog, "BatchMatMul").Input<int>("A", [1, 2, 3, 4], 2, 2).Input<int>("B", [1, 2, 3, 4], 2, 2).Output("Y")
            .ExpectError("input 0 'A' is INT32[2, 2]; BatchMatMul takes FLOAT or DOUBLE").Run();
        new OperatorTester(Catalog, "MatMul").Input<float>("A", [1, 2, 3, 4], 2, 2).Input<double>("B", [1, 2, 3, 4], 2, 2).Output("Y")
            .ExpectError("they must have the same type").Run();
        new OperatorTester(Catalog, "BatchMatMul").Input<float>("A", [1, 2, 3, 4], 2, 2).Input<float>("B", [1, 2, 3, 4], 2, 2).Output("A")
            .ExpectError("an in-place pair the schema does not allow").Run();
        new OperatorTester(Catalog, "BatchMatMul").Input<float>("A", [1, 2, 3, 4], 2, 2).Output("Y").ExpectError("does not match its schema").Run();
        new OperatorTester(Catalog, "MatMul").Input<float>("A", [1], 1).Input<float>("B", [1], 1).Input<float>("C", [1], 1).Output("Y")
            .ExpectError("does not match its schema").Run();
    }

    public static TheoryData<long[], long[], int, int, bool, bool> FlatForms() => new()
    {
        { [4, 6], [6, 5], 1, 1, false, false },
        { [2, 3, 4], [12, 5], 1, 1, false, false },   // A flattened at 1: [2, 12]
        { [2, 3, 4], [4, 5], 2, 1, false, false },    // A flattened at 2: [6, 4]
        { [2, 3, 4], [5, 2, 2], -1, 1, false, true }, // negative axis; B [5, 4] transposed
        { [6, 4], [5, 6], 1, 1, true, true },
        { [3, 2, 4], [3, 2, 5], 1, 1, true, false },  // A [3, 8]^T is [8, 3]; B [3, 10]: [8, 10]
    };

    [Theory]
    [MemberData(nameof(FlatForms))]
    public void MatMul_FlattensAtItsAxes_AndTransposes(long[] aDims, long[] bDims, int axisA, int axisB, bool transA, bool transB)
    {
        var a = Values(Size(aDims), 3);
        var b = Values(Size(bDims), 4);
        long Rows(long[] d, int axis) => d.Take(axis < 0 ? axis + d.Length : axis).Aggregate(1L, (p, v) => p * v);
        long[] a2 = [Rows(aDims, axisA), Size(aDims) / Rows(aDims, axisA)], b2 = [Rows(bDims, axisB), Size(bDims) / Rows(bDims, axisB)];
        var (y, yDims) = Reference(a, a2, b, b2, transA, transB);
        new OperatorTester(Catalog, "MatMul").Arg("axis_a", axisA).Arg("axis_b", axisB).Arg("trans_a", transA ? 1 : 0).Arg("trans_b", transB ? 1 : 0)
            .Input("A", a, aDims).Input("B", b, bDims).Output("Y", Tensor.From<double>(y, yDims)).Run();
        new OperatorTester(Catalog, "MatMul").Arg("axis_a", axisA).Arg("axis_b", axisB).Arg("trans_a", transA ? 1 : 0).Arg("trans_b", transB ? 1 : 0)
            .Input("A", a.Select(v => (float)v).ToArray(), aDims).Input("B", b.Select(v => (float)v).ToArray(), bDims)
            .Output("Y", Tensor.From<float>(y.Select(v => (float)v).ToArray(), yDims)).Tolerance(1e-5, 1e-5).Run();
    }

    [Fact]
    public void Schema_Inference_Cost_AndDefaults()
    {
        var schema = Catalog.Schemas.Find("BatchMatMul")!;
        var def = OperatorDef.Create("BatchMatMul", "", ["A", "B"], ["Y"]).SetArgument("broadcast", 1);
        TensorShape[] shapes = [TensorShape.Create([2, 1, 3, 4]), TensorShape.Create([5, 4, 6])];
        Assert.Equal("FLOAT[2, 5, 3, 6]", schema.InferTensor(def, shapes).Single().Describe());
        // 10 products of [3, 4] by [4, 6]: 2 * 180 * 4 flops; 24 + 120 floats read, 180 written.
        Assert.Equal(new Cost(2 * 180 * 4, (24 + 120) * 4, 180 * 4), schema.InferCost(def, shapes));
        Assert.Equal("DOUBLE[]", schema.InferTensor(def, [TensorShape.Create([3], DataType.Double), TensorShape.Create([3], DataType.Double)]).Single().Describe());
        Assert.False(schema.InplaceAllowed(0, 0));
        Assert.NotNull(schema.Verify(OperatorDef.Create("BatchMatMul", "", ["A"], ["Y"])));
        var flat = Catalog.Schemas.Find("MatMul")!;
        Assert.Equal("FLOAT[6, 5]", flat.InferTensor(OperatorDef.Create("MatMul", "", ["A", "B"], ["Y"]).SetArgument("axis_a", 2),
            [TensorShape.Create([2, 3, 4]), TensorShape.Create([4, 5])]).Single().Describe());
        Assert.Throws<EnforceNotMetException>(() => flat.InferTensor(OperatorDef.Create("MatMul", "", ["A", "B"], ["Y"]),
            [TensorShape.Create([2, 3]), TensorShape.Create([4, 5])]));
    }

    [Fact]
    public void SteadyState_BatchMatMul_AllocatesNothing()
    {
        using var pool = new Caffe2Sharp.Kernels.ComputePool(new Caffe2Sharp.Kernels.ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var ws = new Workspace(Catalog, pool) { IntraOpThreads = 2 };
        ws.FeedBlob<float>("A", [.. Values(2 * 3 * 8 * 16, 5).Select(v => (float)v)], 2, 3, 8, 16);
        ws.FeedBlob<float>("B", [.. Values(3 * 16 * 12, 6).Select(v => (float)v)], 3, 16, 12);
        ws.FeedBlob<double>("C", Values(4 * 5, 7), 4, 5);
        ws.FeedBlob<float>("D", [.. Values(16 * 12, 8).Select(v => (float)v)], 16, 12);
        var net = new NetBuilder("n").BatchMatMul("A", "B", "Y", broadcast: true).BatchMatMul("C", "C", "Z", transB: true)
            .MatMul("A", "D", "W", axisA: 3).Build();
        ws.CreateNet(net);
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
        Assert.Equal([2L, 3, 8, 12], ws.FetchBlob("Y").Shape);
        Assert.Equal([4L, 4], ws.FetchBlob("Z").Shape);
        Assert.Equal([48L, 12], ws.FetchBlob("W").Shape);
    }

    [Fact]
    public void NetBuilder_WritesTheArguments()
    {
        var op = new NetBuilder("n").BatchMatMul("a", "b", "y", transA: true, broadcast: true).Build().Op[0];
        Assert.Equal(("BatchMatMul", 1, 0, 1), (op.Type, op.GetSingleArgument("trans_a", 0), op.GetSingleArgument("trans_b", 0), op.GetSingleArgument("broadcast", 0)));
    }
}
