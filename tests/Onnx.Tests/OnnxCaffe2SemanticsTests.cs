using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests;

/// <summary>
/// Where ONNX's semantics and Caffe2's differ, checked on ONNX's own node test data: the reasons
/// behind the importer's rewrites and behind the node tests it cannot pass
/// (<see cref="Import.NodeTestsThroughImporterTests.Pending"/>).
/// </summary>
public class OnnxCaffe2SemanticsTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    [SkippableFact]
    public void Resize_Downsample_IsNotCaffe2sResizeNearest()
    {
        // Scale 0.6 on width 4: ONNX (half_pixel, round_prefer_floor) takes source x = round(1.5 / 0.6 - 0.5) = 2
        // for output x = 1; Caffe2 takes floor(1 / 0.6) = 1.
        string dir = Path.Combine(TestData.OnnxNode, "test_resize_downsample_scales_nearest");
        var scales = ReadTensor(Path.Combine(dir, "test_data_set_0", "input_1.pb")).ToArray<float>();
        var x = ReadTensor(Path.Combine(dir, "test_data_set_0", "input_0.pb")).ToArray<float>();
        var y = ReadTensor(Path.Combine(dir, "test_data_set_0", "output_0.pb")).ToArray<float>();
        Assert.Equal(0.6f, scales[3]);
        Assert.Equal(x[2], y[1]);
        Assert.NotEqual(x[(int)(1 / scales[3])], y[1]);
    }

    [SkippableFact]
    public void ReshapeWithAllowZero_ImportsTheLiteralZeroAsAnInferredDim()
    {
        // allowzero = 1: ONNX's 0 is a zero-size dim; Caffe2's 0 copies the input's dim. The one 0
        // becomes Caffe2's -1, which infers 0 from the zero-size input.
        string dir = Path.Combine(TestData.OnnxNode, "test_reshape_allowzero_reordered");
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        Assert.Equal(1, Assert.Single(Assert.Single(model.Graph.Node).Attribute, a => a.Name == "allowzero").I);
        var shape = ReadTensor(Path.Combine(dir, "test_data_set_0", "input_1.pb"));
        Assert.Equal([3L, 4, 0], shape.ToArray<long>());
        var imported = Caffe2Sharp.Onnx.Import.OnnxImporter.Import(model, new Caffe2Sharp.Onnx.Import.OnnxImportOptions { Constants = new Dictionary<string, Caffe2Tensor> { [model.Graph.Input[1].Name] = shape } });
        Assert.Equal([3L, 4, -1], Assert.Single(imported.Predict.Op).GetRepeatedArgument<long>("shape"));
    }

    [SkippableFact]
    public void Lrn_OnnxDividesAlphaBySize_CheckedBeyondOnnxsTolerance()
    {
        // With test_lrn's alpha (2e-4) both alpha / size and an undivided alpha fall within ONNX's
        // rtol 1e-3 of the data, so the node test alone cannot tell them apart. Compared tightly,
        // alpha / size (Caffe2's formula) matches the data to float rounding and the other does not.
        string dir = Path.Combine(TestData.OnnxNode, "test_lrn");
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx"))).Graph.Node);
        int size = (int)node.Attribute.Single(a => a.Name == "size").I;
        float alpha = node.Attribute.Single(a => a.Name == "alpha").F;
        Assert.True(size > 1);
        var x = ReadTensor(Path.Combine(dir, "test_data_set_0", "input_0.pb"));
        var e = ReadTensor(Path.Combine(dir, "test_data_set_0", "output_0.pb")).ToArray<float>();
        double MaxRelativeError(float caffe2Alpha)
        {
            var ws = new Workspace(Catalog);
            ws.FeedBlob("X", x);
            ws.RunOperatorOnce(OperatorDef.Create("LRN", "", ["X"], ["Y"]).SetArgument("size", size).SetArgument("alpha", caffe2Alpha)
                .SetArgument("beta", node.Attribute.Single(a => a.Name == "beta").F).SetArgument("bias", node.Attribute.Single(a => a.Name == "bias").F));
            var y = ws.FetchBlob("Y").ToArray<float>();
            return Enumerable.Range(0, e.Length).Max(k => Math.Abs(y[k] - e[k]) / Math.Max(Math.Abs(e[k]), 1e-3));
        }
        double divided = MaxRelativeError(alpha), undivided = MaxRelativeError(alpha * size);
        Assert.True(divided < 1e-5, $"alpha / size: max relative error {divided}");
        Assert.True(undivided > 10 * divided && undivided > 1e-5, $"undivided alpha: max relative error {undivided} (alpha / size: {divided})");
    }

    [SkippableFact]
    public void PoolCeilModeWithoutPad_IsNotCaffesCeilMode()
    {
        // Kernel 1, stride 2 on 2x2, ceil_mode: ONNX drops the last window because it starts past the
        // image (1x1); Caffe's ceil mode drops it only when padded, so Caffe2's legacy_pad 3 gives 2x2.
        // The importer gives explicit end pads instead there (the node test passes through it).
        string dir = Path.Combine(TestData.OnnxNode, "test_maxpool_2d_ceil_output_size_reduce_by_one");
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx"))).Graph.Node);
        Assert.Equal(1, Assert.Single(node.Attribute, a => a.Name == "ceil_mode").I);
        Assert.DoesNotContain(node.Attribute, a => a.Name == "pads");
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", ReadTensor(Path.Combine(dir, "test_data_set_0", "input_0.pb")));
        var def = OperatorDef.Create("MaxPool", "", ["X"], ["Y"]).SetArgument("legacy_pad", 3)
            .SetRepeatedArgument("kernels", Assert.Single(node.Attribute, a => a.Name == "kernel_shape").Ints.ToArray())
            .SetRepeatedArgument("strides", Assert.Single(node.Attribute, a => a.Name == "strides").Ints.ToArray());
        ws.RunOperatorOnce(def);
        Assert.Equal([1L, 1, 2, 2], ws.FetchBlob("Y").Shape);
        Assert.Equal([1L, 1, 1, 1], ReadTensor(Path.Combine(dir, "test_data_set_0", "output_0.pb")).Shape);
    }

    [SkippableTheory]
    [InlineData("test_maxpool_2d_dilations", "MaxPool")]
    [InlineData("test_averagepool_2d_dilations", "AveragePool")]
    public void PoolWithDilation_AnExtensionOfCaffe2s_MatchesOnnxsOutputs(string test, string op)
    {
        // Caffe2 refuses dilation in pooling; Caffe2Sharp takes it (ONNX's dilations), so the
        // operator built from the node's attributes gives ONNX's expected output. Such a NetDef
        // does not load in real Caffe2.
        string dir = Path.Combine(TestData.OnnxNode, test);
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx"))).Graph.Node);
        var dilations = Assert.Single(node.Attribute, a => a.Name == "dilations").Ints.ToArray();
        Assert.Contains(dilations, d => d != 1);
        Assert.DoesNotContain(node.Attribute, a => a.Name is "auto_pad" or "count_include_pad" or "pads" && (a.I != 0 || a.S.Length > 0 || a.Ints.Any(p => p != 0)));
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", ReadTensor(Path.Combine(dir, "test_data_set_0", "input_0.pb")));
        var def = OperatorDef.Create(op, "", ["X"], ["Y"])
            .SetRepeatedArgument("kernels", Assert.Single(node.Attribute, a => a.Name == "kernel_shape").Ints.ToArray())
            .SetRepeatedArgument("dilations", dilations);
        if (node.Attribute.SingleOrDefault(a => a.Name == "strides") is { } strides) def.SetRepeatedArgument("strides", strides.Ints.ToArray());
        // ceil_mode without pads, where no window starts past the image (the averagepool test): Caffe's
        // ceil mode (legacy_pad 3) gives ONNX's size, with the dilated kernel.
        if (node.Attribute.SingleOrDefault(a => a.Name == "ceil_mode") is { I: 1 }) def.SetArgument("legacy_pad", 3);
        ws.RunOperatorOnce(def);
        var expected = ReadTensor(Path.Combine(dir, "test_data_set_0", "output_0.pb"));
        var actual = ws.FetchBlob("Y");
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ToArray<float>(), actual.ToArray<float>());
    }

    private static Caffe2Tensor ReadTensor(string path) =>
        OnnxTensors.ToTensor(Caffe2Sharp.Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);
}
