using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.Activation;

/// <summary>End to end through a Workspace built by DI and the real registry.</summary>
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

    [Fact]
    public void UpstreamDocExample_IsReproduced()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", UpstreamX, 3, 3);
        ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", 0.01f));
        var y = ws.FetchBlob<float>("Y");
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(UpstreamY[i], y[i], 5e-8f); // upstream prints rounded values
            Assert.Equal(UpstreamX[i] >= 0 ? UpstreamX[i] : UpstreamX[i] * 0.01f, y[i]); // and the exact formula, bit for bit
        }
        Assert.Equal([3L, 3L], ws.FetchBlob("Y").Shape);
    }

    [Fact]
    public void DefaultAlpha_Is001()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", [-100f], 1);
        ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]));
        Assert.Equal([-100f * 0.01f], ws.FetchBlob<float>("Y"));
    }

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

    [Fact]
    public void Double_And_Half_AreSupported()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<double>("D", [-2.0, 3.0], 2);
        ws.FeedBlob<Half>("H", [(Half)(-2f), (Half)3f], 2);
        ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["D"], ["DY"]).SetArgument("alpha", 0.5f));
        ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["H"], ["HY"]).SetArgument("alpha", 0.5f));
        Assert.Equal([-1.0, 3.0], ws.FetchBlob<double>("DY"));
        Assert.Equal([(Half)(-1f), (Half)3f], ws.FetchBlob<Half>("HY"));
    }

    [Fact]
    public void NonFloatInput_IsAClearError_NamingOpAndBlob()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<int>("I", [1, -1], 2);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "act", ["I"], ["Y"])));
        Assert.Equal("op #0 'LeakyRelu' \"act\": input 0 'I' is INT32[2]; LeakyRelu takes FLOAT, DOUBLE or FLOAT16.", e.Message);
    }

    [Fact]
    public void WrongArity_IsAClearError()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", [1f], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["X", "X"], ["Y"])));
        Assert.Contains("does not match its schema: it has 2 input(s); expected 1", e.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void NonFiniteAlpha_IsRejectedAtCreation(float alpha)
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", [1f], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", alpha)));
        Assert.Contains("argument 'alpha' must be finite", e.Message);
    }

    [Fact]
    public void StringAlpha_IsRejectedAtCreation()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", [1f], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", "0.1")));
        Assert.Contains("argument 'alpha' of the wrong kind", e.Message);
    }

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

    [Fact]
    public void GradientOp_InPlaceOnDy_Works()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("Y", [-1f, 1f], 2);
        ws.FeedBlob<float>("dY", [4f, 4f], 2);
        ws.RunOperatorOnce(OperatorDef.Create("LeakyReluGradient", "", ["Y", "dY"], ["dY"]).SetArgument("alpha", 0.5f));
        Assert.Equal([2f, 4f], ws.FetchBlob<float>("dY"));
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
    public void GradientOp_TypeMismatch_IsAClearError()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("Y", [1f], 1);
        ws.FeedBlob<double>("dY", [1.0], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("LeakyReluGradient", "", ["Y", "dY"], ["dX"])));
        Assert.Contains("must have the same type", e.Message);
    }

    [Fact]
    public void GradientOp_SameSizeDifferentShape_TakesShapeOfDy()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("Y", [1f, -1f, 1f, -1f], 4);
        ws.FeedBlob<float>("dY", [1f, 1f, 1f, 1f], 2, 2);
        ws.RunOperatorOnce(OperatorDef.Create("LeakyReluGradient", "", ["Y", "dY"], ["dX"]).SetArgument("alpha", 0.25f));
        Assert.Equal([2L, 2L], ws.FetchBlob("dX").Shape);
        Assert.Equal([1f, 0.25f, 1f, 0.25f], ws.FetchBlob<float>("dX"));
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
        var checker = new GradientChecker(Services.GetRequiredService<OperatorCatalog>(), stepSize: 0.05, threshold: 1e-3);
        var def = OperatorDef.Create("LeakyRelu", "", ["X"], ["Y"]).SetArgument("alpha", alpha);
        Assert.True(checker.CheckOrThrow(def, new Dictionary<string, Tensor> { ["X"] = Tensor.From<float>(x, dims) }, 0).Passed);

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
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 50; k++) ws.RunNet("n");
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
