using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests;

/// <summary>
/// ONNX's own node conformance tests (../shared/testdata/onnx-node) run through the Caffe2 operators
/// whose semantics coincide, with ONNX's tolerance (rtol 1e-3, atol 1e-7) and exact output shape
/// and type. The mapping here is the test's own, one line per op; the importer of the ONNX issue
/// replaces it.
/// </summary>
public class NodeConformanceTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    // ONNX op -> Caffe2 op, where the semantics coincide (same names; numpy broadcasting for the
    // arithmetic ops, which is Caffe2's rule without broadcast=1).
    private static readonly Dictionary<string, string> SameOperator = new()
    {
        ["Relu"] = "Relu", ["Sigmoid"] = "Sigmoid", ["Tanh"] = "Tanh", ["Elu"] = "Elu",
        ["Add"] = "Add", ["Sub"] = "Sub", ["Mul"] = "Mul", ["Div"] = "Div", ["Sum"] = "Sum", ["Clip"] = "Clip",
        ["Softmax"] = "Softmax", ["Dropout"] = "Dropout", ["Resize"] = "ResizeNearest",
        ["Concat"] = "Concat", ["Flatten"] = "Flatten", ["Reshape"] = "Reshape",
        ["BatchNormalization"] = "SpatialBN", ["LRN"] = "LRN",
        ["MaxPool"] = "MaxPool", ["AveragePool"] = "AveragePool", ["GlobalMaxPool"] = "MaxPool", ["GlobalAveragePool"] = "AveragePool",
        ["Gemm"] = "FC", ["MatMul"] = "FC", ["Conv"] = "Conv", ["ConvTranspose"] = "ConvTranspose",
    };

    // Caffe2's Concat and Reshape always declare a second output (split_info, old_shape); ONNX's
    // have one. The mapping names it, and only ONNX's outputs are compared.
    private static readonly HashSet<string> Caffe2SecondOutput = ["Concat", "Reshape"];

    public static TheoryData<string> Cases() =>
    [
        "test_sigmoid", "test_sigmoid_example", "test_tanh", "test_tanh_example",
        "test_elu", "test_elu_default", "test_elu_example", "test_clip_example",
        "test_add_bcast", "test_sub", "test_sub_bcast", "test_sub_example",
        "test_mul", "test_mul_bcast", "test_mul_example", "test_div", "test_div_bcast", "test_div_example",
        "test_sum_one_input", "test_sum_two_inputs",
        // Softmax: these models are opset 13, which normalises over one axis; Caffe2 coerces to 2-D at
        // the axis. The two agree exactly when the axis is the last (checked below for every case).
        // test_softmax_axis_0 and test_softmax_axis_1 normalise over a non-last axis: excluded (see
        // Softmax_Opset13OverANonLastAxis_IsNotCaffe2sSoftmax).
        "test_softmax_axis_2", "test_softmax_default_axis", "test_softmax_example",
        "test_softmax_large_number", "test_softmax_negative_axis",
        // Dropout in inference (no training_mode input): Y = X, Caffe2's is_test = 1.
        "test_dropout_default", "test_dropout_default_ratio", "test_dropout_random_old",
        // Resize nearest with integer up-scales: ONNX's half_pixel + round_prefer_floor picks
        // source round((d + 0.5) / s - 0.5) = floor(d / s) for integer s, Caffe2's index. The
        // downsampling case (scale 0.6) differs: excluded (see Resize_Downsample_IsNotCaffe2sResizeNearest).
        "test_resize_upsample_scales_nearest",
        // Concat: Caffe2 takes negative axes too (counted from the end), so every case maps.
        "test_concat_1d_axis_0", "test_concat_1d_axis_negative_1",
        "test_concat_2d_axis_0", "test_concat_2d_axis_1", "test_concat_2d_axis_negative_1", "test_concat_2d_axis_negative_2",
        "test_concat_3d_axis_0", "test_concat_3d_axis_1", "test_concat_3d_axis_2",
        "test_concat_3d_axis_negative_1", "test_concat_3d_axis_negative_2", "test_concat_3d_axis_negative_3",
        // Flatten: only axis >= 0. Excluded: test_flatten_negative_axis1..4 (ONNX counts a negative
        // axis from the end; Caffe2's Flatten takes axis >= 0 only and refuses a negative one).
        "test_flatten_axis0", "test_flatten_axis1", "test_flatten_axis2", "test_flatten_axis3", "test_flatten_default_axis",
        // Reshape, shape as an INT64 input (which Caffe2's Reshape accepts). Excluded:
        // test_reshape_allowzero_reordered (allowzero = 1: ONNX keeps a 0 in the shape as a
        // zero-size dim, while Caffe2's 0 always copies the input's dim).
        "test_reshape_extended_dims", "test_reshape_negative_dim", "test_reshape_negative_extended_dims",
        "test_reshape_one_dim", "test_reshape_reduced_dims", "test_reshape_reordered_all_dims",
        "test_reshape_reordered_last_dims", "test_reshape_zero_and_negative_dim", "test_reshape_zero_dim",
        // BatchNormalization in inference (no training_mode): SpatialBN with is_test = 1, same inputs in
        // the same order (X, scale, B, mean, var), epsilon passed through.
        "test_batchnorm_example", "test_batchnorm_epsilon",
        // LRN: ONNX's formula divides alpha by size too and centres the window the same way
        // (c - floor((size - 1) / 2) .. c + ceil((size - 1) / 2)); ONNX's defaults (alpha 1e-4,
        // beta 0.75, bias 1) differ from Caffe2's (0, 0, 1) and are passed explicitly.
        "test_lrn", "test_lrn_default",
        // Pooling: kernel_shape -> kernels, strides, pads (ONNX's [x1_begin, x2_begin, x1_end, x2_end] is
        // Caffe2's begins-then-ends order), count_include_pad; auto_pad VALID -> legacy_pad 1, SAME_UPPER
        // -> legacy_pad 2 (the odd pad at the end, as Caffe2's SAME), SAME_LOWER -> explicit pads with the
        // odd pad at the begin (Caffe2 has no such mode); ceil_mode 1 -> legacy_pad 3 (Caffe's ceil mode),
        // which coincides except that Caffe drops a last window starting past the image only when padded.
        // Excluded: test_maxpool_2d_ceil_output_size_reduce_by_one (that exception, see
        // PoolCeilModeWithoutPad_IsNotCaffesCeilMode), test_maxpool_2d_dilations and
        // test_averagepool_2d_dilations (Caffe2's pooling refuses dilation, see PoolWithDilation_IsRefusedByCaffe2).
        "test_maxpool_1d_default", "test_maxpool_2d_default", "test_maxpool_2d_pads", "test_maxpool_2d_precomputed_pads",
        "test_maxpool_2d_precomputed_strides", "test_maxpool_2d_strides", "test_maxpool_2d_same_upper",
        "test_maxpool_2d_precomputed_same_upper", "test_maxpool_2d_same_lower", "test_maxpool_2d_ceil",
        "test_averagepool_1d_default", "test_averagepool_2d_default", "test_averagepool_2d_pads",
        "test_averagepool_2d_pads_count_include_pad", "test_averagepool_2d_precomputed_pads",
        "test_averagepool_2d_precomputed_pads_count_include_pad", "test_averagepool_2d_precomputed_strides",
        "test_averagepool_2d_strides", "test_averagepool_2d_same_upper", "test_averagepool_2d_precomputed_same_upper",
        "test_averagepool_2d_same_lower", "test_averagepool_2d_ceil", "test_averagepool_2d_ceil_last_window_starts_on_pad",
        "test_globalmaxpool", "test_globalmaxpool_precomputed", "test_globalaveragepool", "test_globalaveragepool_precomputed",
        // Gemm -> FC: Y = A B^T + C is FC when transA = 0, transB = 1, alpha = beta = 1 and C has N
        // elements (its [1, N] shape fed as [N]). With transB = 0 the (constant) B is fed transposed
        // as W, as an importer does with an initializer. Excluded: test_gemm_all_attributes (transA = 1,
        // alpha 0.25, beta 0.35), test_gemm_alpha (alpha 0.5), test_gemm_beta (beta 0.5),
        // test_gemm_transposeA (transA = 1: FC never transposes X), test_gemm_default_matrix_bias
        // (C is [M, N]: FC's bias is one row), test_gemm_default_scalar_bias and
        // test_gemm_default_single_elem_vector_bias (a one-element C broadcast over [M, N]; FC needs N
        // elements).
        "test_gemm_transposeB", "test_gemm_default_vector_bias", "test_gemm_default_zero_bias",
        // MatMul -> FC for 2-D inputs only: W = B transposed, a zero bias (exact: x + 0 = x for x != -0,
        // and FC's sum of products starts from +0). test_matmul_3d and _4d are batched: excluded.
        "test_matmul_2d",
        // Conv: kernel_shape -> kernels, strides, pads ([x1_begin, x2_begin, x1_end, x2_end] = Caffe2's
        // t, l, b, r), dilations, group; auto_pad SAME_UPPER/SAME_LOWER -> legacy_pad 2 (SAME) where its
        // pads coincide, else explicit pads (ONNX's rule, the odd pad at the end or the begin); VALID ->
        // legacy_pad 1.
        "test_basic_conv_with_padding", "test_basic_conv_without_padding", "test_conv_with_strides_padding",
        "test_conv_with_strides_no_padding", "test_conv_with_strides_and_asymmetric_padding", "test_conv_with_autopad_same",
        // ConvTranspose: the filter is [C, M / group, k...] in both, and so is the size rule
        // (in - 1) * stride + dilation * (k - 1) + 1 + output_padding - pad_begin - pad_end.
        // kernel_shape (else the filter's dims) -> kernels, strides, dilations, pads (begins then ends
        // in both), output_padding -> adjs (Caffe2 allows adj <= stride, ONNX < stride: every ONNX value
        // maps), group. Not mapped (none of these are in testdata): output_shape (ONNX derives the pads
        // from a requested size; Caffe2 has no such argument) and auto_pad SAME_UPPER/SAME_LOWER (ONNX
        // makes out = in * stride; Caffe2's legacy_pad SAME means no padding for ConvTranspose); they
        // would become explicit pads in an importer.
        "test_convtranspose", "test_convtranspose_1d", "test_convtranspose_pads",
    ];

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void RunsThroughTheCaffe2Operator_AndMatchesOnnxsExpectedOutputs(string test)
    {
        string dir = Path.Combine(TestData.OnnxNode, test);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var node = Assert.Single(model.Graph.Node);
        var ws = new Workspace(Catalog);
        var inputs = new Dictionary<string, Caffe2Tensor>();
        for (int i = 0; i < model.Graph.Input.Count; i++)
        {
            var t = ReadTensor(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb"));
            inputs[model.Graph.Input[i].Name] = t;
            ws.FeedBlob(model.Graph.Input[i].Name, t);
        }

        var def = OperatorDef.Create(SameOperator[node.OpType], node.Name, [.. node.Input], [.. node.Output]);
        if (Caffe2SecondOutput.Contains(node.OpType)) def.Output.Add(node.Output[0] + "_caffe2_second_output");
        long opset = model.OpsetImport.Where(o => o.Domain.Length == 0).Select(o => o.Version).DefaultIfEmpty(1).Max();
        switch (node.OpType)
        {
            case "Softmax":
            {
                int rank = inputs[node.Input[0]].Rank;
                var axisAttr = node.Attribute.SingleOrDefault(a => a.Name == "axis");
                long axis = axisAttr?.I ?? (opset >= 13 ? -1 : 1);
                if (opset >= 13)
                    Assert.True(axis == -1 || axis == rank - 1, $"{test}: opset {opset} Softmax over axis {axis} of rank {rank} is not Caffe2's 2-D Softmax");
                def.Arg.Add(ArgumentHelper.MakeArgument("axis", (int)axis));
                break;
            }
            case "Dropout":
            {
                // Inference: the seed is irrelevant; the ratio (an attribute before opset 12, an
                // optional input since) does not change the output.
                Assert.True(node.Input.Count < 3 || node.Input[2].Length == 0, $"{test}: training_mode given");
                def.Input.Clear();
                def.Input.Add(node.Input[0]);
                def.Arg.Add(ArgumentHelper.MakeArgument("is_test", 1));
                break;
            }
            case "Resize":
            {
                Assert.Equal("nearest", node.Attribute.Single(a => a.Name == "mode").S.ToStringUtf8());
                Assert.DoesNotContain(node.Attribute, a => a.Name is "coordinate_transformation_mode" or "nearest_mode");
                var scales = inputs[node.Input[2]].Data<float>();
                Assert.True(scales[0] == 1 && scales[1] == 1 && scales[2] == MathF.Floor(scales[2]) && scales[3] == MathF.Floor(scales[3]),
                    $"{test}: only integer H and W up-scales coincide with ResizeNearest");
                def.Input.Clear();
                def.Input.Add(node.Input[0]);
                def.Arg.Add(ArgumentHelper.MakeArgument("height_scale", scales[2]));
                def.Arg.Add(ArgumentHelper.MakeArgument("width_scale", scales[3]));
                break;
            }
            case "BatchNormalization":
            {
                foreach (var a in node.Attribute)
                {
                    if (a.Name == "epsilon") def.Arg.Add(ArgumentHelper.MakeArgument("epsilon", a.F));
                    else if (a.Name is "training_mode" or "is_test") Assert.Equal(a.Name == "is_test" ? 1 : 0, a.I);
                    else if (a.Name == "spatial") Assert.Equal(1, a.I);
                    else Assert.Equal("momentum", a.Name); // running-average factor: no effect in inference
                }
                def.Arg.Add(ArgumentHelper.MakeArgument("is_test", 1));
                break;
            }
            case "LRN":
            {
                float Attr(string name, float fallback) => node.Attribute.SingleOrDefault(a => a.Name == name)?.F ?? fallback;
                def.Arg.Add(ArgumentHelper.MakeArgument("size", (int)node.Attribute.Single(a => a.Name == "size").I));
                def.Arg.Add(ArgumentHelper.MakeArgument("alpha", Attr("alpha", 1e-4f)));
                def.Arg.Add(ArgumentHelper.MakeArgument("beta", Attr("beta", 0.75f)));
                def.Arg.Add(ArgumentHelper.MakeArgument("bias", Attr("bias", 1f)));
                break;
            }
            case "Gemm":
            case "MatMul":
                MapToFullyConnected(test, node, inputs, ws, def);
                break;
            case "GlobalMaxPool":
            case "GlobalAveragePool":
                Assert.Empty(node.Attribute);
                def.Arg.Add(ArgumentHelper.MakeArgument("global_pooling", 1));
                break;
            case "MaxPool":
            case "AveragePool":
                MapPooling(test, node, inputs[node.Input[0]], def);
                break;
            case "Conv":
                MapConv(test, node, inputs[node.Input[0]], inputs[node.Input[1]], def);
                break;
            case "ConvTranspose":
                MapConvTranspose(test, node, inputs[node.Input[0]], inputs[node.Input[1]], def);
                break;
            default:
                foreach (var a in node.Attribute)
                {
                    // Elu's alpha (FLOAT); Concat's and Flatten's axis (INT). Reshape's allowzero = 0 is
                    // Caffe2's only behaviour, so it maps to no argument (allowzero = 1 is excluded above).
                    if (node.OpType == "Reshape" && a.Name == "allowzero")
                    {
                        Assert.Equal(0, a.I);
                        continue;
                    }
                    if (a.Type == AttributeProto.Types.AttributeType.Int) def.Arg.Add(ArgumentHelper.MakeArgument(a.Name, a.I));
                    else
                    {
                        Assert.Equal(AttributeProto.Types.AttributeType.Float, a.Type);
                        def.Arg.Add(ArgumentHelper.MakeArgument(a.Name, a.F));
                    }
                }
                break;
        }
        if (node.OpType == "Clip" && node.Input.Count > 1)
        {
            // Clip-11 and later take min and max as inputs; a constant input is Caffe2's argument.
            def.Input.Clear();
            def.Input.Add(node.Input[0]);
            if (node.Input.Count > 1 && node.Input[1].Length > 0) def.Arg.Add(ArgumentHelper.MakeArgument("min", inputs[node.Input[1]].Data<float>()[0]));
            if (node.Input.Count > 2 && node.Input[2].Length > 0) def.Arg.Add(ArgumentHelper.MakeArgument("max", inputs[node.Input[2]].Data<float>()[0]));
        }
        ws.RunOperatorOnce(def);

        for (int o = 0; o < model.Graph.Output.Count; o++)
        {
            var expected = ReadTensor(Path.Combine(dir, "test_data_set_0", $"output_{o}.pb"));
            var actual = ws.FetchBlob(model.Graph.Output[o].Name);
            Assert.Equal(expected.Describe(), actual.Describe());
            var e = expected.Data<float>();
            var a = actual.Data<float>();
            for (int k = 0; k < e.Length; k++)
            {
                bool ok = float.IsNaN(e[k]) ? float.IsNaN(a[k]) : Math.Abs(a[k] - e[k]) <= 1e-7 + 1e-3 * Math.Abs(e[k]);
                Assert.True(ok, $"{test}: output {o} element {k}: expected {e[k]:R}, actual {a[k]:R}");
            }
        }
    }

    // Rewrites a Gemm (transA = 0, alpha = beta = 1, C of N elements) or a 2-D MatMul as FC(A, W, b):
    // W is B when transB = 1, else B transposed (fed under a new name); b is C as [N], or zeros.
    private static void MapToFullyConnected(string test, NodeProto node, Dictionary<string, Caffe2Tensor> inputs, Workspace ws, OperatorDef def)
    {
        long Int(string name) => node.Attribute.SingleOrDefault(a => a.Name == name)?.I ?? 0;
        float Float(string name) => node.Attribute.SingleOrDefault(a => a.Name == name)?.F ?? 1f;
        Assert.Equal(0, Int("transA"));
        Assert.Equal(1f, Float("alpha"));
        Assert.Equal(1f, Float("beta"));
        var a = inputs[node.Input[0]];
        var b = inputs[node.Input[1]];
        Assert.Equal(2, a.Rank);
        Assert.Equal(2, b.Rank);
        bool transB = Int("transB") != 0;
        int k = (int)a.Dims[1], n = (int)(transB ? b.Dims[0] : b.Dims[1]);
        var w = b;
        if (!transB)
        {
            var src = b.Data<float>();
            var t = new float[n * k];
            for (int p = 0; p < k; p++)
                for (int j = 0; j < n; j++) t[j * k + p] = src[p * n + j];
            w = Caffe2Tensor.From<float>(t, [n, k]);
        }
        float[] bias = new float[n];
        if (node.Input.Count > 2 && node.Input[2].Length > 0)
        {
            var c = inputs[node.Input[2]];
            Assert.True(c.Size == n && c.Dims[^1] == n, $"{test}: C is {c.Describe()}; FC's bias must have N = {n} elements");
            bias = c.ToArray<float>();
        }
        ws.FeedBlob("fc_w", w);
        ws.FeedBlob("fc_b", Caffe2Tensor.From<float>(bias, [n]));
        def.Input.Clear();
        def.Input.Add(node.Input[0]);
        def.Input.Add("fc_w");
        def.Input.Add("fc_b");
    }

    [SkippableTheory]
    [InlineData("test_softmax_axis_0")]
    [InlineData("test_softmax_axis_1")]
    public void Softmax_Opset13OverANonLastAxis_IsNotCaffe2sSoftmax(string test)
    {
        // Opset 13 Softmax normalises over the one axis; Caffe2 over everything from the axis on.
        // The importer will map it (transpose, Softmax at the last axis, transpose back).
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(TestData.OnnxNode, test, "model.onnx")));
        var x = ReadTensor(Path.Combine(TestData.OnnxNode, test, "test_data_set_0", "input_0.pb"));
        var node = Assert.Single(model.Graph.Node);
        Assert.True(model.OpsetImport.Single(o => o.Domain.Length == 0).Version >= 13);
        Assert.True(node.Attribute.Single(a => a.Name == "axis").I < x.Rank - 1);
    }

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

    [SkippableTheory]
    [InlineData("test_flatten_negative_axis1")]
    [InlineData("test_flatten_negative_axis2")]
    [InlineData("test_flatten_negative_axis3")]
    [InlineData("test_flatten_negative_axis4")]
    public void FlattenWithANegativeAxis_IsExcluded_Caffe2RefusesIt(string test)
    {
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(TestData.OnnxNode, test, "model.onnx"))).Graph.Node);
        long axis = Assert.Single(node.Attribute, a => a.Name == "axis").I;
        Assert.True(axis < 0);
        var ws = new Workspace(Catalog);
        ws.FeedBlob(node.Input[0], ReadTensor(Path.Combine(TestData.OnnxNode, test, "test_data_set_0", "input_0.pb")));
        var def = OperatorDef.Create("Flatten", "", [node.Input[0]], ["Y"]).SetArgument("axis", (int)axis);
        var ex = Assert.ThrowsAny<Exception>(() => ws.RunOperatorOnce(def));
        Assert.Contains("must be 0 or more", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void ReshapeWithAllowZero_IsExcluded_Caffe2sZeroCopiesTheDim()
    {
        string dir = Path.Combine(TestData.OnnxNode, "test_reshape_allowzero_reordered");
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx"))).Graph.Node);
        Assert.Equal(1, Assert.Single(node.Attribute, a => a.Name == "allowzero").I);
        var shape = ReadTensor(Path.Combine(dir, "test_data_set_0", "input_1.pb"));
        Assert.Contains(0L, shape.ToArray<long>());
    }

    [SkippableFact]
    public void PRelu_IsNotCaffe2sPRelu_ItsTestsWaitForTheImporter()
    {
        // ONNX broadcasts the slope numpy-style from the trailing dims (test_prelu_broadcast: slope
        // [5] against X [3, 4, 5]); Caffe2's PRelu takes one slope or one per channel (dim 1). The
        // importer of the ONNX issue will map it; here the difference itself is checked.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(TestData.OnnxNode, "test_prelu_broadcast", "model.onnx")));
        var slope = ReadTensor(Path.Combine(TestData.OnnxNode, "test_prelu_broadcast", "test_data_set_0", "input_1.pb"));
        var x = ReadTensor(Path.Combine(TestData.OnnxNode, "test_prelu_broadcast", "test_data_set_0", "input_0.pb"));
        Assert.Equal("PRelu", Assert.Single(model.Graph.Node).OpType);
        Assert.Equal([5L], slope.Shape);
        Assert.NotEqual(x.Shape[1], slope.Size);
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

    // ONNX MaxPool/AveragePool attributes -> Caffe2 arguments (see the case list for what coincides).
    private static void MapPooling(string test, NodeProto node, Caffe2Tensor x, OperatorDef def)
    {
        long[] Ints(string name) => node.Attribute.SingleOrDefault(a => a.Name == name)?.Ints.ToArray() ?? [];
        long Int(string name, long dflt) => node.Attribute.SingleOrDefault(a => a.Name == name)?.I ?? dflt;
        foreach (var a in node.Attribute)
            Assert.True(a.Name is "kernel_shape" or "strides" or "pads" or "dilations" or "count_include_pad" or "auto_pad" or "ceil_mode",
                $"{test}: attribute '{a.Name}' has no mapping");
        long[] kernel = Ints("kernel_shape");
        int n = kernel.Length;
        long[] strides = Ints("strides") is { Length: > 0 } s ? s : [.. Enumerable.Repeat(1L, n)];
        long[] pads = Ints("pads");
        def.SetRepeatedArgument("kernels", kernel);
        def.SetRepeatedArgument("strides", strides);
        if (Ints("dilations") is { Length: > 0 } dilations) def.SetRepeatedArgument("dilations", dilations);
        if (node.OpType == "AveragePool") def.SetArgument("count_include_pad", (int)Int("count_include_pad", 0));
        string autoPad = node.Attribute.SingleOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        switch (autoPad)
        {
            case "NOTSET":
                if (pads.Length > 0) def.SetRepeatedArgument("pads", pads);
                if (Int("ceil_mode", 0) == 1)
                {
                    // Caffe's ceil mode pads both sides alike.
                    for (int d = 0; d < n; d++)
                        Assert.True(pads.Length == 0 || pads[d] == pads[n + d], $"{test}: asymmetric pads in ceil mode");
                    def.SetArgument("legacy_pad", 3);
                }
                break;
            case "VALID":
                def.SetArgument("legacy_pad", 1);
                break;
            case "SAME_UPPER":
                def.SetArgument("legacy_pad", 2);
                break;
            case "SAME_LOWER":
            {
                // The odd pad at the begin: explicit pads, out = ceil(in / stride).
                var explicitPads = new long[2 * n];
                for (int d = 0; d < n; d++)
                {
                    long input = x.Dims[d + 2], o = (input + strides[d] - 1) / strides[d];
                    long need = Math.Max(0, (o - 1) * strides[d] + kernel[d] - input);
                    explicitPads[d] = (need + 1) / 2;
                    explicitPads[n + d] = need - explicitPads[d];
                }
                def.SetRepeatedArgument("pads", explicitPads);
                break;
            }
            default:
                Assert.Fail($"{test}: auto_pad '{autoPad}'");
                break;
        }
    }

    // ONNX Conv attributes -> Caffe2 arguments (see the case list).
    private static void MapConv(string test, NodeProto node, Caffe2Tensor x, Caffe2Tensor w, OperatorDef def)
    {
        long[] Ints(string name) => node.Attribute.SingleOrDefault(a => a.Name == name)?.Ints.ToArray() ?? [];
        foreach (var a in node.Attribute)
            Assert.True(a.Name is "kernel_shape" or "strides" or "pads" or "dilations" or "group" or "auto_pad",
                $"{test}: attribute '{a.Name}' has no mapping");
        int n = x.Rank - 2;
        long[] kernel = Ints("kernel_shape") is { Length: > 0 } ks ? ks : [.. w.Shape.Skip(2)];
        long[] strides = Ints("strides") is { Length: > 0 } s ? s : [.. Enumerable.Repeat(1L, n)];
        long[] dilations = Ints("dilations") is { Length: > 0 } dl ? dl : [.. Enumerable.Repeat(1L, n)];
        def.SetRepeatedArgument("kernels", kernel);
        def.SetRepeatedArgument("strides", strides);
        def.SetRepeatedArgument("dilations", dilations);
        def.SetArgument("group", (int)(node.Attribute.SingleOrDefault(a => a.Name == "group")?.I ?? 1));
        string autoPad = node.Attribute.SingleOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        switch (autoPad)
        {
            case "NOTSET":
                if (Ints("pads") is { Length: > 0 } pads) def.SetRepeatedArgument("pads", pads);
                break;
            case "VALID":
                def.SetArgument("legacy_pad", 1);
                break;
            case "SAME_UPPER":
            case "SAME_LOWER":
            {
                // ONNX: out = ceil(in / stride), total pad split with the odd pixel at the end (UPPER) or
                // the begin (LOWER). Caffe2's SAME puts it at the end and has no dilation.
                var explicitPads = new long[2 * n];
                bool coincides = true;
                for (int d = 0; d < n; d++)
                {
                    long input = x.Dims[d + 2], o = (input + strides[d] - 1) / strides[d];
                    long need = Math.Max(0, (o - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1 - input);
                    explicitPads[d] = autoPad == "SAME_UPPER" ? need / 2 : (need + 1) / 2;
                    explicitPads[n + d] = need - explicitPads[d];
                    var (_, head, tail) = Caffe2Sharp.Operators.Vision.ConvPoolArgs.ComputeSizeAndPad(
                        (int)input, (int)kernel[d], (int)strides[d], 1, Caffe2Sharp.Operators.Vision.LegacyPadding.Same, 0, 0);
                    coincides &= dilations[d] == 1 && head == explicitPads[d] && tail == explicitPads[n + d];
                }
                if (coincides) def.SetArgument("legacy_pad", 2);
                else def.SetRepeatedArgument("pads", explicitPads);
                break;
            }
            default:
                Assert.Fail($"{test}: auto_pad '{autoPad}'");
                break;
        }
    }

    // ONNX ConvTranspose attributes -> Caffe2 arguments (see the case list).
    private static void MapConvTranspose(string test, NodeProto node, Caffe2Tensor x, Caffe2Tensor w, OperatorDef def)
    {
        long[] Ints(string name) => node.Attribute.SingleOrDefault(a => a.Name == name)?.Ints.ToArray() ?? [];
        foreach (var a in node.Attribute)
            Assert.True(a.Name is "kernel_shape" or "strides" or "pads" or "dilations" or "group" or "output_padding" || (a.Name == "auto_pad" && a.S.ToStringUtf8() == "NOTSET"),
                $"{test}: attribute '{a.Name}' has no mapping");
        int n = x.Rank - 2;
        def.SetRepeatedArgument("kernels", Ints("kernel_shape") is { Length: > 0 } ks ? ks : [.. w.Shape.Skip(2)]);
        if (Ints("strides") is { Length: > 0 } strides) def.SetRepeatedArgument("strides", strides);
        if (Ints("dilations") is { Length: > 0 } dilations) def.SetRepeatedArgument("dilations", dilations);
        if (Ints("pads") is { Length: > 0 } pads)
        {
            Assert.Equal(2 * n, pads.Length);
            def.SetRepeatedArgument("pads", pads);
        }
        if (Ints("output_padding") is { Length: > 0 } adjs) def.SetRepeatedArgument("adjs", adjs);
        def.SetArgument("group", (int)(node.Attribute.SingleOrDefault(a => a.Name == "group")?.I ?? 1));
    }

    [SkippableFact]
    public void PoolCeilModeWithoutPad_IsNotCaffesCeilMode()
    {
        // Kernel 1, stride 2 on 2x2, ceil_mode: ONNX drops the last window because it starts past the
        // image (1x1); Caffe's ceil mode drops it only when padded, so Caffe2's legacy_pad 3 gives 2x2.
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
    public void PoolWithDilation_IsRefusedByCaffe2(string test, string op)
    {
        string dir = Path.Combine(TestData.OnnxNode, test);
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx"))).Graph.Node);
        var dilations = Assert.Single(node.Attribute, a => a.Name == "dilations").Ints.ToArray();
        Assert.Contains(dilations, d => d != 1);
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", ReadTensor(Path.Combine(dir, "test_data_set_0", "input_0.pb")));
        var def = OperatorDef.Create(op, "", ["X"], ["Y"])
            .SetRepeatedArgument("kernels", Assert.Single(node.Attribute, a => a.Name == "kernel_shape").Ints.ToArray())
            .SetRepeatedArgument("dilations", dilations);
        var ex = Assert.ThrowsAny<Exception>(() => ws.RunOperatorOnce(def));
        Assert.Contains("pooling does not support dilation", ex.Message, StringComparison.Ordinal);
    }

    private static Caffe2Tensor ReadTensor(string path) =>
        OnnxTensors.ToTensor(Caffe2Sharp.Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);
}
