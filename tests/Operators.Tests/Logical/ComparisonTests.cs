using Caffe2Sharp.Operators.Logical;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Tests;
using static Caffe2Sharp.Operators.Tests.Logical.TestTensors;

namespace Caffe2Sharp.Operators.Tests.Logical;

/// <summary>LT, LE, GT, GE, EQ, NE and Where on the harness, against plain references.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ComparisonTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(LogicalOperators.Register);

    private static OperatorTester Test(string op) => new(Catalog, op);

    private static bool Reference(string op, double a, double b) => op switch
    {
        "LT" => a < b,
        "LE" => a <= b,
        "GT" => a > b,
        "GE" => a >= b,
        "EQ" => a == b,
        "NE" => a != b,
        _ => throw new ArgumentException(op),
    };

    // numpy: broadcast, then compare one element at a time.
    private static Tensor CompareReference(string op, Tensor a, Tensor b)
    {
        var outDims = BroadcastShape(a.Shape, b.Shape);
        var y = new Tensor(DataType.Bool, outDims);
        var ys = y.Data<bool>();
        for (long k = 0; k < ys.Length; k++)
        {
            var idx = Unravel(k, outDims);
            ys[(int)k] = Reference(op, Get(a, Source(idx, a.Shape)), Get(b, Source(idx, b.Shape)));
        }
        return y;
    }

    public static TheoryData<string> Ops() => ["LT", "LE", "GT", "GE", "EQ", "NE"];

    [Fact]
    public void LT_Broadcasts_RowAgainstMatrix_HandChecked()
    {
        Test("LT").Input<float>("A", [1, 5, 3, 4, 2, 6], 2, 3).Input<float>("B", [3, 3, 3], 3)
            .Output<bool>("C", [true, false, false, false, true, false], 2, 3).Run();
        Test("GE").Input<int>("A", [1, 2, 3], 3, 1).Input<int>("B", [2, 1], 2)
            .Output<bool>("C", [false, true, true, true, true, true], 3, 2).Run();
        Test("NE").Input<long>("A", [7], 1).Input<long>("B", [7, 8], 2)
            .Output<bool>("C", [false, true], 2).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Random_AllTypes_MatchTheReference(string op)
    {
        var r = new Random(op.GetHashCode(StringComparison.Ordinal) & 0xffff);
        DataType[] types = op is "EQ" or "NE"
            ? [DataType.Float, DataType.Double, DataType.Int32, DataType.Int64, DataType.Bool]
            : [DataType.Float, DataType.Double, DataType.Int32, DataType.Int64];
        foreach (var type in types)
            for (int trial = 0; trial < 6; trial++)
            {
                var shapes = RandomBroadcastable(r, 2);
                var a = Make(type, type == DataType.Bool ? SmallInts(r, Count(shapes[0])).Select(v => (double)(v > 0 ? 1 : 0)).ToArray() : SmallInts(r, Count(shapes[0])), shapes[0]);
                var b = Make(type, type == DataType.Bool ? SmallInts(r, Count(shapes[1])).Select(v => (double)(v > 0 ? 1 : 0)).ToArray() : SmallInts(r, Count(shapes[1])), shapes[1]);
                Test(op).Input("A", a).Input("B", b).Output("C", inputs => CompareReference(op, inputs[0], inputs[1])).Run();
            }
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void NaN_ComparesFalse_ExceptNE_AndNegativeZeroEqualsZero(string op)
    {
        float[] a = [float.NaN, 1, float.NaN, -0f, float.PositiveInfinity, float.NegativeInfinity];
        float[] b = [1, float.NaN, float.NaN, 0f, float.PositiveInfinity, 0];
        var expected = a.Zip(b, (x, y) => Reference(op, x, y)).ToArray();
        Test(op).Input("A", a).Input("B", b).Output("C", expected).Run();
        if (op == "NE") Assert.Equal([true, true, true, false, false, true], expected);
        if (op == "EQ") Assert.Equal([false, false, false, true, true, false], expected);
    }

    [Fact]
    public void LegacyBroadcast_LinesBUpWithAAtAxis()
    {
        // B [3] against A [2, 3, 2] at axis 1: B[j] compares with A[i, j, k].
        var a = Enumerable.Range(0, 12).Select(v => (float)v).ToArray();
        var expected = new bool[12];
        float[] b = [1, 5, 9];
        for (int k = 0; k < 12; k++) expected[k] = a[k] > b[k / 2 % 3];
        Test("GT").Arg("broadcast", 1).Arg("axis", 1).Input("A", a, 2, 3, 2).Input("B", b, 3).Output("C", expected, 2, 3, 2).Run();
    }

    [Fact]
    public void BadInputs_AreClearErrors()
    {
        Test("LT").Input<float>("A", [1, 2], 2).Input<double>("B", [1, 2], 2).Output("C")
            .ExpectError("input 0 'A' is FLOAT[2] but input 1 'B' is DOUBLE[2]; they must have the same type").Run();
        Test("LT").Input<bool>("A", [true], 1).Input<bool>("B", [true], 1).Output("C")
            .ExpectError("input 0 'A' is BOOL[1]; LT takes FLOAT, DOUBLE, INT32 or INT64").Run();
        Test("EQ").Input<byte>("A", [1], 1).Input<byte>("B", [1], 1).Output("C")
            .ExpectError("EQ takes FLOAT, DOUBLE, INT32 or INT64 or BOOL").Run();
        Test("GT").Input<int>("A", [1, 2, 3], 3).Input<int>("B", [1, 2], 2).Output("C")
            .ExpectError("input 0 'A' INT32[3] and input 1 'B' INT32[2] do not broadcast").Run();
        Test("GT").Input<int>("A", [1, 2, 3], 3).Output("C").ExpectError("input").Run();
        var schema = Catalog.Schemas.Find("GT")!;
        Assert.Contains("input", schema.Verify(OperatorDef.Create("GT", "", ["A"], ["C"])), StringComparison.Ordinal);
        Assert.NotNull(schema.Verify(OperatorDef.Create("GT", "", ["A", "B", "D"], ["C"])));
    }

    [Fact]
    public void Schema_InfersBoolAndBroadcastShape_CostCountsOneComparePerElement()
    {
        var schema = Catalog.Schemas.Find("LE")!;
        var def = OperatorDef.Create("LE", "", ["A", "B"], ["C"]);
        var shapes = new[] { TensorShape.Create([2, 1, 4], DataType.Double), TensorShape.Create([3, 1], DataType.Double) };
        var y = Assert.Single(schema.InferTensor(def, shapes));
        Assert.Equal(DataType.Bool, y.DataType);
        Assert.Equal([2L, 3, 4], y.Dims);
        Assert.Equal(new Cost(24, (8 + 3) * 8, 24), schema.InferCost(def, shapes));
        Assert.Throws<EnforceNotMetException>(() => schema.InferTensor(def, [TensorShape.Create([2], DataType.Float), TensorShape.Create([2], DataType.Int32)]));
        Assert.Equal("Less", Catalog.Schemas.Find("LT")!.OnnxSchema);
        Assert.True(Catalog.GetGradientForOp(def, [new Schema.Gradients.GradientWrapper("C_grad")]).Ops.Count == 0);
    }

    // ---- Where -----------------------------------------------------------------------------------

    private static Tensor WhereReference(Tensor c, Tensor x, Tensor y)
    {
        var outDims = BroadcastShape(c.Shape, x.Shape, y.Shape);
        var z = new Tensor(x.DataType, outDims);
        for (long k = 0; k < z.Size; k++)
        {
            var idx = Unravel(k, outDims);
            bool take = c.Data<bool>()[(int)Source(idx, c.Shape)];
            Set(z, k, take ? Get(x, Source(idx, x.Shape)) : Get(y, Source(idx, y.Shape)));
        }
        return z;
    }

    [Fact]
    public void Where_HandChecked_BroadcastsTheCondition()
    {
        Test("Where").Input<bool>("C", [true, false], 2).Input<float>("X", [1, 2, 3, 4], 2, 2).Input<float>("Y", [-1], 1)
            .Output<float>("Z", [1, -1, 3, -1], 2, 2).Run();
    }

    [Theory]
    [InlineData(DataType.Float)]
    [InlineData(DataType.Double)]
    [InlineData(DataType.Int32)]
    [InlineData(DataType.Int64)]
    [InlineData(DataType.Bool)]
    [InlineData(DataType.Float16)]
    [InlineData(DataType.Uint8)]
    public void Where_Random_MatchesTheReference(DataType type)
    {
        var r = new Random((int)type);
        for (int trial = 0; trial < 8; trial++)
        {
            var shapes = RandomBroadcastable(r, 3);
            var c = Make(DataType.Bool, SmallInts(r, Count(shapes[0])).Select(v => (double)(v > 0 ? 1 : 0)).ToArray(), shapes[0]);
            var x = Make(type, SmallInts(r, Count(shapes[1])).Select(v => type is DataType.Bool or DataType.Uint8 ? Math.Abs(v) : v).ToArray(), shapes[1]);
            var y = Make(type, SmallInts(r, Count(shapes[2])).Select(v => type is DataType.Bool or DataType.Uint8 ? Math.Abs(v) : v).ToArray(), shapes[2]);
            Test("Where").Input("C", c).Input("X", x).Input("Y", y).Output("Z", inputs => WhereReference(inputs[0], inputs[1], inputs[2])).Run();
        }
    }

    [Fact]
    public void Where_BadInputs_AreClearErrors()
    {
        Test("Where").Input<int>("C", [1], 1).Input<float>("X", [1], 1).Input<float>("Y", [2], 1).Output("Z")
            .ExpectError("condition input 0 'C' is INT32[1]; it must be BOOL").Run();
        Test("Where").Input<bool>("C", [true], 1).Input<float>("X", [1], 1).Input<double>("Y", [2], 1).Output("Z")
            .ExpectError("input 1 'X' is FLOAT[1] but input 2 'Y' is DOUBLE[1]; they must have the same type").Run();
        Test("Where").Input<bool>("C", [true, false, true], 3).Input<float>("X", [1, 2], 2).Input<float>("Y", [2], 1).Output("Z")
            .ExpectError("do not broadcast").Run();
        Assert.NotNull(Catalog.Schemas.Find("Where")!.Verify(OperatorDef.Create("Where", "", ["C", "X"], ["Z"])));
    }

    [Fact]
    public void Where_Cost_ReadsAllThree_WritesTheOutput()
    {
        var schema = Catalog.Schemas.Find("Where")!;
        var def = OperatorDef.Create("Where", "", ["C", "X", "Y"], ["Z"]);
        var cost = schema.InferCost(def, [TensorShape.Create([2, 3], DataType.Bool), TensorShape.Create([3], DataType.Float), TensorShape.Create([1], DataType.Float)]);
        Assert.Equal(new Cost(0, 6 + (3 + 1) * 4, 6 * 4), cost);
    }

    [Fact]
    public void SteadyState_DoesNotAllocate()
    {
        var ws = new Workspace(Catalog) { IntraOpThreads = 1 };
        ws.FeedBlob<float>("A", Enumerable.Range(0, 24).Select(v => (float)(v % 5)).ToArray(), 2, 3, 4);
        ws.FeedBlob<float>("B", [1, 2, 3, 4], 4);
        ws.FeedBlob<bool>("Bool", [true, false, true, false], 4);
        ws.CreateNet(new NetBuilder("n")
            .LT("A", "B", "lt").LE("A", "B", "le").GT("A", "B", "gt").GE("A", "B", "ge").EQ("A", "B", "eq").NE("Bool", "Bool", "ne")
            .Where("lt", "A", "B", "w")
            .Build());
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"));
    }
}
