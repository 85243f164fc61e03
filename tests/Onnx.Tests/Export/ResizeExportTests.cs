using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Onnx.Import;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>
/// Resize and Caffe2's UpsampleBilinear export to ONNX Resize, run in ONNX Runtime and agree with
/// our runtime; re-imported, they give the same outputs; what an opset cannot express is refused.
/// </summary>
public class ResizeExportTests
{
    private static readonly NetDef NoInit = new();

    private static OperatorDef Resize(string mode, string coordinates, float[]? scales = null, long[]? sizes = null) =>
        OperatorDef.Create("Resize", "", ["X"], ["Y"]).SetArgument("mode", mode).SetArgument("coordinate_transformation_mode", coordinates)
            .SetRepeatedArgument("scales", scales ?? []).SetRepeatedArgument("sizes", sizes ?? []);

    private static ExportHarness.Result Compare(OperatorDef op, int opset = OnnxExporter.DefaultOpset)
    {
        var feeds = new Dictionary<string, Caffe2Tensor> { ["X"] = Random(71, 1, 2, 5, 6) };
        var predict = Net(["X"], ["Y"], op);
        var result = ExportAndCompare(NoInit, predict, feeds, opset);
        // Back through the importer: the same outputs again.
        var imported = OnnxImporter.Import(result.Model);
        var again = RunOurs(imported.Init, imported.Predict, feeds);
        AssertClose(result.Ours["Y"], again["Y"], "Y (re-imported)");
        return result;
    }

    [Theory]
    [InlineData("linear", "half_pixel", 11)]
    [InlineData("cubic", "align_corners", 11)]
    [InlineData("nearest", "asymmetric", 13)]
    [InlineData("linear", "pytorch_half_pixel", 17)]
    [InlineData("cubic", "half_pixel_symmetric", 19)]
    public void ScalesAndSizes_ExportAtEachOpset_AndRunInOnnxRuntime(string mode, string coordinates, int opset)
    {
        Compare(Resize(mode, coordinates, scales: [1f, 1f, 1.6f, 0.7f]), opset);
        Compare(Resize(mode, coordinates, sizes: [1, 2, 7, 4]), opset);
    }

    [Fact]
    public void AntialiasAndAxes_ExportAtOpset18()
    {
        var op = Resize("linear", "half_pixel", sizes: [3, 3]).SetArgument("antialias", 1).SetRepeatedArgument("axes", new long[] { 2, 3 })
            .SetArgument("keep_aspect_ratio_policy", "not_larger");
        var result = Compare(op, 18);
        Assert.Contains(result.Model.Graph.Node.Single().Attribute, a => a.Name == "antialias" && a.I == 1);
    }

    [Fact]
    public void TfCropAndResize_ExportsItsRoi()
    {
        var op = Resize("linear", "tf_crop_and_resize", sizes: [1, 2, 4, 4]).SetRepeatedArgument("roi", new[] { 0f, 0f, 0.1f, -0.25f, 1f, 1f, 0.9f, 1.15f })
            .SetArgument("extrapolation_value", 3f);
        Compare(op);
    }

    [Theory]
    [InlineData(2f, 2f, 11)]
    [InlineData(1.5f, 0.5f, 17)]
    public void UpsampleBilinear_ExportsAsLinearAlignCorners(float hs, float ws, int opset)
    {
        var op = OperatorDef.Create("UpsampleBilinear", "", ["X"], ["Y"]).SetArgument("height_scale", hs).SetArgument("width_scale", ws);
        var node = Compare(op, opset).Model.Graph.Node.Single();
        Assert.Equal("Resize", node.OpType);
        Assert.Contains(node.Attribute, a => a.Name == "coordinate_transformation_mode" && a.S.ToStringUtf8() == "align_corners");
    }

    [Theory]
    [InlineData("antialias", 17, "opset 18")]
    [InlineData("half_pixel_symmetric", 18, "opset 19")]
    public void WhatTheOpsetCannotExpress_IsRefused(string feature, int opset, string message)
    {
        var op = feature == "antialias" ? Resize("linear", "half_pixel", scales: [1f, 1f, 0.5f, 0.5f]).SetArgument("antialias", 1)
            : Resize("linear", "half_pixel_symmetric", scales: [1f, 1f, 0.5f, 0.5f]);
        var shapes = new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([1, 2, 5, 6]) };
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(NoInit, Net(["X"], ["Y"], op), shapes, new OnnxExportOptions { Opset = opset, Catalog = Catalog }));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Contains("Resize", e.Message, StringComparison.Ordinal);
    }
}
