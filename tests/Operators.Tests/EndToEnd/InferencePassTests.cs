using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Operators.Regularization;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Operators.Tests.EndToEnd;

/// <summary>The inference passes the operator packs register: SpatialBN folded into Conv, test-mode Dropout dropped. The layout stage is off here (NchwcTransformTests cover it), so the ops these passes leave are visible.</summary>
public class InferencePassTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    private static float[] Random(int count, int seed, double scale = 1, double offset = 0)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale + offset))];
    }

    // Weights: a 3x3 Conv 3 -> 4 channels (bias optional), and SpatialBN parameters for 4 channels
    // with a variance well away from zero.
    private static NetDef Init(bool convBias = true)
    {
        var init = new NetBuilder("init")
            .GivenTensorFill("W", [4, 3, 3, 3], Random(4 * 3 * 3 * 3, 1))
            .GivenTensorFill("scale", [4], Random(4, 2, 1, 1.5))
            .GivenTensorFill("bias", [4], Random(4, 3))
            .GivenTensorFill("mean", [4], Random(4, 4))
            .GivenTensorFill("var", [4], Random(4, 5, 0.4, 0.6));
        if (convBias) init.GivenTensorFill("b", [4], Random(4, 6));
        return init.Build();
    }

    private static NetDef ConvBnRelu(bool convBias = true, bool inPlaceBn = false)
    {
        var net = new NetBuilder("predict").ExternalInput("X", "W", "scale", "bias", "mean", "var")
            .Conv("X", "W", convBias ? "b" : null, "conv", kernel: 3, pad: 1)
            .SpatialBNForInference("conv", "scale", "bias", "mean", "var", inPlaceBn ? "conv" : "bn", epsilon: 1e-3f)
            .Relu(inPlaceBn ? "conv" : "bn", "Y")
            .ExternalOutput("Y");
        if (convBias) net.ExternalInput("b");
        return net.Build();
    }

    private static Tensor Input() => Tensor.From<float>(Random(2 * 3 * 5 * 6, 9, 2), 2, 3, 5, 6);

    private static void AssertClose(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.Dims.ToArray(), actual.Dims.ToArray());
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        double max = e.Max(v => Math.Abs(v));
        for (int k = 0; k < e.Length; k++)
            Assert.True(Math.Abs(a[k] - e[k]) <= 1e-4 * Math.Abs(e[k]) + 1e-5 * max, $"element {k}: {a[k]} vs {e[k]}");
    }

    private static (Tensor Plain, Tensor Optimized, Runtime.Predictor Predictor) RunBothWays(NetDef init, NetDef predict, PredictorOptions? options = null)
    {
        var x = Input();
        var plain = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { Optimize = false });
        var optimized = new Runtime.Predictor(Catalog, init, predict, options ?? new PredictorOptions { OptimizeLayout = false });
        return (Assert.Single(plain.Run(x)), Assert.Single(optimized.Run(x)), optimized);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void SpatialBN_IsFoldedIntoTheConv_WithinTolerance_AndTheWeightsAreUnchanged(bool convBias, bool inPlaceBn)
    {
        var (plain, optimized, p) = RunBothWays(Init(convBias), ConvBnRelu(convBias, inPlaceBn));
        AssertClose(plain, optimized);
        Assert.Contains(("fold SpatialBN into Conv", 1), p.AppliedOptimizations);
        Assert.Contains(("fuse Relu into Conv", 1), p.AppliedOptimizations); // the Relu then follows the Conv
        var run = p.RunNetDef;
        var conv = Assert.Single(run.Op);
        Assert.Equal("Conv", conv.Type);
        Assert.Equal(["X", "W_bnfold", convBias ? "b_bnfold" : "W_bias_bnfold"], conv.Input);
        Assert.Equal("Y", conv.Output[0]);
        Assert.Equal(Conv.ReluActivation, conv.GetSingleArgument(Conv.ActivationArg, ""));
        Assert.Equal(Random(4 * 3 * 3 * 3, 1), p.Weights.FetchBlob<float>("W")); // the user's weights, as they were
        Assert.False(p.Weights.HasBlob("W_bnfold"));
        Assert.Contains(inPlaceBn ? "conv" : "bn", p.RemovedBlobs.Keys);

        // The folded filter of channel 0 is W * scale / sqrt(var + epsilon), rounded once.
        var scale = Random(4, 2, 1, 1.5);
        var variance = Random(4, 5, 0.4, 0.6);
        var folded = p.Workspace.FetchBlob<float>("W_bnfold");
        Assert.Equal((float)(Random(27 * 4, 1)[5] * (scale[0] / Math.Sqrt(variance[0] + (double)1e-3f))), folded[5]);
    }

    [Fact]
    public void SpatialBN_IsNotFolded_WhenTheConvOutputIsKept_OrTheParametersAreFed_OrInTrainingMode()
    {
        // The Conv's output is fetched: it must keep its value.
        var (plain, optimized, p) = RunBothWays(Init(), ConvBnRelu(), new PredictorOptions { KeepBlobs = ["conv"], OptimizeLayout = false });
        Assert.DoesNotContain(p.AppliedOptimizations, a => a.Pass == "fold SpatialBN into Conv");
        AssertClose(plain, optimized);

        // The scale is an input the caller feeds, not a constant.
        var init = Init();
        init.Op.RemoveAt(1);
        var fed = new Runtime.Predictor(Catalog, init, ConvBnRelu());
        Assert.Equal(["X", "scale"], fed.InputNames);
        Assert.DoesNotContain(fed.AppliedOptimizations, a => a.Pass == "fold SpatialBN into Conv");

        // The Conv's output is also read by another op.
        var twice = new NetBuilder(ConvBnRelu()).Relu("conv", "Z").ExternalOutput("Z").Build();
        var q = new Runtime.Predictor(Catalog, Init(), twice);
        Assert.DoesNotContain(q.AppliedOptimizations, a => a.Pass == "fold SpatialBN into Conv");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Relu_IsFusedIntoTheConv_BitForBit(bool inPlace)
    {
        // SqueezeNet's form: Conv then an in-place Relu on its output.
        string r = inPlace ? "conv" : "relu";
        var net = new NetBuilder("predict").ExternalInput("X", "W", "b")
            .Conv("X", "W", "b", "conv", kernel: 3, pad: 1).Relu("conv", r).Relu(r, "Y").ExternalOutput("Y").Build();
        var (plain, optimized, p) = RunBothWays(Init(), net);
        Assert.True(plain.ContentEquals(optimized));
        Assert.Contains(("fuse Relu into Conv", 1), p.AppliedOptimizations); // one: a Conv takes one activation
        Assert.Equal(["Conv", "Relu"], p.RunNetDef.Op.Select(o => o.Type));
        Assert.Equal(Conv.ReluActivation, p.RunNetDef.Op[0].GetSingleArgument(Conv.ActivationArg, ""));
    }

    [Fact]
    public void Relu_IsNotFused_WhenTheConvOutputIsKept_OrReadElsewhere()
    {
        var net = new NetBuilder("predict").ExternalInput("X", "W", "b")
            .Conv("X", "W", "b", "conv", kernel: 3, pad: 1).Relu("conv", "Y").ExternalOutput("Y").Build();
        var kept = new Runtime.Predictor(Catalog, Init(), net, new PredictorOptions { KeepBlobs = ["conv"], OptimizeLayout = false });
        Assert.DoesNotContain(kept.AppliedOptimizations, a => a.Pass == "fuse Relu into Conv");
        var twice = new NetBuilder(net).Relu("conv", "Z").ExternalOutput("Z").Build();
        Assert.DoesNotContain(new Runtime.Predictor(Catalog, Init(), twice).AppliedOptimizations, a => a.Pass == "fuse Relu into Conv");
    }

    [Theory]
    [InlineData(new long[] { 4 }, 1, 1)]          // LeNet's form: Add(Y, b, broadcast=1, axis=1)
    [InlineData(new long[] { 4, 1, 1 }, 1, -1)]   // legacy, trailing
    [InlineData(new long[] { 1, 4, 1, 1 }, 0, 0)] // numpy
    public void BiasAdd_IsFusedIntoTheBiaslessConv_BitForBit(long[] biasDims, int broadcast, int axis)
    {
        var init = new NetBuilder(Init(convBias: false)).GivenTensorFill("c", biasDims, Random(4, 8)).Build();
        var add = OperatorDef.Create("Add", "", ["conv", "c"], ["Y"]).SetArgument("broadcast", broadcast);
        if (axis != 0) add.SetArgument("axis", axis);
        var net = new NetBuilder("predict").ExternalInput("X", "W", "c").Conv("X", "W", null, "conv", kernel: 3, pad: 1).ExternalOutput("Y").Build();
        net.Op.Add(add);
        var (plain, optimized, p) = RunBothWays(init, net);
        Assert.True(plain.ContentEquals(optimized));
        Assert.Contains(("fuse bias Add into Conv", 1), p.AppliedOptimizations);
        var conv = Assert.Single(p.RunNetDef.Op);
        Assert.Equal(3, conv.Input.Count);
        Assert.Equal("Y", conv.Output[0]);
        Assert.Equal(Random(4, 8), p.Workspace.FetchBlob<float>(conv.Input[2]));
    }

    [Theory]
    [InlineData(new long[] { 6 }, 1, 3)]           // per column, not per channel
    [InlineData(new long[] { 2, 4, 1, 1 }, 0, 0)]  // would broadcast the batch
    public void BiasAdd_IsNotFused_WhenItIsNotPerChannel_TheConvHasABias_OrTheBiasIsFed(long[] biasDims, int broadcast, int axis)
    {
        int count = (int)biasDims.Aggregate(1L, (a, b) => a * b);
        var init = new NetBuilder(Init(convBias: false)).GivenTensorFill("c", biasDims, Random(count, 8)).Build();
        var add = OperatorDef.Create("Add", "", ["conv", "c"], ["Y"]).SetArgument("broadcast", broadcast);
        if (axis != 0) add.SetArgument("axis", axis);
        var net = new NetBuilder("predict").ExternalInput("X", "W", "c").Conv("X", "W", null, "conv", kernel: 3, pad: 1).ExternalOutput("Y").Build();
        net.Op.Add(add);
        var p = new Runtime.Predictor(Catalog, init, net, new PredictorOptions());
        Assert.DoesNotContain(p.AppliedOptimizations, a => a.Pass == "fuse bias Add into Conv");

        // The Conv has its own bias; the bias is fed per run.
        var withBias = new NetBuilder("predict").ExternalInput("X", "W", "b", "c").Conv("X", "W", "b", "conv", kernel: 3, pad: 1).ExternalOutput("Y").Build();
        withBias.Op.Add(OperatorDef.Create("Add", "", ["conv", "c"], ["Y"]).SetArgument("broadcast", 1).SetArgument("axis", 1));
        var init4 = new NetBuilder(Init()).GivenTensorFill("c", [4], Random(4, 8)).Build();
        Assert.DoesNotContain(new Runtime.Predictor(Catalog, init4, withBias).AppliedOptimizations, a => a.Pass == "fuse bias Add into Conv");
        var fed = new NetBuilder("predict").ExternalInput("X", "W", "c").Conv("X", "W", null, "conv", kernel: 3, pad: 1).ExternalOutput("Y").Build();
        fed.Op.Add(OperatorDef.Create("Add", "", ["conv", "c"], ["Y"]).SetArgument("broadcast", 1).SetArgument("axis", 1));
        var q = new Runtime.Predictor(Catalog, Init(convBias: false), fed);
        Assert.Contains("c", q.InputNames);
        Assert.DoesNotContain(q.AppliedOptimizations, a => a.Pass == "fuse bias Add into Conv");
    }

    [Fact]
    public void FC_WithConstantWeights_RunsTransposed_WithItsReluFused_BitForBit()
    {
        var init = new NetBuilder("init").GivenTensorFill("fw", [7, 2, 3, 5], Random(7 * 30, 10)).GivenTensorFill("fb", [7], Random(7, 11)).Build();
        var net = new NetBuilder("predict").ExternalInput("X", "fw", "fb")
            .Op("FC", ["X", "fw", "fb"], ["f"], null).Relu("f", "f").Relu("f", "Y").ExternalOutput("Y").Build();
        var x = Tensor.From<float>(Random(4 * 30, 12, 2), 4, 30);
        var plain = Assert.Single(new Runtime.Predictor(Catalog, init, net, new PredictorOptions { Optimize = false }).Run(x));
        var p = new Runtime.Predictor(Catalog, init, net);
        Assert.True(plain.ContentEquals(Assert.Single(p.Run(x))));
        Assert.Contains(("store constant FC weights transposed", 1), p.AppliedOptimizations);
        Assert.Contains(("fuse Relu into FC", 1), p.AppliedOptimizations);
        var fc = p.RunNetDef.Op[0];
        Assert.Equal("FCTransposed", fc.Type);
        Assert.Equal(Conv.ReluActivation, fc.GetSingleArgument(Conv.ActivationArg, ""));
        Assert.Equal([30L, 7], p.Workspace.GetBlob(fc.Input[1])!.GetTensor().Shape);
        Assert.Equal(Random(7 * 30, 10), p.Weights.FetchBlob<float>("fw")); // the user's weights, as they were

        // Weights fed per run stay as they are.
        var fed = new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, net);
        Assert.DoesNotContain(fed.AppliedOptimizations, a => a.Pass == "store constant FC weights transposed");
        Assert.Contains(("fuse Relu into FC", 1), fed.AppliedOptimizations);
    }

    [Fact]
    public void TestModeDropout_IsDropped_AndItsReadersReadItsInput()
    {
        var net = new NetBuilder("predict").ExternalInput("X")
            .Relu("X", "r")
            .DropoutForInference("r", "d")
            .Relu("d", "Y")
            .ExternalOutput("Y").Build();
        var x = Tensor.From<float>(Random(24, 3), 2, 12);
        var plain = Assert.Single(new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, net, new PredictorOptions { Optimize = false }).Run(x));
        var p = new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, net);
        Assert.True(plain.ContentEquals(Assert.Single(p.Run(x))));
        Assert.Contains(("drop test-mode Dropout", 1), p.AppliedOptimizations);
        Assert.Equal(["Relu", "Relu"], p.RunNetDef.Op.Select(o => o.Type));
        Assert.Equal(["r"], p.RunNetDef.Op[1].Input);
        var e = Assert.Throws<EnforceNotMetException>(() => p.Fetch("d"));
        Assert.Contains("test-mode Dropout #1 was dropped; 'd' equals 'r'", e.Message);
    }

    [Fact]
    public void Dropout_IsKept_WhenItsOutputIsAnOutput_ItsMaskIsRead_OrItTrains()
    {
        var asOutput = new NetBuilder("predict").ExternalInput("X").Relu("X", "r").DropoutForInference("r", "Y").ExternalOutput("Y").Build();
        Assert.DoesNotContain(new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, asOutput).AppliedOptimizations, a => a.Pass == "drop test-mode Dropout");

        var maskRead = new NetBuilder("predict").ExternalInput("X")
            .Op("Dropout", ["X"], ["d", "mask"], null, ArgumentHelper.MakeArgument("is_test", 1))
            .Op("Copy", ["mask"], ["Y"], null).ExternalOutput("Y").Build();
        Assert.DoesNotContain(new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, maskRead).AppliedOptimizations, a => a.Pass == "drop test-mode Dropout");

        var training = new NetBuilder("predict").ExternalInput("X").Dropout("X", "d", "mask").Relu("d", "Y").ExternalOutput("Y").Build();
        Assert.DoesNotContain(new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, training).AppliedOptimizations, a => a.Pass == "drop test-mode Dropout");

        // In place: simply removed.
        var inPlace = new NetBuilder("predict").ExternalInput("X").Relu("X", "r").DropoutForInference("r", "r").Relu("r", "Y").ExternalOutput("Y").Build();
        var p = new Runtime.Predictor(Catalog, new NetDef { Name = "init" }, inPlace);
        Assert.Equal(["Relu", "Relu"], p.RunNetDef.Op.Select(o => o.Type));
    }
}
