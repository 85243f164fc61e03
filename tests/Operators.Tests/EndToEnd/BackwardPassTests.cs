using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.EndToEnd;

public class BackwardPassTests
{
    private static readonly ServiceProvider Services = Build();

    private static ServiceProvider Build()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddFillOperators().AddLeakyRelu().AddSum();
        return services.BuildServiceProvider();
    }

    private static OperatorCatalog Catalog => Services.GetRequiredService<OperatorCatalog>();

    [Fact]
    public void Chain_GetsSeedAndGradientOps_InCaffe2Names_AndRuns()
    {
        var net = new NetBuilder("train").ExternalInput("X").LeakyRelu("X", "Y", alpha: -0.5f).Copy("Y", "Z").Build();
        var result = BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["Z"]);
        var added = result.Net.Op.Skip(2).Select(o => o.Describe()).ToList();
        Assert.Equal(
        [
            "ConstantFill (Z) -> (Z_autogen_grad) [value=1]",
            "Copy (Z_autogen_grad) -> (Y_grad) (gradient)",
            "LeakyReluGradient (X, Y_grad) -> (X_grad) [alpha=-0.5] (gradient)",
        ], added);
        Assert.Equal("X_grad", result.Gradients["X"]);

        var ws = Services.GetRequiredService<Workspace>();
        ws.FeedBlob<float>("X", [-2f, 3f], 2);
        ws.RunNetOnce(result.Net);
        Assert.Equal([-0.5f, 1f], ws.FetchBlob<float>("X_grad"));
    }

    [Fact]
    public void BlobUsedTwice_GradientsAreSummed()
    {
        var net = new NetBuilder("train").ExternalInput("X")
            .LeakyRelu("X", "A", alpha: 0.1f).LeakyRelu("X", "B", alpha: 0.5f)
            .Op("Sum", ["A", "B"], ["L"]).Build();
        var result = BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["L"]);
        Assert.Contains(result.Net.Op, o => o.Type == "Sum" && o.IsGradientOp && o.Input[1].StartsWith("_X_grad_autosplit_", StringComparison.Ordinal));
        var ws = Services.GetRequiredService<Workspace>();
        ws.FeedBlob<float>("X", [-1f, 1f], 2);
        ws.RunNetOnce(result.Net);
        Assert.Equal([0.1f + 0.5f, 2f], ws.FetchBlob<float>("X_grad"));
    }

    [Fact]
    public void PassedThroughGradient_IsNotAddedIntoInPlace()
    {
        // L = Sum(A, X) passes L's gradient to A and X by name; X also gets A's gradient through
        // the LeakyRelu. The sum must not land in the blob that L and A still use as their gradient.
        var net = new NetBuilder("train").ExternalInput("X").LeakyRelu("X", "A", alpha: 0.5f).Op("Sum", ["A", "X"], ["L"]).Build();
        var result = BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["L"]);
        var ws = Services.GetRequiredService<Workspace>();
        ws.FeedBlob<float>("X", [-2f, 3f], 2);
        ws.RunNetOnce(result.Net);
        Assert.Equal([1.5f, 2f], ws.FetchBlob<float>(result.Gradients["X"]));
        Assert.Equal([1f, 1f], ws.FetchBlob<float>(result.Gradients["A"]));
        Assert.Equal([1f, 1f], ws.FetchBlob<float>(result.Gradients["L"]));
    }

    [Fact]
    public void SameBlobTwiceInOneOp_GetsBothGradients()
    {
        var net = new NetBuilder("train").ExternalInput("X").Op("Sum", ["X", "X"], ["L"]).Build();
        var result = BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["L"]);
        var ws = Services.GetRequiredService<Workspace>();
        ws.FeedBlob<float>("X", [5f], 1);
        ws.RunNetOnce(result.Net);
        Assert.Equal([2f], ws.FetchBlob<float>(result.Gradients["X"]));
        Assert.Equal([1f], ws.FetchBlob<float>(result.Gradients["L"]));
    }

    [Fact]
    public void InPlaceChain_PositiveAlpha_IsFine()
    {
        var net = new NetBuilder("train").ExternalInput("X").LeakyRelu("X", "H", alpha: 0.2f).LeakyRelu("H", "H", alpha: 0.3f).Build();
        var result = BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["H"]);
        var ws = Services.GetRequiredService<Workspace>();
        ws.FeedBlob<float>("X", [-1f, 1f], 2);
        ws.RunNetOnce(result.Net);
        Assert.Equal([0.2f * 0.3f, 1f], ws.FetchBlob<float>("X_grad"));
    }

    [Fact]
    public void BlobNeededByAGradient_OverwrittenLater_IsAClearError()
    {
        // LeakyRelu(alpha <= 0) needs X for its gradient; the in-place op after it destroys X's old value... via Copy into X.
        var net = new NetBuilder("train").ExternalInput("X").LeakyRelu("X", "Y", alpha: 0f).Copy("Y", "X").Build();
        var e = Assert.Throws<EnforceNotMetException>(() => BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["X"]));
        Assert.Contains("the gradient of op #0 'LeakyRelu' reads 'X' as op #0 left it, but op #1 'Copy' overwrites 'X' later", e.Message);
    }

    [Fact]
    public void TwoInPlaceOpsOnOneBlob_TheFirstGradientWouldReadTheSecondOutput_IsAnError()
    {
        var net = new NetBuilder("train").ExternalInput("X").LeakyRelu("X", "X", alpha: 0.2f, name: "a").LeakyRelu("X", "X", alpha: 0.3f, name: "b").Build();
        var e = Assert.Throws<EnforceNotMetException>(() => BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["X"]));
        Assert.Contains("op #0 'LeakyRelu' \"a\" reads 'X'", e.Message);
        Assert.Contains("op #1 'LeakyRelu' \"b\" overwrites 'X' later", e.Message);
    }

    [Fact]
    public void OpWithoutGradientMaker_OnTheGradientPath_IsAnError()
    {
        var registry = new GradientRegistry();
        var net = new NetBuilder("n").Op("Mystery", ["X"], ["Y"]).Build();
        var e = Assert.Throws<EnforceNotMetException>(() => BackwardPass.AddGradientOperators(net, registry, ["Y"]));
        Assert.Contains("op #0 'Mystery' has no gradient maker", e.Message);
    }

    [Fact]
    public void UnknownLoss_IsAnError()
    {
        var net = new NetBuilder("n").Op("Copy", ["X"], ["Y"]).Build();
        Assert.Contains("Loss blob 'Q'", Assert.Throws<EnforceNotMetException>(() => BackwardPass.AddGradientOperators(net, Catalog.Gradients, ["Q"])).Message);
    }
}
