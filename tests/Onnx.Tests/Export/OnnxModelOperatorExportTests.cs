using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Onnx.Proto;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;
using OnnxType = Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>
/// The operators ONNX models' shape computations need (Shape, Gather, Expand, Range, Cast,
/// CastLike, the comparisons, Where, ReduceMean, ArgMax, ArgMin): exported, run in ONNX Runtime
/// and compared with our own run (see <see cref="ExportHarness"/>), and the mapped nodes checked.
/// </summary>
public class OnnxModelOperatorExportTests
{
    private static OperatorDef Op(string type, string[] inputs, string[] outputs) => OperatorDef.Create(type, "", inputs, outputs);

    private static readonly NetDef NoInit = new();

    private static ExportHarness.Result Run(int opset, (string Name, Caffe2Tensor Value)[] feeds, string[] outputs, params OperatorDef[] ops) =>
        ExportAndCompare(NoInit, Net(feeds.Select(f => f.Name), outputs, ops), feeds.ToDictionary(f => f.Name, f => f.Value), opset);

    private static NodeProto Node(ExportHarness.Result r, string type) => Assert.Single(r.Model.Graph.Node, n => n.OpType == type);

    private static long IntAttribute(NodeProto node, string name) => Assert.Single(node.Attribute, a => a.Name == name).I;

    // Ties (values on a grid of halves) so that <= and >= differ from < and >.
    private static Caffe2Tensor Grid(int seed, params long[] dims)
    {
        var t = Random(seed, dims);
        var data = t.Data<float>();
        for (int k = 0; k < data.Length; k++) data[k] = MathF.Round(data[k] * 2) / 2;
        return t;
    }

    // ---- Cast ------------------------------------------------------------------------------------

