using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Schema.Tests.RealNets;

/// <summary>Binary nets written by real Caffe2 tools (shared/testdata/caffe2-nets/README.md) decode as described.</summary>
public class BinaryNetTests
{
    private static NetDef Load(params string[] path) => NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path(path)));

    [SkippableFact]
    public void MnistPredictNet_DecodesOpsArgsAndDeviceOption()
    {
        var net = Load("mnist-lenet", "predict_net.pb");
        Assert.Equal(11, net.Op.Count);
        Assert.Equal(["Conv", "Add", "MaxPool", "Relu", "Reshape", "FC"], net.Op.Select(o => o.Type).Distinct());
        Assert.NotNull(net.DeviceOption);
        Assert.Equal(0, net.DeviceOption.DeviceType);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => i.ToString()), net.ExternalInput);
        Assert.Equal(["26"], net.ExternalOutput);
        var conv = net.Op[0];
        Assert.Equal(["1", "2"], conv.Input);
        Assert.Equal([5L, 5L], conv.GetRepeatedArgument<long>("kernels"));
        Assert.Equal(1, conv.GetSingleArgument("group", 0));
        var add = net.Op[1];
        Assert.Equal(1, add.GetSingleArgument("broadcast", 0));
        Assert.Equal(2, net.Op.Single(o => o.Type == "Reshape").Output.Count);
    }

    [SkippableFact]
    public void MnistInitNet_HasEightGivenTensorFills_WithUnpackedFloats()
    {
        var net = Load("mnist-lenet", "init_net.pb");
        Assert.Equal(8, net.Op.Count);
        Assert.All(net.Op, o => Assert.Equal("GivenTensorFill", o.Type));
        long[][] shapes = [[20, 1, 5, 5], [20], [50, 20, 5, 5], [50], [500, 800], [500], [10, 500], [10]];
        for (int k = 0; k < 8; k++)
        {
            var shape = net.Op[k].GetRepeatedArgument<long>("shape");
            Assert.Equal(shapes[k], shape);
            Assert.Equal(shape.Aggregate(1L, (a, b) => a * b), net.Op[k].GetRepeatedArgument<float>("values").Length);
        }
        Assert.Equal(431_080, net.Op.Sum(o => o.GetRepeatedArgument<float>("values").Length));
    }

    [SkippableFact]
    public void SqueezenetPredictNet_Decodes()
    {
        var net = Load("squeezenet", "predict_net.pb");
        Assert.Equal("", net.Name);
        Assert.Equal(66, net.Op.Count);
        Assert.Equal(["Conv", "Relu", "MaxPool", "Concat", "Dropout", "AveragePool", "Softmax"], net.Op.Select(o => o.Type).Distinct());
        Assert.All(net.Op.Where(o => o.Type == "Relu"), o => Assert.Equal(o.Input[0], o.Output[0]));
        Assert.All(net.Op.Where(o => o.Type == "Dropout"), o => Assert.Equal(2, o.Output.Count));
        Assert.Equal(["prob"], net.ExternalOutput);
        Assert.Equal("NCHW", net.Op.First(o => o.Type == "MaxPool").GetSingleArgument("order", ""));
    }

    [SkippableFact]
    public void SqueezenetInitNet_Has52GivenTensorFillsAndOneConstantFill()
    {
        var net = Load("squeezenet", "init_net.pb");
        Assert.False(net.HasName);
        Assert.Equal(52, net.Op.Count(o => o.Type == "GivenTensorFill"));
        Assert.Equal(1, net.Op.Count(o => o.Type == "ConstantFill"));
    }

    [SkippableFact]
    public void RealNets_RoundTripThroughOurSerialiser_ByteForByte()
    {
        foreach (var path in new[] { new[] { "mnist-lenet", "predict_net.pb" }, ["squeezenet", "predict_net.pb"] })
        {
            var bytes = File.ReadAllBytes(TestData.Path(path));
            var net = NetDef.Parser.ParseFrom(bytes);
            var again = NetDef.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(net));
            Assert.Equal(net, again);
        }
    }
}
