using Caffe2Sharp.Tests;
using Caffe2Sharp.Operators.Regularization;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>Dropout and DropoutGrad: test mode on the harness; training mode through a workspace.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class DropoutTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Dropout.Register);

    private static float[] Values(int n) => [.. Enumerable.Range(0, n).Select(k => (k % 17) - 8.5f)];

    private static OperatorDef Train(float ratio, uint seed, string x = "X", string y = "Y")
    {
        var def = OperatorDef.Create("Dropout", "drop", [x], [y, "mask"]).SetArgument("ratio", ratio);
        def.DeviceOption = new DeviceOption { RandomSeed = seed };
        return def;
    }

    private static (float[] Y, bool[] Mask) RunTraining(float[] x, float ratio, uint seed, int runs = 1)
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", x, x.Length);
        var net = new NetDef { Name = "n" };
        net.Op.Add(Train(ratio, seed));
        ws.CreateNet(net);
        for (int r = 0; r < runs; r++) ws.RunNet("n");
        return (ws.FetchBlob("Y").ToArray<float>(), ws.FetchBlob("mask").ToArray<bool>());
    }

    [Fact]
    public void TestMode_IsTheIdentity_AndTheMaskIsAllTrue()
    {
        var x = Values(129);
        new OperatorTester(Catalog, "Dropout").Arg("is_test", 1).Arg("ratio", 0.3f).Input("X", x, 129)
            .Output("Y", x, 129).Output("mask", Enumerable.Repeat(true, 129).ToArray(), 129).Run();
        new OperatorTester(Catalog, "Dropout").Arg("is_test", 1).Input("X", x.Select(v => (double)v).ToArray(), 3, 43)
            .Output("Y", x.Select(v => (double)v).ToArray(), 3, 43).Run();
    }

    [Fact]
    public void Training_SameSeed_GivesTheSameMask_AndADifferentSeedADifferentOne()
    {
        var x = Values(4096);
        var (y1, m1) = RunTraining(x, 0.5f, 1234);
        var (y2, m2) = RunTraining(x, 0.5f, 1234);
        var (_, m3) = RunTraining(x, 0.5f, 1235);
        Assert.Equal(m1, m2);
        Assert.Equal(y1, y2);
        Assert.NotEqual(m1, m3);
    }

    [Fact]
    public void Training_TheMaskIsPinned_SoEveryMachineAgrees()
    {
        // splitmix64 is fixed arithmetic: these bits may never change without a deliberate note.
        var (_, m) = RunTraining(Values(16), 0.5f, 42);
        Assert.Equal("1100111010101011", string.Concat(m.Select(b => b ? '1' : '0')));
    }

    [Fact]
    public void SplitMix64_MatchesTheReferenceImplementation()
    {
        // Vigna's splitmix64.c seeded with 1234567: x += 0x9E3779B97F4A7C15, then the mix.
        const ulong Gamma = 0x9E3779B97F4A7C15UL;
        Assert.Equal(6457827717110365317UL, Caffe2Sharp.Kernels.SplitMix64.Mix(1234567UL + Gamma));
        Assert.Equal(3203168211198807973UL, Caffe2Sharp.Kernels.SplitMix64.Mix(unchecked(1234567UL + 2 * Gamma)));
    }

    [Fact]
    public void Training_EachRunDrawsAFreshMask()
    {
        var x = Values(4096);
        var (_, once) = RunTraining(x, 0.5f, 7, runs: 1);
        var (_, twice) = RunTraining(x, 0.5f, 7, runs: 2);
        Assert.NotEqual(once, twice);
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(0.2f)]
    [InlineData(0.9f)]
    public void Training_KeepsAbout1MinusRatio_AndScalesKeptByItsInverse(float ratio)
    {
        // 100k Bernoulli draws: the standard deviation of the keep rate is at most 0.0016, so a
        // +-2% bound is more than 12 sigma away: it cannot flake for any seed we would pick.
        const int n = 100_000;
        var x = Values(n);
        var (y, mask) = RunTraining(x, ratio, 99);
        double rate = mask.Count(b => b) / (double)n;
        Assert.InRange(rate, 1 - ratio - 0.02, 1 - ratio + 0.02);
        float scale = 1f / (1f - ratio);
        for (int k = 0; k < n; k++) Assert.Equal(mask[k] ? x[k] * scale : 0f, y[k]);
    }

    [Fact]
    public void Training_RatioZero_KeepsEverything()
    {
        var x = Values(1000);
        var (y, mask) = RunTraining(x, 0f, 3);
        Assert.All(mask, Assert.True);
        Assert.Equal(x, y);
    }

    [Fact]
    public void Training_InPlace_MatchesOutOfPlace()
    {
        var x = Values(1000);
        var (expected, expectedMask) = RunTraining(x, 0.4f, 5);
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", x, x.Length);
        ws.RunOperatorOnce(Train(0.4f, 5, "X", "X"));
        Assert.Equal(expected, ws.FetchBlob("X").ToArray<float>());
        Assert.Equal(expectedMask, ws.FetchBlob("mask").ToArray<bool>());
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void RatioOutside0To1_IsAnErrorNamingTheArgument(float ratio) =>
        new OperatorTester(Catalog, "Dropout").Arg("ratio", ratio).Input("X", new float[4], 4).Output("Y").Output("mask")
            .ExpectError("argument 'ratio'").Run();

    [Fact]
    public void IntegerInput_IsAnErrorNamingTheBlob() =>
        new OperatorTester(Catalog, "Dropout").Arg("is_test", 1).Input("X", new int[4], 4).Output("Y")
            .ExpectError("input 'X' must be FLOAT or DOUBLE").Run();

    [Fact]
    public void Training_WithoutTheMaskOutput_IsAnError() =>
        new OperatorTester(Catalog, "Dropout").Input("X", new float[4], 4).Output("Y")
            .ExpectError("the 'mask' output is required").Run();

    [Fact]
    public void DropoutGrad_Training_ScalesKeptGradients()
    {
        float[] dy = [1f, 2f, 3f, 4f];
        bool[] mask = [true, false, false, true];
        new OperatorTester(Catalog, "DropoutGrad").Arg("ratio", 0.75f).Input("dY", dy, 4).Input("mask", mask, 4)
            .Output("dX", new[] { 4f, 0f, 0f, 16f }, 4).Run();
        new OperatorTester(Catalog, "DropoutGrad").Arg("is_test", 1).Input("dY", dy, 4).Output("dX", dy, 4).Run();
    }

    [Fact]
    public void GradientMaker_TrainingReadsTheMask_TestModeOnlyDY()
    {
        var g = Catalog.GetGradientForOp(Train(0.3f, 1)).Ops.Single();
        Assert.Equal("DropoutGrad", g.Type);
        Assert.Equal(["Y_grad", "mask"], g.Input);
        Assert.Equal(["X_grad"], g.Output);
        Assert.Equal(0.3f, g.GetSingleArgument("ratio", 0.5f));
        var t = Catalog.GetGradientForOp(OperatorDef.Create("Dropout", "", ["X"], ["Y"]).SetArgument("is_test", 1)).Ops.Single();
        Assert.Equal(["Y_grad"], t.Input);
    }

    [Fact]
    public void Schema_InfersYAndABoolMask_AndMapsToOnnx()
    {
        var schema = Catalog.Schemas.Find("Dropout")!;
        var shapes = schema.InferTensor(Train(0.5f, 0), [TensorShape.Create([2, 3])]);
        Assert.Equal(["FLOAT[2, 3]", "BOOL[2, 3]"], shapes.Select(s => s.Describe()));
        Assert.Equal("Dropout", schema.OnnxSchema);
        Assert.True(schema.InplaceAllowed(0, 0));
        Assert.NotNull(schema.Verify(OperatorDef.Create("Dropout", "", ["X"], ["Y", "m", "z"])));
    }

    [Fact]
    public void SteadyState_AllocatesNothing()
    {
        using var pool = new Caffe2Sharp.Kernels.ComputePool(new Caffe2Sharp.Kernels.ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var catalog = new OperatorCatalog().AddStandardOperators();
        var ws = new Workspace(catalog, pool);
        ws.FeedBlob<float>("X", Values(4096), 2, 8, 16, 16);
        var net = new NetDef { Name = "n" };
        net.Op.Add(Train(0.5f, 1, "X", "D"));
        net.Op.Add(OperatorDef.Create("Dropout", "", ["X"], ["T"]).SetArgument("is_test", 1));
        net.Op.Add(OperatorDef.Create("Softmax", "", ["D"], ["S"]));
        net.Op.Add(OperatorDef.Create("SoftmaxGradient", "", ["S", "X"], ["dS"]));
        net.Op.Add(OperatorDef.Create("DropoutGrad", "", ["dS", "mask"], ["dX"]));
        net.Op.Add(OperatorDef.Create("ResizeNearest", "", ["X"], ["R"]).SetArgument("height_scale", 2f).SetArgument("width_scale", 1.5f));
        ws.CreateNet(net);
        ws.RunNet("n");
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
    }
}
