using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;

namespace Caffe2Sharp.Operators.Tests.Activation;

/// <summary>Selu, Softplus and their gradients on the harness, against plain references in double.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class SeluSoftplusTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(SeluSoftplus.Register);

    private const double Alpha = SeluSoftplus.DefaultSeluAlpha, Scale = SeluSoftplus.DefaultSeluScale;

    // Plain references (the functors evaluate in double and round once, so float results must match exactly).
    // Power series where the library forms cancel (|x| < 0.5, u < 0.5), the plain forms elsewhere.
    private static double ExpM1(double x)
    {
        if (double.IsNaN(x) || Math.Abs(x) >= 0.5) return Math.Exp(x) - 1;
        double term = x, sum = x;
        for (int k = 2; k < 30; k++) sum += term *= x / k;
        return x == 0 ? x : sum;
    }

    private static double Log1p(double u)
    {
        if (double.IsNaN(u) || u >= 0.5) return Math.Log(1 + u);
        double power = u, sum = 0;
        for (int k = 1; k < 80; k++, power *= u) sum += (k % 2 == 1 ? power : -power) / k;
        return sum;
    }

    private static double Selu(double x, double alpha = Alpha, double scale = Scale) => x > 0 ? scale * x : scale * (alpha * ExpM1(x));

    // ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|).
    private static double Softplus(double x) => x > 0 ? x + Log1p(Math.Exp(-x)) : Log1p(Math.Exp(x));

    public static TheoryData<string> Ops() => ["Selu", "Softplus"];

    private static Func<double, double> Reference(string op) => op == "Selu" ? x => Selu(x) : Softplus;

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float_EveryLengthAndSpecialValue_MatchesTheReference(string op)
    {
        var f = Reference(op);
        foreach (int n in OperatorTesterReference.Lengths)
            new OperatorTester(Catalog, op).Input("X", OperatorTesterReference.SpecialAndRandom<float>(n, n), n)
                .Output<float>("Y", x => (float)f(x)).Tolerance(2e-7, 0).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Double_MatchesTheReference(string op)
    {
        var f = Reference(op);
        new OperatorTester(Catalog, op).Input("X", OperatorTesterReference.SpecialAndRandom<double>(129, 7), 129)
            .Output<double>("Y", x => f(x)).Tolerance(1e-14, 0).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float16_RoundsOnceFromTheExactValue(string op)
    {
        var f = Reference(op);
        new OperatorTester(Catalog, op).Input("X", OperatorTesterReference.SpecialAndRandom<Half>(257, 3), 257)
            .Output("Y", OperatorTesterReference.HalfViaDouble(f)).Run();
    }

    [Fact]
    public void Selu_SpecialValues_NaNAndSignedZero()
    {
        float[] x = [float.NaN, -0f, 0f, float.NegativeInfinity, float.PositiveInfinity];
        new OperatorTester(Catalog, "Selu").Input("X", x, 5)
            .Output<float>("Y", [float.NaN, -0f, 0f, (float)(-Scale * Alpha), float.PositiveInfinity], 5).Run();
        // Tiny negative x: expm1(x) = x to double precision (Exp(x) - 1 would give 0).
        new OperatorTester(Catalog, "Selu").Input<double>("X", [-1e-20, -3e-300], 2).Output<double>("Y", [Scale * (Alpha * -1e-20), Scale * (Alpha * -3e-300)], 2).Run();
    }

    [Fact]
    public void Selu_AlphaAndScale_AreRead_OnnxExampleValues()
    {
        // ONNX's test_selu_example: alpha 2, gamma 3, x = [-1, 0, 1] -> [-3.79272318, 0, 3].
        new OperatorTester(Catalog, "Selu").Arg("alpha", 2f).Arg("scale", 3f).Input<float>("X", [-1f, 0f, 1f], 3)
            .Output<float>("Y", [(float)(3 * 2 * ExpM1(-1)), 0f, 3f], 3).Run();
        new OperatorTester(Catalog, "Selu").Arg("scale", float.NaN).Input<float>("X", [1f], 1).Output("Y")
            .ExpectError("argument 'scale' must be finite").Run();
    }

    [Fact]
    public void Softplus_IsStable_NoOverflowForLargeX_NoLossForVeryNegativeX()
    {
        float[] x = [100f, 1000f, float.MaxValue, -100f, -1000f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f];
        var ln2 = (float)Math.Log(2);
        new OperatorTester(Catalog, "Softplus").Input("X", x, 10)
            .Output<float>("Y", [100f, 1000f, float.MaxValue, (float)Math.Exp(-100), 0f, float.NaN, float.PositiveInfinity, 0f, ln2, ln2], 10).Run();
        new OperatorTester(Catalog, "Softplus").Input<double>("X", [800, -800, 1e-300], 3)
            .Output<double>("Y", [800, 0, Math.Log(2) + 5e-301], 3).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Gradient_MatchesFiniteDifferences(string op)
    {
        // Away from Selu's kink at 0, so the differences are clean.
        var x = new[] { -2.5f, -1.2f, -0.7f, 0.3f, 0.9f, 1.7f, 2.6f };
        new OperatorTester(Catalog, op).Input("X", x, 7).Output("Y").GradientCheck(0).Run();
        new OperatorTester(Catalog, op).Input("X", x.Select(v => (double)v).ToArray(), 7).Output("Y").GradientCheck(0).Run();
        if (op == "Selu") new OperatorTester(Catalog, op).Arg("alpha", 0.5f).Arg("scale", 2f).Input("X", x, 7).Output("Y").GradientCheck(0).Run();
    }

    [Fact]
    public void Gradients_AreCaffe2sForm_FromTheOutput_ArgumentsCopied()
    {
        foreach (var op in new[] { "Selu", "Softplus" })
        {
            var def = OperatorDef.Create(op, "", ["X"], ["X"]);
            if (op == "Selu") def.SetArgument("alpha", 0.5f);
            var g = Assert.Single(Catalog.GetGradientForOp(def, [new GradientWrapper("X_grad")]).Ops);
            Assert.Equal(op + "Gradient", g.Type);
            Assert.Equal(["X", "X_grad"], g.Input);
            Assert.Equal(["X_grad"], g.Output);
            if (op == "Selu") Assert.Equal(0.5f, g.GetSingleArgument("alpha", 0f));
        }
    }

    [Fact]
    public void GradientOperators_MatchTheirFormulas()
    {
        float[] y = [-1.5f, -0.2f, 0f, 0.4f, 3f];
        float[] dy = [0.5f, -2f, 1f, 3f, -1f];
        new OperatorTester(Catalog, "SeluGradient").Input("Y", y, 5).Input("dY", dy, 5)
            .Output<float>("dX", (yv, g) => (float)(yv > 0 ? Scale * g : g * (yv + Scale * Alpha))).Run();
        new OperatorTester(Catalog, "SoftplusGradient").Input("Y", y.Select(Math.Abs).ToArray(), 5).Input("dY", dy, 5)
            .Output<float>("dX", (yv, g) => (float)(g * -ExpM1(-(double)yv))).Run();
    }

    [Fact]
    public void WrongType_IsAClearError()
    {
        new OperatorTester(Catalog, "Selu").Input<int>("X", [1], 1).Output("Y").ExpectError("Selu takes FLOAT, DOUBLE or FLOAT16").Run();
        new OperatorTester(Catalog, "Softplus").Input<long>("X", [1], 1).Output("Y").ExpectError("Softplus takes FLOAT, DOUBLE or FLOAT16").Run();
        new OperatorTester(Catalog, "Selu").Input<float>("X", [1], 1).Input<float>("Z", [1], 1).Output("Y").ExpectError("does not match its schema").Run();
    }

    [Fact]
    public void Schema_InPlace_Defaults_Inference_AndCost()
    {
        foreach (var op in new[] { "Selu", "Softplus" })
        {
            var schema = Catalog.Schemas.Find(op)!;
            Assert.True(schema.InplaceAllowed(0, 0));
            Assert.NotNull(schema.Verify(OperatorDef.Create(op, "", ["X", "Z"], ["Y"])));
            var def = OperatorDef.Create(op, "", ["X"], ["Y"]);
            Assert.Equal("DOUBLE[2, 3]", schema.InferTensor(def, [TensorShape.Create([2, 3], DataType.Double)]).Single().Describe());
            Assert.Equal(new Cost(24, 48, 48), schema.InferCost(def, [TensorShape.Create([2, 3], DataType.Double)]));
        }
        Assert.Equal(1.6732632423543772848170429916717f, SeluSoftplus.DefaultSeluAlpha);
        Assert.Equal(1.0507009873554804934193349852946f, SeluSoftplus.DefaultSeluScale);
        // As floats, Caffe2's defaults are exactly ONNX's.
        Assert.Equal(1.67326319217681884765625, (double)SeluSoftplus.DefaultSeluAlpha);
        Assert.Equal(1.05070102214813232421875, (double)SeluSoftplus.DefaultSeluScale);
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        using var pool = new Caffe2Sharp.Kernels.ComputePool(new Caffe2Sharp.Kernels.ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var ws = new Workspace(Catalog, pool) { IntraOpThreads = 2 };
        ws.FeedBlob<float>("X", OperatorTesterReference.SpecialAndRandom<float>(4096, 3), 4, 1024);
        ws.CreateNet(new NetBuilder("n").Selu("X", "S").Softplus("X", "P").Build());
        ws.RunNet("n");
        Caffe2Sharp.Tests.SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
    }

    [Fact]
    public void NetBuilder_AddsTheOps()
    {
        var net = new NetBuilder("n").Selu("x", "y", alpha: 2f).Softplus("y", "z").Build();
        Assert.Equal(["Selu", "Softplus"], net.Op.Select(o => o.Type));
        Assert.Equal(2f, net.Op[0].GetSingleArgument("alpha", 0f));
        Assert.False(net.Op[0].HasArgument("scale"));
    }
}
