using System.Numerics;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime.Testing;

namespace Caffe2Sharp.Runtime.Tests.Operators;

/// <summary>
/// The binary element-wise operator's three shape rules through <see cref="OperatorTester"/>, with
/// throwaway subtraction ops (non-commutative, so operand order shows) against plain references.
/// </summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class BroadcastOperatorTests
{
    /// <summary>x - y, vectorised; FLOAT16 in double (exact there, so it rounds once).</summary>
    private readonly struct SubFunctor : IVectorBinaryFunctor
    {
        public static bool ComputeHalfInDouble => true;
        public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
        public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => x - y;
        public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> => x - y;
        public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> => x - y;
    }

    private static OperatorCatalog BuildCatalog()
    {
        var c = new OperatorCatalog();
        c.RegisterBinaryElementwise("TestSub", _ => new SubFunctor(), DataTypeSet.Arithmetic, Broadcast.Caffe2).AllowInplace((0, 0), (1, 0));
        c.RegisterBinaryElementwise("TestSubNumpy", _ => new SubFunctor(), DataTypeSet.Arithmetic, Broadcast.Numpy).AllowInplace((0, 0), (1, 0));
        c.RegisterBinaryElementwise("TestSubFlat", _ => new SubFunctor(), DataTypeSet.Arithmetic, Broadcast.None, shapeInput: 1).AllowInplace((0, 0), (1, 0));
        return c;
    }

    private static readonly OperatorCatalog Catalog = BuildCatalog();

    // ---- references ------------------------------------------------------------------------------

    private static long Count(long[] dims) => dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>numpy: dims aligned at the end; each pair equal, or one of them 1.</summary>
    private static Func<IReadOnlyList<Tensor>, Tensor> Numpy<T>(Func<T, T, T> f) where T : unmanaged => inputs =>
    {
        long[] a = inputs[0].Shape, b = inputs[1].Shape;
        int rank = Math.Max(a.Length, b.Length);
        long[] pa = [.. Enumerable.Repeat(1L, rank - a.Length), .. a], pb = [.. Enumerable.Repeat(1L, rank - b.Length), .. b];
        var outDims = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            Assert.True(pa[d] == pb[d] || pa[d] == 1 || pb[d] == 1, "the reference was given shapes that do not broadcast");
            outDims[d] = pa[d] == 1 ? pb[d] : pa[d];
        }
        var y = new Tensor(inputs[0].DataType, outDims);
        var xs = inputs[0].Data<T>();
        var ys = inputs[1].Data<T>();
        var zs = y.Data<T>();
        var idx = new long[rank];
        for (long k = 0; k < zs.Length; k++)
        {
            long r = k;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = r % outDims[d]; r /= outDims[d]; }
            long ia = 0, ib = 0;
            for (int d = 0; d < rank; d++)
            {
                ia = ia * pa[d] + (pa[d] == 1 ? 0 : idx[d]);
                ib = ib * pb[d] + (pb[d] == 1 ? 0 : idx[d]);
            }
            zs[(int)k] = f(xs[(int)ia], ys[(int)ib]);
        }
        return y;
    };

    /// <summary>Caffe2's legacy rule, written out: B's leading and trailing 1s dropped (alignment kept), the rest equal to A's dims from axis.</summary>
    private static Func<IReadOnlyList<Tensor>, Tensor> Legacy<T>(int axis, Func<T, T, T> f) where T : unmanaged => inputs =>
    {
        long[] a = inputs[0].Shape, b = inputs[1].Shape;
        if (axis == -1) axis = a.Length - b.Length;
        int first = 0, last = b.Length - 1;
        while (first < b.Length && b[first] == 1) first++;
        while (last >= first && b[last] == 1) last--;
        for (int i = first; i <= last; i++) Assert.Equal(a[axis + i], b[i]);
        var y = new Tensor(inputs[0].DataType, a);
        var xs = inputs[0].Data<T>();
        var ys = inputs[1].Data<T>();
        var zs = y.Data<T>();
        var idx = new long[a.Length];
        for (long k = 0; k < zs.Length; k++)
        {
            long r = k;
            for (int d = a.Length - 1; d >= 0; d--) { idx[d] = r % a[d]; r /= a[d]; }
            long ib = 0;
            for (int i = first; i <= last; i++) ib = ib * b[i] + idx[axis + i];
            zs[(int)k] = f(xs[(int)k], ys[(int)ib]);
        }
        return y;
    };

    // ---- data per type ---------------------------------------------------------------------------

    private static T[] Floats<T>(long n, int seed) where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T> =>
        OperatorTesterReference.SpecialAndRandom<T>((int)n, seed);

    private static OperatorTester Test<T>(string op, long[] aDims, long[] bDims, Func<long, int, T[]> data) where T : unmanaged =>
        new OperatorTester(Catalog, op).Input("A", data(Count(aDims), 1), aDims).Input("B", data(Count(bDims), 2), bDims);

    /// <summary>Runs one shape pair in every type: through TestSubNumpy, and TestSub without broadcast=1 (numpy too).</summary>
    private static void CheckNumpy(long[] aDims, long[] bDims)
    {
        foreach (var op in new[] { "TestSubNumpy", "TestSub" })
        {
            Test<float>(op, aDims, bDims, Floats<float>).Output("Y", Numpy<float>((x, y) => x - y)).Run();
            Test<double>(op, aDims, bDims, Floats<double>).Output("Y", Numpy<double>((x, y) => x - y)).Run();
            Test<Half>(op, aDims, bDims, Floats<Half>).Output("Y", Numpy<Half>((x, y) => (Half)((double)x - (double)y))).Run();
            Test<int>(op, aDims, bDims, (n, s) => [.. Enumerable.Range(0, (int)n).Select(k => k % 7 == 0 ? int.MinValue + s : k * 31 * s - 50)]).Output("Y", Numpy<int>((x, y) => unchecked(x - y))).Run();
            Test<long>(op, aDims, bDims, (n, s) => [.. Enumerable.Range(0, (int)n).Select(k => k % 7 == 0 ? long.MaxValue - s : k * 3_000_000_000L * s)]).Output("Y", Numpy<long>((x, y) => unchecked(x - y))).Run();
        }
    }

    private static void CheckLegacy(long[] aDims, long[] bDims, int? axis)
    {
        OperatorTester T<TT>(Func<long, int, TT[]> data) where TT : unmanaged
        {
            var t = Test("TestSub", aDims, bDims, data).Arg("broadcast", 1);
            return axis is { } ax ? t.Arg("axis", ax) : t;
        }
        int a = axis ?? -1;
        T<float>(Floats<float>).Output("Y", Legacy<float>(a, (x, y) => x - y)).Run();
        T<double>(Floats<double>).Output("Y", Legacy<double>(a, (x, y) => x - y)).Run();
        T<Half>(Floats<Half>).Output("Y", Legacy<Half>(a, (x, y) => (Half)((double)x - (double)y))).Run();
        T<int>((n, s) => [.. Enumerable.Range(0, (int)n).Select(k => k * 17 * s - 9)]).Output("Y", Legacy<int>(a, (x, y) => unchecked(x - y))).Run();
        T<long>((n, s) => [.. Enumerable.Range(0, (int)n).Select(k => k * 5_000_000_000L - s)]).Output("Y", Legacy<long>(a, (x, y) => unchecked(x - y))).Run();
    }

    // ---- numpy -------------------------------------------------------------------------------------

    public static TheoryData<long[], long[]> NumpyShapes() => new()
    {
        { [2, 3, 4], [2, 3, 4] },        // same shape
        { [2, 3], [] },                  // scalar B (rank 0)
        { [], [2, 3] },                  // scalar A
        { [65], [1] },                   // one-element B
        { [1], [33] },                   // one-element A
        { [], [] },                      // rank 0 both
        { [2, 3, 4, 5], [3, 1, 1] },     // [N,C,H,W] with [C,1,1]
        { [2, 3, 4, 5], [5] },           // trailing [W]
        { [2, 3, 65], [65] },
        { [3, 1], [1, 4] },              // both sides broadcast
        { [4, 1, 33], [1, 17, 1] },
        { [1, 130], [129, 1] },
        { [2, 1, 3], [5, 1] },
        { [0, 3], [3] },                 // empty dims
        { [2, 0], [1] },
        { [0], [] },
        { [3, 0, 2], [1, 2] },
        { [2048], [2048] },
        { [7, 9], [7, 1] },
    };

    [Theory]
    [MemberData(nameof(NumpyShapes))]
    public void Numpy_MatchesReference_InEveryType_InAndOutOfPlace(long[] a, long[] b) => CheckNumpy(a, b);

    // ---- Caffe2 legacy (broadcast=1) ----------------------------------------------------------

    public static TheoryData<long[], long[], int?> LegacyShapes() => new()
    {
        { [1, 20, 4, 4], [20], 1 },      // LeNet's Add, smaller: numpy would fail
        { [2, 5, 3, 4], [5, 3], 1 },
        { [2, 5, 3, 4], [4], null },     // default axis -1: trailing
        { [2, 5, 3, 4], [3, 4], -1 },
        { [2, 5, 3, 4], [2], 0 },
        { [2, 3, 5, 4], [1, 5, 1], 1 },  // 1s dropped without moving the alignment: 5 at A's dim 2
        { [2, 3, 5, 4], [1, 1], null },  // one element: a scalar
        { [2, 3, 5, 4], [1], 2 },
        { [2, 3], [], null },            // rank-0 B
        { [2, 3], [2, 3], null },        // same shape
        { [3, 65], [65], -1 },
        { [0, 4], [4], null },           // empty
    };

    [Theory]
    [MemberData(nameof(LegacyShapes))]
    public void Legacy_MatchesReference_InEveryType_InAndOutOfPlace(long[] a, long[] b, int? axis) => CheckLegacy(a, b, axis);

    [Fact]
    public void Legacy_LeNetShape_FailsWithoutBroadcast1() =>
        new OperatorTester(Catalog, "TestSub").Input("A", new float[20 * 4], 1, 20, 2, 2).Input("B", new float[20], 20).Output("Y")
            .ExpectError("input 0 'A' FLOAT[1, 20, 2, 2] and input 1 'B' FLOAT[20] do not broadcast: numpy broadcasting needs each pair of trailing dims to be equal or 1").Run();

    // ---- Broadcast.None -----------------------------------------------------------------------

    [Fact]
    public void None_SameCountDifferentShape_TakesTheRegisteredInputsShape() =>
        new OperatorTester(Catalog, "TestSubFlat").Input<int>("A", [1, 2, 3, 4], 4).Input<int>("B", [10, 20, 30, 40], 2, 2)
            .Output<int>("Y", [-9, -18, -27, -36], 2, 2).Run();

    [Fact]
    public void None_DifferentCounts_IsAClearError() =>
        new OperatorTester(Catalog, "TestSubFlat").Input<int>("A", [1, 2, 3], 3).Input<int>("B", [10], 1).Output("Y")
            .ExpectError("input 0 'A' INT32[3] and input 1 'B' INT32[1] must have the same number of elements").Run();

    // ---- in place that cannot hold the result; errors --------------------------------------------

    [Theory]
    [InlineData("TestSubNumpy", "A", 0, "[3, 4], not FLOAT[3, 1]")]
    [InlineData("TestSubNumpy", "B", 1, "[3, 4], not FLOAT[1, 4]")]
    [InlineData("TestSub", "B", 1, "[3, 4], not FLOAT[1, 4]")]
    public void InPlace_OnAnInputWithoutTheOutputsShape_IsAClearError(string op, string output, int input, string shapes) =>
        new OperatorTester(Catalog, op).Input("A", new float[3], 3, 1).Input("B", new float[4], 1, 4).Output(output)
            .ExpectError($"output '{output}' is input {input} in place, but the result has shape {shapes}").Run();

    [Fact]
    public void InPlace_OnB_WhenBHasTheOutputsShape_IsRight() =>
        // Explicitly in place on B (the harness also tries it): B [2,3] is the output's shape.
        new OperatorTester(Catalog, "TestSubNumpy").Input<double>("A", [1, 2, 3], 3).Input<double>("B", [10, 20, 30, 40, 50, 60], 2, 3)
            .Output<double>("B", [-9, -18, -27, -39, -48, -57], 2, 3).Run();

    [Theory]
    [InlineData(new long[] { 2, 3 }, new long[] { 4 }, "numpy broadcasting needs each pair of trailing dims to be equal or 1")]
    [InlineData(new long[] { 2, 3 }, new long[] { 3, 3 }, "numpy broadcasting needs each pair")]
    [InlineData(new long[] { 2, 1, 3 }, new long[] { 4, 2 }, "do not broadcast")]
    public void Numpy_IncompatibleShapes_AreAClearError(long[] a, long[] b, string message)
    {
        foreach (var op in new[] { "TestSubNumpy", "TestSub" })
            new OperatorTester(Catalog, op).Input("A", new float[Count(a)], a).Input("B", new float[Count(b)], b).Output("Y").ExpectError(message).Run();
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, new long[] { 3 }, 5, "axis 5 is out of range for A of rank 2 and B of rank 1 (0 to 1, or -1)")]
    [InlineData(new long[] { 2, 3 }, new long[] { 3 }, -2, "axis -2 is out of range")]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 3 }, -1, "B's dim 0 (3) does not match A's dim 2 (4) with axis 2")]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 1, 2, 3, 4 }, 0, "B has 4 dims, more than A's 3")]
    [InlineData(new long[] { 3 }, new long[] { 1, 3 }, -1, "B has 2 dims, more than A's 1")]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 3, 5 }, 1, "B's dim 1 (5) does not match A's dim 2 (4)")]
    public void Legacy_BadAxisOrShapes_AreAClearError(long[] a, long[] b, int axis, string message) =>
        new OperatorTester(Catalog, "TestSub").Arg("broadcast", 1).Arg("axis", axis)
            .Input("A", new float[Count(a)], a).Input("B", new float[Count(b)], b).Output("Y").ExpectError(message).Run();

    [Fact]
    public void Legacy_AxisBeyondInt_IsAClearError_NotAWrap() =>
        new OperatorTester(Catalog, "TestSub").Arg("broadcast", 1).Arg("axis", 4294967296L)
            .Input("A", new float[6], 2, 3).Input("B", new float[3], 3).Output("Y").ExpectError("argument 'axis' = 4294967296 is out of range").Run();

    [Fact]
    public void ElementTypeSets_RefuseBool_WhichNoKernelDispatches()
    {
        var e = Assert.Throws<ArgumentException>(() => DataTypeSet.Of(DataType.Float, DataType.Bool));
        Assert.Contains("BOOL is not a numeric type", e.Message);
    }

    [Fact]
    public void BroadcastArgumentOtherThan0Or1_IsAClearError() =>
        new OperatorTester(Catalog, "TestSub").Arg("broadcast", 2).Input<float>("A", [1f]).Input<float>("B", [1f]).Output("Y")
            .ExpectError("argument 'broadcast' must be 0 or 1; got 2").Run();

    [Fact]
    public void MixedTypes_AndUnsupportedTypes_AreClearErrors()
    {
        new OperatorTester(Catalog, "TestSub").Input<float>("A", [1f]).Input<double>("B", [1.0]).Output("Y")
            .ExpectError("input 0 'A' is FLOAT[1] but input 1 'B' is DOUBLE[1]; they must have the same type").Run();
        new OperatorTester(Catalog, "TestSub").Input<byte>("A", [1]).Input<byte>("B", [1]).Output("Y")
            .ExpectError("input 0 'A' is UINT8[1]; TestSub takes FLOAT").Run();
    }
}
