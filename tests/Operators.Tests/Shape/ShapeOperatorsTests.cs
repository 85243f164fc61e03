using Caffe2Sharp.Tests;
using Caffe2Sharp.Operators.Shape;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;

namespace Caffe2Sharp.Operators.Tests.Shape;

/// <summary>Reshape, Flatten, Transpose, Squeeze, ExpandDims, Concat and Split on the harness, against plain references.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ShapeOperatorsTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(ShapeOperators.Register);

    private static OperatorTester Test(string op) => new(Catalog, op);

    private static float[] Iota(long n, float start = 0) => Enumerable.Range(0, (int)n).Select(k => start + k).ToArray();

    private static Tensor Scalar<T>(T v) where T : unmanaged => Tensor.From<T>((ReadOnlySpan<T>)new[] { v }, ReadOnlySpan<long>.Empty);

    private static long Count(long[] dims) => dims.Aggregate(1L, (a, b) => a * b);

    // ---- plain references: multi-index arithmetic, one element at a time ----------------------

    private static long[] Unravel(long k, long[] dims)
    {
        var idx = new long[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--)
        {
            idx[d] = k % dims[d];
            k /= dims[d];
        }
        return idx;
    }

    private static long Ravel(long[] idx, long[] dims)
    {
        long k = 0;
        for (int d = 0; d < dims.Length; d++) k = k * dims[d] + idx[d];
        return k;
    }

    private static (T[] Data, long[] Dims) TransposeReference<T>(T[] x, long[] dims, int[] axes)
    {
        var outDims = axes.Select(a => dims[a]).ToArray();
        var y = new T[x.Length];
        for (long k = 0; k < y.Length; k++)
        {
            var o = Unravel(k, outDims);
            var i = new long[dims.Length];
            for (int d = 0; d < axes.Length; d++) i[axes[d]] = o[d];
            y[k] = x[Ravel(i, dims)];
        }
        return (y, outDims);
    }

    private static (T[] Data, long[] Dims) ConcatReference<T>(IReadOnlyList<(T[] Data, long[] Dims)> xs, int axis, bool addAxis)
    {
        var parts = addAxis
            ? xs.Select(x => (x.Data, Dims: x.Dims.Take(axis).Append(1L).Concat(x.Dims.Skip(axis)).ToArray())).ToList()
            : xs.ToList();
        var outDims = (long[])parts[0].Dims.Clone();
        outDims[axis] = parts.Sum(p => p.Dims[axis]);
        var y = new T[Count(outDims)];
        for (long k = 0; k < y.Length; k++)
        {
            var idx = Unravel(k, outDims);
            int p = 0;
            while (idx[axis] >= parts[p].Dims[axis]) idx[axis] -= parts[p++].Dims[axis];
            y[k] = parts[p].Data[Ravel(idx, parts[p].Dims)];
        }
        return (y, outDims);
    }

    private static (T[] Data, long[] Dims) SliceReference<T>(T[] x, long[] dims, int axis, long start, long length)
    {
        var outDims = (long[])dims.Clone();
        outDims[axis] = length;
        var y = new T[Count(outDims)];
        for (long k = 0; k < y.Length; k++)
        {
            var idx = Unravel(k, outDims);
            idx[axis] += start;
            y[k] = x[Ravel(idx, dims)];
        }
        return (y, outDims);
    }

    // ---- Reshape --------------------------------------------------------------------------------

    [Theory]
    [InlineData(new long[] { 0, -1 }, new long[] { 2, 12 })]
    [InlineData(new long[] { 4, 0, -1 }, new long[] { 4, 3, 2 })]
    [InlineData(new long[] { -1 }, new long[] { 24 })]
    [InlineData(new long[] { 0, 0, 0 }, new long[] { 2, 3, 4 })]
    [InlineData(new long[] { 2, -1, 2, 1 }, new long[] { 2, 6, 2, 1 })]
    [InlineData(new long[] { 24, 1 }, new long[] { 24, 1 })]
    public void Reshape_ShapeArgument_ZeroCopies_MinusOneIsInferred(long[] shape, long[] expected)
    {
        var x = Iota(24);
        var t = Test("Reshape").Input("X", x, 2, 3, 4);
        t.Def.SetRepeatedArgument("shape", shape);
        t.Output("Y", x, expected).Output<long>("old_shape", [2, 3, 4], 3).Run();
    }

    [Fact]
    public void Reshape_ShapeFromInput_Int64AndInt32()
    {
        var x = Iota(24);
        Test("Reshape").Input("X", x, 2, 3, 4).Input<long>("shape", [3, -1, 0], 3)
            .Output("Y", x, 3, 2, 4).Output<long>("old_shape", [2, 3, 4], 3).Run();
        Test("Reshape").Input("X", x, 2, 3, 4).Input<int>("shape", [6, 4], 2)
            .Output("Y", x, 6, 4).Output<long>("old_shape", [2, 3, 4], 3).Run();
    }

    [Fact]
    public void Reshape_EveryTypeAndEmptyAndScalar()
    {
        var t = Test("Reshape").Input<Half>("X", [(Half)1, (Half)(-0.0), Half.NaN, (Half)4], 2, 2);
        t.Def.SetRepeatedArgument("shape", new long[] { 4 });
        t.Output<Half>("Y", [(Half)1, (Half)(-0.0), Half.NaN, (Half)4], 4).Output<long>("old_shape", [2, 2], 2).Run();

        var e = Test("Reshape").Input<sbyte>("X", [], 0, 3);
        e.Def.SetRepeatedArgument("shape", new long[] { 0, -1 });
        e.Output("Y").Output("old_shape").ExpectError("cannot infer the -1 at index 1: the other dims multiply to 0").Run();

        var z = Test("Reshape").Input<sbyte>("X", [], 0, 3);
        z.Def.SetRepeatedArgument("shape", new long[] { 3, 0, -1 });
        z.Output<sbyte>("Y", [], 3, 3, 0).Output<long>("old_shape", [0, 3], 2).Run();

        var s = Test("Reshape").Input("X", Tensor.From<double>(new[] { 7.5 }));
        s.Def.SetRepeatedArgument("shape", Array.Empty<long>());
        s.Output("Y", Scalar(7.5)).Output<long>("old_shape", [1], 1).Run();
    }

    [Theory]
    [InlineData(new long[] { 5, 5 }, "argument 'shape' [5, 5] has 25 elements but the input [2, 3, 4] has 24; they must match")]
    [InlineData(new long[] { -1, -1 }, "has more than one -1 (at 0 and 1)")]
    [InlineData(new long[] { 5, -1 }, "24 elements are not a multiple of 5")]
    [InlineData(new long[] { 1, 1, 1, 0 }, "has 0 at index 3, which copies the input's dim 3, but the input [2, 3, 4] has rank 3")]
    [InlineData(new long[] { -2, 12 }, "has dim -2 at index 0")]
    public void Reshape_BadShape_IsAClearError(long[] shape, string message)
    {
        var t = Test("Reshape").Input("X", Iota(24), 2, 3, 4);
        t.Def.SetRepeatedArgument("shape", shape);
        t.Output("Y").Output("old_shape").ExpectError(message).Run();
    }

    [Fact]
    public void Reshape_ShapeArgumentAndInput_OrNeither_IsAnError()
    {
        var both = Test("Reshape").Input("X", Iota(4), 4).Input<long>("S", [2, 2], 2);
        both.Def.SetRepeatedArgument("shape", new long[] { 4 });
        both.Output("Y").Output("old").ExpectError("takes the new shape from input 1 'S' or from argument 'shape', not both").Run();
        Test("Reshape").Input("X", Iota(4), 4).Output("Y").Output("old").ExpectError("argument 'shape' is missing").Run();
        Test("Reshape").Input("X", Iota(4), 4).Input<float>("S", [2, 2], 2).Output("Y").Output("old")
            .ExpectError("shape input 1 'S' must be INT64 or INT32").Run();
        Test("Reshape").Input("X", Iota(4), 4).Input<long>("S", [3, 2], 2).Output("Y").Output("old")
            .ExpectError("shape input 'S' [3, 2] has 6 elements but the input [4] has 4").Run();
    }

    [Fact]
    public void Reshape_InPlace_KeepsTheElements()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", Iota(6), 2, 3);
        ws.RunOperatorOnce(OperatorDef.Create("Reshape", "", ["X"], ["X", "old"]).SetRepeatedArgument("shape", new long[] { 3, 2 }));
        Assert.Equal([3L, 2L], ws.FetchBlob("X").Shape);
        Assert.Equal(Iota(6), ws.FetchBlob<float>("X"));
        Assert.Equal([2L, 3L], ws.FetchBlob<long>("old"));
    }

    // ---- Flatten --------------------------------------------------------------------------------

    [Theory]
    [InlineData(0, 1, 120)]
    [InlineData(1, 2, 60)]
    [InlineData(2, 6, 20)]
    [InlineData(3, 24, 5)]
    [InlineData(4, 120, 1)]
    public void Flatten_EveryAxis(int axis, long outer, long inner)
    {
        var x = Iota(120);
        Test("Flatten").Arg("axis", axis).Input("X", x, 2, 3, 4, 5).Output("Y", x, outer, inner).Run();
    }

    [Fact]
    public void Flatten_DefaultAxisIsOne_AndEveryTypeWorks()
    {
        Test("Flatten").Input<long>("X", [1, 2, 3, 4, 5, 6], 2, 1, 3).Output<long>("Y", [1, 2, 3, 4, 5, 6], 2, 3).Run();
        Test("Flatten").Input<Half>("X", [(Half)1, (Half)2], 2).Output<Half>("Y", [(Half)1, (Half)2], 2, 1).Run();
    }

    [Fact]
    public void Flatten_AxisOutOfRange_IsAnError()
    {
        Test("Flatten").Arg("axis", 4).Input("X", Iota(6), 2, 3).Output("Y").ExpectError("argument 'axis' = 4 is beyond the rank of input 'X' FLOAT[2, 3] (valid: 0 to 2)").Run();
        Test("Flatten").Arg("axis", -1).Input("X", Iota(6), 2, 3).Output("Y").ExpectError("argument 'axis' = -1 must be 0 or more").Run();
    }

    // ---- Transpose ------------------------------------------------------------------------------

    public static TheoryData<long[], int[]> Permutations() => new()
    {
        { [3, 5], [1, 0] },
        { [3, 5], [0, 1] },
        { [2, 3, 4], [0, 1, 2] }, { [2, 3, 4], [0, 2, 1] }, { [2, 3, 4], [1, 0, 2] },
        { [2, 3, 4], [1, 2, 0] }, { [2, 3, 4], [2, 0, 1] }, { [2, 3, 4], [2, 1, 0] },
        { [2, 3, 4, 5], [0, 2, 3, 1] }, { [2, 3, 4, 5], [0, 3, 1, 2] }, { [2, 3, 4, 5], [3, 2, 1, 0] },
        { [2, 3, 4, 5], [1, 0, 3, 2] }, { [1, 7, 1, 9], [2, 3, 0, 1] },
        { [4, 0, 3], [2, 1, 0] },
        { [33], [0] },
    };

    [Theory]
    [MemberData(nameof(Permutations))]
    public void Transpose_MatchesTheReference_ForFloatInt64AndHalf(long[] dims, int[] axes)
    {
        var x = Iota(Count(dims), -3);
        Run(x);
        Run(x.Select(v => (long)v * 1_000_000_007L).ToArray());
        Run(x.Select(v => (Half)v).ToArray());
        Run(x.Select(v => (byte)v).ToArray());
        Run(x.Select(v => (short)v).ToArray());

        void Run<T>(T[] data) where T : unmanaged
        {
            var (y, outDims) = TransposeReference(data, dims, axes);
            var t = Test("Transpose").Input("X", data, dims);
            t.Def.SetRepeatedArgument("axes", axes);
            t.Output("Y", y, outDims).Run();
        }
    }

    [Fact]
    public void Transpose_WithoutAxes_ReversesTheDims()
    {
        var x = Iota(24).Select(v => (double)v).ToArray();
        var (y, dims) = TransposeReference(x, [2, 3, 4], [2, 1, 0]);
        Test("Transpose").Input("X", x, 2, 3, 4).Output("Y", y, dims).Run();
        Test("Transpose").Input("X", Scalar(5f)).Output("Y", Scalar(5f)).Run();
    }

    [Fact]
    public void Transpose_BadAxes_IsAClearError()
    {
        var t = Test("Transpose").Input("X", Iota(6), 2, 3);
        t.Def.SetRepeatedArgument("axes", new[] { 0, 2, 1 });
        t.Output("Y").ExpectError("argument 'axes' has 3 entries but input 'X' FLOAT[2, 3] has rank 2").Run();
        var p = Test("Transpose").Input("X", Iota(6), 2, 3);
        p.Def.SetRepeatedArgument("axes", new[] { 0, 0 });
        p.Output("Y").ExpectError("argument 'axes' [0, 0] is not a permutation of 0 to 1").Run();
    }

    // ---- Squeeze and ExpandDims ------------------------------------------------------------------

    [Theory]
    [InlineData(new long[] { 1, 3, 1, 4 }, new[] { 0, 2 }, new long[] { 3, 4 })]
    [InlineData(new long[] { 1, 3, 1, 4 }, new[] { 2, 0, 2 }, new long[] { 3, 4 })]
    [InlineData(new long[] { 3, 1 }, new[] { 1 }, new long[] { 3 })]
    [InlineData(new long[] { 1 }, new[] { 0 }, new long[] { })]
    [InlineData(new long[] { 0, 1 }, new[] { 1 }, new long[] { 0 })]
    public void Squeeze_RemovesTheListedDims(long[] dims, int[] squeeze, long[] expected)
    {
        var x = Iota(Count(dims));
        var t = Test("Squeeze").Input("X", Tensor.From<float>(x, dims));
        t.Def.SetRepeatedArgument("dims", squeeze);
        t.Output("Y", Tensor.From<float>(x, expected)).Run();
    }

    [Fact]
    public void Squeeze_ADimThatIsNotOne_OrBeyondTheRank_IsAnError()
    {
        var t = Test("Squeeze").Input("X", Iota(12), 1, 3, 4);
        t.Def.SetRepeatedArgument("dims", new[] { 0, 1 });
        t.Output("Y").ExpectError("cannot squeeze dim 1 of the input [1, 3, 4]: its size is 3, not 1").Run();
        var b = Test("Squeeze").Input("X", Iota(12), 1, 3, 4);
        b.Def.SetRepeatedArgument("dims", new[] { 3 });
        b.Output("Y").ExpectError("argument 'dims' names dim 3, but the input [1, 3, 4] has rank 3").Run();
        var n = Test("Squeeze").Input("X", Iota(12), 1, 3, 4);
        n.Def.SetRepeatedArgument("dims", new[] { -1 });
        n.Output("Y").ExpectError("argument 'dims' has negative dim -1").Run();
    }

    [Theory]
    [InlineData(new long[] { 3, 4 }, new[] { 0, 3 }, new long[] { 1, 3, 4, 1 })]
    [InlineData(new long[] { 3, 4 }, new[] { 3, 0, 0 }, new long[] { 1, 3, 4, 1 })]
    [InlineData(new long[] { 3, 4 }, new[] { 1, 2 }, new long[] { 3, 1, 1, 4 })]
    [InlineData(new long[] { }, new[] { 0 }, new long[] { 1 })]
    [InlineData(new long[] { 2, 0 }, new[] { 2 }, new long[] { 2, 0, 1 })]
    public void ExpandDims_InsertsAtTheListedOutputPositions(long[] dims, int[] expand, long[] expected)
    {
        var x = Iota(Count(dims)).Select(v => (int)v).ToArray();
        var t = Test("ExpandDims").Input("X", Tensor.From<int>(x, dims));
        t.Def.SetRepeatedArgument("dims", expand);
        t.Output("Y", Tensor.From<int>(x, expected)).Run();
    }

    [Fact]
    public void ExpandDims_PositionBeyondTheOutputRank_IsAnError()
    {
        var t = Test("ExpandDims").Input("X", Iota(12), 3, 4);
        t.Def.SetRepeatedArgument("dims", new[] { 0, 4 });
        t.Output("Y").ExpectError("argument 'dims' names output dim 4, but the input [3, 4] with 2 new dim(s) has rank 4").Run();
    }

    // ---- Concat ---------------------------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(-4)]
    public void Concat_AlongEveryAxis_WithSplitInfo(int axis)
    {
        int canonical = axis < 0 ? axis + 4 : axis;
        long[] baseDims = [2, 3, 4, 5];
        var parts = new List<(float[] Data, long[] Dims)>();
        for (int i = 0; i < 3; i++)
        {
            var dims = (long[])baseDims.Clone();
            dims[canonical] = i + 1;
            parts.Add((Iota(Count(dims), 1000 * i), dims));
        }
        var (y, outDims) = ConcatReference(parts, canonical, addAxis: false);
        var t = Test("Concat").Arg("axis", axis);
        for (int i = 0; i < parts.Count; i++) t.Input($"X{i}", parts[i].Data, parts[i].Dims);
        t.Output("Y", y, outDims).Output<int>("split_info", [1, 2, 3], 3).Run();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Concat_AddAxis_StacksAlongANewAxis(int axis)
    {
        long[] dims = [2, 3, 4];
        var parts = Enumerable.Range(0, 3).Select(i => (Data: Iota(24, 100 * i).Select(v => (long)v).ToArray(), Dims: dims)).ToList();
        var (y, outDims) = ConcatReference(parts, axis, addAxis: true);
        var t = Test("Concat").Arg("axis", axis).Arg("add_axis", 1);
        for (int i = 0; i < parts.Count; i++) t.Input($"X{i}", parts[i].Data, dims);
        t.Output("Y", y, outDims).Output<int>("split_info", [1, 1, 1], 3).Run();
    }

    [Fact]
    public void Concat_DefaultAxisIsOne_OrderPicksTheAxis_AndOneInputIsACopy()
    {
        var a = Iota(8);
        var b = Iota(4, 50);
        var (y1, d1) = ConcatReference([(a, [2, 2, 2]), (b, [2, 1, 2])], 1, false);
        Test("Concat").Input("A", a, 2, 2, 2).Input("B", b, 2, 1, 2).Output("Y", y1, d1).Output<int>("info", [2, 1], 2).Run();

        var c = Iota(2 * 2 * 2 * 3);
        var e = Iota(2 * 2 * 2 * 1, 90);
        var (y3, d3) = ConcatReference([(c, [2, 2, 2, 3]), (e, [2, 2, 2, 1])], 3, false);
        Test("Concat").Arg("order", "NHWC").Input("A", c, 2, 2, 2, 3).Input("B", e, 2, 2, 2, 1).Output("Y", y3, d3).Output<int>("info", [3, 1], 2).Run();
        var (yn, dn) = ConcatReference([(c, [2, 2, 2, 3]), (c, [2, 2, 2, 3])], 1, false);
        Test("Concat").Arg("order", "NCHW").Input("A", c, 2, 2, 2, 3).Input("B", c, 2, 2, 2, 3).Output("Y", yn, dn).Output<int>("info", [2, 2], 2).Run();

        Test("Concat").Input<Half>("A", [(Half)1, (Half)(-0.0), Half.NaN], 1, 3).Output<Half>("Y", [(Half)1, (Half)(-0.0), Half.NaN], 1, 3).Output<int>("info", [3], 1).Run();
        Test("Concat").Arg("axis", 0).Input<int>("A", [], 0, 2).Input<int>("B", [1, 2], 1, 2).Output<int>("Y", [1, 2], 1, 2).Output<int>("info", [0, 1], 2).Run();
    }

    [Fact]
    public void Concat_Errors_NameArgumentsBlobsAndShapes()
    {
        Test("Concat").Arg("axis", 1).Arg("order", "NCHW").Input("A", Iota(4), 2, 2).Output("Y").Output("info")
            .ExpectError("arguments 'axis' and 'order' cannot both be given").Run();
        Test("Concat").Arg("order", "CHWN").Input("A", Iota(4), 2, 2).Output("Y").Output("info")
            .ExpectError("argument 'order' = \"CHWN\" is not NCHW or NHWC").Run();
        Test("Concat").Arg("axis", 0).Input("A", Iota(4), 2, 2).Input("B", Iota(3), 1, 3).Output("Y").Output("info")
            .ExpectError("input 1 'B' FLOAT[1, 3] differs from input 0 'A' FLOAT[2, 2] at dim 1; only the axis (0) may differ").Run();
        Test("Concat").Arg("add_axis", 1).Input("A", Iota(4), 2, 2).Input("B", Iota(6), 3, 2).Output("Y").Output("info")
            .ExpectError("with add_axis every dim must match").Run();
        Test("Concat").Input("A", Iota(4), 2, 2).Input<double>("B", [1, 2, 3, 4], 2, 2).Output("Y").Output("info")
            .ExpectError("input 1 'B' is DOUBLE[2, 2] but input 0 'A' is FLOAT[2, 2]: the inputs need one type and rank").Run();
        Test("Concat").Arg("axis", 2).Input("A", Iota(4), 2, 2).Output("Y").Output("info")
            .ExpectError("argument 'axis' = 2 is out of range for input 0 'A' FLOAT[2, 2] (valid: -2 to 1)").Run();
    }

    // ---- Split ----------------------------------------------------------------------------------

    [Theory]
    [InlineData(0, new long[] { 1, 3 })]
    [InlineData(1, new long[] { 2, 0, 1 })]
    [InlineData(2, new long[] { 1, 1, 2 })]
    [InlineData(-1, new long[] { 3, 2 })]
    public void Split_WithSizes_FromTheArgumentAndFromAnInput(int axis, long[] split)
    {
        long[] dims = [4, 3, 4, 5];
        int canonical = axis < 0 ? axis + 4 : axis;
        var x = Iota(Count(dims));
        var t = Test("Split").Arg("axis", axis).Input("X", x, dims);
        t.Def.SetRepeatedArgument("split", split);
        var fromInput = Test("Split").Arg("axis", axis).Input("X", x, dims).Input("S", split.Select(v => (int)v).ToArray(), split.Length);
        long start = 0;
        for (int o = 0; o < split.Length; o++)
        {
            var (y, yd) = SliceReference(x, dims, canonical, start, split[o]);
            t.Output($"Y{o}", y, yd);
            fromInput.Output($"Y{o}", y, yd);
            start += split[o];
        }
        t.Run();
        fromInput.Run();
    }

    [Fact]
    public void Split_WithoutSizes_SplitsEqually_AndAddAxisRemovesTheAxis()
    {
        var x = Iota(2 * 6 * 2).Select(v => (Half)v).ToArray();
        var t = Test("Split").Input("X", x, 2, 6, 2);
        for (int o = 0; o < 3; o++)
        {
            var (y, yd) = SliceReference(x, [2, 6, 2], 1, 2 * o, 2);
            t.Output($"Y{o}", y, yd);
        }
        t.Run();

        var s = Test("Split").Arg("axis", 0).Arg("add_axis", 1).Input<long>("X", [1, 2, 3, 4, 5, 6], 3, 2);
        s.Output<long>("A", [1, 2], 2).Output<long>("B", [3, 4], 2).Output<long>("C", [5, 6], 2).Run();
    }

    [Fact]
    public void Split_Errors_NameArgumentsBlobsAndShapes()
    {
        Test("Split").Input("X", Iota(10), 2, 5).Output("A").Output("B")
            .ExpectError("input 'X' FLOAT[2, 5] has 5 along axis 1, which does not split into 2 equal parts; give 'split'").Run();
        var sum = Test("Split").Input("X", Iota(10), 2, 5);
        sum.Def.SetRepeatedArgument("split", new long[] { 2, 2 });
        sum.Output("A").Output("B").ExpectError("split sizes [2, 2] add up to 4, but input 'X' FLOAT[2, 5] has 5 along axis 1").Run();
        var count = Test("Split").Input("X", Iota(10), 2, 5);
        count.Def.SetRepeatedArgument("split", new long[] { 5 });
        count.Output("A").Output("B").ExpectError("argument 'split' has 1 sizes but the op has 2 outputs").Run();
        var both = Test("Split").Input("X", Iota(10), 2, 5).Input<int>("S", [2, 3], 2);
        both.Def.SetRepeatedArgument("split", new long[] { 2, 3 });
        both.Output("A").Output("B").ExpectError("takes the sizes from input 1 'S' or from argument 'split', not both").Run();
        Test("Split").Input("X", Iota(10), 2, 5).Input<int>("S", [2, 3, 0], 3).Output("A").Output("B")
            .ExpectError("split input 1 'S' is INT32[3]; it must be 1-D with one size per output (2)").Run();
        Test("Split").Arg("axis", 0).Arg("add_axis", 1).Input("X", Iota(10), 2, 5).Output("A")
            .ExpectError("exactly 1 with add_axis").Run();
    }

    // ---- gradients, allocation ------------------------------------------------------------------

    [Fact]
    public void GradientMakers_AreCaffe2sForm()
    {
        var reshape = Assert.Single(Catalog.GetGradientForOp(OperatorDef.Create("Reshape", "", ["X"], ["Y", "old"]).SetRepeatedArgument("shape", new long[] { -1 }),
            [new GradientWrapper("Y_grad"), new GradientWrapper()]).Ops);
        Assert.Empty(reshape.Arg);
        Assert.Equal("Reshape", reshape.Type);
        Assert.Equal(["Y_grad", "old"], reshape.Input);
        Assert.Equal("X_grad", reshape.Output[0]);

        var transpose = Assert.Single(Catalog.GetGradientForOp(
            OperatorDef.Create("Transpose", "", ["X"], ["Y"]).SetRepeatedArgument("axes", new[] { 1, 2, 0 }), [new GradientWrapper("Y_grad")]).Ops);
        Assert.Equal([2, 0, 1], transpose.GetRepeatedArgument<int>("axes"));

        var concat = Assert.Single(Catalog.GetGradientForOp(
            OperatorDef.Create("Concat", "", ["A", "B"], ["Y", "info"]).SetArgument("axis", 2), [new GradientWrapper("Y_grad"), new GradientWrapper()]).Ops);
        Assert.Equal("Split", concat.Type);
        Assert.Equal(["Y_grad", "info"], concat.Input);
        Assert.Equal(["A_grad", "B_grad"], concat.Output);
        Assert.Equal(2, concat.GetSingleArgument("axis", 1));

        var squeeze = Assert.Single(Catalog.GetGradientForOp(
            OperatorDef.Create("Squeeze", "", ["X"], ["Y"]).SetRepeatedArgument("dims", new[] { 0 }), [new GradientWrapper("Y_grad")]).Ops);
        Assert.Equal("ExpandDims", squeeze.Type);
    }

    [Fact]
    public void Transpose_And_Concat_GradientsRoundTrip_ThroughTheGradientCheck()
    {
        var t = Test("Transpose").Input("X", Iota(24).Select(v => v * 0.1f).ToArray(), 2, 3, 4);
        t.Def.SetRepeatedArgument("axes", new[] { 1, 2, 0 });
        t.Output("Y").GradientCheck(0).Run();
        var r = Test("Reshape").Input("X", Iota(6).Select(v => v * 0.1f).ToArray(), 2, 3);
        r.Def.SetRepeatedArgument("shape", new long[] { 3, 2 });
        r.Output("Y").Output("old").GradientCheck(0).Run();
    }

    [Fact]
    public void SteadyState_DoesNotAllocate()
    {
        var ws = new Workspace(Catalog) { IntraOpThreads = 1 };
        ws.FeedBlob<float>("X", Iota(2 * 3 * 4 * 5), 2, 3, 4, 5);
        ws.FeedBlob<long>("S", [6, -1], 2);
        ws.CreateNet(new NetBuilder("n")
            .Reshape("X", [0, -1], "R", "R_old")
            .Op("Reshape", ["X", "S"], ["R2", "R2_old"])
            .Flatten("X", "F", 4)
            .Transpose("X", "T", [0, 2, 3, 1])
            .Op("Squeeze", ["F"], ["F2"], null, ArgumentHelper.MakeRepeatedArgument("dims", new[] { 1 }))
            .Op("ExpandDims", ["X"], ["E"], null, ArgumentHelper.MakeRepeatedArgument("dims", new[] { 0, 5 }))
            .Concat(["X", "X"], "C", "C_info", 0)
            .Split("X", ["P0", "P1"], 2, [1, 3])
            .Split("X", ["Q0", "Q1", "Q2"], 1)
            .Build());
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
    }
}
