// Hand-written.
using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Onnx.Proto;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using static Caffe2Sharp.Onnx.Tests.Import.OnnxProtos;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>
/// ONNX MaxPool (opset 10+) and AveragePool (19+) with <c>dilations</c>, imported as Caffe2Sharp's
/// dilated pooling (an extension of Caffe2's) and run in our runtime, against ONNX Runtime running
/// the model itself: explicit pads, ceil_mode, every auto_pad, count_include_pad.
/// </summary>
public class DilatedPoolImportTests
{
    private static ModelProto Model(long opset, long[] xDims, NodeProto node)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(Value("X", 1, xDims));
        graph.Output.Add(Unshaped("Y", 1));
        graph.Node.Add(node);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static NodeProto Pool(string type, long[] kernel, long[] dilations, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = type, Name = "pool" };
        node.Input.Add("X");
        node.Output.Add("Y");
        node.Attribute.Add(Ints("kernel_shape", kernel));
        node.Attribute.Add(Ints("dilations", dilations));
        node.Attribute.AddRange(attributes);
        return node;
    }

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in (string[])["MaxPool", "AveragePool"])
            foreach (var form in (string[])["d2", "d2x3_s2_pads", "ceil", "ceil_pads", "same_upper", "same_lower", "valid", "1d", "count_include_pad"])
                if (type == "AveragePool" || form != "count_include_pad") data.Add(type, form);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ImportedDilatedPool_MatchesOnnxRuntime(string type, string form)
    {
        long[] dims = form == "1d" ? [2, 3, 19] : [2, 3, 13, 14];
        var node = form switch
        {
            "d2" => Pool(type, [3, 3], [2, 2]),
            "d2x3_s2_pads" => Pool(type, [3, 2], [2, 3], Ints("strides", 2, 1), Ints("pads", 2, 1, 1, 0)),
            "ceil" => Pool(type, [3, 3], [2, 3], Ints("strides", 2, 3), Int("ceil_mode", 1)),
            "ceil_pads" => Pool(type, [2, 3], [3, 2], Ints("strides", 3, 2), Ints("pads", 1, 1, 0, 1), Int("ceil_mode", 1)),
            "same_upper" => Pool(type, [3, 3], [2, 2], Ints("strides", 2, 2), Text("auto_pad", "SAME_UPPER")),
            "same_lower" => Pool(type, [3, 3], [2, 2], Ints("strides", 2, 2), Text("auto_pad", "SAME_LOWER")),
            "valid" => Pool(type, [3, 3], [2, 2], Ints("strides", 2, 2), Text("auto_pad", "VALID")),
            "1d" => Pool(type, [3], [3], Ints("strides", 2), Ints("pads", 2, 1)),
            _ => Pool(type, [3, 3], [2, 2], Ints("pads", 1, 2, 2, 1), Int("count_include_pad", 1)),
        };
        var model = Model(type == "MaxPool" ? 12 : 19, dims, node);
        var feeds = new Dictionary<string, Runtime.Tensor> { ["X"] = Random(11, dims) };
        // SAME: ONNX's rule is out = ceil(in / stride) with the pads of the dilated kernel (13 x 14 at
        // stride 2: 7 x 7, needing 4 and 3 cells, the odd one at the end for UPPER, at the begin for
        // LOWER). ONNX Runtime computes the pads from the undilated kernel and gives a smaller output
        // (6 x 6 here), so it runs the spec's explicit pads instead.
        var reference = form switch
        {
            "same_upper" => Model(model.OpsetImport[0].Version, dims, Pool(type, [3, 3], [2, 2], Ints("strides", 2, 2), Ints("pads", 2, 1, 2, 2))),
            "same_lower" => Model(model.OpsetImport[0].Version, dims, Pool(type, [3, 3], [2, 2], Ints("strides", 2, 2), Ints("pads", 2, 2, 2, 1))),
            _ => model,
        };
        var ort = RunOrt(reference, feeds);
        if (form.StartsWith("same", StringComparison.Ordinal)) Assert.Equal([2L, 3, 7, 7], ort["Y"].Shape);
        var imported = OnnxImporter.Import(model, source: form);
        var pool = Assert.Single(imported.Predict.Op);
        Assert.Equal(type, pool.Type);
        Assert.Contains(pool.Arg, a => a.Name == "dilations");
        var ours = RunOurs(imported.Init, imported.Predict, feeds);
        AssertClose(ours["Y"], ort["Y"], $"{type} {form}");
    }

    [Theory]
    [InlineData("MaxPool", 9)]
    [InlineData("AveragePool", 18)]
    public void DilationsBeforeTheirOpset_AreRefused(string type, long opset)
    {
        var model = Model(opset, [1, 1, 5, 5], Pool(type, [2, 2], [2, 2]));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, source: "old.onnx"));
        Assert.Contains($"attribute 'dilations' is not part of {type} before opset {(type == "MaxPool" ? 10 : 19)}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DilationsOfOne_ImportAsAnUndilatedPool()
    {
        var model = Model(19, [1, 1, 5, 5], Pool("AveragePool", [2, 2], [1, 1]));
        var pool = Assert.Single(OnnxImporter.Import(model, source: "ones.onnx").Predict.Op);
        Assert.DoesNotContain(pool.Arg, a => a.Name.StartsWith("dilation", StringComparison.Ordinal));
    }
}
