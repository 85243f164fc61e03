using Caffe2Sharp.Models.Zoo;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Models.Tests.Zoo;

/// <summary>
/// Each zoo builder against the real net it reproduces (shared test data): the same operator
/// sequence and arguments (canonical form, <see cref="NetStructure"/>), and the same blob names
/// where Caffe2's builders set them. A builder that drifts fails here.
/// </summary>
public class ZooStructureTests
{
    private static NetDef Real(params string[] parts) => ProtoFile.ReadNetDef(TestData.Path(parts));

    [SkippableFact]
    public void ResNet50_MatchesTheZooNet_OpByOpWithTheSameBlobNames()
    {
        var real = Real("caffe2-models", "resnet50", "predict_net.pbtxt");
        var built = ResNet50.Create().PredictNet;
        Assert.Equal(175, built.Op.Count);
        NetStructure.AssertSame(NetStructure.Lines(real), NetStructure.Lines(built));
        Assert.Equal(real.Name, built.Name);
    }

    [SkippableFact]
    public void ResNet50_ExternalInputsAndOutputs_AreTheZooNets_ButItsUnreadQueueBlob()
    {
        var real = Real("caffe2-models", "resnet50", "predict_net.pbtxt");
        var built = ResNet50.Create().PredictNet;
        var readByRealOps = real.Op.SelectMany(o => o.Input).ToHashSet(StringComparer.Ordinal);
        var expected = real.ExternalInput.Where(readByRealOps.Contains).ToList();
        Assert.Single(real.ExternalInput, n => !readByRealOps.Contains(n) && n.StartsWith("gpu_0/imagenet1k_blobs_queue_", StringComparison.Ordinal));
        Assert.Equal(expected, built.ExternalInput);
        Assert.Equal(real.ExternalOutput, built.ExternalOutput);
    }

