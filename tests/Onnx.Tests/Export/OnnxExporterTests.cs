using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Onnx.Proto;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;
using OnnxDataType = Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>The model's frame: inputs, initializers, value infos, versions, and the mapping table's coverage.</summary>
public class OnnxExporterTests
{
    [Fact]
    public void EveryStandardForwardOperator_HasAnOnnxExportMapping()
    {
        // Fills run in the init net (their results become initializers); gradient ops are not
        // exported, nor the optimiser's internal (private) operators such as NchwcConv.
        var forward = Catalog.Schemas.Types.Where(t => !Catalog.Schemas.Find(t)!.IsPrivate && !t.EndsWith("Fill", StringComparison.Ordinal)
            && !t.EndsWith("Gradient", StringComparison.Ordinal) && !t.EndsWith("Grad", StringComparison.Ordinal)).ToList();
        Assert.Contains("Conv", forward);
        Assert.DoesNotContain(forward, t => !OnnxExporter.Supports(t));
        Assert.Equal(forward.Order(StringComparer.Ordinal), OnnxExporter.SupportedOperators);
    }

    [Fact]
    public void InitNetBlobs_AreInitializers_UnlessGivenAShape_ThenTheyAreInputs()
    {
        var init = Init(("W", Random(1, 3, 4)), ("b", Random(2, 3)), ("unused", Random(3, 2)));
        init.Op.Add(OperatorDef.Create("ConstantFill", "", [], ["X"]).SetRepeatedArgument("shape", new long[] { 1 })); // a placeholder
        var predict = Net(["X", "W", "b"], ["Y"], OperatorDef.Create("FC", "", ["X", "W", "b"], ["Y"]));
        var model = OnnxExporter.Export(init, predict, new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([2, 4]) });

        Assert.Equal("X", Assert.Single(model.Graph.Input).Name);
        Assert.Equal(["W", "b"], model.Graph.Initializer.Select(t => t.Name));
        var w = model.Graph.Initializer[0];
        Assert.Equal([3L, 4], w.Dims);
        Assert.Equal((int)OnnxDataType.Float, w.DataType);
        Assert.Equal(12 * 4, w.RawData.Length);
        Assert.Equal(Random(1, 3, 4).ToArray<float>(), OnnxTensors.ToTensor(w).ToArray<float>());

        var input = model.Graph.Input[0].Type.TensorType;
        Assert.Equal((int)OnnxDataType.Float, input.ElemType);
        Assert.Equal([2L, 4], input.Shape.Dim.Select(d => d.DimValue));
        var output = Assert.Single(model.Graph.Output);
        Assert.Equal("Y", output.Name);
        Assert.Equal([2L, 3], output.Type.TensorType.Shape.Dim.Select(d => d.DimValue));

        Assert.Equal(8, model.IrVersion);
        Assert.Equal(17, Assert.Single(model.OpsetImport).Version);
        Assert.Equal("Caffe2Sharp", model.ProducerName);
        Assert.Equal("test", model.Graph.Name);
    }

    [Theory]
    [InlineData(11, 6)]
    [InlineData(13, 7)]
    [InlineData(14, 7)]
    [InlineData(15, 8)]
    [InlineData(17, 8)]
    [InlineData(19, 9)]
    [InlineData(21, 10)]
    public void IrVersion_FollowsTheOpset(int opset, long ir) => Assert.Equal(ir, OnnxExporter.IrVersionFor(opset));

    [Fact]
    public void ExportedModel_RoundTripsThroughItsBytes()
    {
        var predict = Net(["X"], ["Y"], OperatorDef.Create("Relu", "", ["X"], ["Y"]));
        var model = OnnxExporter.Export(new NetDef(), predict, new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([3]) });
        Assert.Equal(model, ModelProto.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(model)));
    }

    [Fact]
    public void NonFloatInitializers_KeepTheirType()
    {
        var init = new NetDef();
        init.Op.Add(OperatorDef.Create("GivenTensorInt64Fill", "", [], ["S"]).SetRepeatedArgument("shape", new long[] { 2 }).SetRepeatedArgument("values", new long[] { 3, -1 }));
        var predict = Net(["X", "S"], ["Y"], OperatorDef.Create("Reshape", "", ["X", "S"], ["Y", "old"]));
        var result = ExportAndCompare(init, predict, new Dictionary<string, Caffe2Tensor> { ["X"] = Random(4, 2, 3, 2) });
        var s = Assert.Single(result.Model.Graph.Initializer);
        Assert.Equal((int)OnnxDataType.Int64, s.DataType);
        Assert.Equal([3L, -1], OnnxTensors.ToTensor(s).ToArray<long>());
    }

    [Fact]
    public void Nodes_AreNamedAfterTheirOp_AndTheNetsAreNotChanged()
    {
        var init = Init(("B", Random(5, 3)));
        var predict = Net(["X", "B"], ["Y"],
            OperatorDef.Create("Add", "", ["X", "B"], ["Y"]).SetArgument("broadcast", 1).SetArgument("axis", 1),
            OperatorDef.Create("Relu", "act", ["Y"], ["Y"]));
        var (initBefore, predictBefore) = (init.Clone(), predict.Clone());
        var model = OnnxExporter.Export(init, predict, new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([2, 3, 4]) });
        Assert.Equal(["Add_0", "Add_0_1", "act"], model.Graph.Node.Select(n => n.Name)); // the Reshape aligning B, the Add, the Relu
        Assert.Equal(["Reshape", "Add", "Relu"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal(initBefore, init);
        Assert.Equal(predictBefore, predict);
    }
}
