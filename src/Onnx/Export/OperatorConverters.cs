// Hand-written.
using System.Collections.Frozen;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators.Vision;
using static Caffe2Sharp.Onnx.Export.OpExportContext;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Export;

/// <summary>Writes the ONNX nodes of one Caffe2 operator; throws <see cref="EnforceNotMetException"/> naming what it cannot express.</summary>
internal delegate void OpConverter(OpExportContext c);

/// <summary>
/// The Caffe2 -&gt; ONNX mapping: one readable table keyed by Caffe2 operator type, one small
/// converter per operator. Each converter reproduces Caffe2's semantics where ONNX's differ
/// (legacy broadcast, Softmax's 2-D coercion, Caffe's ceil-mode pooling, FC's flattening,
/// Concat's add_axis and split_info...), as the comments at each one say.
/// </summary>
internal static class OperatorConverters
{
    public static readonly FrozenDictionary<string, OpConverter> Table = new Dictionary<string, OpConverter>(StringComparer.Ordinal)
    {
        // Vision
        ["Conv"] = Conv,
        ["ConvTranspose"] = ConvTranspose,
        ["FC"] = c => FullyConnected(c, transposed: false),
        ["FCTransposed"] = c => FullyConnected(c, transposed: true),
        ["MaxPool"] = c => Pool(c, "MaxPool"),
        ["AveragePool"] = c => Pool(c, "AveragePool"),
        ["SpatialBN"] = SpatialBatchNorm,
        ["LRN"] = Lrn,
        ["Softmax"] = Softmax,
        ["ResizeNearest"] = ResizeNearest,
        ["Resize"] = Resize,
        ["UpsampleBilinear"] = UpsampleBilinear,
        // Activations
        ["Relu"] = c => Unary(c, "Relu"),
        ["Sigmoid"] = c => Unary(c, "Sigmoid"),
        ["Tanh"] = c => Unary(c, "Tanh"),
        ["Elu"] = c => Unary(c, "Elu", Float("alpha", c.Def.GetSingleArgument("alpha", 1f))),
        ["LeakyRelu"] = c => Unary(c, "LeakyRelu", Float("alpha", c.Def.GetSingleArgument("alpha", 0.01f))),
        ["Clip"] = Clip,
        ["PRelu"] = PRelu,
        // Arithmetic
        ["Add"] = c => Binary(c, "Add"),
        ["Sub"] = c => Binary(c, "Sub"),
        ["Mul"] = c => Binary(c, "Mul"),
        ["Div"] = c => Binary(c, "Div"),
        ["Sum"] = c => c.Node("Sum", Inputs(c), [c.Out(0)]),
        // Shape
        ["Concat"] = Concat,
        ["Split"] = Split,
        ["Reshape"] = Reshape,
        ["Flatten"] = c => Unary(c, "Flatten", Int("axis", c.Def.GetSingleArgument("axis", 1))),
        ["Transpose"] = Transpose,
        ["Squeeze"] = c => Axes(c, "Squeeze", c.In(0), c.Out(0), SortedDims(c.Def)),
        ["ExpandDims"] = c => Axes(c, "Unsqueeze", c.In(0), c.Out(0), SortedDims(c.Def)),
        // Regularization and copies
        ["Dropout"] = Dropout,
        ["Copy"] = c => Unary(c, "Identity"),
        // onnx-ops-b
        ["Max"] = c => Variadic(c, "Max"),
        ["Min"] = c => Variadic(c, "Min"),
        ["Mean"] = c => Variadic(c, "Mean"),
        ["Selu"] = Selu,
        ["Softplus"] = c => Unary(c, "Softplus"),
        ["BatchMatMul"] = BatchMatMul,
        ["MatMul"] = FlatMatMul,
        // onnx-ops-a
        ["Shape"] = ShapeOf,
        ["Gather"] = c => c.Node("Gather", [c.In(0), c.In(1)], [c.Out(0)], Int("axis", c.Def.GetSingleArgument("axis", 0))),
        ["Expand"] = c => c.Node("Expand", [c.In(0), c.In(1)], [c.Out(0)]),
        ["Range"] = Range,
        ["Cast"] = c => c.Node("Cast", [c.In(0)], [c.Out(0)], Int("to", OnnxElementType(Operators.Conversion.CastOperators.TargetType(c.Def)))),
        ["CastLike"] = CastLike,
        ["LT"] = c => Compare(c, "Less"),
        ["LE"] = c => Compare(c, "LessOrEqual"),
        ["GT"] = c => Compare(c, "Greater"),
        ["GE"] = c => Compare(c, "GreaterOrEqual"),
        ["EQ"] = c => Compare(c, "Equal"),
        ["NE"] = c => Compare(c, "NotEqual"),
        ["Where"] = c => c.Node("Where", [c.In(0), c.In(1), c.In(2)], [c.Out(0)]),
        ["ReduceMean"] = ReduceMean,
        ["ArgMax"] = c => ArgReduce(c, "ArgMax"),
        ["ArgMin"] = c => ArgReduce(c, "ArgMin"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static string[] Inputs(OpExportContext c) => [.. Enumerable.Range(0, c.InputCount).Select(c.In)];

    private static void Unary(OpExportContext c, string onnxType, params AttributeProto[] attributes) =>
        c.Node(onnxType, [c.In(0)], [c.Out(0)], attributes);

    // Squeeze / Unsqueeze: axes an INT64 input from opset 13, an attribute before.
    private static void Axes(OpExportContext c, string onnxType, string input, string output, IReadOnlyList<long> axes)
    {
        if (c.Opset >= 13) c.Node(onnxType, [input, c.Int64Constant("axes", axes)], [output]);
        else c.Node(onnxType, [input], [output], Ints("axes", axes));
    }

    private static long[] SortedDims(OperatorDef def)
    {
        var dims = def.GetRepeatedArgument<long>("dims");
        if (dims.Length == 0) throw new EnforceNotMetException("argument 'dims' must list at least one dim.");
        if (dims.Any(d => d < 0)) throw new EnforceNotMetException($"argument 'dims' [{string.Join(", ", dims)}] has a negative dim.");
        return [.. dims.Distinct().Order()];
    }

    private static void RequireNchw(OpExportContext c)
    {
        string order = c.Def.GetSingleArgument("order", "NCHW");
        if (order != "NCHW") throw new EnforceNotMetException($"order \"{order}\" is not supported; only NCHW is.");
    }

    private static int CanonicalAxis(long axis, int rank, string what)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new EnforceNotMetException($"{what} = {axis} is out of range for rank {rank}.");
        return (int)a;
    }

    // ---- Vision ----------------------------------------------------------------------------------

    // Caffe2's resolved windows (every pad form, legacy_pad VALID/SAME/CAFFE_LEGACY_POOLING) as ONNX's
    // explicit pads with floor output sizes: the end pad is the least that makes the last window fit,
    // so no window reaches past it (ONNX's count_include_pad divisor is then the full window, as in
    // Caffe2). Caffe's ceil mode is expressed this way rather than with ceil_mode = 1, whose rule for
    // dropping a last window differs (it drops one that starts past the image even without padding).
    private static long[] ExplicitPads(SpatialDim[] dims, bool pooling)
    {
        int n = dims.Length;
        var pads = new long[2 * n];
        for (int d = 0; d < n; d++)
        {
            var s = dims[d];
            long dk = (long)s.Dilation * (s.Kernel - 1) + 1;
            if (s.PadBegin < 0)
                throw new EnforceNotMetException($"spatial dim {d}: the begin pad {s.PadBegin} is negative (legacy_pad SAME with a stride above the kernel); ONNX pads are not negative.");
            long end = (long)(s.Out - 1) * s.Stride + dk - s.PadBegin - s.In;
            if (end < 0)
            {
                end = 0;
                if ((s.In + s.PadBegin - dk) / s.Stride + 1 != s.Out)
                    throw new EnforceNotMetException($"spatial dim {d}: {s.Out} output(s) need a negative end pad; ONNX pads are not negative.");
            }
            if (pooling && end >= dk)
                throw new EnforceNotMetException($"spatial dim {d}: the last window starts past the image (end pad {end} >= kernel {dk}); Caffe's ceil mode without padding keeps it and ONNX cannot express it.");
            pads[d] = s.PadBegin;
            pads[n + d] = end;
        }
        return pads;
    }

    private static SpatialDim[] Resolve(OpExportContext c, ConvPoolArgs args)
    {
        var x = c.Dims(0);
        if (x.Length < 3) throw new EnforceNotMetException($"input '{c.Def.Input[0]}' has rank {x.Length}; [N, C, spatial...] is needed.");
        var dims = new SpatialDim[x.Length - 2];
        args.Resolve(x, dims, c.Def.Input[0]);
        return dims;
    }

    private static void Conv(OpExportContext c)
    {
        var args = ConvPoolArgs.Parse(c.Def, pooling: false);
        var dims = Resolve(c, args);
        bool relu = FusedRelu(c);
        string y = relu ? c.Temp("conv") : c.Out(0);
        c.Node("Conv", Inputs(c), [y],
            Ints("kernel_shape", dims.Select(d => (long)d.Kernel)),
            Ints("strides", dims.Select(d => (long)d.Stride)),
            Ints("dilations", dims.Select(d => (long)d.Dilation)),
            Ints("pads", ExplicitPads(dims, pooling: false)),
            Int("group", c.Def.GetSingleArgument("group", 1)));
        if (relu) c.Node("Relu", [y], [c.Out(0)]);
    }

    // A Relu the optimiser fused into a Conv or FC (their internal 'activation' argument) is a Relu node again.
    private static bool FusedRelu(OpExportContext c) => c.Def.GetSingleArgument(Operators.Vision.Conv.ActivationArg, "") switch
    {
        "" => false,
        Operators.Vision.Conv.ReluActivation => true,
        var other => throw new EnforceNotMetException($"argument '{Operators.Vision.Conv.ActivationArg}' = \"{other}\" has no ONNX form."),
    };

    // ONNX's ConvTranspose has Caffe2's filter layout [C, M / group, k...] and size rule; every
    // resolved value is written (legacy_pad VALID and SAME are pads 0, as Caffe2 takes them), with
    // adj as output_padding, which ONNX requires to be below max(stride, dilation): Caffe2's
    // adj == stride (a trailing bias-only row) is refused.
    private static void ConvTranspose(OpExportContext c)
    {
        var s = Operators.Vision.ConvTranspose.Shapes(c.Def, c.Dims(0), c.Dims(1), c.InputCount > 2 ? c.Dims(2) : null);
        var dims = s.Spatial;
        for (int d = 0; d < dims.Length; d++)
            if (dims[d].Adj >= Math.Max(dims[d].Stride, dims[d].Dilation))
                throw new EnforceNotMetException($"spatial dim {d}: adj {dims[d].Adj} is not below the stride {dims[d].Stride} (or dilation {dims[d].Dilation}); ONNX's output_padding must be.");
        c.Node("ConvTranspose", Inputs(c), [c.Out(0)],
            Ints("kernel_shape", dims.Select(d => (long)d.Kernel)),
            Ints("strides", dims.Select(d => (long)d.Stride)),
            Ints("dilations", dims.Select(d => (long)d.Dilation)),
            Ints("pads", [.. dims.Select(d => (long)d.PadBegin), .. dims.Select(d => (long)d.PadEnd)]),
            Ints("output_padding", dims.Select(d => (long)d.Adj)),
            Int("group", s.Group));
    }

    private static void Pool(OpExportContext c, string type)
    {
        var args = ConvPoolArgs.Parse(c.Def, pooling: true);
        if (args.GlobalPooling)
        {
            c.Node("Global" + type, [c.In(0)], [c.Out(0)]);
            return;
        }
        var dims = Resolve(c, args);
        long[] pads = ExplicitPads(dims, pooling: true);
        // A dilated pool may have pads up to its dilated extent; ONNX Runtime requires every pooling
        // pad to be smaller than kernel_shape, so such a model would not load there.
        for (int d = 0; d < dims.Length; d++)
            if (Math.Max(pads[d], pads[dims.Length + d]) >= dims[d].Kernel)
                throw new EnforceNotMetException($"spatial dim {d}: the pads {pads[d]} and {pads[dims.Length + d]} are not smaller than the kernel {dims[d].Kernel} (dilation {dims[d].Dilation}); ONNX Runtime refuses such pooling pads.");
        var attributes = new List<AttributeProto>
        {
            Ints("kernel_shape", dims.Select(d => (long)d.Kernel)),
            Ints("strides", dims.Select(d => (long)d.Stride)),
            Ints("pads", pads),
        };
        if (type == "AveragePool") attributes.Add(Int("count_include_pad", c.Def.GetSingleArgument("count_include_pad", 0) != 0 ? 1 : 0));
        // Dilation (Caffe2Sharp's pooling extension) is ONNX's dilations: MaxPool's since opset 10
        // (below the exporter's range), AveragePool's since 19. Written only when not all 1.
        if (dims.Any(d => d.Dilation != 1))
        {
            if (type == "AveragePool" && c.Opset < 19)
                throw new EnforceNotMetException($"AveragePool with dilation [{string.Join(", ", dims.Select(d => d.Dilation))}] needs ONNX opset 19 or later (AveragePool's dilations); the export is for opset {c.Opset}.");
            attributes.Add(Ints("dilations", dims.Select(d => (long)d.Dilation)));
        }
        c.Node(type, [c.In(0)], [c.Out(0)], [.. attributes]);
    }

    // FC: Y = X W^T + b with X flattened at axis and W at axis_w -> Gemm(transB = 1), flattening
    // first where the input is not already [M, K] / [N, K], and reshaping Y to X.dims[:axis] + [N].
    // FC is Gemm with transB = 1 (W is [N, K]); FCTransposed, Gemm with transB = 0 (W is [K, N]).
    private static void FullyConnected(OpExportContext c, bool transposed)
    {
        var x = c.Dims(0);
        var w = c.Dims(1);
        int axis = CanonicalAxis(c.Def.GetSingleArgument("axis", 1), x.Length, "argument 'axis'");
        int axisW = CanonicalAxis(c.Def.GetSingleArgument("axis_w", 1), w.Length, "argument 'axis_w'");
        if (c.InputCount != 3) throw new EnforceNotMetException($"{c.Def.Type} needs the bias input.");
        long n = transposed ? w.Skip(axisW).Aggregate(1L, (p, d) => p * d) : w.Take(axisW).Aggregate(1L, (p, d) => p * d);
        bool relu = FusedRelu(c);
        string xin = x.Length == 2 && axis == 1 ? c.In(0) : c.Temp("Flatten", c.In(0), Int("axis", axis));
        string win = w.Length == 2 && axisW == 1 ? c.In(1) : c.Temp("Flatten", c.In(1), Int("axis", axisW));
        bool direct = axis == 1 && !relu;
        string y = c.Node("Gemm", [xin, win, c.In(2)], [direct ? c.Out(0) : c.Temp("Gemm")], Int("transB", transposed ? 0 : 1));
        if (direct) return;
        if (axis != 1) y = c.Node("Reshape", [y, c.Int64Constant("shape", [.. x.Take(axis), n])], [relu ? c.Temp("Reshape") : c.Out(0)]);
        if (relu) c.Node("Relu", [y], [c.Out(0)]);
    }

    private static void SpatialBatchNorm(OpExportContext c)
    {
        if (c.Def.GetSingleArgument("is_test", 0) == 0)
            throw new EnforceNotMetException("training mode (is_test 0) updates running statistics; only is_test 1 (inference) maps to BatchNormalization.");
        RequireNchw(c);
        if (c.OutputCount != 1) throw new EnforceNotMetException($"{c.OutputCount} outputs; inference has one.");
        c.Node("BatchNormalization", Inputs(c), [c.Out(0)], Float("epsilon", c.Def.GetSingleArgument("epsilon", 1e-5f)));
    }

    // ONNX's LRN is Caffe2's formula (alpha divided by size, the same window); the defaults differ,
    // so every argument is written.
    private static void Lrn(OpExportContext c)
    {
        RequireNchw(c);
        if (c.OutputUsed(1)) throw new EnforceNotMetException("the second output 'scale' is read; ONNX's LRN has no such output.");
        c.Node("LRN", [c.In(0)], [c.Out(0)],
            Int("size", c.Def.GetSingleArgument("size", 0)),
            Float("alpha", c.Def.GetSingleArgument("alpha", 0f)),
            Float("beta", c.Def.GetSingleArgument("beta", 0f)),
            Float("bias", c.Def.GetSingleArgument("bias", 1f)));
    }

    // Caffe2 normalises over everything from the axis on (the input coerced to 2-D), which is ONNX's
    // Softmax before opset 13. From 13 ONNX normalises over one axis: the same only at the last axis,
    // else Flatten(axis) -> Softmax over the last axis -> Reshape back to X's shape.
    private static void Softmax(OpExportContext c)
    {
        int rank = c.Dims(0).Length;
        int axis = CanonicalAxis(c.Def.GetSingleArgument("axis", 1), rank, "argument 'axis'");
        // From opset 13 ONNX normalises over one axis: the same as Caffe2's coerced 2-D when it is
        // the last axis or every dim after it is 1 (a [N, C, 1, 1] score map).
        if (c.Opset < 13 || axis == rank - 1 || c.Dims(0).Skip(axis + 1).All(d => d == 1))
        {
            c.Node("Softmax", [c.In(0)], [c.Out(0)], Int("axis", axis));
            return;
        }
        string flat = c.Temp("Flatten", c.In(0), Int("axis", axis));
        string soft = c.Temp("Softmax", flat, Int("axis", 1));
        c.Node("Reshape", [soft, c.Temp("Shape", c.In(0))], [c.Out(0)]);
    }

    // Caffe2 takes source index min(floor(dst / scale), in - 1): ONNX's asymmetric coordinates
    // (x_original = x_resized / scale) with nearest_mode floor; out = floor(in * scale) in both.
    private static void ResizeNearest(OpExportContext c)
    {
        RequireNchw(c);
        if (c.InputCount > 1) throw new EnforceNotMetException("the scales come from a second input; only the width_scale and height_scale arguments are supported.");
        if (c.Dims(0).Length != 4) throw new EnforceNotMetException($"input '{c.Def.Input[0]}' must be 4-D (NCHW).");
        float hs = c.Def.GetSingleArgument("height_scale", 1f), ws = c.Def.GetSingleArgument("width_scale", 1f);
        string roi = c.Opset >= 13 ? "" : c.Constant("roi", Caffe2Tensor.From<float>([], 0));
        string scales = c.Constant("scales", Caffe2Tensor.From<float>([1f, 1f, hs, ws], 4));
        c.Node("Resize", [c.In(0), roi, scales], [c.Out(0)],
            String("mode", "nearest"), String("coordinate_transformation_mode", "asymmetric"), String("nearest_mode", "floor"));
    }

    // Caffe2Sharp's Resize has ONNX's attributes under their own names; scales, sizes and roi
    // become constant inputs (roi only for tf_crop_and_resize), a second input stays an input.
    private static void Resize(OpExportContext c)
    {
        var d = c.Def;
        string coordinates = d.GetSingleArgument("coordinate_transformation_mode", "half_pixel");
        bool opset18 = d.GetSingleArgument("antialias", 0) != 0 || d.GetRepeatedArgument<long>("axes").Length > 0
            || d.GetSingleArgument("keep_aspect_ratio_policy", "stretch") != "stretch";
        if (opset18 && c.Opset < 18)
            throw new EnforceNotMetException($"antialias, axes and keep_aspect_ratio_policy need opset 18 or later; the export is at opset {c.Opset}.");
        if (coordinates == "tf_half_pixel_for_nn" && c.Opset >= 13)
            throw new EnforceNotMetException($"coordinate_transformation_mode tf_half_pixel_for_nn exists at opsets 11 and 12 only; the export is at opset {c.Opset}.");
        if (coordinates == "half_pixel_symmetric" && c.Opset < 19)
            throw new EnforceNotMetException($"coordinate_transformation_mode half_pixel_symmetric needs opset 19 or later; the export is at opset {c.Opset}.");
        string scales = "", sizes = "";
        if (c.InputCount > 1)
        {
            if (c.TypeOf(1) == DataType.Int64) sizes = c.In(1);
            else scales = c.In(1);
        }
        else if (d.GetRepeatedArgument<float>("scales") is { Length: > 0 } s) scales = c.Constant("scales", Caffe2Tensor.From<float>(s, s.Length));
        else
        {
            var z = d.GetRepeatedArgument<long>("sizes");
            sizes = c.Int64Constant("sizes", z);
        }
        var roiValues = d.GetRepeatedArgument<float>("roi");
        string roi = coordinates == "tf_crop_and_resize" && roiValues.Length > 0 ? c.Constant("roi", Caffe2Tensor.From<float>(roiValues, roiValues.Length))
            : c.Opset >= 13 ? "" : c.Constant("roi", Caffe2Tensor.From<float>([], 0));
        // Before opset 13, scales must be present, empty when sizes are used.
        if (scales.Length == 0 && c.Opset < 13) scales = c.Constant("scales", Caffe2Tensor.From<float>([], 0));
        var inputs = new List<string> { c.In(0), roi, scales, sizes };
        while (inputs[^1].Length == 0) inputs.RemoveAt(inputs.Count - 1);
        var attributes = new List<AttributeProto>
        {
            String("mode", d.GetSingleArgument("mode", "nearest")),
            String("coordinate_transformation_mode", coordinates),
            String("nearest_mode", d.GetSingleArgument("nearest_mode", "round_prefer_floor")),
            Float("cubic_coeff_a", d.GetSingleArgument("cubic_coeff_a", -0.75f)),
            Int("exclude_outside", d.GetSingleArgument("exclude_outside", 0)),
            Float("extrapolation_value", d.GetSingleArgument("extrapolation_value", 0f)),
        };
        if (opset18)
        {
            attributes.Add(Int("antialias", d.GetSingleArgument("antialias", 0)));
            attributes.Add(String("keep_aspect_ratio_policy", d.GetSingleArgument("keep_aspect_ratio_policy", "stretch")));
            if (d.GetRepeatedArgument<long>("axes") is { Length: > 0 } axes) attributes.Add(Ints("axes", axes));
        }
        c.Node("Resize", inputs, [c.Out(0)], [.. attributes]);
    }

    // Caffe2's UpsampleBilinear: linear with the corners aligned, by its scales: ONNX's output size
    // floor(in * scale) is Caffe2's (ONNX Runtime takes the product in float, as Caffe2 does), and
    // align_corners does not use the scale otherwise.
    private static void UpsampleBilinear(OpExportContext c)
    {
        if (c.InputCount > 1) throw new EnforceNotMetException("the scales come from a second input; only the width_scale and height_scale arguments are supported.");
        float hs = c.Def.GetSingleArgument("height_scale", 1f), ws = c.Def.GetSingleArgument("width_scale", 1f);
        string roi = c.Opset >= 13 ? "" : c.Constant("roi", Caffe2Tensor.From<float>([], 0));
        string scales = c.Constant("scales", Caffe2Tensor.From<float>([1f, 1f, hs, ws], 4));
        c.Node("Resize", [c.In(0), roi, scales], [c.Out(0)],
            String("mode", "linear"), String("coordinate_transformation_mode", "align_corners"));
    }

    // ---- Activations -----------------------------------------------------------------------------

    // Clip: min and max are inputs from opset 11 (scalars of X's type); an absent bound is left out.
    private static void Clip(OpExportContext c)
    {
        var type = c.TypeOf(0);
        string min = c.Def.HasArgument("min") ? c.ScalarConstant("min", c.Def.GetSingleArgument("min", float.MinValue), type) : "";
        string max = c.Def.HasArgument("max") ? c.ScalarConstant("max", c.Def.GetSingleArgument("max", float.MaxValue), type) : "";
        var inputs = new List<string> { c.In(0), min, max };
        while (inputs[^1].Length == 0 && inputs.Count > 1) inputs.RemoveAt(inputs.Count - 1);
        c.Node("Clip", inputs, [c.Out(0)]);
    }

    // Caffe2's slope is shared (one value) or per channel (dim 1); ONNX broadcasts it numpy-style
    // from the trailing dims, so a per-channel slope [C] becomes [C, 1, ..., 1].
    private static void PRelu(OpExportContext c)
    {
        var x = c.Dims(0);
        var slope = c.Dims(1);
        long count = slope.Aggregate(1L, (p, d) => p * d);
        long[] target;
        if (count == 1) target = [1];
        else if (x.Length >= 2 && count == x[1]) target = [count, .. Enumerable.Repeat(1L, x.Length - 2)];
        else throw new EnforceNotMetException($"the slope has {count} elements; Caffe2 takes one, or one per channel ({(x.Length >= 2 ? x[1] : 0)}).");
        string s = slope.SequenceEqual(target) ? c.In(1) : c.Node("Reshape", [c.In(1), c.Int64Constant("slope_shape", target)], [c.Temp("slope")]);
        c.Node("PRelu", [c.In(0), s], [c.Out(0)]);
    }

    // ---- Arithmetic ------------------------------------------------------------------------------

    // broadcast = 0 is numpy broadcasting, ONNX's own rule. broadcast = 1 lines B up with A from
    // 'axis': B is reshaped to A's rank (1 where it does not reach), which numpy then broadcasts.
    private static void Binary(OpExportContext c, string onnxType)
    {
        long broadcast = c.Def.GetSingleArgument("broadcast", 0L);
        if (broadcast == 0)
        {
            c.Node(onnxType, [c.In(0), c.In(1)], [c.Out(0)]);
            return;
        }
        var a = c.Dims(0);
        var b = c.Dims(1);
        var aligned = new long[a.Length];
        if (Broadcasting.TryAlignLegacy(a, b, (int)c.Def.GetSingleArgument("axis", -1L), aligned) is { } why)
            throw new EnforceNotMetException($"legacy broadcast: {why}.");
        string bin = b.SequenceEqual(aligned) ? c.In(1) : c.Node("Reshape", [c.In(1), c.Int64Constant("aligned_shape", aligned)], [c.Temp("aligned")]);
        c.Node(onnxType, [c.In(0), bin], [c.Out(0)]);
    }

    // ---- Shape -----------------------------------------------------------------------------------

    private static long AxisArgument(OperatorDef def)
    {
        if (def.HasArgument("axis") && def.HasArgument("order"))
            throw new EnforceNotMetException("arguments 'axis' and 'order' cannot both be given.");
        if (def.HasArgument("axis")) return def.GetSingleArgument("axis", 1L);
        return def.GetSingleArgument("order", "NCHW") switch
        {
            "NCHW" => 1,
            "NHWC" => 3,
            var o => throw new EnforceNotMetException($"argument 'order' = \"{o}\" is not NCHW or NHWC."),
        };
    }

    // add_axis stacks along a new axis: Unsqueeze every input there, then Concat. The second output
    // (split_info, INT32, each input's size along the axis) becomes a constant when it is read.
    private static void Concat(OpExportContext c)
    {
        bool addAxis = c.Def.GetSingleArgument("add_axis", 0) != 0;
        int rank = c.Dims(0).Length;
        int axis = CanonicalAxis(AxisArgument(c.Def), rank + (addAxis ? 1 : 0), "the concat axis");
        var inputs = Inputs(c);
        if (addAxis)
            for (int i = 0; i < inputs.Length; i++)
            {
                string u = c.Temp("Unsqueeze");
                Axes(c, "Unsqueeze", inputs[i], u, [axis]);
                inputs[i] = u;
            }
        c.Node("Concat", inputs, [c.Out(0)], Int("axis", axis));
        if (c.OutputUsed(1))
        {
            var sizes = Enumerable.Range(0, c.InputCount).Select(i => addAxis ? 1 : checked((int)c.Dims(i)[axis])).ToArray();
            c.ConstantNode(c.Out(1), Caffe2Tensor.From<int>(sizes, sizes.Length));
        }
    }

    // Split: explicit sizes always (Caffe2's default is equal parts); add_axis squeezes the axis away.
    private static void Split(OpExportContext c)
    {
        var x = c.Dims(0);
        int axis = CanonicalAxis(AxisArgument(c.Def), x.Length, "the split axis");
        bool addAxis = c.Def.GetSingleArgument("add_axis", 0) != 0;
        int n = c.OutputCount;
        string? splitInput = null;
        long[] sizes;
        if (c.InputCount > 1)
        {
            if (c.Opset < 13) throw new EnforceNotMetException("the sizes come from a second input, which ONNX's Split takes only from opset 13.");
            splitInput = c.TypeOf(1) == DataType.Int64 ? c.In(1) : c.Temp("Cast", c.In(1), Int("to", 7));
            sizes = [];
        }
        else
        {
            sizes = c.Def.GetRepeatedArgument<long>("split");
            if (sizes.Length == 0)
            {
                if (x[axis] % n != 0) throw new EnforceNotMetException($"dim {axis} ({x[axis]}) does not split into {n} equal parts.");
                sizes = [.. Enumerable.Repeat(x[axis] / n, n)];
            }
            if (sizes.Length != n || sizes.Sum() != x[axis])
                throw new EnforceNotMetException($"split [{string.Join(", ", sizes)}] does not cut dim {axis} ({x[axis]}) into {n} outputs.");
            if (c.Opset >= 13) splitInput = c.Int64Constant("split", sizes);
        }
        var outputs = Enumerable.Range(0, n).Select(o => addAxis ? c.Temp("Split") : c.Out(o)).ToArray();
        if (splitInput is not null) c.Node("Split", [c.In(0), splitInput], outputs, Int("axis", axis));
        else c.Node("Split", [c.In(0)], outputs, Int("axis", axis), Ints("split", sizes));
        if (addAxis)
            for (int o = 0; o < n; o++) Axes(c, "Squeeze", outputs[o], c.Out(o), [axis]);
    }

    // Caffe2's 0 copies the input's dim and one -1 is inferred: ONNX's Reshape with allowzero 0.
    // The second output (old_shape, INT64) is ONNX's Shape of the input.
    private static void Reshape(OpExportContext c)
    {
        string shape;
        if (c.InputCount > 1) shape = c.TypeOf(1) == DataType.Int64 ? c.In(1) : c.Temp("Cast", c.In(1), Int("to", 7));
        else
        {
            var requested = c.Def.GetRepeatedArgument<long>("shape");
            if (requested.Length == 0) throw new EnforceNotMetException("neither a 'shape' argument nor a shape input is given.");
            shape = c.Int64Constant("shape", requested);
        }
        c.Node("Reshape", [c.In(0), shape], [c.Out(0)]);
        if (c.OutputUsed(1)) c.Node("Shape", [c.In(0)], [c.Out(1)]);
    }

    private static void Transpose(OpExportContext c)
    {
        var axes = c.Def.GetRepeatedArgument<long>("axes");
        if (axes.Length == 0) c.Node("Transpose", [c.In(0)], [c.Out(0)]);
        else c.Node("Transpose", [c.In(0)], [c.Out(0)], Ints("perm", axes));
    }

    // ---- Regularization --------------------------------------------------------------------------

    // Inference dropout is the identity; the mask (all true) becomes a constant when it is read.
    private static void Dropout(OpExportContext c)
    {
        if (c.Def.GetSingleArgument("is_test", 0) == 0)
            throw new EnforceNotMetException("training mode (is_test 0) drops at random; only is_test 1 maps (to Identity).");
        c.Node("Identity", [c.In(0)], [c.Out(0)]);
        if (c.OutputUsed(1))
        {
            var mask = new Caffe2Tensor(DataType.Bool, c.Dims(0));
            mask.RawBytes.Fill(1);
            c.ConstantNode(c.Out(1), mask);
        }
    }

    // ---- Max, Min, Mean, Selu, Softplus, BatchMatMul, MatMul -------------------------------------

    // Max/Min/Mean broadcast numpy-style over N inputs in both. ONNX's Max and Min take integers
    // only from opset 12.
    private static void Variadic(OpExportContext c, string onnxType)
    {
        var type = c.TypeOf(0);
        if (c.Opset < 12 && type is not (DataType.Float or DataType.Double or DataType.Float16))
            throw new EnforceNotMetException($"{onnxType} of {DataTypes.Name(type)} needs opset 12 or later (opset {c.Opset} takes floating types only).");
        c.Node(onnxType, Inputs(c), [c.Out(0)]);
    }

    // Caffe2's scale is ONNX's gamma. Both are always written, so the node never rests on a default
    // (the defaults agree as floats: ONNX's 1.67326319217681884765625 and 1.05070102214813232421875
    // are the paper's constants, Caffe2's defaults, rounded to float).
    private static void Selu(OpExportContext c) =>
        Unary(c, "Selu",
            Float("alpha", c.Def.GetSingleArgument("alpha", Operators.Activation.SeluSoftplus.DefaultSeluAlpha)),
            Float("gamma", c.Def.GetSingleArgument("scale", Operators.Activation.SeluSoftplus.DefaultSeluScale)));

    // BatchMatMul is ONNX's MatMul (numpy's matmul) once trans_a / trans_b are Transposes of the last
    // two dims; without broadcast the ranks and batch dims already agree, which MatMul accepts as is.
    // A flag on a 1-D operand has no effect in Caffe2Sharp, so it adds no Transpose.
    private static void BatchMatMul(OpExportContext c)
    {
        string a = LastTwoTransposed(c, 0, c.Def.GetSingleArgument("trans_a", 0) != 0);
        string b = LastTwoTransposed(c, 1, c.Def.GetSingleArgument("trans_b", 0) != 0);
        c.Node("MatMul", [a, b], [c.Out(0)]);
    }

    private static string LastTwoTransposed(OpExportContext c, int input, bool transpose)
    {
        int rank = c.Dims(input).Length;
        if (!transpose || rank < 2) return c.In(input);
        var perm = Enumerable.Range(0, rank).Select(d => (long)d).ToArray();
        (perm[^2], perm[^1]) = (perm[^1], perm[^2]);
        return c.Temp("Transpose", c.In(input), Ints("perm", perm));
    }

    // Caffe2's 2-D MatMul: A and B flattened at axis_a / axis_b (Flatten, unless already 2-D at
    // axis 1), then Gemm with transA / transB and no C (optional from opset 11).
    private static void FlatMatMul(OpExportContext c)
    {
        string Flat(int input, string arg)
        {
            var dims = c.Dims(input);
            int axis = CanonicalAxis(c.Def.GetSingleArgument(arg, 1), dims.Length, $"argument '{arg}'");
            return dims.Length == 2 && axis == 1 ? c.In(input) : c.Temp("Flatten", c.In(input), Int("axis", axis));
        }
        string a = Flat(0, "axis_a"), b = Flat(1, "axis_b");
        c.Node("Gemm", [a, b], [c.Out(0)], Int("transA", c.Def.GetSingleArgument("trans_a", 0) != 0 ? 1 : 0), Int("transB", c.Def.GetSingleArgument("trans_b", 0) != 0 ? 1 : 0));
    }

    // ---- onnx-ops-a: shape computations, casts, comparisons, reductions -------------------------

    // Caffe2's DataType numbers are not ONNX's (Caffe2 UINT8 is 6, ONNX's 6 is INT32): always map.
    internal static int OnnxElementType(DataType type) =>
        OnnxTensors.OnnxTypeOf(type) ?? throw new EnforceNotMetException($"type {DataTypes.Name(type)} has no ONNX equivalent.");

    // Caffe2's axes pick dims of the shape: ONNX's Shape, then Gather of those entries (negative ones
    // count from the end in both).
    private static void ShapeOf(OpExportContext c)
    {
        var axes = c.Def.GetRepeatedArgument<long>("axes");
        if (axes.Length == 0)
        {
            c.Node("Shape", [c.In(0)], [c.Out(0)]);
            return;
        }
        c.Node("Gather", [c.Temp("Shape", c.In(0)), c.Int64Constant("axes", axes)], [c.Out(0)], Int("axis", 0));
    }

    // ONNX's Range takes all three scalars; Caffe2's short forms (limit) and (start, limit) get constants.
    private static void Range(OpExportContext c)
    {
        var type = c.TypeOf(0);
        Caffe2Tensor Scalar(int v) => type switch
        {
            DataType.Float => Caffe2Tensor.From<float>([v], []),
            DataType.Double => Caffe2Tensor.From<double>([v], []),
            DataType.Int32 => Caffe2Tensor.From<int>([v], []),
            DataType.Int64 => Caffe2Tensor.From<long>([v], []),
            _ => throw new EnforceNotMetException($"a {DataTypes.Name(type)} range is not supported (FLOAT, DOUBLE, INT32 or INT64)."),
        };
        string start = c.InputCount == 1 ? c.Constant("start", Scalar(0)) : c.In(0);
        string limit = c.InputCount == 1 ? c.In(0) : c.In(1);
        string delta = c.InputCount == 3 ? c.In(2) : c.Constant("delta", Scalar(1));
        c.Node("Range", [start, limit, delta], [c.Out(0)]);
    }

    // CastLike is ONNX's from opset 15; before, a Cast to the target's (inferred) type.
    private static void CastLike(OpExportContext c)
    {
        if (c.Opset >= 15) c.Node("CastLike", [c.In(0), c.In(1)], [c.Out(0)]);
        else c.Node("Cast", [c.In(0)], [c.Out(0)], Int("to", OnnxElementType(c.TypeOf(1))));
    }

    // Comparisons: Caffe2's legacy broadcast aligned as for arithmetic. ONNX has no NotEqual (Not of
    // Equal), and LessOrEqual / GreaterOrEqual only from opset 12: before, Or(Less, Equal), which is
    // also false for NaN (Not(Greater) would be true).
    private static void Compare(OpExportContext c, string onnxType)
    {
        string b = c.In(1);
        if (c.Def.GetSingleArgument("broadcast", 0L) != 0)
        {
            var aDims = c.Dims(0);
            var bDims = c.Dims(1);
            var aligned = new long[aDims.Length];
            if (Broadcasting.TryAlignLegacy(aDims, bDims, (int)c.Def.GetSingleArgument("axis", -1L), aligned) is { } why)
                throw new EnforceNotMetException($"legacy broadcast: {why}.");
            if (!bDims.SequenceEqual(aligned)) b = c.Node("Reshape", [b, c.Int64Constant("aligned_shape", aligned)], [c.Temp("aligned")]);
        }
        string a = c.In(0);
        switch (onnxType)
        {
            case "NotEqual":
                c.Node("Not", [c.Node("Equal", [a, b], [c.Temp("Equal")])], [c.Out(0)]);
                break;
            case "LessOrEqual" or "GreaterOrEqual" when c.Opset < 12:
                string strict = c.Node(onnxType == "LessOrEqual" ? "Less" : "Greater", [a, b], [c.Temp("strict")]);
                c.Node("Or", [strict, c.Node("Equal", [a, b], [c.Temp("Equal")])], [c.Out(0)]);
                break;
            default:
                c.Node(onnxType, [a, b], [c.Out(0)]);
                break;
        }
    }

    // axes: an attribute before opset 18, an INT64 input from 18. Empty axes reduce every dim in
    // both (ONNX's noop_with_empty_axes stays 0).
    private static void ReduceMean(OpExportContext c)
    {
        var axes = c.Def.GetRepeatedArgument<long>("axes");
        var keep = Int("keepdims", c.Def.GetSingleArgument("keepdims", 1) != 0 ? 1 : 0);
        if (axes.Length == 0) c.Node("ReduceMean", [c.In(0)], [c.Out(0)], keep);
        else if (c.Opset >= 18) c.Node("ReduceMean", [c.In(0), c.Int64Constant("axes", axes)], [c.Out(0)], keep);
        else c.Node("ReduceMean", [c.In(0)], [c.Out(0)], Ints("axes", axes), keep);
    }

    // Caffe2's default axis is -1 (ONNX's 0), so it is always written. select_last_index is ONNX's from opset 12.
    private static void ArgReduce(OpExportContext c, string onnxType)
    {
        var attributes = new List<AttributeProto>
        {
            Int("axis", c.Def.GetSingleArgument("axis", -1)),
            Int("keepdims", c.Def.GetSingleArgument("keepdims", 1) != 0 ? 1 : 0),
        };
        if (c.Def.GetSingleArgument("select_last_index", 0) != 0)
        {
            if (c.Opset < 12) throw new EnforceNotMetException("select_last_index 1 needs opset 12 or later.");
            attributes.Add(Int("select_last_index", 1));
        }
        c.Node(onnxType, [c.In(0)], [c.Out(0)], [.. attributes]);
    }
}
