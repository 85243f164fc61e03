using Caffe2Sharp.Onnx.Export;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>What the exporter refuses, and how it says so: every problem at once, each naming the op's index, type and name.</summary>
public class ExportErrorTests
{
    private static readonly NetDef NoInit = new();
    private static readonly Dictionary<string, TensorShape> X = new() { ["X"] = TensorShape.Create([1, 2, 4, 4]) };

    private static OnnxExportException Refuse(NetDef predict, Dictionary<string, TensorShape>? shapes = null) =>
        Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(NoInit, predict, shapes ?? X, new OnnxExportOptions { Catalog = Catalog }));

    [Fact]
    public void UnsupportedOperators_AreAllListed_WithIndexTypeAndName()
    {
        var predict = Net(["X"], ["e"],
            OperatorDef.Create("Relu", "", ["X"], ["a"]),
            OperatorDef.Create("Foo", "f1", ["a"], ["b"]),
            OperatorDef.Create("Relu", "", ["b"], ["c"]),
            OperatorDef.Create("Bar", "", ["c"], ["d"]),
            OperatorDef.Create("Foo", "f2", ["d"], ["e"]));
        var e = Refuse(predict);
        Assert.Equal(["Foo", "Bar"], e.UnsupportedOperatorTypes);
        Assert.Equal([1, 3, 4], e.Problems.Select(p => p.OpIndex));
        Assert.Equal(["f1", "", "f2"], e.Problems.Select(p => p.OpName));
        Assert.Contains("operator type(s) without an ONNX mapping: Foo, Bar", e.Message, StringComparison.Ordinal);
        Assert.Contains("op #1 Foo \"f1\"", e.Message, StringComparison.Ordinal);
        Assert.Contains("op #3 Bar:", e.Message, StringComparison.Ordinal);
        Assert.Contains("op #4 Foo \"f2\"", e.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<EnforceNotMetException>(e);
    }

    [Fact]
    public void ArgumentsOnnxCannotExpress_AreAllListed()
    {
        var predict = Net(["X", "s", "b", "m", "v"], ["d", "r"],
            OperatorDef.Create("SpatialBN", "bn", ["X", "s", "b", "m", "v"], ["y", "rm", "rv", "sm", "sv"]),
            OperatorDef.Create("Dropout", "drop", ["X"], ["d"]),
            OperatorDef.Create("LRN", "lrn", ["X"], ["l", "scale"]).SetArgument("size", 3),
            OperatorDef.Create("Relu", "", ["scale"], ["r"]));
        var shapes = new Dictionary<string, TensorShape>(X)
        {
            ["s"] = TensorShape.Create([2]), ["b"] = TensorShape.Create([2]), ["m"] = TensorShape.Create([2]), ["v"] = TensorShape.Create([2]),
        };
        var e = Refuse(predict, shapes);
        Assert.Empty(e.UnsupportedOperatorTypes);
        Assert.Equal([(0, "SpatialBN", "bn"), (1, "Dropout", "drop"), (2, "LRN", "lrn")], e.Problems.Select(p => (p.OpIndex, p.OpType, p.OpName)));
        Assert.Contains("is_test", e.Problems[0].Reason, StringComparison.Ordinal);
        Assert.Contains("is_test", e.Problems[1].Reason, StringComparison.Ordinal);
        Assert.Contains("'scale'", e.Problems[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void CaffeCeilModeWithALastWindowPastTheImage_IsRefused()
    {
        // Kernel 1, stride 2 on 2x2 without pad: Caffe's ceil mode keeps a second window that starts
        // past the image (ONNX's ceil mode drops it; explicit pads would be as large as the kernel).
        var predict = Net(["X"], ["Y"], OperatorDef.Create("MaxPool", "pool", ["X"], ["Y"])
            .SetArgument("kernel", 1).SetArgument("stride", 2).SetArgument("legacy_pad", 3));
        var e = Refuse(predict, new() { ["X"] = TensorShape.Create([1, 1, 2, 2]) });
        var p = Assert.Single(e.Problems);
        Assert.Equal((0, "MaxPool", "pool"), (p.OpIndex, p.OpType, p.OpName));
        Assert.Contains("last window starts past the image", p.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(18)]
    public void DilatedAveragePool_BeforeOpset19_IsRefused(int opset)
    {
        // ONNX's AveragePool has dilations from opset 19 (MaxPool's from 10, below the exporter's range).
        var predict = Net(["X"], ["Y"], OperatorDef.Create("AveragePool", "avg", ["X"], ["Y"]).SetArgument("kernel", 2).SetArgument("dilation", 2));
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(NoInit, predict, X, new OnnxExportOptions { Catalog = Catalog, Opset = opset }));
        var p = Assert.Single(e.Problems);
        Assert.Equal((0, "AveragePool", "avg"), (p.OpIndex, p.OpType, p.OpName));
        Assert.Contains($"needs ONNX opset 19 or later (AveragePool's dilations); the export is for opset {opset}", p.Reason, StringComparison.Ordinal);
        var max = Net(["X"], ["Y"], OperatorDef.Create("MaxPool", "max", ["X"], ["Y"]).SetArgument("kernel", 2).SetArgument("dilation", 2));
        Assert.Single(OnnxExporter.Export(NoInit, max, X, new OnnxExportOptions { Catalog = Catalog, Opset = opset }).Graph.Node);
    }

    [Fact]
    public void DilatedPoolWithAPadNotSmallerThanTheKernel_IsRefused()
    {
        // Kernel 2 with taps 3 apart takes pads up to 3 here; ONNX Runtime's pooling wants them below 2.
        var predict = Net(["X"], ["Y"], OperatorDef.Create("MaxPool", "pool", ["X"], ["Y"])
            .SetArgument("kernel", 2).SetArgument("dilation", 3).SetArgument("pad", 2));
        var p = Assert.Single(Refuse(predict).Problems);
        Assert.Equal((0, "MaxPool", "pool"), (p.OpIndex, p.OpType, p.OpName));
        Assert.Contains("spatial dim 0: the pads 2 and 2 are not smaller than the kernel 2 (dilation 3); ONNX Runtime refuses such pooling pads", p.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInputWithoutAShape_IsNamed()
    {
        var predict = Net(["X", "B"], ["Y"], OperatorDef.Create("Add", "", ["X", "B"], ["Y"]));
        var e = Refuse(predict);
        Assert.Contains(e.Problems, p => p.OpIndex == -1 && p.Reason.Contains("input 'B' has no shape", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(22)]
    public void AnOpsetOutsideTheRange_IsRefused(int opset)
    {
        var predict = Net(["X"], ["Y"], OperatorDef.Create("Relu", "", ["X"], ["Y"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.Export(NoInit, predict, X, new OnnxExportOptions { Opset = opset }));
    }
}
