using Caffe2Sharp.Tests;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.Activation;

/// <summary>End to end through a Workspace built by DI and the real registry, mostly through <see cref="OperatorTester"/>.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class LeakyReluOperatorTests
{
    private static readonly ServiceProvider Services = BuildServices();

    private static ServiceProvider BuildServices()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddFillOperators().AddLeakyRelu();
        return services.BuildServiceProvider();
    }

    private static Workspace NewWorkspace() => Services.GetRequiredService<Workspace>();

    private static readonly float[] UpstreamX = [-0.91060215f, 0.09374836f, 2.1429708f, -0.748983f, 0.19164062f, -1.5130422f, -0.29539835f, -0.8530696f, 0.7673204f];
    private static readonly float[] UpstreamY = [-0.00910602f, 0.09374836f, 2.1429708f, -0.00748983f, 0.19164062f, -0.01513042f, -0.00295398f, -0.0085307f, 0.7673204f];

    private static OperatorCatalog Catalog => Services.GetRequiredService<OperatorCatalog>();

    private static OperatorTester LeakyReluTest(float? alpha = null)
    {
        var t = new OperatorTester(Catalog, "LeakyRelu");
        return alpha is { } a ? t.Arg("alpha", a) : t;
    }

    [Fact]
    public void UpstreamDocExample_IsReproduced()
    {
        // Upstream prints rounded values; the exact formula is checked bit for bit, in and out of place, at every thread count.
        LeakyReluTest(0.01f).Input("X", UpstreamX, 3, 3)
            .Output("Y", UpstreamY, 3, 3).Tolerance(0, 5e-8).Run();
        LeakyReluTest(0.01f).Input("X", UpstreamX, 3, 3)
            .Output<float>("Y", x => x >= 0 ? x : x * 0.01f).Run();
    }

    [Fact]
    public void DefaultAlpha_Is001() =>
        LeakyReluTest().Input<float>("X", [-100f, 3f]).Output<float>("Y", [-100f * 0.01f, 3f]).Run();

    [Fact]
    public void InPlace_OverwritesX_AndReusesStorage()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", UpstreamX, 9);
        var before = ws.GetBlob("X")!.GetTensor();
        var net = new NetBuilder("inplace").ExternalInput("X").LeakyRelu("X", "X", alpha: 0.01f).Build();
        ws.CreateNet(net);
        ws.RunNet("inplace");
        Assert.Same(before, ws.GetBlob("X")!.GetTensor());
        Assert.Equal(UpstreamX.Select(v => v >= 0 ? v : v * 0.01f), ws.FetchBlob<float>("X"));
    }

    public static TheoryData<int, float> LengthsAndAlphas()
    {
        var data = new TheoryData<int, float>();
        foreach (var n in OperatorTesterReference.Lengths)
            foreach (var a in new[] { 0.01f, -0.5f })
                data.Add(n, a);
        data.Add(65, 0f);
        data.Add(65, 3f);
        data.Add(65, float.MaxValue);
        return data;
    }

    // References round once: float * float in float; double * (double)alpha; FLOAT16 in double, then to Half.
    [Theory]
    [MemberData(nameof(LengthsAndAlphas))]
    public void Run_Float_MatchesScalarReference_BitForBit(int n, float alpha) =>
        LeakyReluTest(alpha).Input("X", OperatorTesterReference.SpecialAndRandom<float>(n, n), 1, n)
            .Output<float>("Y", x => x >= 0 ? x : x * alpha).Run();

    [Theory]
    [MemberData(nameof(LengthsAndAlphas))]
    public void Run_Double_MatchesScalarReference_BitForBit(int n, float alpha) =>
        LeakyReluTest(alpha).Input("X", OperatorTesterReference.SpecialAndRandom<double>(n, n))
            .Output<double>("Y", x => x >= 0 ? x : x * (double)alpha).Run();

    [Theory]
    [MemberData(nameof(LengthsAndAlphas))]
    public void Run_Half_RoundsOnce_MatchesDoubleReference(int n, float alpha) =>
        LeakyReluTest(alpha).Input("X", OperatorTesterReference.SpecialAndRandom<Half>(n, n), n, 1)
            .Output("Y", OperatorTesterReference.HalfViaDouble(x => x >= 0 ? x : x * (double)alpha)).Run();

    [Fact]
    public void Run_NegativeZeroPassesThrough_NaNStaysNaN_AndNegativeInputsAreScaledByAlpha() =>
        LeakyReluTest(0.5f).Input<float>("X", [-0f, 0f, float.NaN, float.NegativeInfinity, -float.Epsilon, -4f])
            .Output<float>("Y", [-0f, 0f, float.NaN, float.NegativeInfinity, -0f, -2f]).Run();

    [Fact]
    public void Run_RankZeroAndEmptyTensors_KeepTheirShape()
    {
        LeakyReluTest(0.5f).Input("X", Tensor.From<float>([-2f], [])).Output("Y", Tensor.From<float>([-1f], [])).Run();
        LeakyReluTest(0.5f).Input<double>("X", [], 3, 0, 2).Output<double>("Y", [], 3, 0, 2).Run();
    }

    [Fact]
    public void Double_And_Half_AreSupported()
    {
        LeakyReluTest(0.5f).Input<double>("X", [-2.0, 3.0]).Output<double>("Y", [-1.0, 3.0]).Run();
        LeakyReluTest(0.5f).Input<Half>("X", [(Half)(-2f), (Half)3f]).Output<Half>("Y", [(Half)(-1f), (Half)3f]).Run();
    }

    [Fact]
    public void NonFloatInput_IsAClearError_NamingOpAndBlob() =>
        new OperatorTester(Catalog, "LeakyRelu", "act").Input<int>("I", [1, -1]).Output("Y")
            .ExpectError("op #0 'LeakyRelu' \"act\": input 0 'I' is INT32[2]; LeakyRelu takes FLOAT, DOUBLE or FLOAT16.").Run();

    [Fact]
    public void WrongArity_IsAClearError() =>
        LeakyReluTest().Input<float>("X", [1f]).Input<float>("X2", [1f]).Output("Y")
            .ExpectError("does not match its schema: it has 2 input(s); expected 1").Run();

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteAlpha_IsRejectedAtCreation(float alpha) =>
        LeakyReluTest(alpha).Input<float>("X", [1f]).Output("Y").ExpectError("argument 'alpha' must be finite").Run();

    [Fact]
    public void StringAlpha_IsRejectedAtCreation() =>
        LeakyReluTest().Arg("alpha", "0.1").Input<float>("X", [1f]).Output("Y").ExpectError("argument 'alpha' of the wrong kind").Run();

    private static OperatorTester GradientTest(float alpha) => new OperatorTester(Catalog, "LeakyReluGradient").Arg("alpha", alpha);

    [Theory]
    [MemberData(nameof(LengthsAndAlphas))]
    public void GradientOp_AllTypes_MatchScalarReference_InPlaceOnDyToo(int n, float alpha)
    {
        GradientTest(alpha).Input("S", OperatorTesterReference.SpecialAndRandom<float>(n, n)).Input("dY", OperatorTesterReference.SpecialAndRandom<float>(n, n + 1))
            .Output<float>("dX", (s, dy) => s >= 0 ? dy : dy * alpha).Run();
        GradientTest(alpha).Input("S", OperatorTesterReference.SpecialAndRandom<double>(n, n)).Input("dY", OperatorTesterReference.SpecialAndRandom<double>(n, n + 1))
            .Output<double>("dX", (s, dy) => s >= 0 ? dy : dy * (double)alpha).Run();
        GradientTest(alpha).Input("S", OperatorTesterReference.SpecialAndRandom<Half>(n, n)).Input("dY", OperatorTesterReference.SpecialAndRandom<Half>(n, n + 1))
            .Output<Half>("dX", (s, dy) => (Half)(s >= Half.Zero ? (double)dy : (double)dy * alpha)).Run();
    }

    [Fact]
    public void GradientOp_SizeMismatch_IsAClearError_AndLeavesBlobsUntouched()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("Y", [1f, 2f, 3f], 3);
        ws.FeedBlob<float>("dY", [1f, 2f], 2);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("LeakyReluGradient", "g", ["Y", "dY"], ["dY"])));
        Assert.Contains("input 0 'Y' FLOAT[3] and input 1 'dY' FLOAT[2] must have the same number of elements", e.Message);
        Assert.Equal([1f, 2f], ws.FetchBlob<float>("dY"));
    }

    [Fact]
    public void GradientOp_TypeMismatch_IsAClearError() =>
        GradientTest(0.01f).Input<float>("Y", [1f]).Input<double>("dY", [1.0]).Output("dX").ExpectError("must have the same type").Run();

    [Fact]
    public void GradientOp_SameSizeDifferentShape_TakesShapeOfDy() =>
        GradientTest(0.25f).Input<float>("Y", [1f, -1f, 1f, -1f], 4).Input<float>("dY", [1f, 1f, 1f, 1f], 2, 2)
            .Output<float>("dX", [1f, 0.25f, 1f, 0.25f], 2, 2).Run();

    [Fact]
    public void Caffe2StyleGradientNet_RunsWithCaffe2Results()
    {
        // The form Caffe2 writes: LeakyReluGradient(Y, Y_grad) -> X_grad, alpha > 0.
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", UpstreamX, 3, 3);
        ws.FeedBlob<float>("Y_grad", Enumerable.Range(1, 9).Select(i => (float)i).ToArray(), 3, 3);
        var net = new NetBuilder("train").ExternalInput("X", "Y_grad")
            .LeakyRelu("X", "Y", alpha: 0.01f)
            .LeakyReluGradient("Y", "Y_grad", "X_grad", alpha: 0.01f)
            .ExternalOutput("X_grad").Build();
        ws.CreateNet(net);
        ws.RunNet("train");
        var expected = UpstreamX.Select((x, i) => x >= 0 ? i + 1f : (i + 1f) * 0.01f);
        Assert.Equal(expected, ws.FetchBlob<float>("X_grad"));
        Assert.Equal([3L, 3L], ws.FetchBlob("X_grad").Shape);
    }

    public static TheoryData<float, int> AlphasAndSeeds()
    {
        var data = new TheoryData<float, int>();
        foreach (var a in new[] { 0.01f, 0.2f, 1f, 2f, 0f, -0.5f })
            foreach (var seed in new[] { 1, 2 })
                data.Add(a, seed);
        return data;
    }

    [Theory]
    [MemberData(nameof(AlphasAndSeeds))]
    public void FiniteDifferenceGradient_IsRight_ForEveryAlpha(float alpha, int seed)
    {
        var r = new Random(seed * 31 + (int)(alpha * 100));
        int rank = r.Next(1, 4);
        var dims = Enumerable.Range(0, rank).Select(_ => (long)r.Next(1, 6)).ToArray();
        int n = (int)dims.Aggregate(1L, (a, b) => a * b);
        // Away from the kink, as upstream's test does (|x| > step).
        var x = Enumerable.Range(0, n).Select(_ => (float)((r.NextDouble() * 0.9 + 0.1) * (r.Next(2) == 0 ? -1 : 1))).ToArray();
        LeakyReluTest(alpha).Input("X", x, dims).Output<float>("Y", v => v >= 0 ? v : v * alpha)
            .GradientCheck(0, stepSize: 0.05, threshold: 1e-3).Run();
        LeakyReluTest(alpha).Input("X", Array.ConvertAll(x, v => (double)v), dims).Output<double>("Y", v => v >= 0 ? v : v * (double)alpha)
            .GradientCheck(0, stepSize: 0.05, threshold: 1e-3).Run();
        var def = OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", alpha);

        // And exactly: with Y_grad = 1 the gradient ops give the slope itself.
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", x, dims);
        ws.RunOperatorOnce(def);
        ws.FeedBlob<float>("Y_grad", Enumerable.Repeat(1f, n).ToArray(), dims);
        foreach (var op in Services.GetRequiredService<OperatorCatalog>().GetGradientForOp(def).Ops) ws.RunOperatorOnce(op);
        Assert.Equal(x.Select(v => v >= 0 ? 1f : alpha), ws.FetchBlob<float>("X_grad"));
    }

    [Fact]
    public void FiniteDifferenceGradient_InPlaceForward_PositiveAlpha()
    {
        var checker = new GradientChecker(Services.GetRequiredService<OperatorCatalog>(), stepSize: 0.05, threshold: 1e-3);
        var x = Tensor.From<double>([-0.7, 0.3, -0.2, 0.9], 2, 2);
        var def = OperatorDef.Create("LeakyRelu", "", ["X"], ["X"]).SetArgument("alpha", 0.3f);
        Assert.True(checker.Check(def, new Dictionary<string, Tensor> { ["X"] = x }, 0).Passed);
    }

    [Fact]
    public void Caffe2GradientForm_WouldBeWrongForNegativeAlpha_OursIsNot()
    {
        // What upstream's maker would emit for alpha = -0.5 gives slope 1 at x < 0; ours gives -0.5.
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", [-2f], 1);
        ws.FeedBlob<float>("Y_grad", [1f], 1);
        ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", -0.5f));
        ws.RunOperatorOnce(OperatorDef.Create("LeakyReluGradient", "", ["Y", "Y_grad"], ["wrong"]).SetArgument("alpha", -0.5f));
        Assert.Equal([1f], ws.FetchBlob<float>("wrong"));
        var catalog = Services.GetRequiredService<OperatorCatalog>();
        foreach (var op in catalog.GetGradientForOp(OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", -0.5f)).Ops)
            ws.RunOperatorOnce(op);
        Assert.Equal([-0.5f], ws.FetchBlob<float>("X_grad"));
    }

    [Fact]
    public void OneOpNet_SteadyState_DoesNotAllocate()
    {
        var ws = NewWorkspace();
        ws.IntraOpThreads = 1;
        ws.FeedBlob<float>("X", new float[4096], 4096);
        ws.CreateNet(new NetBuilder("n").LeakyRelu("X", "Y", 0.1f).LeakyReluGradient("X", "Y", "dX", 0.1f).Build());
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 50);
    }
}