    [SkippableFact]
    public void ResNet50_InitNet_FillsEveryParameterTheZooNetReads()
    {
        var real = Real("caffe2-models", "resnet50", "predict_net.pbtxt");
        var model = ResNet50.Create();
        var filled = model.InitNet.Op.Select(o => o.Output[0]).ToHashSet(StringComparer.Ordinal);
        var needed = real.ExternalInput.Where(n => n != "gpu_0/data" && !n.Contains("_queue_", StringComparison.Ordinal)).ToList();
        Assert.Equal(needed.Count, filled.Count);
        Assert.All(needed, n => Assert.Contains(n, filled));
        // ResNet-50 has 25,557,032 parameters (161 trainable tensors) plus 2 x 53 running statistics of 26,560 values.
        Assert.Equal(25_557_032, model.Parameters.Where(p => !p.IsComputed).Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b)));
        Assert.Equal(106, model.Parameters.Count(p => p.IsComputed));
    }

    [SkippableFact]
    public void AlexNet_MatchesTheZooNet_OpByOpWithTheSameBlobNames()
    {
        var real = Real("caffe2-models", "bvlc_alexnet", "predict_net.pbtxt");
        var built = AlexNet.Create().PredictNet;
        NetStructure.AssertSame(NetStructure.Lines(real), NetStructure.Lines(built));
        Assert.Equal(real.ExternalInput, built.ExternalInput);
        Assert.Equal(real.ExternalOutput, built.ExternalOutput);
        Assert.Equal(real.Name, built.Name);
    }

    [SkippableFact]
    public void SqueezeNet10_MatchesTheTranslatedNet_OpByOpWithTheSameBlobNames()
    {
        var real = Real("squeezenet", "predict_net.pb");
        var built = SqueezeNet.Create(classes: 3).PredictNet;
        NetStructure.AssertSame(NetStructure.Lines(real), NetStructure.Lines(built));
        Assert.Equal(real.ExternalInput, built.ExternalInput);
        Assert.Equal(real.ExternalOutput, built.ExternalOutput);
    }

    [SkippableFact]
    public void SqueezeNet10_InitNet_HasTheRealInitNetsParameterNamesAndShapes()
    {
        var realInit = Real("squeezenet", "init_net.pb");
        var realShapes = realInit.Op.Where(o => o.Type == "GivenTensorFill")
            .ToDictionary(o => o.Output[0], o => string.Join(",", o.GetRepeatedArgument<long>("shape")), StringComparer.Ordinal);
        var built = SqueezeNet.Create(classes: 3).Parameters.ToDictionary(p => p.Name, p => string.Join(",", p.Shape), StringComparer.Ordinal);
        Assert.Equal(realShapes.OrderBy(kv => kv.Key, StringComparer.Ordinal), built.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void SqueezeNet11_DiffersFrom10_InConv1ThePoolPlacesAndConv10sPad()
    {
        var lines = NetStructure.Lines(SqueezeNet.Create(version: SqueezeNetVersion.V1_1).PredictNet);
        Assert.Equal(66, lines.Count);
        Assert.Equal("Conv(data, conv1_w, conv1_b) -> (conv1) {kernel=[3,3], stride=[2,2]}", lines[0]);
        Assert.Equal(["pool1", "pool3", "pool5"], SqueezeNet.Create(version: SqueezeNetVersion.V1_1).PredictNet.Op
            .Where(o => o.Type == "MaxPool").Select(o => o.Output[0]));
        Assert.Equal("Conv(fire9/concat, conv10_w, conv10_b) -> (conv10) {kernel=[1,1]}", lines[62]);
        var conv1 = SqueezeNet.Create(version: SqueezeNetVersion.V1_1).Parameters[0];
        Assert.Equal([64L, 3, 3, 3], conv1.Shape);
    }

    [SkippableFact]
    public void LeNetTorchExport_MatchesTheExportedNet_UpToItsNumberedBlobNames()
    {
        var real = Real("mnist-lenet", "predict_net.pb");
        var built = LeNet.Create(variant: LeNetVariant.TorchExport).PredictNet;
        var rename = NetStructure.PositionalRenaming(real, built);
        NetStructure.AssertSame(NetStructure.Lines(real, n => rename[n]), NetStructure.Lines(built));
        Assert.Equal(real.ExternalOutput.Select(n => rename[n]), built.ExternalOutput);
        Assert.Equal("data", rename["1"]);
        Assert.Equal("pred", rename["26"]);
    }

    [SkippableFact]
    public void LeNetTorchExport_InitNet_HasTheExportedInitNetsShapes_UnderTheRenaming()
    {
        var real = Real("mnist-lenet", "predict_net.pb");
        var realInit = Real("mnist-lenet", "init_net.pb");
        var model = LeNet.Create(variant: LeNetVariant.TorchExport);
        var rename = NetStructure.PositionalRenaming(real, model.PredictNet);
        var realShapes = realInit.Op.ToDictionary(o => rename[o.Output[0]], o => string.Join(",", o.GetRepeatedArgument<long>("shape")), StringComparer.Ordinal);
        var built = model.Parameters.ToDictionary(p => p.Name, p => string.Join(",", p.Shape), StringComparer.Ordinal);
        Assert.Equal(realShapes.OrderBy(kv => kv.Key, StringComparer.Ordinal), built.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void LeNetTutorial_IsTheCaffe2MnistTutorialsLayers()
    {
        var lines = NetStructure.Lines(LeNet.Create().PredictNet);
        Assert.Equal(
        [
            "Conv(data, conv1_w, conv1_b) -> (conv1) {kernel=[5,5]}",
            "MaxPool(conv1) -> (pool1) {kernel=[2,2], stride=[2,2]}",
            "Conv(pool1, conv2_w, conv2_b) -> (conv2) {kernel=[5,5]}",
            "MaxPool(conv2) -> (pool2) {kernel=[2,2], stride=[2,2]}",
            "FC(pool2, fc3_w, fc3_b) -> (fc3) {}",
            "Relu(fc3) -> (fc3) {}",
            "FC(fc3, pred_w, pred_b) -> (pred) {}",
            "Softmax(pred) -> (softmax) {}",
        ], lines);
        Assert.Equal([500L, 800], LeNet.Create().Parameters.Single(p => p.Name == "fc3_w").Shape);
    }

    [SkippableFact]
    public void TheComparison_FailsOnADriftedArgumentOrName()
    {
        var real = NetStructure.Lines(Real("caffe2-models", "bvlc_alexnet", "predict_net.pbtxt"));
        var drifted = AlexNet.Create().PredictNet;
        drifted.Op[4].SetArgument("pad", 1);
        Assert.ThrowsAny<Exception>(() => NetStructure.AssertSame(real, NetStructure.Lines(drifted)));
        var renamed = AlexNet.Create().PredictNet;
        renamed.Op[2].Output[1] = "norm1_scale";
        Assert.ThrowsAny<Exception>(() => NetStructure.AssertSame(real, NetStructure.Lines(renamed)));
        var shorter = AlexNet.Create().PredictNet;
        shorter.Op.RemoveAt(22);
        Assert.ThrowsAny<Exception>(() => NetStructure.AssertSame(real, NetStructure.Lines(shorter)));
    }

    [Fact]
    public void TheCanonicalForm_ReadsEveryWindowArgumentFormAlike()
    {
        static string Line(params Argument[] args) => NetStructure.Line(OperatorDef.Create("MaxPool", "", ["x"], ["y"], args), n => n);
        var expected = Line(ArgumentHelper.MakeArgument("kernel", 3), ArgumentHelper.MakeArgument("stride", 2), ArgumentHelper.MakeArgument("pad", 1));
        Assert.Equal("MaxPool(x) -> (y) {kernel=[3,3], pads=[1,1,1,1], stride=[2,2]}", expected);
        Assert.Equal(expected, Line(ArgumentHelper.MakeRepeatedArgument("kernels", new long[] { 3, 3 }), ArgumentHelper.MakeRepeatedArgument("strides", new long[] { 2, 2 }),
            ArgumentHelper.MakeRepeatedArgument("pads", new long[] { 1, 1, 1, 1 }), ArgumentHelper.MakeArgument("order", "NCHW")));
        Assert.Equal(expected, Line(ArgumentHelper.MakeArgument("kernel_h", 3), ArgumentHelper.MakeArgument("kernel_w", 3), ArgumentHelper.MakeArgument("stride_h", 2),
            ArgumentHelper.MakeArgument("stride_w", 2), ArgumentHelper.MakeArgument("pad_t", 1), ArgumentHelper.MakeArgument("pad_l", 1),
            ArgumentHelper.MakeArgument("pad_b", 1), ArgumentHelper.MakeArgument("pad_r", 1)));
    }
}
