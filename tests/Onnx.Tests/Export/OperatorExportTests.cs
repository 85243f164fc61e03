using Caffe2Sharp.Onnx.Export;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>
/// Each operator (and each tricky argument form) in a tiny net: exported, run in ONNX Runtime, and
/// compared with our own Workspace run of the same nets (see <see cref="ExportHarness"/>).
/// </summary>
public class OperatorExportTests
{
    private static OperatorDef Op(string type, string[] inputs, string[] outputs) => OperatorDef.Create(type, "", inputs, outputs);

    private static readonly NetDef NoInit = new();

    private static void Single(OperatorDef op, params (string Name, Caffe2Tensor Value)[] inputs) =>
        ExportAndCompare(NoInit, Net(inputs.Select(i => i.Name), op.Output, op), inputs.ToDictionary(i => i.Name, i => i.Value));

    // ---- Conv ------------------------------------------------------------------------------------

    public static TheoryData<string> ConvForms() =>
        ["kernel", "kernel_stride_pad", "h_w_and_pad_sides", "pads_and_dilations", "group", "legacy_same", "legacy_valid", "no_bias", "fused_relu"];

    [Theory]
    [MemberData(nameof(ConvForms))]
    public void Conv_MatchesOnnxRuntime(string form)
    {
        long inC = 2, outC = 4;
        var conv = Op("Conv", ["X", "W", "b"], ["Y"]);
        long kh = 3, kw = 3;
        switch (form)
        {
            case "kernel": conv.SetArgument("kernel", 3); break;
            case "kernel_stride_pad": conv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1); break;
            case "h_w_and_pad_sides":
                kw = 2;
                conv.SetArgument("kernel_h", 3).SetArgument("kernel_w", 2).SetArgument("stride_h", 2).SetArgument("stride_w", 1)
                    .SetArgument("pad_t", 1).SetArgument("pad_l", 0).SetArgument("pad_b", 0).SetArgument("pad_r", 1);
                break;
            case "pads_and_dilations": conv.SetRepeatedArgument("kernels", new[] { 3, 3 }).SetRepeatedArgument("pads", new[] { 1, 2, 0, 1 }).SetRepeatedArgument("dilations", new[] { 2, 1 }); break;
            case "group": conv.SetArgument("kernel", 3).SetArgument("group", 2); break;
            case "legacy_same": conv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 2); break;
            case "legacy_valid": conv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 1); break;
            case "no_bias": conv.SetArgument("kernel", 3).SetArgument("pad", 1); conv.Input.RemoveAt(2); break;
            // The optimiser's fused Relu (an optimised net exported) is a Relu node again.
            case "fused_relu": conv.SetArgument("kernel", 3).SetArgument("pad", 1).SetArgument(Operators.Vision.Conv.ActivationArg, "Relu"); break;
        }
        long wc = form == "group" ? inC / 2 : inC;
        var init = Init(("W", Random(2, outC, wc, kh, kw)), ("b", Random(3, outC)));
        var predict = Net(["X", "W", "b"], ["Y"], conv);
        var result = ExportAndCompare(init, predict, new Dictionary<string, Caffe2Tensor> { ["X"] = Random(1, 2, inC, 8, 7) });
        Assert.Equal(form == "fused_relu" ? ["Conv", "Relu"] : ["Conv"], result.Model.Graph.Node.Select(n => n.OpType));
    }

    // ---- ConvTranspose ---------------------------------------------------------------------------

    public static TheoryData<string> ConvTransposeForms() =>
        ["kernel", "kernel_stride_pad_adj", "h_w_and_pad_sides", "pads_dilations_adjs", "group", "depthwise", "legacy_valid", "legacy_same", "no_bias", "1d"];

    [Theory]
    [MemberData(nameof(ConvTransposeForms))]
    public void ConvTranspose_MatchesOnnxRuntime(string form)
    {
        long inC = 4, mg = 3, group = 1, kh = 3, kw = 3;
        var deconv = Op("ConvTranspose", ["X", "W", "b"], ["Y"]);
        switch (form)
        {
            case "kernel": deconv.SetArgument("kernel", 3); break;
            case "kernel_stride_pad_adj": deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("adj", 1); break;
            case "h_w_and_pad_sides":
                kw = 2;
                deconv.SetArgument("kernel_h", 3).SetArgument("kernel_w", 2).SetArgument("stride_h", 2).SetArgument("stride_w", 3)
                    .SetArgument("pad_t", 1).SetArgument("pad_l", 0).SetArgument("pad_b", 2).SetArgument("pad_r", 1)
                    .SetArgument("adj_h", 1).SetArgument("adj_w", 2);
                break;
            case "pads_dilations_adjs":
                deconv.SetRepeatedArgument("kernels", new[] { 3, 3 }).SetRepeatedArgument("strides", new[] { 2, 3 })
                    .SetRepeatedArgument("pads", new[] { 1, 2, 0, 1 }).SetRepeatedArgument("dilations", new[] { 2, 1 }).SetRepeatedArgument("adjs", new[] { 1, 2 });
                break;
            case "group": group = 2; deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("group", 2); break;
            case "depthwise": group = 4; mg = 1; deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("group", 4); break;
            case "legacy_valid": deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 1); break;
            case "legacy_same": deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("adj", 1).SetArgument("legacy_pad", 2); break;
            case "no_bias": deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1); deconv.Input.RemoveAt(2); break;
            case "1d": deconv.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("adj", 1); break;
        }
        bool oneD = form == "1d";
        var init = Init(("W", oneD ? Random(21, inC, mg, kw) : Random(21, inC, mg, kh, kw)), ("b", Random(22, mg * group)));
        var x = oneD ? Random(20, 2, inC, 7) : Random(20, 2, inC, 5, 6);
        var result = ExportAndCompare(init, Net(["X", "W", "b"], ["Y"], deconv), new Dictionary<string, Caffe2Tensor> { ["X"] = x });
        Assert.Equal("ConvTranspose", Assert.Single(result.Model.Graph.Node).OpType);
    }

    [Fact]
    public void ConvTranspose_AdjEqualToTheStride_IsRefused_OnnxOutputPaddingMustBeBelowIt()
    {
        // Caffe2 allows adj == stride (a trailing row of bias only); ONNX's output_padding must be below the stride.
        var deconv = Op("ConvTranspose", ["X", "W"], ["Y"]).SetArgument("kernel", 2).SetArgument("stride", 2).SetArgument("adj", 2);
        deconv.Name = "up";
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(Init(("W", Random(23, 2, 3, 2, 2))), Net(["X", "W"], ["Y"], deconv),
            new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([1, 2, 4, 4]) }, new OnnxExportOptions { Catalog = Catalog }));
        var p = Assert.Single(e.Problems);
        Assert.Equal((0, "ConvTranspose", "up"), (p.OpIndex, p.OpType, p.OpName));
        Assert.Contains("adj 2 is not below the stride 2", p.Reason, StringComparison.Ordinal);
    }

    // ---- Pooling ---------------------------------------------------------------------------------

    public static TheoryData<string, string, long[]> PoolForms() => new()
    {
        { "MaxPool", "k3_s2_p1", [1, 2, 9, 8] },
        { "AveragePool", "k3_s2_p1", [1, 2, 9, 8] },
        { "AveragePool", "k3_s2_p1_count_include_pad", [1, 2, 9, 8] },
        { "MaxPool", "legacy_ceil", [1, 3, 54, 54] }, // SqueezeNet: 54 -> 27 (floor would give 26)
        { "AveragePool", "legacy_ceil", [1, 3, 54, 53] },
        { "MaxPool", "legacy_ceil_pad1", [1, 2, 9, 8] },
        { "AveragePool", "legacy_ceil_pad1", [1, 2, 9, 8] },
        { "AveragePool", "legacy_ceil_pad1_count_include_pad", [1, 2, 9, 8] },
        { "MaxPool", "global", [2, 3, 5, 4] },
        { "AveragePool", "global", [2, 3, 5, 4] },
        { "MaxPool", "k3_s2_1d", [1, 2, 9] },
        { "AveragePool", "legacy_same", [1, 2, 9, 8] },
        { "MaxPool", "legacy_valid", [1, 2, 9, 8] },
    };

    [Theory]
    [MemberData(nameof(PoolForms))]
    public void Pool_MatchesOnnxRuntime(string type, string form, long[] dims)
    {
        var pool = Op(type, ["X"], ["Y"]);
        switch (form)
        {
            case "k3_s2_p1": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1); break;
            case "k3_s2_p1_count_include_pad": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("count_include_pad", 1); break;
            case "legacy_ceil": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 3); break;
            case "legacy_ceil_pad1": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("legacy_pad", 3); break;
            case "legacy_ceil_pad1_count_include_pad": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("legacy_pad", 3).SetArgument("count_include_pad", 1); break;
            case "global": pool.SetArgument("kernel", 0).SetArgument("global_pooling", 1); break;
            case "k3_s2_1d": pool.SetRepeatedArgument("kernels", new[] { 3 }).SetRepeatedArgument("strides", new[] { 2 }); break;
            case "legacy_same": pool.SetArgument("kernel", 2).SetArgument("stride", 2).SetArgument("legacy_pad", 2); break;
            case "legacy_valid": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 1); break;
        }
        Single(pool, ("X", Random(4, dims)));
    }

    [Fact]
    public void Pool_LegacyCeilMode_KeepsCaffesOutputSize()
    {
        // 54 -> 27 under Caffe's ceil mode; a floor-mode export would give 26 and fail the comparison too.
        var pool = Op("MaxPool", ["X"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 3);
        var feeds = new Dictionary<string, Caffe2Tensor> { ["X"] = Random(5, 1, 1, 54, 54) };
        var result = ExportAndCompare(NoInit, Net(["X"], ["Y"], pool), feeds);
        Assert.Equal([1L, 1, 27, 27], result.Ort["Y"].Shape);
    }

    // Dilated pools (a Caffe2Sharp extension, ONNX's dilations): MaxPool's from opset 10,
    // AveragePool's from 19.
    public static TheoryData<string, string, long[], int> DilatedPoolForms() => new()
    {
        { "MaxPool", "d2", [1, 2, 9, 8], 17 },
        { "MaxPool", "d2x3_s2_p1", [2, 3, 11, 13], 11 },
        { "MaxPool", "d3_1d_s2_p2", [1, 2, 17], 17 },
        { "MaxPool", "legacy_ceil_d2", [1, 2, 10, 9], 17 },
        { "MaxPool", "legacy_valid_d3", [1, 2, 10, 9], 17 },
        { "AveragePool", "d2", [1, 2, 9, 8], 19 },
        { "AveragePool", "d2x3_s2_p1", [2, 3, 11, 13], 19 },
        { "AveragePool", "d2x3_s2_p1_count_include_pad", [2, 3, 11, 13], 21 },
        { "AveragePool", "d3_1d_s2_p2", [1, 2, 17], 19 },
    };

    [Theory]
    [MemberData(nameof(DilatedPoolForms))]
    public void DilatedPool_MatchesOnnxRuntime_AndWritesDilations(string type, string form, long[] dims, int opset)
    {
        var pool = Op(type, ["X"], ["Y"]);
        long[] expected;
        switch (form)
        {
            case "d2": pool.SetArgument("kernel", 2).SetArgument("dilation", 2); expected = [2, 2]; break;
            case "d2x3_s2_p1":
            case "d2x3_s2_p1_count_include_pad":
                pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("dilation_h", 2).SetArgument("dilation_w", 3)
                    .SetArgument("count_include_pad", form.EndsWith("count_include_pad", StringComparison.Ordinal) ? 1 : 0);
                expected = [2, 3];
                break;
            case "d3_1d_s2_p2":
                pool.SetRepeatedArgument("kernels", new[] { 3 }).SetRepeatedArgument("strides", new[] { 2 }).SetRepeatedArgument("pads", new[] { 2, 2 })
                    .SetRepeatedArgument("dilations", new[] { 3 });
                expected = [3];
                break;
            case "legacy_ceil_d2": pool.SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("dilation", 2).SetArgument("legacy_pad", 3); expected = [2, 2]; break;
            case "legacy_valid_d3": pool.SetArgument("kernel", 2).SetArgument("stride", 2).SetArgument("dilation", 3).SetArgument("legacy_pad", 1); expected = [3, 3]; break;
            default: throw new ArgumentException(form);
        }
        var feeds = new Dictionary<string, Caffe2Tensor> { ["X"] = Random(6, dims) };
        var result = ExportAndCompare(NoInit, Net(["X"], ["Y"], pool), feeds, opset);
        var node = Assert.Single(result.Model.Graph.Node);
        Assert.Equal(type, node.OpType);
        Assert.Equal(expected, Assert.Single(node.Attribute, a => a.Name == "dilations").Ints.ToArray());
    }

    [Fact]
    public void UndilatedPool_WritesNoDilations()
    {
        var pool = Op("AveragePool", ["X"], ["Y"]).SetArgument("kernel", 2).SetArgument("dilation", 1);
        var result = ExportAndCompare(NoInit, Net(["X"], ["Y"], pool), new Dictionary<string, Caffe2Tensor> { ["X"] = Random(7, 1, 1, 5, 5) }, 11);
        Assert.DoesNotContain(Assert.Single(result.Model.Graph.Node).Attribute, a => a.Name == "dilations");
    }

    // ---- FC --------------------------------------------------------------------------------------

    public static TheoryData<long[], long[], int, int> FcForms() => new()
    {
        { [4, 6], [5, 6], 1, 1 },
        { [2, 3, 2, 2], [5, 12], 1, 1 },  // X flattened at axis 1
        { [2, 3, 4], [5, 4], 2, 1 },      // axis 2: Y [2, 3, 5]
        { [2, 3, 4], [5, 12], -2, 1 },    // negative axis
        { [4, 6], [5, 2, 3], 1, 1 },      // W flattened at axis_w 1
        { [4, 6], [5, 2, 6], 1, 2 },      // axis_w 2: N = 10
    };

    [Theory]
    [MemberData(nameof(FcForms))]
    public void FC_MatchesOnnxRuntime(long[] x, long[] w, int axis, int axisW)
    {
        var fc = Op("FC", ["X", "W", "b"], ["Y"]).SetArgument("axis", axis).SetArgument("axis_w", axisW);
        long n = w.Take(axisW).Aggregate(1L, (p, d) => p * d);
        ExportAndCompare(Init(("W", Random(7, w)), ("b", Random(8, n))), Net(["X", "W", "b"], ["Y"], fc),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(6, x) });
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    public void FCTransposed_AndAFusedRelu_MatchOnnxRuntime(int axis, bool relu)
    {
        var fc = Op("FCTransposed", ["X", "W", "b"], ["Y"]).SetArgument("axis", axis);
        if (relu) fc.SetArgument(Operators.Vision.Conv.ActivationArg, Operators.Vision.Conv.ReluActivation);
        long[] x = axis == 1 ? [4, 6] : [2, 3, 6];
        ExportAndCompare(Init(("W", Random(7, 6, 5)), ("b", Random(8, 5))), Net(["X", "W", "b"], ["Y"], fc),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(6, x) });
    }

    // ---- Normalization and Softmax ---------------------------------------------------------------

    [Fact]
    public void SpatialBN_InTestMode_MatchesOnnxRuntime()
    {
        var variance = Random(13, 3);
        foreach (ref var v in variance.Data<float>()) v = Math.Abs(v) + 0.1f;
        var bn = Op("SpatialBN", ["X", "scale", "bias", "mean", "var"], ["Y"]).SetArgument("is_test", 1).SetArgument("epsilon", 1e-3f);
        ExportAndCompare(Init(("scale", Random(10, 3)), ("bias", Random(11, 3)), ("mean", Random(12, 3)), ("var", variance)),
            Net(["X", "scale", "bias", "mean", "var"], ["Y"], bn), new Dictionary<string, Caffe2Tensor> { ["X"] = Random(9, 2, 3, 4, 5) });
    }

    [Fact]
    public void Lrn_MatchesOnnxRuntime() =>
        Single(Op("LRN", ["X"], ["Y"]).SetArgument("size", 3).SetArgument("alpha", 0.3f).SetArgument("beta", 0.75f).SetArgument("bias", 1.5f),
            ("X", Random(14, 2, 5, 4, 4)));

    public static TheoryData<long[], int?, int> SoftmaxForms() => new()
    {
        { [2, 3, 4, 5], null, 17 }, // axis 1 on 4-D: over C * H * W, Flatten -> Softmax -> Reshape
        { [2, 3, 4, 5], 1, 13 },
        { [2, 3, 4, 5], 2, 17 },
        { [2, 3, 4, 5], 1, 11 },    // before opset 13 ONNX's Softmax coerces to 2-D as Caffe2 does
        { [2, 3, 4, 5], 3, 17 },
        { [2, 3, 4, 5], -1, 17 },
        { [4, 10], null, 17 },
    };

    [Theory]
    [MemberData(nameof(SoftmaxForms))]
    public void Softmax_MatchesOnnxRuntime(long[] dims, int? axis, int opset)
    {
        var softmax = Op("Softmax", ["X"], ["Y"]);
        if (axis is { } a) softmax.SetArgument("axis", a);
        var x = Random(15, dims);
        foreach (ref var v in x.Data<float>()) v *= 4;
        ExportAndCompare(NoInit, Net(["X"], ["Y"], softmax), new Dictionary<string, Caffe2Tensor> { ["X"] = x }, opset);
    }

    [Fact]
    public void Softmax_OverAxis1Of4D_IsNotOnnx13sSingleAxisSoftmax()
    {
        // Guards the test above: normalising over C alone would give different numbers.
        var feeds = new Dictionary<string, Caffe2Tensor> { ["X"] = Random(15, 2, 3, 4, 5) };
        var ours = RunOurs(NoInit, Net(["X"], ["Y"], Op("Softmax", ["X"], ["Y"])), feeds)["Y"].ToArray<float>();
        var y = ours.AsSpan();
        float sumOverC = y[0] + y[20] + y[40]; // n 0, h 0, w 0 across the three channels
        Assert.True(Math.Abs(sumOverC - 1) > 0.1, $"sum over C alone is {sumOverC}");
    }

    // ---- Activations -----------------------------------------------------------------------------

    public static TheoryData<string> ActivationForms() =>
        ["Relu", "Sigmoid", "Tanh", "Elu", "Elu_alpha", "LeakyRelu", "LeakyRelu_alpha", "Clip", "Clip_max_only", "Clip_min_only", "Copy"];

    [Theory]
    [MemberData(nameof(ActivationForms))]
    public void Activation_MatchesOnnxRuntime(string form)
    {
        var op = Op(form.Split('_')[0], ["X"], ["Y"]);
        switch (form)
        {
            case "Elu_alpha": op.SetArgument("alpha", 0.5f); break;
            case "LeakyRelu_alpha": op.SetArgument("alpha", 0.2f); break;
            case "Clip": op.SetArgument("min", -0.3f).SetArgument("max", 0.4f); break;
            case "Clip_max_only": op.SetArgument("max", 0.25f); break;
            case "Clip_min_only": op.SetArgument("min", -0.25f); break;
        }
        Single(op, ("X", Random(16, 2, 3, 4)));
    }

    public static TheoryData<long[], long[]> PReluForms() => new()
    {
        { [2, 3, 4, 5], [3] },  // per channel: [C] -> [C, 1, 1]
        { [2, 3, 4, 5], [1] },  // shared
        { [2, 3], [3] },        // per channel on 2-D
        { [2, 3, 4], [3] },
    };

    [Theory]
    [MemberData(nameof(PReluForms))]
    public void PRelu_MatchesOnnxRuntime(long[] x, long[] slope) =>
        ExportAndCompare(Init(("slope", Random(18, slope))), Net(["X", "slope"], ["Y"], Op("PRelu", ["X", "slope"], ["Y"])),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(17, x) });

    // ---- Arithmetic ------------------------------------------------------------------------------

    public static TheoryData<string, long[], int?, bool> ArithmeticForms() => new()
    {
        { "Add", [3], 1, true },        // LeNet's bias add: B [C] at axis 1
        { "Sub", [3, 4], 1, true },
        { "Mul", [4, 5], null, true },  // no axis: trailing dims
        { "Div", [1], null, true },     // one element: a scalar
        { "Add", [1, 3, 1], 0, true },  // leading and trailing 1s dropped, the alignment kept
        { "Mul", [5], 3, true },
        { "Add", [4, 1], null, false }, // numpy broadcasting
        { "Div", [2, 3, 4, 5], null, false },
    };

    [Theory]
    [MemberData(nameof(ArithmeticForms))]
    public void Arithmetic_MatchesOnnxRuntime(string type, long[] b, int? axis, bool legacy)
    {
        var op = Op(type, ["A", "B"], ["C"]);
        if (legacy) op.SetArgument("broadcast", 1);
        if (axis is { } a) op.SetArgument("axis", a);
        var bValue = Random(20, b);
        if (type == "Div") foreach (ref var v in bValue.Data<float>()) v = v < 0 ? v - 0.5f : v + 0.5f;
        ExportAndCompare(Init(("B", bValue)), Net(["A", "B"], ["C"], op), new Dictionary<string, Caffe2Tensor> { ["A"] = Random(19, 2, 3, 4, 5) });
    }

    [Fact]
    public void Sum_MatchesOnnxRuntime() =>
        Single(Op("Sum", ["A", "B", "C"], ["S"]), ("A", Random(21, 2, 3)), ("B", Random(22, 2, 3)), ("C", Random(23, 2, 3)));

    // ---- Shape -----------------------------------------------------------------------------------

    [Fact]
    public void Concat_WithSplitInfoRead_MatchesOnnxRuntime()
    {
        var result = ExportAndCompare(NoInit, Net(["A", "B", "C"], ["Y", "info"], Op("Concat", ["A", "B", "C"], ["Y", "info"])),
            new Dictionary<string, Caffe2Tensor> { ["A"] = Random(24, 2, 1, 3), ["B"] = Random(25, 2, 4, 3), ["C"] = Random(26, 2, 2, 3) });
        Assert.Equal([1, 4, 2], result.Ort["info"].ToArray<int>());
    }

    [Theory]
    [InlineData(1, false, null)]
    [InlineData(-1, false, null)]
    [InlineData(1, true, null)]
    [InlineData(0, true, null)]
    [InlineData(-1, true, null)]
    [InlineData(null, false, "NHWC")]
    public void Concat_AxisForms_MatchOnnxRuntime(int? axis, bool addAxis, string? order)
    {
        var op = Op("Concat", ["A", "B"], ["Y", "info"]);
        if (axis is { } a) op.SetArgument("axis", a);
        if (addAxis) op.SetArgument("add_axis", 1);
        if (order is not null) op.SetArgument("order", order);
        ExportAndCompare(NoInit, Net(["A", "B"], ["Y", "info"], op),
            new Dictionary<string, Caffe2Tensor> { ["A"] = Random(27, 2, 3, 4, 2), ["B"] = Random(28, 2, 3, 4, 2) });
    }

    [Theory]
    [InlineData(13)]
    [InlineData(11)]
    public void Split_Forms_MatchOnnxRuntime(int opset)
    {
        var equal = Op("Split", ["X"], ["a", "b", "c"]).SetArgument("axis", 1);
        var sized = Op("Split", ["X"], ["d", "e"]).SetArgument("axis", -1).SetRepeatedArgument("split", new[] { 1, 3 });
        var stacked = Op("Split", ["X"], ["f", "g"]).SetArgument("axis", 0).SetArgument("add_axis", 1);
        ExportAndCompare(NoInit, Net(["X"], ["a", "b", "c", "d", "e", "f", "g"], equal, sized, stacked),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(29, 2, 6, 4) }, opset);
    }

    [Fact]
    public void Dropout_InTestMode_IsIdentity_WithAnAllTrueMask()
    {
        var result = ExportAndCompare(NoInit, Net(["X"], ["Y", "mask"], Op("Dropout", ["X"], ["Y", "mask"]).SetArgument("is_test", 1).SetArgument("ratio", 0.3f)),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(30, 2, 3) });
        Assert.All(result.Ort["mask"].ToArray<bool>(), Assert.True);
    }

    [Fact]
    public void Reshape_WithOldShapeRead_MatchesOnnxRuntime()
    {
        var result = ExportAndCompare(NoInit, Net(["X"], ["Y", "old"], Op("Reshape", ["X"], ["Y", "old"]).SetRepeatedArgument("shape", new long[] { 0, -1 })),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(31, 2, 3, 4) });
        Assert.Equal([2L, 12], result.Ort["Y"].Shape);
        Assert.Equal([2L, 3, 4], result.Ort["old"].ToArray<long>());
    }

    [Fact]
    public void Reshape_ShapeFromAnInput_MatchesOnnxRuntime() =>
        ExportAndCompare(NoInit, Net(["X", "S"], ["Y"], Op("Reshape", ["X", "S"], ["Y", "old"])),
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(32, 2, 3, 4), ["S"] = Caffe2Tensor.From<long>([4, -1], 2) });

    [Fact]
    public void ShapeOperators_MatchOnnxRuntime()
    {
        var predict = Net(["X"], ["f", "t", "r", "s", "e"],
            Op("Flatten", ["X"], ["f"]).SetArgument("axis", 2),
            Op("Transpose", ["X"], ["t"]).SetRepeatedArgument("axes", new[] { 0, 2, 3, 1 }),
            Op("Transpose", ["X"], ["r"]),
            Op("Squeeze", ["X"], ["s"]).SetRepeatedArgument("dims", new[] { 1 }),
            Op("ExpandDims", ["X"], ["e"]).SetRepeatedArgument("dims", new[] { 4, 0, 0 }));
        ExportAndCompare(NoInit, predict, new Dictionary<string, Caffe2Tensor> { ["X"] = Random(33, 2, 1, 3, 4) });
    }

    [Theory]
    [InlineData(2f, 3f)]
    [InlineData(1.5f, 0.5f)]
    [InlineData(0.6f, 1.7f)]
    public void ResizeNearest_MatchesOnnxRuntime(float heightScale, float widthScale) =>
        Single(Op("ResizeNearest", ["X"], ["Y"]).SetArgument("height_scale", heightScale).SetArgument("width_scale", widthScale),
            ("X", Random(34, 1, 2, 5, 4)));

    // ---- In-place chains and names ---------------------------------------------------------------

    [Fact]
    public void InPlaceChain_GetsFreshValueNames_AndTheOutputKeepsItsName()
    {
        var predict = Net(["X", "W", "b"], ["P"],
            Op("Conv", ["X", "W", "b"], ["Y"]).SetArgument("kernel", 3),
            Op("Relu", ["Y"], ["Y"]),
            Op("Add", ["Y", "b"], ["Y"]).SetArgument("broadcast", 1).SetArgument("axis", 1),
            Op("MaxPool", ["Y"], ["P"]).SetArgument("kernel", 2).SetArgument("stride", 2).SetArgument("legacy_pad", 3),
            Op("Sigmoid", ["P"], ["P"]));
        var result = ExportAndCompare(Init(("W", Random(36, 3, 2, 3, 3)), ("b", Random(37, 3))), predict,
            new Dictionary<string, Caffe2Tensor> { ["X"] = Random(35, 1, 2, 9, 9) });
        var graph = result.Model.Graph;
        var written = graph.Node.SelectMany(n => n.Output).ToList();
        Assert.Equal(written.Count, written.Distinct().Count());
        Assert.Equal("P", Assert.Single(graph.Output).Name);
        Assert.Equal("P", graph.Node[^1].Output[0]);
        Assert.DoesNotContain("P", graph.Node.Take(graph.Node.Count - 1).SelectMany(n => n.Output));
        // Y is written three times (Conv, Relu in place, Add in place): three values, the last named Y.
        Assert.Equal(["Y_1", "Y_2", "Y"], written.Where(n => n == "Y" || n.StartsWith("Y_", StringComparison.Ordinal)));
    }

    // ---- Opsets ----------------------------------------------------------------------------------

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(19)]
    [InlineData(21)]
    public void OpsetSensitiveOperators_MatchOnnxRuntime_AtEveryOpset(int opset)
    {
        var predict = Net(["X"], ["soft", "sq", "ex", "p", "q", "clip", "up", "stack"],
            Op("Softmax", ["X"], ["soft"]),
            Op("Squeeze", ["X"], ["sq"]).SetRepeatedArgument("dims", new[] { 0 }),
            Op("ExpandDims", ["X"], ["ex"]).SetRepeatedArgument("dims", new[] { 1 }),
            Op("Split", ["X"], ["p", "q"]).SetArgument("axis", 2),
            Op("Clip", ["X"], ["clip"]).SetArgument("min", -0.5f).SetArgument("max", 0.5f),
            Op("ResizeNearest", ["X"], ["up"]).SetArgument("height_scale", 2f).SetArgument("width_scale", 2f),
            Op("Concat", ["X", "X"], ["stack", "info"]).SetArgument("add_axis", 1).SetArgument("axis", 2));
        var result = ExportAndCompare(NoInit, predict, new Dictionary<string, Caffe2Tensor> { ["X"] = Random(38, 1, 3, 4, 5) }, opset);
        Assert.Equal(opset, Assert.Single(result.Model.OpsetImport).Version);
        Assert.Equal(OnnxExporter.IrVersionFor(opset), result.Model.IrVersion);
    }
}
