using System.Numerics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Gradients;

namespace Caffe2Sharp.Runtime.Tests.Testing;

/// <summary>The harness itself: it passes right operators and catches wrong ones, naming the mode and element.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class OperatorTesterTests
{
    private readonly struct NegFunctor : IUnaryFunctor
    {
        public T Invoke<T>(T x) where T : unmanaged, INumber<T> => -x;
    }

    /// <summary>Wrong: -x + 0 turns -(+0) = -0 into +0 (only visible bit for bit).</summary>
    private readonly struct NegPlusZeroFunctor : IUnaryFunctor
    {
        public T Invoke<T>(T x) where T : unmanaged, INumber<T> => -x + T.Zero;
    }

    /// <summary>Wrong: negates except where x == 3.</summary>
    private readonly struct NegButThreeFunctor : IUnaryFunctor
    {
        public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x == T.CreateTruncating(3) ? x : -x;
    }

    /// <summary>y[k] = x[k] + x[n-1-k], in a naive loop: right out of place, wrong in place (reads what it wrote).</summary>
    private sealed class AddReversedOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run()
        {
            var x = Input(0);
            var y = Output(0);
            y.Resize(DataType.Float, x.Dims);
            var xs = x.Data<float>();
            var ys = y.Data<float>();
            for (int k = 0; k < ys.Length; k++) ys[k] = xs[k] + xs[ys.Length - 1 - k];
        }
    }

    /// <summary>Writes the threads it was given: differs across thread counts.</summary>
    private sealed class ThreadsOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run()
        {
            var y = Output(0);
            y.Resize(DataType.Float, 1);
            y.Data<float>()[0] = MaxDegreeOfParallelism;
        }
    }

    /// <summary>Claims d(-x)/dx = +1.</summary>
    private sealed class WrongNegGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs()
        {
            SetDense(0, GO(0));
            return [];
        }
    }

    private sealed class NegGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() => SingleGradientDef("Neg", "", [GO(0)], [GI(0)]);
    }

    private static OperatorCatalog Catalog()
    {
        var c = new OperatorCatalog();
        c.RegisterUnaryElementwise("Neg", _ => new NegFunctor(), DataTypeSet.Arithmetic).AllowInplace((0, 0));
        c.Gradients.Register("Neg", (d, g) => new NegGradient(d, g));
        c.RegisterUnaryElementwise("NegWrongGrad", _ => new NegFunctor(), DataTypeSet.Arithmetic);
        c.Gradients.Register("NegWrongGrad", (d, g) => new WrongNegGradient(d, g));
        c.RegisterUnaryElementwise("NegPlusZero", _ => new NegPlusZeroFunctor(), DataTypeSet.Floating);
        c.RegisterUnaryElementwise("NegButThree", _ => new NegButThreeFunctor(), DataTypeSet.Arithmetic);
        c.Schemas.Schema("AddReversed").NumInputs(1).NumOutputs(1).AllowInplace((0, 0)).IdenticalTypeAndShape();
        c.Operators.Register("AddReversed", (d, ws) => new AddReversedOp(d, ws));
        c.Schemas.Schema("AddReversedNoInplace").NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
        c.Operators.Register("AddReversedNoInplace", (d, ws) => new AddReversedOp(d, ws));
        c.Schemas.Schema("Threads").NumInputs(1).NumOutputs(1);
        c.Operators.Register("Threads", (d, ws) => new ThreadsOp(d, ws));
        // Declares the output is shaped like the input, but the op writes one element.
        c.Schemas.Schema("ThreadsBadInference").NumInputs(1).NumOutputs(1).IdenticalTypeAndShape();
        c.Operators.Register("ThreadsBadInference", (d, ws) => new ThreadsOp(d, ws));
        return c;
    }

    private static readonly OperatorCatalog TestCatalog = Catalog();

    private static float[] Data(int n) => [.. Enumerable.Range(0, n).Select(k => k - n / 2f)];

    [Fact]
    public void CorrectOperator_Passes_WithGradientCheck()
    {
        new OperatorTester(TestCatalog, "Neg")
            .Input("X", Data(300), 3, 100)
            .Output<float>("Y", x => -x)
            .GradientCheck(0)
            .Run();
        new OperatorTester(TestCatalog, "Neg").Input("X", new long[] { 1, -2, long.MinValue }).Output("Y", new long[] { -1, 2, long.MinValue }).Run();
    }

    [Fact]
    public void WrongElement_IsCaught_NamingOpModeOutputIndexExpectedAndActual()
    {
        var e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "NegButThree")
            .Input<float>("X", [0f, 1f, 2f, 3f, 4f, 5f], 2, 3)
            .Output<float>("Y", x => -x)
            .Run());
        Assert.Contains("NegButThree (out of place, serial): output 0 'Y' element 3 [1, 0]: expected -3 (0xC0400000), actual 3 (0x40400000) (exact)", e.Message);
    }

    [Fact]
    public void WrongShapeOrType_IsCaught()
    {
        var e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "Neg")
            .Input<float>("X", [1f, 2f], 2).Output<float>("Y", [-1f, -2f], 1, 2).Run());
        Assert.Contains("output 0 'Y' is FLOAT[2]; expected FLOAT[1, 2]", e.Message);
        e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "Neg")
            .Input<float>("X", [1f, 2f], 2).Output<double>("Y", [-1.0, -2.0], 2).Run());
        Assert.Contains("is FLOAT[2]; expected DOUBLE[2]", e.Message);
    }

    [Fact]
    public void NegativeZero_IsDistinguished_InExactMode_NotWithTolerance()
    {
        var t = () => new OperatorTester(TestCatalog, "NegPlusZero").Input<float>("X", [1f, 0f, float.NaN], 3).Output<float>("Y", x => -x);
        var e = Assert.Throws<OperatorTestException>(() => t().Run());
        Assert.Contains("element 1: expected -0 (0x80000000), actual 0 (0x00000000)", e.Message);
        t().Tolerance(1e-6).Run(); // NaN still equals NaN; -0 and +0 are within tolerance
    }

    [Fact]
    public void Tolerance_AcceptsCloseValues_AndRejectsFarOnes()
    {
        new OperatorTester(TestCatalog, "Neg").Input<double>("X", [1.0, 2.0], 2).Output<double>("Y", [-1.0000001, -2.0], 2).Tolerance(1e-6).Run();
        var e = Assert.Throws<OperatorTestException>(() =>
            new OperatorTester(TestCatalog, "Neg").Input<double>("X", [1.0, 2.0], 2).Output<double>("Y", [-1.001, -2.0], 2).Tolerance(1e-6).Run());
        Assert.Contains("element 0", e.Message);
        Assert.Contains("(rtol 1E-06, atol 0)", e.Message);
        // Infinities stay exact under a tolerance.
        Assert.Throws<OperatorTestException>(() =>
            new OperatorTester(TestCatalog, "Neg").Input<double>("X", [double.PositiveInfinity], 1).Output<double>("Y", [double.PositiveInfinity], 1).Tolerance(1).Run());
    }

    [Fact]
    public void WrongInPlaceResult_IsCaught()
    {
        float[] x = [1f, 2f, 3f, 4f];
        float[] expected = [5f, 5f, 5f, 5f];
        // Out of place only (the schema allows no in place): passes.
        new OperatorTester(TestCatalog, "AddReversedNoInplace").Input("X", x).Output("Y", expected).Run();
        // The schema allows 0->0: the harness runs it in place and sees the overwritten reads.
        var e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "AddReversed").Input("X", x).Output("Y", expected).Run());
        Assert.Contains("AddReversed (in place 0->0, serial): output 0 'X' element 2: expected 5", e.Message);
    }

    [Fact]
    public void ThreadDependentResult_IsCaught()
    {
        var e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "Threads").Input<float>("X", [1f], 1).Output("Y").Run());
        Assert.Contains("Threads (out of place, threads 2 (against the serial run)): output 0 'Y' element 0: expected 1", e.Message);
    }

    [Fact]
    public void InferenceDisagreeingWithTheOp_IsCaught()
    {
        var e = Assert.Throws<OperatorTestException>(() =>
            new OperatorTester(TestCatalog, "ThreadsBadInference").Input<float>("X", [1f, 2f], 2).Output("Y").Threads().Run());
        Assert.Contains("shape inference says FLOAT[2] but the op gave FLOAT[1]", e.Message);
    }

    [Fact]
    public void DefRejectedBySchema_IsCaught()
    {
        var e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "Neg").Input<float>("X", [1f], 1).Input<float>("Z", [1f], 1).Output("Y").Run());
        Assert.Contains("does not match its schema: it has 2 input(s); expected 1", e.Message);
    }

    [Fact]
    public void WrongGradient_IsCaught()
    {
        new OperatorTester(TestCatalog, "NegWrongGrad").Input("X", Data(6)).Output<float>("Y", x => -x).Run();
        var e = Assert.Throws<OperatorTestException>(() =>
            new OperatorTester(TestCatalog, "NegWrongGrad").Input("X", Data(6)).Output<float>("Y", x => -x).GradientCheck(0).Run());
        Assert.Contains("NegWrongGrad (gradient check of input 0): gradient of 'X' differs", e.Message);
    }

    [Fact]
    public void ExpectError_PassesOnTheRightMessage_FailsOtherwise()
    {
        new OperatorTester(TestCatalog, "Neg").Input<byte>("X", [1], 1).Output("Y").ExpectError("input 0 'X' is UINT8[1]; Neg takes FLOAT").Run();
        var e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "Neg").Input<byte>("X", [1], 1).Output("Y").ExpectError("something else").Run());
        Assert.Contains("does not contain \"something else\"", e.Message);
        e = Assert.Throws<OperatorTestException>(() => new OperatorTester(TestCatalog, "Neg").Input<float>("X", [1], 1).Output("Y").ExpectError("boom").Run());
        Assert.Contains("Neg (expecting an error): it ran without error", e.Message);
    }

    [Fact]
    public void SpecialValues_CoverEveryKind()
    {
        var v = OperatorTesterReference.SpecialAndRandom<float>(18);
        Assert.Contains(v, float.IsNaN);
        Assert.Contains(v, float.IsPositiveInfinity);
        Assert.Contains(v, float.IsNegativeInfinity);
        Assert.Contains(v, float.IsSubnormal);
        Assert.Contains(v, x => x == 0 && float.IsNegative(x));
        Assert.Contains(float.MaxValue, v);
        Assert.Contains(float.MinValue, v);
    }
}
