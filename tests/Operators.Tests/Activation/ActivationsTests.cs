using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Gradients;

namespace Caffe2Sharp.Operators.Tests.Activation;

/// <summary>Relu, Sigmoid, Tanh, Elu, Clip, PRelu and their gradients on the harness, against plain references.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ActivationsTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Activations.Register);

    // Plain references, in double (the functors round once from double, so float results must match exactly).
    private static double Relu(double x) => x < 0 ? 0 : x;
    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));
    private static double Elu(double x, double alpha) => x > 0 || double.IsNaN(x) ? x : alpha * (Math.Exp(x) - 1);
    private static double Clip(double x, double lo, double hi) => x < lo ? lo : x > hi ? hi : x;

    public static TheoryData<string> Ops() => ["Relu", "Sigmoid", "Tanh", "Elu", "Clip"];

    private static Func<double, double> Reference(string op) => op switch
    {
        "Relu" => Relu,
        "Sigmoid" => Sigmoid,
        "Tanh" => Math.Tanh,
        "Elu" => x => Elu(x, 1.0),
        "Clip" => x => Clip(x, -1.5, 2.0),
        _ => throw new ArgumentException(op),
    };

    private static OperatorTester Test(string op)
    {
        var t = new OperatorTester(Catalog, op);
        return op == "Clip" ? t.Arg("min", -1.5f).Arg("max", 2f) : t;
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float_EveryLengthAndSpecialValue_MatchesTheReference(string op)
    {
        var f = Reference(op);
        foreach (int n in OperatorTesterReference.Lengths)
            Test(op).Input("X", OperatorTesterReference.SpecialAndRandom<float>(n, n), n)
                .Output<float>("Y", x => op == "Elu" && x <= 0 ? (float)(1.0 * double.ExpM1(x)) : (float)f(x)).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Double_MatchesTheReference(string op)
    {
        var f = Reference(op);
        var x = OperatorTesterReference.SpecialAndRandom<double>(129, 7);
        Test(op).Input("X", x, 129).Output<double>("Y", v => op == "Elu" && v <= 0 ? double.ExpM1(v) : f(v))
            .Tolerance(op is "Relu" or "Clip" ? 0 : 1e-15, 0).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float16_RoundsOnceFromTheExactValue(string op)
    {
        var f = Reference(op);
        var x = OperatorTesterReference.SpecialAndRandom<Half>(257, 3);
        Test(op).Input("X", x, 257).Output("Y", OperatorTesterReference.HalfViaDouble(v => op == "Elu" && v <= 0 ? double.ExpM1(v) : f(v))).Run();
    }

    [Theory]
    [InlineData("Relu")]
    [InlineData("Sigmoid")]
    [InlineData("Tanh")]
    [InlineData("Elu")]
    [InlineData("Clip")]
    public void Gradient_MatchesFiniteDifferences(string op)
    {
        // Away from the kinks (0 for Relu and Elu, the bounds for Clip) so the differences are clean.
        var x = new[] { -2.5f, -1.2f, -0.7f, 0.3f, 0.9f, 1.7f, 2.6f };
        Test(op).Input("X", x, 7).Output("Y").GradientCheck(0).Run();
        var xd = x.Select(v => (double)v).ToArray();
        Test(op).Input("X", xd, 7).Output("Y").GradientCheck(0).Run();
    }

    [Fact]
    public void Gradients_AreCaffe2sForm_FromTheOutput_AndWorkInPlace()
    {
        foreach (var op in new[] { "Relu", "Sigmoid", "Tanh", "Elu", "Clip" })
        {
            var def = OperatorDef.Create(op, "", ["X"], ["X"]);
            var meta = Catalog.GetGradientForOp(def, [new GradientWrapper("X_grad")]);
            var g = Assert.Single(meta.Ops);
            Assert.Equal(op + "Gradient", g.Type);
            Assert.Equal(["X", "X_grad"], g.Input);
            Assert.Equal(["X_grad"], g.Output);
        }
    }

    [Fact]
    public void Elu_Alpha_And_Clip_Bounds_AreRead()
    {
        new OperatorTester(Catalog, "Elu").Arg("alpha", 0.5f).Input<float>("X", [-1f, 2f], 2)
            .Output<float>("Y", [(float)(0.5 * double.ExpM1(-1)), 2f], 2).Run();
        new OperatorTester(Catalog, "Clip").Arg("min", 0f).Input<float>("X", [-1f, float.MaxValue, float.NaN], 3)
            .Output<float>("Y", [0f, float.MaxValue, float.NaN], 3).Run();
        new OperatorTester(Catalog, "Clip").Arg("min", 2f).Arg("max", 1f).Input<float>("X", [1f], 1).Output("Y")
            .ExpectError("argument 'min' (2) is above 'max' (1)").Run();
        new OperatorTester(Catalog, "Elu").Arg("alpha", float.PositiveInfinity).Input<float>("X", [1f], 1).Output("Y")
            .ExpectError("argument 'alpha' must be finite").Run();
    }

    [Fact]
    public void WrongType_IsAClearError() =>
        new OperatorTester(Catalog, "Relu").Input<int>("X", [1, -1], 2).Output("Y").ExpectError("Relu takes FLOAT, DOUBLE or FLOAT16").Run();

    [Fact]
    public void PRelu_SharedAndPerChannelSlopes()
    {
        var r = new Random(2);
        var x = Enumerable.Range(0, 2 * 3 * 4 * 5).Select(_ => (float)(r.NextDouble() * 4 - 2)).ToArray();
        float[] slopes = [0.1f, -0.5f, 2f];
        new OperatorTester(Catalog, "PRelu").Input("X", x, 2, 3, 4, 5).Input<float>("Slope", slopes, 3)
            .Output("Y", inputs =>
            {
                var y = new float[x.Length];
                for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0 ? x[i] : x[i] * slopes[i / 20 % 3];
                return Tensor.From<float>(y, 2, 3, 4, 5);
            }).Run();
        new OperatorTester(Catalog, "PRelu").Input("X", x, 2, 3, 4, 5).Input<float>("Slope", [0.25f], 1)
            .Output("Y", _ => Tensor.From<float>(x.Select(v => v > 0 ? v : v * 0.25f).ToArray(), 2, 3, 4, 5)).Run();
        new OperatorTester(Catalog, "PRelu").Input("X", x, 2, 3, 4, 5).Input<float>("Slope", [1f, 2f], 2).Output("Y")
            .ExpectError("B must have one element (shared) or 3 (one per channel, A's dim 1); it has 2").Run();
    }
}
