using System.Numerics;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Operators.Tests.Arithmetic;

/// <summary>Max, Min and Mean on the harness against plain numpy-style references: broadcasting, NaN, ±0, types, errors.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class MinMaxMeanTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(MinMaxMean.Register);

    // np.maximum / np.minimum, in double: NaN propagates; the ±0 tie is our documented choice
    // (+0 for max, -0 for min, whatever the order).
    private static double Max(double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? double.NaN : a > b ? a : a < b ? b : double.IsNegative(a) ? b : a;

    private static double Min(double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? double.NaN : a < b ? a : a > b ? b : double.IsNegative(a) ? a : b;

    private static Func<double, double, double> Fold(string op) => op == "Max" ? Max : Min;

    /// <summary>numpy broadcasting of every input, folded left to right with <paramref name="f"/> on each output element; plain loops.</summary>
    private static (double[] Values, long[] Dims) Reference(IReadOnlyList<(double[] Data, long[] Dims)> inputs, Func<double, double, double> f)
    {
        int rank = inputs.Max(i => i.Dims.Length);
        var outDims = new long[rank];
        for (int d = 0; d < rank; d++)
            outDims[d] = inputs.Max(i => d - (rank - i.Dims.Length) >= 0 ? i.Dims[d - (rank - i.Dims.Length)] : 1);
        long n = outDims.Aggregate(1L, (p, d) => p * d);
        var result = new double[n];
        var index = new long[rank];
        for (long k = 0; k < n; k++)
        {
            long rest = k;
            for (int d = rank - 1; d >= 0; d--) { index[d] = rest % outDims[d]; rest /= outDims[d]; }
            double acc = 0;
            for (int i = 0; i < inputs.Count; i++)
            {
                var dims = inputs[i].Dims;
                long flat = 0;
                for (int d = 0; d < dims.Length; d++) flat = flat * dims[d] + (dims[d] == 1 ? 0 : index[d + rank - dims.Length]);
                double v = inputs[i].Data[flat];
                acc = i == 0 ? v : f(acc, v);
            }
            result[k] = acc;
        }
        return (result, outDims);
    }

    public static TheoryData<string> MinMax() => ["Max", "Min"];

    [Theory]
    [MemberData(nameof(MinMax))]
    public void Float_SameShape_EveryLengthAndSpecialValue_BitForBit(string op)
    {
        var f = Fold(op);
        foreach (int n in OperatorTesterReference.Lengths)
        {
            var a = OperatorTesterReference.SpecialAndRandom<float>(n, n);
            var b = OperatorTesterReference.SpecialAndRandom<float>(n, n + 7).Reverse().ToArray();
            new OperatorTester(Catalog, op).Input("A", a, n).Input("B", b, n).Output<float>("Y", (x, y) => (float)f(x, y)).Run();
        }
    }

    [Theory]
    [MemberData(nameof(MinMax))]
    public void SignedZeros_AreOrderIndependent(string op)
    {
        // Every order of (-0, +0), also at vector widths (17 lanes reach the 16-wide vectors and the tail).
        var a = Enumerable.Range(0, 17).Select(i => i % 2 == 0 ? -0f : 0f).ToArray();
        var b = a.Select(v => -v).ToArray();
        float expected = op == "Max" ? 0f : -0f;
        new OperatorTester(Catalog, op).Input("A", a, 17).Input("B", b, 17).Output("Y", Enumerable.Repeat(expected, 17).ToArray(), 17).Run();
        new OperatorTester(Catalog, op).Input("A", b, 17).Input("B", a, 17).Output("Y", Enumerable.Repeat(expected, 17).ToArray(), 17).Run();
    }

    [Theory]
    [MemberData(nameof(MinMax))]
    public void NaN_InAnyInput_GivesNaN(string op)
    {
        float[] a = [float.NaN, 1f, 2f, float.NaN, float.PositiveInfinity];
        float[] b = [1f, float.NaN, -3f, float.NaN, float.NaN];
        new OperatorTester(Catalog, op).Input("A", a, 5).Input("B", b, 5)
            .Output<float>("Y", [float.NaN, float.NaN, op == "Max" ? 2f : -3f, float.NaN, float.NaN], 5).Run();
    }

    [Theory]
    [InlineData("Max", DataType.Float)]
    [InlineData("Min", DataType.Float)]
    [InlineData("Mean", DataType.Float)]
    [InlineData("Max", DataType.Double)]
    [InlineData("Min", DataType.Double)]
    [InlineData("Mean", DataType.Double)]
    public void ThreeInputs_BroadcastTogether(string op, DataType type)
    {
        var r = new Random(5);
        long[][] shapes = [[2, 1, 4], [3, 1], [4]];
        var data = shapes.Select(s => Enumerable.Range(0, (int)s.Aggregate(1L, (p, d) => p * d)).Select(_ => Math.Round(r.NextDouble() * 8 - 4, 2)).ToArray()).ToArray();
        var t = new OperatorTester(Catalog, op);
        for (int i = 0; i < 3; i++)
            t = type == DataType.Float ? t.Input($"X{i}", data[i].Select(v => (float)v).ToArray(), shapes[i]) : t.Input($"X{i}", data[i], shapes[i]);
        // Mean's reference sums in the element type in input order, then divides once (the documented rounding).
        Func<double, double, double> f = op == "Mean" ? (type == DataType.Float ? (x, y) => (float)((float)x + (float)y) : (x, y) => x + y) : Fold(op);
        var (values, dims) = Reference([.. data.Zip(shapes)], f);
        if (op == "Mean") values = [.. values.Select(v => type == DataType.Float ? (double)((float)v / 3f) : v / 3)];
        Assert.Equal([2L, 3, 4], dims);
        t.Output("Y", type == DataType.Float ? Tensor.From<float>(values.Select(v => (float)v).ToArray(), dims) : Tensor.From<double>(values, dims)).Run();
    }

    [Fact]
    public void Mean_IsWithinRoundingOfTheExactMean()
    {
        var x = Enumerable.Range(0, 4).Select(i => OperatorTesterReference.SpecialAndRandom<float>(129, 20 + i).Select(v => float.IsFinite(v) && Math.Abs(v) < 1e30 ? v : 1.5f).ToArray()).ToArray();
        // Each float add rounds relative to the partial sum (|x| < 4 here), so the bound is absolute: 3 adds of eps * 8, over 4.
        var t = new OperatorTester(Catalog, "Mean").Tolerance(1e-6, 3 * 8 * 6e-8 / 4 + 1e-7);
        for (int i = 0; i < 4; i++) t = t.Input($"X{i}", x[i], 129);
        var (values, dims) = Reference([.. x.Select(v => (v.Select(e => (double)e).ToArray(), new long[] { 129 }))], (a, b) => a + b);
        t.Output("Y", Tensor.From<float>(values.Select(v => (float)(v / 4)).ToArray(), dims)).Run();
    }

    [Theory]
    [MemberData(nameof(MinMax))]
    public void Integers_Int32AndInt64(string op)
    {
        int[] a = [int.MinValue, 5, -7, 0];
        int[] b = [3, int.MaxValue, -7, -1];
        new OperatorTester(Catalog, op).Input("A", a, 4).Input("B", b, 4).Output<int>("Y", (x, y) => op == "Max" ? Math.Max(x, y) : Math.Min(x, y)).Run();
        long[] la = [long.MinValue, 1L << 40];
        new OperatorTester(Catalog, op).Input("A", la, 2).Input<long>("B", [0, 2], 1, 2)
            .Output<long>("Y", op == "Max" ? [0, 1L << 40] : [long.MinValue, 2], 1, 2).Run();
    }

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("Mean")]
    public void OneInput_IsACopy_AndInPlaceKeepsIt(string op)
    {
        float[] x = [1f, -0f, float.NaN, 4f];
        new OperatorTester(Catalog, op).Input("X", x, 2, 2).Output("Y", x, 2, 2).Run();
    }

    [Fact]
    public void InPlace_InputZeroAccumulates_WhenItHasTheOutputShape()
    {
        // The harness also runs the def with Y named X0 (the schema allows (0, 0)).
        new OperatorTester(Catalog, "Max").Input<float>("X0", [1f, 5f, 2f, 0f], 2, 2).Input<float>("X1", [3f, 1f], 2).Input<float>("X2", [0f], 1)
            .Output<float>("Y", [3f, 5f, 3f, 1f], 2, 2).Run();
    }

    [Fact]
    public void InPlace_IntoABroadcastInput_IsRefused() =>
        new OperatorTester(Catalog, "Max").Input<float>("X0", [1f, 2f], 2).Input<float>("X1", [1f, 2f, 3f, 4f], 2, 2).Output("X0")
            .ExpectError("is input 0 in place, but the result has shape [2, 2]").Run();

    [Fact]
    public void OutputNamedAfterALaterInput_IsRefused() =>
        new OperatorTester(Catalog, "Min").Input<float>("X0", [1f], 1).Input<float>("X1", [1f], 1).Output("X1")
            .ExpectError("an in-place pair the schema does not allow").Run();

    [Fact]
    public void ShapesThatDoNotBroadcast_AreAnErrorListingEveryShape() =>
        new OperatorTester(Catalog, "Mean").Input<float>("X0", [1f, 2f, 3f], 3).Input<float>("X1", [1f], 1).Input<float>("X2", [1f, 2f], 2).Output("Y")
            .ExpectError("'X0' [3], 'X1' [1], 'X2' [2]").Run();

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("Mean")]
    public void NoInputs_IsAnArityError(string op) =>
        new OperatorTester(Catalog, op).Output("Y").ExpectError("does not match its schema").Run();

    [Fact]
    public void MixedTypes_AreAClearError() =>
        new OperatorTester(Catalog, "Max").Input<float>("A", [1f], 1).Input<double>("B", [1.0], 1).Output("Y")
            .ExpectError("input 1 'B' is DOUBLE[1] but input 0 'A' is FLOAT[1]; they must have the same type").Run();

    [Fact]
    public void WrongType_IsAClearError()
    {
        new OperatorTester(Catalog, "Mean").Input<int>("A", [1], 1).Output("Y").ExpectError("Mean takes FLOAT or DOUBLE").Run();
        new OperatorTester(Catalog, "Max").Input<Half>("A", [Half.One], 1).Output("Y").ExpectError("Max takes FLOAT, DOUBLE, INT32 or INT64").Run();
    }

    [Fact]
    public void Schema_Arity_Inference_AndCost()
    {
        var schema = Catalog.Schemas.Find("Mean")!;
        Assert.NotNull(schema.Verify(OperatorDef.Create("Mean", "", [], ["Y"])));
        Assert.NotNull(schema.Verify(OperatorDef.Create("Mean", "", ["A"], ["Y", "Z"])));
        Assert.Null(schema.Verify(OperatorDef.Create("Mean", "", ["A", "B", "C"], ["Y"])));
        Assert.True(schema.InplaceAllowed(0, 0));
        Assert.False(schema.InplaceAllowed(1, 0));
        var def = OperatorDef.Create("Mean", "", ["A", "B", "C"], ["Y"]);
        TensorShape[] shapes = [TensorShape.Create([2, 1, 4]), TensorShape.Create([3, 1]), TensorShape.Create([4])];
        Assert.Equal("FLOAT[2, 3, 4]", schema.InferTensor(def, shapes).Single().Describe());
        // 24 outputs: 2 adds and 1 divide each; 8 + 3 + 4 floats read, 24 written.
        Assert.Equal(new Cost(72, 15 * 4, 24 * 4), schema.InferCost(def, shapes));
        var max = Catalog.Schemas.Find("Max")!;
        Assert.Equal(new Cost(48, 15 * 8, 24 * 8), max.InferCost(OperatorDef.Create("Max", "", ["A", "B", "C"], ["Y"]),
            [.. shapes.Select(s => TensorShape.Create(s.Dims, DataType.Double))]));
        var ex = Assert.ThrowsAny<Exception>(() => schema.InferTensor(def, [TensorShape.Create([2]), TensorShape.Create([3])]));
        Assert.Contains("'A' [2], 'B' [3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        using var pool = new Caffe2Sharp.Kernels.ComputePool(new Caffe2Sharp.Kernels.ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var ws = new Workspace(Catalog, pool) { IntraOpThreads = 2 };
        ws.FeedBlob<float>("A", OperatorTesterReference.SpecialAndRandom<float>(2048, 1), 2, 1, 1024);
        ws.FeedBlob<float>("B", OperatorTesterReference.SpecialAndRandom<float>(3072, 2), 3, 1024);
        ws.FeedBlob<float>("C", OperatorTesterReference.SpecialAndRandom<float>(1024, 3), 1024);
        ws.CreateNet(new NetBuilder("n").Max(["A", "B", "C"], "X").Min(["C", "A"], "N").Mean(["A", "B", "C"], "M").Build());
        ws.RunNet("n");
        Caffe2Sharp.Tests.SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
        Assert.Equal([2L, 3, 1024], ws.FetchBlob("M").Shape);
    }

    [Fact]
    public void NetBuilder_AddsTheOps()
    {
        var net = new NetBuilder("n").Max(["a", "b"], "y").Min(["a"], "z").Mean(["a", "b", "c"], "m").Build();
        Assert.Equal(["Max", "Min", "Mean"], net.Op.Select(o => o.Type));
        Assert.Equal(["a", "b", "c"], net.Op[2].Input);
    }
}
