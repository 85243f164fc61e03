using Caffe2Sharp.Onnx.Export;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>
/// Max, Min, Mean, Selu, Softplus, BatchMatMul and the 2-D MatMul exported, run in ONNX Runtime and
/// compared with our own run (see <see cref="ExportHarness"/>).
/// </summary>
public class OpsBExportTests
{
    private static readonly NetDef NoInit = new();

    private static ExportHarness.Result Single(OperatorDef op, int opset, params (string Name, Caffe2Tensor Value)[] inputs) =>
        ExportAndCompare(NoInit, Net(inputs.Select(i => i.Name), op.Output, op), inputs.ToDictionary(i => i.Name, i => i.Value), opset);

    private static OperatorDef Op(string type, string[] inputs, string[] outputs) => OperatorDef.Create(type, "", inputs, outputs);

    [Theory]
    [InlineData("Max", 11)]
    [InlineData("Min", 13)]
    [InlineData("Mean", 17)]
    [InlineData("Max", 21)]
    public void MaxMinMean_ThreeBroadcastInputs_MatchOnnxRuntime(string type, int opset)
    {
        var result = Single(Op(type, ["A", "B", "C"], ["Y"]), opset, ("A", Random(40, 2, 1, 4)), ("B", Random(41, 3, 1)), ("C", Random(42, 4)));
        Assert.Equal([2L, 3, 4], result.Ort["Y"].Shape);
        Assert.Equal(type, Assert.Single(result.Model.Graph.Node).OpType);
    }

    [Fact]
    public void MaxMin_OneInput_AndIntegers_MatchOnnxRuntime()
    {
        Single(Op("Max", ["A"], ["Y"]), 17, ("A", Random(43, 3, 2)));
        Single(Op("Min", ["A", "B"], ["Y"]), 17, ("A", Caffe2Tensor.From<long>([5, -3, 1L << 40], 3)), ("B", Caffe2Tensor.From<long>([2], 1)));
        Single(Op("Max", ["A", "B"], ["Y"]), 12, ("A", Caffe2Tensor.From<int>([5, -3, 7, 0], 2, 2)), ("B", Caffe2Tensor.From<int>([1, 2], 2)));
    }

    [Fact]
    public void MaxOfIntegers_BeforeOpset12_IsRefused()
    {
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(NoInit, Net(["A", "B"], ["Y"], Op("Max", ["A", "B"], ["Y"])),
            new Dictionary<string, TensorShape> { ["A"] = TensorShape.Create([2], DataType.Int32), ["B"] = TensorShape.Create([2], DataType.Int32) },
            new OnnxExportOptions { Opset = 11, Catalog = Catalog }));
        Assert.Contains("needs opset 12 or later", Assert.Single(e.Problems).Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(2f, 3f)]
    [InlineData(0.5f, null)]
    public void Selu_MatchesOnnxRuntime_ScaleIsGamma(float? alpha, float? scale)
    {
        var op = Op("Selu", ["X"], ["Y"]);
        if (alpha is { } a) op.SetArgument("alpha", a);
        if (scale is { } s) op.SetArgument("scale", s);
        var x = Random(44, 2, 3, 4);
        foreach (ref var v in x.Data<float>()) v *= 3;
        var result = Single(op, 17, ("X", x));
        var node = Assert.Single(result.Model.Graph.Node);
        Assert.Equal("Selu", node.OpType);
        Assert.Equal(scale ?? Operators.Activation.SeluSoftplus.DefaultSeluScale, node.Attribute.Single(t => t.Name == "gamma").F);
    }

    [Fact]
    public void Softplus_MatchesOnnxRuntime()
    {
        var x = Random(45, 3, 5, 4);
        foreach (ref var v in x.Data<float>()) v *= 20;
        Assert.Equal("Softplus", Assert.Single(Single(Op("Softplus", ["X"], ["Y"]), 17, ("X", x)).Model.Graph.Node).OpType);
    }

    public static TheoryData<long[], long[], bool, bool, bool> BatchMatMulForms() => new()
    {
        { [2, 3, 4], [2, 4, 5], false, false, false },    // no broadcast, same batch dims
        { [2, 4, 3], [2, 4, 5], true, false, false },
        { [2, 3, 4], [2, 5, 4], false, true, false },
        { [2, 3, 4, 3], [2, 3, 5, 4], true, true, false },
        { [2, 1, 3, 4], [5, 4, 2], false, false, true },  // broadcast: batch [2, 1] with [5]
        { [3], [2, 3, 4], false, false, true },           // 1-D A
        { [2, 3, 4], [4], false, false, true },           // 1-D B
        { [4], [4], false, false, true },                 // a scalar
        { [4, 3], [2, 5, 4], true, true, true },          // transposes with broadcast
        { [3], [5, 3], true, true, true },                // a flag on a vector: no Transpose
    };

    [Theory]
    [MemberData(nameof(BatchMatMulForms))]
    public void BatchMatMul_MatchesOnnxRuntime(long[] a, long[] b, bool transA, bool transB, bool broadcast)
    {
        var op = Op("BatchMatMul", ["A", "B"], ["Y"]).SetArgument("trans_a", transA ? 1 : 0).SetArgument("trans_b", transB ? 1 : 0).SetArgument("broadcast", broadcast ? 1 : 0);
        var result = Single(op, 17, ("A", Random(46, a)), ("B", Random(47, b)));
        var types = result.Model.Graph.Node.Select(n => n.OpType).ToList();
        Assert.Equal("MatMul", types[^1]);
        Assert.Equal((transA && a.Length > 1 ? 1 : 0) + (transB && b.Length > 1 ? 1 : 0), types.Count(t => t == "Transpose"));
    }

    public static TheoryData<long[], long[], int, int, bool, bool> MatMulForms() => new()
    {
        { [4, 6], [6, 5], 1, 1, false, false },
        { [2, 3, 4], [12, 5], 1, 1, false, false },
        { [2, 3, 4], [4, 5], 2, 1, false, false },
        { [2, 3, 4], [5, 2, 2], -1, 1, false, true },
        { [3, 2, 4], [3, 2, 5], 1, 1, true, false },
    };

    [Theory]
    [MemberData(nameof(MatMulForms))]
    public void MatMul_FlattenedAndTransposed_MatchesOnnxRuntime(long[] a, long[] b, int axisA, int axisB, bool transA, bool transB)
    {
        var op = Op("MatMul", ["A", "B"], ["Y"]).SetArgument("axis_a", axisA).SetArgument("axis_b", axisB)
            .SetArgument("trans_a", transA ? 1 : 0).SetArgument("trans_b", transB ? 1 : 0);
        var result = Single(op, 13, ("A", Random(48, a)), ("B", Random(49, b)));
        Assert.Equal("Gemm", result.Model.Graph.Node[^1].OpType);
    }
}
