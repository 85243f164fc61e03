using Caffe2Sharp.Operators.Shape;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Tests;
using static Caffe2Sharp.Operators.Tests.Logical.TestTensors;

namespace Caffe2Sharp.Operators.Tests.Shape;

/// <summary>Shape, Gather, Expand and Range on the harness, against plain references.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ShapeComputationTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(ShapeComputation.Register);

    private static OperatorTester Test(string op) => new(Catalog, op);

    private static OperatorTester Axes(long[] axes)
    {
        var t = Test("Shape");
        t.Def.SetRepeatedArgument("axes", axes);
        return t;
    }

    private static Tensor Scalar<T>(T v) where T : unmanaged => Tensor.From<T>((ReadOnlySpan<T>)new[] { v }, ReadOnlySpan<long>.Empty);

    // ---- Shape -----------------------------------------------------------------------------------

    [Fact]
    public void Shape_AnyType_GivesInt64Dims()
    {
        Test("Shape").Input("X", new Tensor(DataType.Float, 2, 3, 4)).Output<long>("S", [2, 3, 4], 3).Run();
        Test("Shape").Input("X", new Tensor(DataType.Bool, 5)).Output<long>("S", [5], 1).Run();
        Test("Shape").Input("X", new Tensor(DataType.Int64)).Output<long>("S", [], 0).Run();
        Test("Shape").Input("X", new Tensor(DataType.Double, 2, 0, 7)).Output<long>("S", [2, 0, 7], 3).Run();
        Test("Shape").Input("X", Tensor.FromStrings(["a", "b"], 2)).Output<long>("S", [2], 1).Run();
    }

    [Fact]
    public void Shape_Axes_PicksDims_NegativeFromTheEnd()
    {
        Axes(new long[] { 2, 0 }).Input("X", new Tensor(DataType.Float, 2, 3, 4)).Output<long>("S", [4, 2], 2).Run();
        Axes(new long[] { -1 }).Input("X", new Tensor(DataType.Int32, 2, 3, 4)).Output<long>("S", [4], 1).Run();
        Axes(new long[] { 3 }).Input("X", new Tensor(DataType.Float, 2, 3, 4)).Output("S")
            .ExpectError("argument 'axes' has 3 at index 0, out of range for rank 3 (valid: -3 to 2)").Run();
    }

    // ---- Gather ----------------------------------------------------------------------------------

    private static Tensor GatherReference(Tensor data, Tensor indices, int axis)
    {
        var d = data.Shape;
        if (axis < 0) axis += d.Length;
        var outDims = d.Take(axis).Concat(indices.Shape).Concat(d.Skip(axis + 1)).ToArray();
        var y = new Tensor(data.DataType, outDims);
        for (long k = 0; k < y.Size; k++)
        {
            var o = Unravel(k, outDims);
            long index = (long)Get(indices, Ravel(o.Skip(axis).Take(indices.Rank).ToArray(), indices.Shape));
            if (index < 0) index += d[axis];
            var src = o.Take(axis).Append(index).Concat(o.Skip(axis + indices.Rank)).ToArray();
            Set(y, k, Get(data, Ravel(src, d)));
        }
        return y;
    }

    private static long Ravel(long[] idx, long[] dims)
    {
        long k = 0;
        for (int d = 0; d < dims.Length; d++) k = k * dims[d] + idx[d];
        return k;
    }

    [Fact]
    public void Gather_HandChecked_Axis0_And_Axis1_NegativeIndicesWrap()
    {
        float[] data = [1, 2, 3, 4, 5, 6];
        Test("Gather").Input("D", data, 3, 2).Input<long>("I", [2, 0, -1], 3).Output<float>("Y", [5, 6, 1, 2, 5, 6], 3, 2).Run();
        Test("Gather").Arg("axis", 1).Input("D", data, 3, 2).Input<int>("I", [1, -2], 1, 2).Output<float>("Y", [2, 1, 4, 3, 6, 5], 3, 1, 2).Run();
        // A scalar index drops the axis.
        Test("Gather").Arg("axis", -1).Input("D", data, 3, 2).Input("I", Scalar(1L)).Output<float>("Y", [2, 4, 6], 3).Run();
    }

    [Theory]
    [InlineData(DataType.Float)]
    [InlineData(DataType.Double)]
    [InlineData(DataType.Int32)]
    [InlineData(DataType.Int64)]
    [InlineData(DataType.Bool)]
    [InlineData(DataType.Float16)]
    [InlineData(DataType.Int8)]
    public void Gather_Random_AnyDataType_BothIndexTypes(DataType type)
    {
        var r = new Random((int)type + 100);
        for (int trial = 0; trial < 10; trial++)
        {
            int rank = r.Next(1, 4);
            var dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 5)).ToArray();
            int axis = r.Next(-rank, rank);
            long n = dims[axis < 0 ? axis + rank : axis];
            var idxDims = Enumerable.Range(0, r.Next(0, 3)).Select(_ => (long)r.Next(0, 4)).ToArray();
            var idxValues = Enumerable.Range(0, (int)Count(idxDims)).Select(_ => (double)r.Next((int)-n, (int)n)).ToArray();
            var indices = Make(trial % 2 == 0 ? DataType.Int64 : DataType.Int32, idxValues, idxDims);
            var data = Make(type, SmallInts(r, Count(dims)).Select(v => type == DataType.Bool ? Math.Abs(v) % 2 : v).ToArray(), dims);
            Test("Gather").Arg("axis", axis).Input("D", data).Input("I", indices).Output("Y", inputs => GatherReference(inputs[0], inputs[1], axis)).Run();
        }
    }

    [Fact]
    public void Gather_BadInputs_AreClearErrors()
    {
        Test("Gather").Input<float>("D", [1, 2, 3], 3).Input<long>("I", [0, 3], 2).Output("Y")
            .ExpectError("index 3 (INDICES 'I' element 1) is out of range for axis 0 of DATA 'D' FLOAT[3]: the bound is 3 (valid: -3 to 2)").Run();
        Test("Gather").Input<float>("D", [1, 2, 3], 3).Input<int>("I", [-4], 1).Output("Y").ExpectError("index -4").Run();
        Test("Gather").Input<float>("D", [1, 2, 3], 3).Input<float>("I", [0], 1).Output("Y")
            .ExpectError("INDICES 'I' is FLOAT[1]; it must be INT32 or INT64").Run();
        Test("Gather").Arg("axis", 1).Input<float>("D", [1, 2, 3], 3).Input<long>("I", [0], 1).Output("Y")
            .ExpectError("argument 'axis' = 1 is out of range for DATA 'D' FLOAT[3] (valid: -1 to 0)").Run();
        Assert.NotNull(Catalog.Schemas.Find("Gather")!.Verify(OperatorDef.Create("Gather", "", ["D"], ["Y"])));
    }

    [Fact]
    public void Gather_Schema_InfersShape_CostMovesEachOutputElementOnce()
    {
        var schema = Catalog.Schemas.Find("Gather")!;
        var def = OperatorDef.Create("Gather", "", ["D", "I"], ["Y"]).SetArgument("axis", 1);
        var shapes = new[] { TensorShape.Create([2, 5, 3], DataType.Float), TensorShape.Create([4, 2], DataType.Int64) };
        Assert.Equal([2L, 4, 2, 3], Assert.Single(schema.InferTensor(def, shapes)).Dims);
        Assert.Equal(new Cost(0, 48 * 4 + 8 * 8, 48 * 4), schema.InferCost(def, shapes));
    }

    // ---- Expand ----------------------------------------------------------------------------------

    private static Tensor ExpandReference(Tensor x, long[] shape)
    {
        var outDims = BroadcastShape(x.Shape, shape);
        var y = new Tensor(x.DataType, outDims);
        for (long k = 0; k < y.Size; k++) Set(y, k, Get(x, Source(Unravel(k, outDims), x.Shape)));
        return y;
    }

    [Fact]
    public void Expand_HandChecked_OneInShapeKeepsXsDim()
    {
        Test("Expand").Input<float>("X", [1, 2, 3], 3, 1).Input<long>("S", [2, 1, 2], 3)
            .Output<float>("Y", [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3], 2, 3, 2).Run();
        // shape shorter than X: X's shape wins where shape has 1 or nothing.
        Test("Expand").Input<int>("X", [1, 2], 2, 1).Input<long>("S", [1], 1).Output<int>("Y", [1, 2], 2, 1).Run();
    }

    [Theory]
    [InlineData(DataType.Float)]
    [InlineData(DataType.Int64)]
    [InlineData(DataType.Bool)]
    [InlineData(DataType.Float16)]
    public void Expand_Random_MatchesTheReference(DataType type)
    {
        var r = new Random((int)type + 200);
        for (int trial = 0; trial < 10; trial++)
        {
            var shapes = RandomBroadcastable(r, 2);
            var x = Make(type, SmallInts(r, Count(shapes[0])).Select(v => type == DataType.Bool ? Math.Abs(v) % 2 : v).ToArray(), shapes[0]);
            var shape = shapes[1];
            Test("Expand").Input("X", x).Input<long>("S", shape, shape.Length).Output("Y", inputs => ExpandReference(inputs[0], shape)).Run();
        }
    }

    [Fact]
    public void Expand_BadInputs_AreClearErrors()
    {
        Test("Expand").Input<float>("X", [1, 2, 3], 3).Input<long>("S", [2], 1).Output("Y")
            .ExpectError("input 'X' FLOAT[3] does not broadcast to shape [2]").Run();
        Test("Expand").Input<float>("X", [1], 1).Input<int>("S", [2], 1).Output("Y")
            .ExpectError("shape input 1 'S' is INT32[1]; it must be 1-D INT64").Run();
        Test("Expand").Input<float>("X", [1], 1).Input<long>("S", [-2], 1).Output("Y")
            .ExpectError("shape input 1 'S' [-2] has a negative dim").Run();
    }

    // ---- Range -----------------------------------------------------------------------------------

    [Fact]
    public void Range_HandChecked_AllTypes_AndCaffe2sShortForms()
    {
        Test("Range").Input("s", Scalar(1f)).Input("l", Scalar(2.1f)).Input("d", Scalar(0.5f)).Output<float>("Y", [1f, 1.5f, 2f], 3).Run();
        Test("Range").Input("s", Scalar(10.0)).Input("l", Scalar(4.0)).Input("d", Scalar(-3.0)).Output<double>("Y", [10, 7], 2).Run();
        Test("Range").Input("s", Scalar(-3)).Input("l", Scalar(4)).Input("d", Scalar(3)).Output<int>("Y", [-3, 0, 3], 3).Run();
        Test("Range").Input("s", Scalar(5L)).Input("l", Scalar(1L)).Input("d", Scalar(1L)).Output<long>("Y", [], 0).Run();
        Test("Range").Input("l", Scalar(3L)).Output<long>("Y", [0, 1, 2], 3).Run();
        Test("Range").Input("s", Scalar(2)).Input("l", Scalar(5)).Output<int>("Y", [2, 3, 4], 3).Run();
    }

    [Fact]
    public void Range_Random_Integers_MatchCeilDivision()
    {
        var r = new Random(7);
        for (int trial = 0; trial < 40; trial++)
        {
            long start = r.Next(-20, 20), limit = r.Next(-20, 20), delta = r.Next(1, 6) * (r.Next(2) == 0 ? 1 : -1);
            var expected = new List<long>();
            for (long v = start; delta > 0 ? v < limit : v > limit; v += delta) expected.Add(v);
            Test("Range").Input("s", Scalar(start)).Input("l", Scalar(limit)).Input("d", Scalar(delta)).Output("Y", expected.ToArray(), expected.Count).Run();
        }
    }

    [Fact]
    public void Range_BadInputs_AreClearErrors()
    {
        Test("Range").Input("s", Scalar(0)).Input("l", Scalar(3)).Input("d", Scalar(0)).Output("Y")
            .ExpectError("delta input 2 'd' is 0; Range needs a nonzero step").Run();
        Test("Range").Input("s", Scalar(0)).Input("l", Scalar(3L)).Output("Y")
            .ExpectError("input 1 'l' is INT64[] but input 0 's' is INT32[]; the inputs must have one type").Run();
        Test("Range").Input<int>("s", [0, 1], 2).Input("l", Scalar(3)).Output("Y")
            .ExpectError("input 0 's' is INT32[2]; it must be a scalar (one element)").Run();
        Test("Range").Input("s", Scalar(true)).Output("Y").ExpectError("Range takes FLOAT, DOUBLE, INT32 or INT64").Run();
        Test("Range").Input("s", Scalar(0f)).Input("l", Scalar(float.NaN)).Input("d", Scalar(1f)).Output("Y").ExpectError("(NaN)").Run();
        Assert.NotNull(Catalog.Schemas.Find("Range")!.Verify(OperatorDef.Create("Range", "", ["a", "b", "c", "d"], ["Y"])));
    }

    // ---- arity -----------------------------------------------------------------------------------

    [Fact]
    public void WrongArity_IsRefusedByTheSchema_BeforeRunning()
    {
        Test("Shape").Input<float>("X", [1], 1).Input<float>("Z", [1], 1).Output("S").ExpectError("does not match its schema").Run();
        Test("Gather").Input<float>("D", [1], 1).Output("Y").ExpectError("does not match its schema").Run();
        Test("Expand").Input<float>("X", [1], 1).Output("Y").ExpectError("does not match its schema").Run();
        Test("Range").Input("s", Scalar(0)).Input("l", Scalar(3)).Input("d", Scalar(1)).Input("e", Scalar(1)).Output("Y").ExpectError("does not match its schema").Run();
        Test("Shape").Input<float>("X", [1], 1).Output("S").Output("T").ExpectError("does not match its schema").Run();
    }

    // ---- allocation ------------------------------------------------------------------------------

    [Fact]
    public void SteadyState_DoesNotAllocate()
    {
        var ws = new Workspace(Catalog) { IntraOpThreads = 1 };
        ws.FeedBlob<float>("X", Enumerable.Range(0, 24).Select(v => (float)v).ToArray(), 2, 3, 4);
        ws.FeedBlob<long>("I", [2, -1, 0], 3);
        ws.FeedBlob<long>("S", [5, 2, 3, 4], 4);
        ws.FeedBlob("s", Scalar(0L));
        ws.FeedBlob("l", Scalar(10L));
        ws.FeedBlob("d", Scalar(3L));
        ws.CreateNet(new NetBuilder("n")
            .Shape("X", "shape").Shape("X", "shape2", [-1, 0])
            .Gather("X", "I", "g", 1)
            .Expand("X", "S", "e")
            .Range("s", "l", "d", "r")
            .Build());
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"));
    }
}
