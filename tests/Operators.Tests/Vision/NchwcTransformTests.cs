using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Operators.Shape;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>
/// The NCHWc layout stage of the inference optimiser: which ops it converts, where it reorders,
/// the Sum and Relu it fuses, and that the optimised net computes what the NCHW net does.
/// </summary>
public class NchwcTransformTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    private static float[] Random(int count, int seed, double scale = 1)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale))];
    }

    // A ResNet-like block after a 3-channel stem and a fire-like concat:
    // stem Conv 3->32 (+Relu), MaxPool, two 1x1 branches 32->16 concatenated (32), 3x3 Conv 32->32,
    // Sum with the pooled tensor, Relu, AveragePool (global), then Softmax over channels.
    private static (NetDef Init, NetDef Predict) Block(bool keepIntermediate = false)
    {
        var init = new NetBuilder("init")
            .GivenTensorFill("w0", [32, 3, 3, 3], Random(32 * 27, 1, 0.3))
            .GivenTensorFill("b0", [32], Random(32, 2))
            .GivenTensorFill("wa", [16, 32, 1, 1], Random(16 * 32, 3, 0.3))
            .GivenTensorFill("wb", [16, 32, 1, 1], Random(16 * 32, 4, 0.3))
            .GivenTensorFill("w2", [32, 32, 3, 3], Random(32 * 32 * 9, 5, 0.1))
            .GivenTensorFill("b2", [32], Random(32, 6))
            .Build();
        var predict = new NetBuilder("predict").ExternalInput("X", "w0", "b0", "wa", "wb", "w2", "b2")
            .Conv("X", "w0", "b0", "c0", kernel: 3, stride: 1, pad: 1)
            .Relu("c0", "c0")
            .MaxPool("c0", "p0", kernel: 3, stride: 2)
            .Conv("p0", "wa", null, "ea", kernel: 1)
            .Conv("p0", "wb", null, "eb", kernel: 1)
            .Concat(["ea", "eb"], "cat", "cat_info")
            .Conv("cat", "w2", "b2", "c2", kernel: 3, pad: 1)
            .Op("Sum", ["c2", "p0"], ["res"], null)
            .Relu("res", "res")
            .Op("AveragePool", ["res"], ["gap"], null, ArgumentHelper.MakeArgument("global_pooling", 1))
            .Softmax("gap", "Y")
            .ExternalOutput("Y")
            .Build();
        return (init, predict);
    }

    private static Tensor Input(int batch = 2) => Tensor.From<float>(Random(batch * 3 * 17 * 19, 9, 2), batch, 3, 17, 19);

    private static void AssertSameBits(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Dims.ToArray(), actual.Dims.ToArray());
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int k = 0; k < e.Length; k++)
            Assert.True(e[k] == a[k] && (e[k] != 0 || BitConverter.SingleToInt32Bits(e[k]) == BitConverter.SingleToInt32Bits(a[k])) || (float.IsNaN(e[k]) && float.IsNaN(a[k])),
                $"{what} element {k}: optimised {a[k]:R}, NCHW {e[k]:R}");
    }

    [Fact]
    public void ResNetLikeBlock_RunsInNchwc_WithOneReorderEachWay_AndMatchesTheNchwNetBitForBit()
    {
        var (init, predict) = Block();
        var plain = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { Optimize = false });
        var optimized = new Runtime.Predictor(Catalog, init, predict);
        var types = optimized.RunNetDef.Op.Select(o => o.Type).ToArray();
        Assert.Equal(["NchwcConv", "NchwcMaxPool", "NchwcConv", "NchwcConv", "NchwcConv", "NchwcAveragePool", "NchwcReorderOutput", "Softmax"], types);
        // The stem reads X as it is (3 channels); its Relu, the residual Sum and the Relu after it are fused.
        var ops = optimized.RunNetDef.Op;
        Assert.Equal("X", ops[0].Input[0]);
        Assert.Equal("Relu", ops[0].GetSingleArgument(Conv.ActivationArg, ""));
        Assert.Equal(1, ops[4].GetSingleArgument(NchwcOperators.FusedSumArg, 0));
        Assert.Equal("Relu", ops[4].GetSingleArgument(Conv.ActivationArg, ""));
        Assert.Equal(4, ops[4].Input.Count); // X, filter, bias, the residual
        Assert.Equal(ops[1].Output[0], ops[4].Input[3]); // the pooled tensor, still blocked
        // The two 1x1 convs write their blocks of the Concat's output; the Concat is gone.
        Assert.Equal(ops[2].Output[0], ops[3].Output[0]);
        Assert.Equal(ops[2].Output[0], ops[4].Input[0]);
        Assert.Equal((0, 2), (ops[2].GetSingleArgument(NchwcOperators.OutputBlockOffsetArg, -1), ops[2].GetSingleArgument(NchwcOperators.OutputBlocksArg, 0)));
        Assert.Equal((1, 2), (ops[3].GetSingleArgument(NchwcOperators.OutputBlockOffsetArg, -1), ops[3].GetSingleArgument(NchwcOperators.OutputBlocksArg, 0)));
        Assert.Contains(("write Concat inputs in place (NCHWc)", 1), optimized.AppliedOptimizations);
        Assert.Contains(optimized.AppliedOptimizations, a => a.Pass == "NCHWc layout for Conv and pooling" && a.Rewrites == 7); // 4 Conv, 2 pools, the Concat
        Assert.Contains(("fuse residual Sum into NchwcConv", 1), optimized.AppliedOptimizations);
        Assert.Contains(("fuse Relu into NchwcConv", 1), optimized.AppliedOptimizations);
        for (int batch = 1; batch <= 2; batch++)
        {
            var x = Input(batch);
            AssertSameBits(Assert.Single(plain.Run(x)), Assert.Single(optimized.Run(x)), $"batch {batch}");
        }
    }

    [Theory]
    [InlineData(20)] // padded to 32: packed into a new tensor, the folded filters dropped
    [InlineData(32)] // whole blocks: the folded filters packed in place
    public void Filters_ArePackedWhenOptimised_AndNoUnreadFoldedCopyStays(int m)
    {
        // Conv 3->m with a bias, SpatialBN folded into it, Relu: the optimised net holds the
        // packed filters (and a bias padded with zeros) and no unpacked folded copy.
        var init = new NetBuilder("init")
            .GivenTensorFill("w", [m, 3, 3, 3], Random(m * 27, 1, 0.3))
            .GivenTensorFill("b", [m], Random(m, 2))
            .GivenTensorFill("s", [m], Random(m, 3))
            .GivenTensorFill("o", [m], Random(m, 4))
            .GivenTensorFill("mu", [m], Random(m, 5))
            .GivenTensorFill("var", [m], [.. Random(m, 6).Select(v => 0.5f + Math.Abs(v))])
            .Build();
        var predict = new NetBuilder("predict").ExternalInput("X", "w", "b", "s", "o", "mu", "var")
            .Conv("X", "w", "b", "c", kernel: 3, pad: 1)
            .SpatialBNForInference("c", "s", "o", "mu", "var", "bn")
            .Relu("bn", "Y")
            .ExternalOutput("Y")
            .Build();
        var nchw = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { OptimizeLayout = false });
        var p = new Runtime.Predictor(Catalog, init, predict);
        Assert.Equal(["NchwcConv", "NchwcReorderOutput"], p.RunNetDef.Op.Select(o => o.Type));
        var conv = p.RunNetDef.Op[0];
        var constants = p.Workspace.Parent!;
        Assert.Same(p.Weights, constants.Parent);
        Assert.Equal(new[] { conv.Input[1], conv.Input[2] }.Order(StringComparer.Ordinal), constants.LocalBlobs);
        Assert.Equal("w_bnfold__nchwc", conv.Input[1]);
        Assert.Equal(m == 32 ? "b_bnfold" : "b_bnfold__nchwc", conv.Input[2]);
        Assert.Equal([32L, 3, 3, 3], ((Tensor)constants.GetBlob(conv.Input[1])!.Value!).Shape);
        var bias = (Tensor)constants.GetBlob(conv.Input[2])!.Value!;
        Assert.Equal([32L], bias.Shape);
        Assert.All(bias.ToArray<float>()[m..], v => Assert.Equal(0, BitConverter.SingleToInt32Bits(v)));
        Assert.DoesNotContain("w_bnfold", p.RunNetDef.ExternalInput);
        Assert.Equal(m == 32, p.RunNetDef.ExternalInput.Contains("b_bnfold"));
        Assert.Contains(conv.Input[1], p.RunNetDef.ExternalInput);
        // The user's weights are untouched; the result is the NCHW optimised net's, bit for bit.
        Assert.Equal(Random(m * 27, 1, 0.3), ((Tensor)p.Weights.GetBlob("w")!.Value!).ToArray<float>());
        for (int batch = 1; batch <= 2; batch++)
        {
            var x = Input(batch);
            AssertSameBits(Assert.Single(nchw.Run(x)), Assert.Single(p.Run(x)), $"batch {batch}");
        }
    }

    [Fact]
    public void AKeptIntermediate_IsReorderedToNchw_AndFetchable_OthersAreReportedRemoved()
    {
        var (init, predict) = Block();
        var plain = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { Optimize = false, KeepBlobs = ["cat", "p0"] });
        var optimized = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { KeepBlobs = ["cat"] });
        var x = Input();
        plain.Run(x);
        optimized.Run(x);
        AssertSameBits(plain.Fetch("cat"), optimized.Fetch("cat"), "cat");
        var e = Assert.ThrowsAny<EnforceNotMetException>(() => optimized.Fetch("p0"));
        Assert.Contains("'p0'", e.Message);
        Assert.Contains("NCHWc", e.Message);
        // 'cat' stays blocked for its consumer; a reorder writes the NCHW blob as well.
        Assert.Contains(optimized.RunNetDef.Op, o => o.Type == "NchwcReorderOutput" && o.Output[0] == "cat");
    }

    [Fact]
    public void LayoutOff_KeepsTheNchwOperators()
    {
        var (init, predict) = Block();
        var p = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { OptimizeLayout = false });
        Assert.DoesNotContain(p.RunNetDef.Op, o => o.Type.StartsWith("Nchwc", StringComparison.Ordinal));
        Assert.Contains(p.RunNetDef.Op, o => o.Type == "Conv");
    }

    [Fact]
    public void ConvsWithoutAnNchwcKernel_OrWithAFedFilter_StayNchw()
    {
        // 20 input channels (not whole blocks, not fewer than 16): no NCHWc kernel; a filter fed per run is not constant.
        var init = new NetBuilder("init").GivenTensorFill("w", [8, 20, 3, 3], Random(8 * 20 * 9, 1)).Build();
        var predict = new NetBuilder("predict").ExternalInput("X", "w", "v").Conv("X", "w", null, "Y", kernel: 3).Conv("Y", "v", null, "Z", kernel: 1).ExternalOutput("Z").Build();
        var p = new Runtime.Predictor(Catalog, init, predict);
        Assert.Equal(["Conv", "Conv"], p.RunNetDef.Op.Select(o => o.Type));
    }

    [Fact]
    public void NchwcOperators_RejectBadInputs_NamingTheOpAndBlob()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X4", new float[2 * 32 * 5 * 5], 2, 32, 5, 5);
        ws.FeedBlob<float>("W", new float[16 * 32 * 9], 16, 32, 3, 3);
        ws.FeedBlob<float>("Xb", new float[2 * 2 * 5 * 5 * 16], 2, 2, 5, 5, 16);
        ws.FeedBlob<float>("S", new float[7], 7);
        // A blocked conv fed an NCHW tensor of 32 channels.
        var e = Assert.ThrowsAny<EnforceNotMetException>(() => ws.RunOperatorOnce(OperatorDef.Create("NchwcConv", "c", ["X4", "W"], ["Y"]).SetArgument("kernel", 3)));
        Assert.Contains("NchwcConv", e.Message);
        Assert.Contains("no NCHWc kernel", e.Message);
        // A fused residual of the wrong shape.
        e = Assert.ThrowsAny<EnforceNotMetException>(() => ws.RunOperatorOnce(OperatorDef.Create("NchwcConv", "c", ["Xb", "W", "S"], ["Y"]).SetArgument("kernel", 3).SetArgument(NchwcOperators.FusedSumArg, 1)));
        Assert.Contains("sum input 'S'", e.Message);
        Assert.Contains("[2, 1, 3, 3, 16]", e.Message);
        // Reordering back with a channel count the blocks do not hold.
        e = Assert.ThrowsAny<EnforceNotMetException>(() => ws.RunOperatorOnce(OperatorDef.Create("NchwcReorderOutput", "", ["Xb"], ["Y"]).SetArgument("channels", 40)));
        Assert.Contains("'Xb'", e.Message);
        Assert.Contains("40 channels", e.Message);
        // Pooling an NCHW tensor.
        e = Assert.ThrowsAny<EnforceNotMetException>(() => ws.RunOperatorOnce(OperatorDef.Create("NchwcMaxPool", "", ["X4"], ["Y"]).SetArgument("kernel", 2)));
        Assert.Contains("must be FLOAT blocked", e.Message);
        Assert.False(ws.HasBlob("Y") && ws.GetBlob("Y")!.Value is Tensor { Size: > 0 });
    }

    [Fact]
    public void Schemas_InferBlockedShapes_AndAreHiddenFromTheCatalog()
    {
        var conv = Catalog.Schemas.Find("NchwcConv")!;
        Assert.True(conv.IsPrivate);
        var shapes = conv.InferTensor(OperatorDef.Create("NchwcConv", "", ["X", "W"], ["Y"]).SetArgument("kernel", 3).SetArgument("pad", 1),
            [TensorShape.Create([1, 2, 7, 7, 16]), TensorShape.Create([40, 32, 3, 3])]);
        Assert.Equal("FLOAT[1, 3, 7, 7, 16]", Assert.Single(shapes).Describe());
        var back = Catalog.Schemas.Find("NchwcReorderOutput")!.InferTensor(OperatorDef.Create("NchwcReorderOutput", "", ["X"], ["Y"]).SetArgument("channels", 40),
            [TensorShape.Create([1, 3, 7, 7, 16])]);
        Assert.Equal("FLOAT[1, 40, 7, 7]", Assert.Single(back).Describe());
        var pool = Catalog.Schemas.Find("NchwcMaxPool")!.InferTensor(OperatorDef.Create("NchwcMaxPool", "", ["X"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2),
            [TensorShape.Create([1, 2, 7, 7, 16])]);
        Assert.Equal("FLOAT[1, 2, 3, 3, 16]", Assert.Single(pool).Describe());
    }
    [Fact]
    public void DilatedPools_StayNchw_AndTheOptimisedNetMatchesThePlainOneBitForBit()
    {
        // Conv 3->32 (NCHWc), then a dilated MaxPool (dilations, a Caffe2Sharp extension) and a
        // dilated AveragePool (dilation_h/_w), which the blocked kernels do not serve: both stay
        // NCHW behind a reorder, and an undilated MaxPool of the same conv output still converts.
        var init = new NetBuilder("init")
            .GivenTensorFill("w0", [32, 3, 3, 3], Random(32 * 27, 1, 0.3))
            .GivenTensorFill("b0", [32], Random(32, 2))
            .Build();
        var predict = new NetBuilder("predict").ExternalInput("X", "w0", "b0")
            .Conv("X", "w0", "b0", "c0", kernel: 3, stride: 1, pad: 1)
            .Relu("c0", "c0")
            .Op("MaxPool", ["c0"], ["dm"], null, ArgumentHelper.MakeRepeatedArgument("kernels", new long[] { 3, 2 }),
                ArgumentHelper.MakeRepeatedArgument("strides", new long[] { 1, 2 }), ArgumentHelper.MakeRepeatedArgument("pads", new long[] { 2, 1, 2, 1 }),
                ArgumentHelper.MakeRepeatedArgument("dilations", new long[] { 2, 3 }))
            .Op("AveragePool", ["c0"], ["da"], null, ArgumentHelper.MakeArgument("kernel", 3), ArgumentHelper.MakeArgument("pad", 2),
                ArgumentHelper.MakeArgument("dilation_h", 3), ArgumentHelper.MakeArgument("dilation_w", 2), ArgumentHelper.MakeArgument("count_include_pad", 1))
            .MaxPool("c0", "m", kernel: 2, stride: 2)
            .ExternalOutput("dm", "da", "m")
            .Build();
        var plain = new Runtime.Predictor(Catalog, init, predict, new PredictorOptions { Optimize = false });
        var optimized = new Runtime.Predictor(Catalog, init, predict);
        var types = optimized.RunNetDef.Op.Select(o => o.Type).ToArray();
        Assert.Contains("NchwcConv", types);
        Assert.Contains("NchwcMaxPool", types);
        Assert.Contains("MaxPool", types);
        Assert.Contains("AveragePool", types);
        Assert.DoesNotContain("NchwcAveragePool", types);
        Assert.Single(optimized.RunNetDef.Op, o => o.Type == "NchwcMaxPool");
        var x = Input();
        var expected = plain.Run(x);
        var actual = optimized.Run(x);
        Assert.Equal(3, actual.Length);
        for (int k = 0; k < 3; k++) AssertSameBits(expected[k], actual[k], predict.ExternalOutput[k]);
    }

    [Fact]
    public void NchwcPool_GivenADilation_IsAnError()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", new Tensor(DataType.Float, [1, 1, 5, 5, 16]));
        var def = OperatorDef.Create("NchwcMaxPool", "", ["X"], ["Y"]).SetArgument("kernel", 2).SetArgument("dilation", 2);
        var ex = Assert.ThrowsAny<Exception>(() => ws.RunOperatorOnce(def));
        Assert.Contains("dilation [2, 2] is not supported on blocked tensors", ex.Message, StringComparison.Ordinal);
    }
}
