using Caffe2Sharp.Operators.Reduction;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Tests;
using static Caffe2Sharp.Operators.Tests.Logical.TestTensors;

namespace Caffe2Sharp.Operators.Tests.Reduction;

/// <summary>ReduceMean, ArgMax and ArgMin on the harness, against plain references.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ReductionsTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Reductions.Register);

    private static OperatorTester Test(string op) => new(Catalog, op);

    private static OperatorTester Mean(long[]? axes, int keepdims = 1)
    {
        var t = Test("ReduceMean").Arg("keepdims", keepdims);
        if (axes is not null) t.Def.SetRepeatedArgument("axes", axes);
        return t;
    }

    // Sums in double over every input element whose kept coordinates match, divides once.
    private static Tensor MeanReference(Tensor x, long[] axes, bool keep)
    {
        var dims = x.Shape;
        var reduced = new bool[dims.Length];
        foreach (var a in axes.Length == 0 ? Enumerable.Range(0, dims.Length).Select(i => (long)i) : axes) reduced[a < 0 ? a + dims.Length : a] = true;
        var kept = dims.Select((d, i) => reduced[i] ? 1 : d).ToArray();
        var sums = new double[Count(kept)];
        long count = dims.Where((d, i) => reduced[i]).Aggregate(1L, (p, d) => p * d);
        for (long k = 0; k < x.Size; k++)
        {
            var idx = Unravel(k, dims);
            long o = 0;
            for (int d = 0; d < dims.Length; d++) o = o * kept[d] + (reduced[d] ? 0 : idx[d]);
            sums[o] += Get(x, k);
        }
        var outDims = keep ? kept : dims.Where((d, i) => !reduced[i]).ToArray();
        var y = new Tensor(x.DataType, outDims);
        for (int k = 0; k < sums.Length; k++) Set(y, k, sums[k] / count);
        return y;
    }

    [Fact]
    public void ReduceMean_HandChecked()
    {
        float[] x = [1, 2, 3, 4, 5, 6];
        Mean([1]).Input("X", x, 2, 3).Output<float>("Y", [2, 5], 2, 1).Run();
        Mean([0], 0).Input("X", x, 2, 3).Output<float>("Y", [2.5f, 3.5f, 4.5f], 3).Run();
        Mean(null).Input("X", x, 2, 3).Output<float>("Y", [3.5f], 1, 1).Run();
        Mean([], 0).Input("X", x, 2, 3).Output("Y", Tensor.From<float>([3.5f], [])).Run();
        Mean([-1, 0], 0).Input<double>("X", [1, 2, 3, 4, 5, 6], 2, 3).Output("Y", Tensor.From<double>([3.5], [])).Run();
        Mean([1]).Input<float>("X", [], 2, 0).Output<float>("Y", [float.NaN, float.NaN], 2, 1).Run();
    }

    [Theory]
    [InlineData(DataType.Float)]
    [InlineData(DataType.Double)]
    public void ReduceMean_Random_MatchesTheReference(DataType type)
    {
        var r = new Random((int)type + 300);
        for (int trial = 0; trial < 30; trial++)
        {
            int rank = r.Next(1, 5);
            var dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 6)).ToArray();
            var axes = Enumerable.Range(0, rank).Where(_ => r.Next(2) == 0).Select(a => (long)(r.Next(2) == 0 ? a : a - rank)).ToArray();
            bool keep = r.Next(2) == 0;
            var x = Make(type, Enumerable.Range(0, (int)Count(dims)).Select(_ => r.NextDouble() * 10 - 5).ToArray(), dims);
            Mean(axes, keep ? 1 : 0).Input("X", x).Output("Y", inputs => MeanReference(inputs[0], axes, keep)).Run();
        }
    }

    [Fact]
    public void ReduceMean_BadInputs_AreClearErrors()
    {
        Mean([2]).Input<float>("X", [1, 2], 2).Output("Y").ExpectError("argument 'axes' has 2 at index 0, out of range for rank 1 (valid: -1 to 0)").Run();
        Mean([0, -1]).Input<float>("X", [1, 2], 2).Output("Y").ExpectError("argument 'axes' names dim 0 twice").Run();
        Mean([0]).Input<int>("X", [1, 2], 2).Output("Y").ExpectError("input 'X' is INT32[2]; ReduceMean takes FLOAT or DOUBLE").Run();
        Assert.NotNull(Catalog.Schemas.Find("ReduceMean")!.Verify(OperatorDef.Create("ReduceMean", "", ["X", "Z"], ["Y"])));
    }

    [Fact]
    public void ReduceMean_Schema_InfersShape_CostAddsEachElement()
    {
        var schema = Catalog.Schemas.Find("ReduceMean")!;
        var def = OperatorDef.Create("ReduceMean", "", ["X"], ["Y"]).SetRepeatedArgument("axes", new long[] { 1 }).SetArgument("keepdims", 0);
        var shapes = new[] { TensorShape.Create([2, 3, 4], DataType.Float) };
        Assert.Equal([2L, 4], Assert.Single(schema.InferTensor(def, shapes)).Dims);
        Assert.Equal(new Cost(24 + 8, 96, 32), schema.InferCost(def, shapes));
    }

    // ---- ArgMax / ArgMin -------------------------------------------------------------------------

    // numpy's rule: a NaN is the extreme (first NaN; last with selectLast); ties: first (last with selectLast).
    private static Tensor ArgReference(Tensor x, int axis, bool keep, bool selectLast, bool max)
    {
        var dims = x.Shape;
        if (axis < 0) axis += dims.Length;
        long outer = dims.Take(axis).Aggregate(1L, (p, d) => p * d), along = dims[axis], inner = dims.Skip(axis + 1).Aggregate(1L, (p, d) => p * d);
        var outDims = keep ? dims.Select((d, i) => i == axis ? 1 : d).ToArray() : dims.Where((d, i) => i != axis).ToArray();
        var y = new Tensor(DataType.Int64, outDims);
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                var values = Enumerable.Range(0, (int)along).Select(k => Get(x, (o * along + k) * inner + i)).ToArray();
                long best;
                var nans = Enumerable.Range(0, values.Length).Where(k => double.IsNaN(values[k])).ToArray();
                if (nans.Length > 0) best = selectLast ? nans[^1] : nans[0];
                else
                {
                    double extreme = max ? values.Max() : values.Min();
                    var hits = Enumerable.Range(0, values.Length).Where(k => values[k] == extreme).ToArray();
                    best = selectLast ? hits[^1] : hits[0];
                }
                y.Data<long>()[(int)(o * inner + i)] = best;
            }
        return y;
    }

    [Fact]
    public void ArgMax_ArgMin_HandChecked_DefaultAxisIsLast()
    {
        float[] x = [1, 3, 3, 0, -1, 2];
        Test("ArgMax").Input("X", x, 2, 3).Output<long>("Y", [1, 2], 2, 1).Run();
        Test("ArgMax").Arg("select_last_index", 1).Input("X", x, 2, 3).Output<long>("Y", [2, 2], 2, 1).Run();
        Test("ArgMin").Arg("axis", 0).Arg("keepdims", 0).Input("X", x, 2, 3).Output<long>("Y", [1, 1, 1], 3).Run();
        Test("ArgMin").Input<int>("X", [5, 2, 2, 9], 4).Output<long>("Y", [1], 1).Run();
    }

    [Fact]
    public void ArgMax_ArgMin_NaN_WinsAsInNumpy_FirstNaN_OrLastWithSelectLastIndex()
    {
        float[] x = [1, float.NaN, 7, float.NaN, -3];
        foreach (var op in new[] { "ArgMax", "ArgMin" })
        {
            Test(op).Input("X", x, 5).Output<long>("Y", [1], 1).Run();
            Test(op).Arg("select_last_index", 1).Input("X", x, 5).Output<long>("Y", [3], 1).Run();
        }
        // -0 and +0 tie: the first wins.
        Test("ArgMax").Input<double>("X", [-0.0, 0.0], 2).Output<long>("Y", [0], 1).Run();
    }

    [Theory]
    [InlineData("ArgMax", DataType.Float)]
    [InlineData("ArgMax", DataType.Double)]
    [InlineData("ArgMax", DataType.Int32)]
    [InlineData("ArgMax", DataType.Int64)]
    [InlineData("ArgMin", DataType.Float)]
    [InlineData("ArgMin", DataType.Double)]
    [InlineData("ArgMin", DataType.Int32)]
    [InlineData("ArgMin", DataType.Int64)]
    public void ArgMax_ArgMin_Random_MatchTheReference(string op, DataType type)
    {
        var r = new Random(op.Length * 31 + (int)type);
        for (int trial = 0; trial < 20; trial++)
        {
            int rank = r.Next(1, 4);
            var dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 5)).ToArray();
            int axis = r.Next(-rank, rank);
            bool keep = r.Next(2) == 0, last = r.Next(2) == 0;
            var values = SmallInts(r, Count(dims));
            if (DataTypes.IsFloatingPoint(type))
                for (int k = 0; k < values.Length; k++)
                    if (r.Next(8) == 0) values[k] = double.NaN;
            var x = Make(type, values, dims);
            Test(op).Arg("axis", axis).Arg("keepdims", keep ? 1 : 0).Arg("select_last_index", last ? 1 : 0).Input("X", x)
                .Output("Y", inputs => ArgReference(inputs[0], axis, keep, last, op == "ArgMax")).Run();
        }
    }

    [Fact]
    public void ArgMax_BadInputs_AreClearErrors()
    {
        Test("ArgMax").Arg("axis", 2).Input<float>("X", [1, 2], 2).Output("Y").ExpectError("argument 'axis' = 2 is out of range for input 'X' FLOAT[2] (valid: -1 to 0)").Run();
        Test("ArgMin").Input<bool>("X", [true], 1).Output("Y").ExpectError("input 'X' is BOOL[1]; ArgMin takes FLOAT, DOUBLE, INT32 or INT64").Run();
        Test("ArgMax").Input<float>("X", [], 2, 0).Output("Y").ExpectError("is empty along axis 1; ArgMax has no element to pick").Run();
        Assert.NotNull(Catalog.Schemas.Find("ArgMax")!.Verify(OperatorDef.Create("ArgMax", "", ["X"], ["Y", "Z"])));
    }

    [Fact]
    public void ArgMax_Schema_InfersInt64_CostComparesEachElement()
    {
        var schema = Catalog.Schemas.Find("ArgMax")!;
        var def = OperatorDef.Create("ArgMax", "", ["X"], ["Y"]).SetArgument("axis", 1).SetArgument("keepdims", 0);
        var shapes = new[] { TensorShape.Create([2, 3, 4], DataType.Double) };
        var y = Assert.Single(schema.InferTensor(def, shapes));
        Assert.Equal(DataType.Int64, y.DataType);
        Assert.Equal([2L, 4], y.Dims);
        Assert.Equal(new Cost(24, 24 * 8, 8 * 8), schema.InferCost(def, shapes));
        Assert.Empty(Catalog.GetGradientForOp(def, [new Schema.Gradients.GradientWrapper("Y_grad")]).Ops);
    }

    [Fact]
    public void SteadyState_DoesNotAllocate()
    {
        var ws = new Workspace(Catalog) { IntraOpThreads = 1 };
        ws.FeedBlob<float>("X", Enumerable.Range(0, 60).Select(v => (float)(v % 7)).ToArray(), 3, 4, 5);
        ws.CreateNet(new NetBuilder("n")
            .ReduceMean("X", "m", [0, 2]).ReduceMean("X", "all", keepDims: false)
            .ArgMax("X", "amax", 1).ArgMin("X", "amin", -1, keepDims: false, selectLastIndex: true)
            .Build());
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"));
    }
}