    [Fact]
    public void Cast_Caffe2Uint8_IsOnnxUint8_NotOnnx6WhichIsInt32()
    {
        var cast = Op("Cast", ["X"], ["Y"]).SetArgument("to", 6); // Caffe2 UINT8
        var model = OnnxExporter.Export(NoInit, Net(["X"], ["Y"], cast), new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([3]) },
            new OnnxExportOptions { Catalog = Catalog });
        var node = Assert.Single(model.Graph.Node);
        Assert.Equal("Cast", node.OpType);
        Assert.Equal((long)OnnxType.Uint8, IntAttribute(node, "to"));
        Assert.Equal(2, IntAttribute(node, "to"));
        Assert.NotEqual(6, IntAttribute(node, "to"));
        Assert.Equal((int)OnnxType.Uint8, Assert.Single(model.Graph.Output).Type.TensorType.ElemType);
    }

    [Theory]
    [InlineData(2, 6)]   // INT32
    [InlineData(10, 7)]  // INT64
    [InlineData(5, 9)]   // BOOL
    [InlineData(1, 1)]   // FLOAT
    public void Cast_MatchesOnnxRuntime_AndMapsTheNumber(int caffe2, int onnx)
    {
        var x = Random(1, 2, 5);
        x.Data<float>()[0] = 0; // a false for BOOL
        var data = x.Data<float>();
        for (int k = 0; k < data.Length; k++) data[k] *= 7; // truncation toward zero both sides
        var r = Run(OnnxExporter.DefaultOpset, [("X", x)], ["Y"], Op("Cast", ["X"], ["Y"]).SetArgument("to", caffe2));
        Assert.Equal(onnx, IntAttribute(Node(r, "Cast"), "to"));
    }

    [Theory]
    [InlineData(13, "Cast")]
    [InlineData(15, "CastLike")]
    public void CastLike_IsCastLikeFrom15_CastBefore(int opset, string onnxType)
    {
        var r = Run(opset, [("X", Random(2, 4)), ("T", Caffe2Tensor.From<long>([1], 1))], ["Y"], Op("CastLike", ["X", "T"], ["Y"]));
        Node(r, onnxType);
    }

    // ---- Gather, Shape, Expand, Range ------------------------------------------------------------

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(-1)]
    public void Gather_MatchesOnnxRuntime_NegativeIndicesWrap(int axis)
    {
        var r = Run(OnnxExporter.DefaultOpset, [("D", Random(3, 3, 4)), ("I", Caffe2Tensor.From<long>([2, -1, 0, 1], 2, 2))], ["Y"],
            Op("Gather", ["D", "I"], ["Y"]).SetArgument("axis", axis));
        Assert.Equal(axis, IntAttribute(Node(r, "Gather"), "axis"));
        Run(OnnxExporter.DefaultOpset, [("D", Random(4, 3, 4)), ("I", Caffe2Tensor.From<int>([-3, 2], 2))], ["Y"], Op("Gather", ["D", "I"], ["Y"]));
    }

    [Fact]
    public void Shape_WithAndWithoutAxes_MatchesOnnxRuntime()
    {
        var shape = Run(OnnxExporter.DefaultOpset, [("X", Random(5, 2, 3, 4))], ["S"], Op("Shape", ["X"], ["S"]));
        Assert.Equal([2L, 3, 4], shape.Ort["S"].ToArray<long>());
        var axes = Run(OnnxExporter.DefaultOpset, [("X", Random(5, 2, 3, 4))], ["S"], Op("Shape", ["X"], ["S"]).SetRepeatedArgument("axes", new long[] { -1, 0 }));
        Assert.Equal([4L, 2], axes.Ort["S"].ToArray<long>());
        Assert.Equal(["Shape", "Gather"], axes.Model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Expand_And_Range_MatchOnnxRuntime()
    {
        Run(OnnxExporter.DefaultOpset, [("X", Random(6, 3, 1)), ("S", Caffe2Tensor.From<long>([2, 1, 4], 3))], ["Y"], Op("Expand", ["X", "S"], ["Y"]));
        var range = Run(OnnxExporter.DefaultOpset,
            [("s", Caffe2Tensor.From<long>([-3], [])), ("l", Caffe2Tensor.From<long>([10], [])), ("d", Caffe2Tensor.From<long>([4], []))], ["R"],
            Op("Range", ["s", "l", "d"], ["R"]));
        Assert.Equal([-3L, 1, 5, 9], range.Ort["R"].ToArray<long>());
        // Caffe2's one-input form: start 0 and delta 1 become constants.
        Run(OnnxExporter.DefaultOpset, [("l", Caffe2Tensor.From<int>([5], []))], ["R"], Op("Range", ["l"], ["R"]));
    }

    // ---- comparisons, Where ----------------------------------------------------------------------

    public static TheoryData<string, int> Comparisons()
    {
        var data = new TheoryData<string, int>();
        foreach (var op in new[] { "LT", "LE", "GT", "GE", "EQ", "NE" })
            foreach (var opset in new[] { 11, 17 })
                data.Add(op, opset);
        return data;
    }

    [Theory]
    [MemberData(nameof(Comparisons))]
    public void Comparisons_MatchOnnxRuntime_WithBroadcasting(string op, int opset)
    {
        var r = Run(opset, [("A", Grid(7, 2, 3, 4)), ("B", Grid(8, 3, 1))], ["C"], Op(op, ["A", "B"], ["C"]));
        var types = r.Model.Graph.Node.Select(n => n.OpType).ToArray();
        string[] expected = (op, opset) switch
        {
            ("NE", _) => ["Equal", "Not"],
            ("LE", 11) => ["Less", "Equal", "Or"],
            ("GE", 11) => ["Greater", "Equal", "Or"],
            ("LT", _) => ["Less"],
            ("LE", _) => ["LessOrEqual"],
            ("GT", _) => ["Greater"],
            ("GE", _) => ["GreaterOrEqual"],
            _ => ["Equal"],
        };
        Assert.Equal(expected, types);
    }

    [Fact]
    public void Comparison_Int64_And_LegacyBroadcast_MatchOnnxRuntime()
    {
        Run(OnnxExporter.DefaultOpset, [("A", Caffe2Tensor.From<long>([1, 2, 3, 4], 4)), ("B", Caffe2Tensor.From<long>([3], 1))], ["C"], Op("EQ", ["A", "B"], ["C"]));
        var legacy = Op("GE", ["A", "B"], ["C"]).SetArgument("broadcast", 1).SetArgument("axis", 1);
        var r = Run(OnnxExporter.DefaultOpset, [("A", Grid(9, 2, 3, 2)), ("B", Grid(10, 3))], ["C"], legacy);
        Assert.Equal(["Reshape", "GreaterOrEqual"], r.Model.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Where_OfAComparison_MatchesOnnxRuntime()
    {
        var r = Run(OnnxExporter.DefaultOpset, [("X", Random(11, 2, 3)), ("Y", Random(12, 3))], ["Z"],
            Op("GT", ["X", "Y"], ["C"]), Op("Where", ["C", "X", "Y"], ["Z"]));
        Assert.Equal(["Greater", "Where"], r.Model.Graph.Node.Select(n => n.OpType));
    }

    // ---- reductions ------------------------------------------------------------------------------

    [Theory]
    [InlineData(17)]
    [InlineData(18)]
    public void ReduceMean_AxesAreAnAttributeBefore18_AnInputFrom18(int opset)
    {
        var mean = Op("ReduceMean", ["X"], ["Y"]).SetRepeatedArgument("axes", new long[] { 0, -1 }).SetArgument("keepdims", 0);
        var r = Run(opset, [("X", Random(13, 2, 3, 4))], ["Y"], mean);
        var node = Node(r, "ReduceMean");
        if (opset < 18)
        {
            Assert.Single(node.Input);
            Assert.Equal([0L, -1], Assert.Single(node.Attribute, a => a.Name == "axes").Ints);
        }
        else
        {
            Assert.Equal(2, node.Input.Count);
            Assert.DoesNotContain(node.Attribute, a => a.Name == "axes");
            Assert.Equal([0L, -1], OnnxTensors.ToTensor(Assert.Single(r.Model.Graph.Initializer, i => i.Name == node.Input[1])).ToArray<long>());
        }
        // No axes: every dim, in both forms.
        Run(opset, [("X", Random(14, 2, 3))], ["Y"], Op("ReduceMean", ["X"], ["Y"]));
    }

    [Theory]
    [InlineData("ArgMax")]
    [InlineData("ArgMin")]
    public void ArgMax_ArgMin_MatchOnnxRuntime_DefaultAxisIsLast_SelectLastIndex(string op)
    {
        var r = Run(OnnxExporter.DefaultOpset, [("X", Grid(15, 3, 5))], ["Y"], Op(op, ["X"], ["Y"]));
        Assert.Equal(-1, IntAttribute(Node(r, op), "axis"));
        Run(OnnxExporter.DefaultOpset, [("X", Grid(16, 3, 4, 2))], ["Y"],
            Op(op, ["X"], ["Y"]).SetArgument("axis", 1).SetArgument("keepdims", 0).SetArgument("select_last_index", 1));
    }

    [Fact]
    public void ArgMax_SelectLastIndex_BeforeOpset12_IsRefused()
    {
        var argmax = Op("ArgMax", ["X"], ["Y"]).SetArgument("select_last_index", 1);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(NoInit, Net(["X"], ["Y"], argmax),
            new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([2, 3]) }, new OnnxExportOptions { Opset = 11, Catalog = Catalog }));
        Assert.Contains("select_last_index 1 needs opset 12", Assert.Single(e.Problems).Reason, StringComparison.Ordinal);
    }
}
