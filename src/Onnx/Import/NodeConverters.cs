// Hand-written.
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Onnx.Import;

/// <summary>
/// ONNX op type (at the opsets it exists at) -&gt; the Caffe2 operators it becomes; each converter reads
/// the node's opset for the forms that changed. Where the semantics coincide the converter
/// renames the attributes (the operators whose schemas <c>InheritOnnxSchema</c>); where they differ
/// it rewrites (Gemm as FC or FCTransposed, opset-13 Softmax over an inner axis between two
/// Transposes, ceil-mode pooling as explicit end pads...). Attributes that became inputs in a later
/// opset (Clip's min/max at 11, Squeeze/Unsqueeze axes at 13, ReduceMean axes at 18, Dropout's
/// ratio at 12) must be constants there and fold into the Caffe2 argument. Every converter
/// refuses attributes it does not know, so nothing is silently dropped.
/// </summary>
internal static class NodeConverters
{
    private static readonly Dictionary<string, Action<NodeContext>> Table = new(StringComparer.Ordinal)
    {
        ["Relu"] = c => Unary(c, "Relu"),
        ["Sigmoid"] = c => Unary(c, "Sigmoid"),
        ["Tanh"] = c => Unary(c, "Tanh"),
        ["Softplus"] = c => Unary(c, "Softplus"),
        ["Identity"] = c => Unary(c, "Copy"),
        ["Elu"] = c => Unary(c, "Elu", ("alpha", c.Float("alpha", 1f))),
        ["LeakyRelu"] = c => Unary(c, "LeakyRelu", ("alpha", c.Float("alpha", 0.01f))),
        // ONNX's defaults are the float roundings of Caffe2's (and of the SELU paper's) constants.
        ["Selu"] = c => Unary(c, "Selu", ("alpha", c.Float("alpha", 1.67326319217681884765625f)), ("scale", c.Float("gamma", 1.05070102214813232421875f))),
        ["Add"] = c => Binary(c, "Add"),
        ["Sub"] = c => Binary(c, "Sub"),
        ["Mul"] = c => Binary(c, "Mul"),
        ["Div"] = c => Binary(c, "Div"),
        ["Sum"] = c => Variadic(c, "Sum"),
        ["Max"] = c => Variadic(c, "Max"),
        ["Min"] = c => Variadic(c, "Min"),
        ["Mean"] = c => Variadic(c, "Mean"),
        ["Clip"] = Clip,
        ["Softmax"] = Softmax,
        ["Dropout"] = Dropout,
        ["Concat"] = Concat,
        ["Split"] = Split,
        ["Flatten"] = Flatten,
        ["Reshape"] = Reshape,
        ["Transpose"] = Transpose,
        ["Squeeze"] = Squeeze,
        ["Unsqueeze"] = Unsqueeze,
        ["BatchNormalization"] = BatchNormalization,
        ["LRN"] = Lrn,
        ["MaxPool"] = c => Pool(c, "MaxPool", global: false),
        ["AveragePool"] = c => Pool(c, "AveragePool", global: false),
        ["GlobalMaxPool"] = c => Pool(c, "MaxPool", global: true),
        ["GlobalAveragePool"] = c => Pool(c, "AveragePool", global: true),
        ["Conv"] = Conv,
        ["ConvTranspose"] = ConvTranspose,
        ["Gemm"] = Gemm,
        ["MatMul"] = MatMul,
        ["PRelu"] = PRelu,
        ["Resize"] = Resize,
        ["Upsample"] = Upsample,
        ["Constant"] = Constant,
        ["Shape"] = Shape,
        ["Gather"] = Gather,
        ["Cast"] = Cast,
        ["CastLike"] = c => { c.Arity(2, 2); c.Allow("saturate"); c.Op("CastLike", [c.Input(0), c.Input(1)], [c.Output(0)]); },
        ["Less"] = c => Compare(c, "LT"),
        ["LessOrEqual"] = c => Compare(c, "LE"),
        ["Greater"] = c => Compare(c, "GT"),
        ["GreaterOrEqual"] = c => Compare(c, "GE"),
        ["Equal"] = c => Compare(c, "EQ"),
        ["Where"] = c => { c.Arity(3, 3); c.Allow(); c.Op("Where", [c.Input(0), c.Input(1), c.Input(2)], [c.Output(0)]); },
        ["Expand"] = c => { c.Arity(2, 2); c.Allow(); c.Op("Expand", [c.Input(0), c.Input(1)], [c.Output(0)]); },
        ["Range"] = c => { c.Arity(3, 3); c.Allow(); c.Op("Range", [c.Input(0), c.Input(1), c.Input(2)], [c.Output(0)]); },
        ["ReduceMean"] = ReduceMean,
        ["ArgMax"] = c => ArgReduce(c, "ArgMax"),
        ["ArgMin"] = c => ArgReduce(c, "ArgMin"),
    };

    // The opsets an op type exists at in the default domain, where that is not 1 to the newest:
    // introduced later, or removed (Upsample gave way to Resize at 10).
    private static readonly Dictionary<string, (long Since, long Until)> Opsets = new(StringComparer.Ordinal)
    {
        ["Expand"] = (8, long.MaxValue),
        ["Where"] = (9, long.MaxValue),
        ["Resize"] = (10, long.MaxValue),
        ["Range"] = (11, long.MaxValue),
        ["LessOrEqual"] = (12, long.MaxValue),
        ["GreaterOrEqual"] = (12, long.MaxValue),
        ["CastLike"] = (15, long.MaxValue),
        ["Upsample"] = (7, 9),
    };

    public static IReadOnlyList<string> SupportedOperators { get; } = [.. Table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The converter of <paramref name="opType"/> at <paramref name="opset"/>; false when the importer has none, with why in <paramref name="reason"/>.</summary>
    public static bool TryGet(string opType, long opset, out Action<NodeContext> convert, out string reason)
    {
        reason = "";
        if (!Table.TryGetValue(opType, out convert!))
        {
            reason = $"op type '{opType}' has no importer.";
            return false;
        }
        if (Opsets.TryGetValue(opType, out var range) && (opset < range.Since || opset > range.Until))
        {
            reason = range.Until == long.MaxValue
                ? $"{opType} exists from opset {range.Since} on; the model imports opset {opset}."
                : $"{opType} exists at opsets {range.Since} to {range.Until}; the model imports opset {opset} (use Resize).";
            return false;
        }
        return true;
    }

    // ---- element-wise -------------------------------------------------------------------------

    private static void Unary(NodeContext c, string type, params (string Name, object Value)[] args)
    {
        c.Arity(1, 1);
        c.Allow(type switch { "Elu" or "LeakyRelu" => ["alpha"], "Selu" => ["alpha", "gamma"], _ => [] });
        c.Op(type, [c.Input(0)], [c.Output(0)], args);
    }

    private static void Binary(NodeContext c, string type)
    {
        c.Arity(2, 2);
        // Before opset 7: Caffe2's own legacy broadcast (B's shape a contiguous run of A's from axis).
        c.Allow("broadcast", "axis", "consumed_inputs");
        var args = new List<(string, object)>();
        if (c.Opset < 7 && c.Int("broadcast", 0) != 0)
        {
            args.Add(("broadcast", 1L));
            if (c.Has("axis")) args.Add(("axis", c.Int("axis", -1)));
        }
        c.Op(type, [c.Input(0), c.Input(1)], [c.Output(0)], [.. args]);
    }

    private static void Variadic(NodeContext c, string type)
    {
        c.Arity(1, int.MaxValue);
        c.Allow("consumed_inputs");
        c.Op(type, [.. c.Node.Input.Where(i => i.Length > 0)], [c.Output(0)]);
    }

    private static void Compare(NodeContext c, string type)
    {
        c.Arity(2, 2);
        c.Allow();
        c.Op(type, [c.Input(0), c.Input(1)], [c.Output(0)]);
    }

    private static void Clip(NodeContext c)
    {
        c.Arity(1, 3);
        var args = new List<(string, object)>();
        if (c.Opset < 11)
        {
            c.Allow("min", "max", "consumed_inputs");
            if (c.Has("min")) args.Add(("min", c.Float("min", 0)));
            if (c.Has("max")) args.Add(("max", c.Float("max", 0)));
        }
        else
        {
            c.Allow();
            if (c.In(1) is { } lo) args.Add(("min", Scalar(c, lo, "min")));
            if (c.In(2) is { } hi) args.Add(("max", Scalar(c, hi, "max")));
        }
        c.Op("Clip", [c.Input(0)], [c.Output(0)], [.. args]);
    }

    private static float Scalar(NodeContext c, string value, string what)
    {
        var t = c.RequireConstant(value, what);
        if (t.Size != 1) throw NodeContext.Fail($"{what} ('{value}') is {t.Describe()}; one value expected.");
        return (float)t.ToDoubleArray()[0];
    }

    // ---- shape --------------------------------------------------------------------------------

    private static void Softmax(NodeContext c)
    {
        c.Arity(1, 1);
        c.Allow("axis");
        string x = c.Input(0), y = c.Output(0);
        if (c.Opset < 13)
        {
            // Opset < 13 coerces to 2-D at axis (default 1): Caffe2's Softmax itself.
            c.Op("Softmax", [x], [y], ("axis", c.Int("axis", 1)));
            return;
        }
        // Opset 13 normalises over one axis (default -1). Over the last axis that is Caffe2's
        // Softmax; over another one, the axis is swapped with the last around it.
        long axis = c.Int("axis", -1);
        int? rank = c.Rank(x);
        if (rank is null)
        {
            if (axis != -1) c.RequireRank(x, $"Softmax over axis {axis}");
            c.Op("Softmax", [x], [y], ("axis", -1L));
            return;
        }
        int r = rank.Value;
        if (axis < -r || axis >= r) throw NodeContext.Fail($"axis {axis} is out of range for rank {r}.");
        if (axis < 0) axis += r;
        // Over the last axis, or over an axis after which every dim is 1 (a [N, C, 1, 1] score map),
        // one axis and Caffe2's coerced 2-D at that axis normalise the same elements.
        if (axis == r - 1 || (c.Shape(x) is { UnknownShape: false } shape && Enumerable.Range((int)axis + 1, r - 1 - (int)axis).All(d => shape.Dims[d] == 1 && !shape.UnknownDims.Contains(d))))
        {
            c.Op("Softmax", [x], [y], ("axis", axis));
            return;
        }
        long[] perm = [.. Enumerable.Range(0, r).Select(d => (long)d)];
        (perm[axis], perm[r - 1]) = (perm[r - 1], perm[axis]);
        string t = c.Fresh("transposed"), s = c.Fresh("softmax");
        c.Op("Transpose", [x], [t], ("axes", perm));
        c.Op("Softmax", [t], [s], ("axis", (long)(r - 1)));
        c.Op("Transpose", [s], [y], ("axes", perm));
    }

    private static void Dropout(NodeContext c)
    {
        c.Arity(1, 3, maxOutputs: 2);
        c.Allow("ratio", "is_test", "seed", "consumed_inputs");
        if (c.Opset < 7 && c.Int("is_test", 0) == 0)
            throw NodeContext.Fail("is_test = 0 (training) is not imported; only inference Dropout is.");
        if (c.In(2) is { } training)
        {
            var t = c.RequireConstant(training, "training_mode");
            if (t.ToDoubleArray().Any(v => v != 0)) throw NodeContext.Fail("training_mode is true; only inference Dropout is imported.");
        }
        // Inference: Y = X (the ratio does not change it), the mask all true.
        var outputs = new List<string> { c.Output(0) };
        if (c.Out(1) is { } mask) outputs.Add(mask);
        c.Op("Dropout", [c.Input(0)], outputs, ("is_test", 1L));
    }

    private static void Concat(NodeContext c)
    {
        c.Arity(1, int.MaxValue);
        c.Allow("axis");
        if (!c.Has("axis") && c.Opset >= 4) throw NodeContext.Fail("attribute 'axis' is required.");
        c.Op("Concat", [.. c.Node.Input.Where(i => i.Length > 0)], [c.Output(0), c.Fresh("split_info")], ("axis", c.Int("axis", 1)));
    }

    // Split: the sizes an attribute before opset 13, a (constant) input from 13, or from opset 18
    // num_outputs parts of ceil(dim / n) (the last smaller). Without sizes: equal parts, Caffe2's
    // default too. ONNX's axis defaults to 0, Caffe2's to 1, so it is always written.
    private static void Split(NodeContext c)
    {
        c.Allow("axis", "split", "num_outputs");
        string x = c.Input(0);
        int parts = c.Node.Output.Count;
        long axis = c.Int("axis", 0);
        long[]? sizes;
        if (c.Opset < 13)
        {
            c.Arity(1, 1, maxOutputs: int.MaxValue);
            sizes = c.Ints("split");
        }
        else
        {
            c.Arity(1, 2, maxOutputs: int.MaxValue);
            sizes = c.In(1) is { } s ? c.ConstantInts(s) ?? throw NodeContext.Fail($"split ('{s}') must be a constant (an initializer or a Constant node): Caffe2 takes it as an argument.") : null;
        }
        if (c.Has("num_outputs") && c.Int("num_outputs", 0) != parts)
            throw NodeContext.Fail($"num_outputs = {c.Int("num_outputs", 0)} but the node has {parts} outputs.");
        if (sizes is null && c.Shape(x) is { } shape)
        {
            // ONNX's uneven split: ceil(dim / parts) each, the last takes the rest.
            int r = shape.Dims.Count;
            long d = shape.Dims[(int)(axis < 0 ? axis + r : axis)];
            long each = (d + parts - 1) / parts;
            if (d % parts != 0) sizes = [.. Enumerable.Range(0, parts).Select(i => Math.Max(0, Math.Min(each, d - i * each)))];
        }
        if (sizes is not null && sizes.Length != parts) throw NodeContext.Fail($"split has {sizes.Length} sizes for {parts} outputs.");
        var outputs = Enumerable.Range(0, parts).Select(c.Output).ToList();
        if (sizes is not null) c.Op("Split", [x], outputs, ("axis", axis), ("split", sizes));
        else c.Op("Split", [x], outputs, ("axis", axis));
    }

    private static void Flatten(NodeContext c)
    {
        c.Arity(1, 1);
        c.Allow("axis");
        long axis = c.Int("axis", 1);
        if (axis < 0) axis += c.RequireRank(c.Input(0), $"Flatten at axis {axis}");
        c.Op("Flatten", [c.Input(0)], [c.Output(0)], ("axis", axis));
    }

    private static void Reshape(NodeContext c)
    {
        c.Allow("shape", "allowzero", "consumed_inputs");
        string x = c.Input(0);
        long[]? shape;
        if (c.Opset < 5)
        {
            c.Arity(1, 1);
            shape = c.Ints("shape") ?? throw NodeContext.Fail("attribute 'shape' is required before opset 5.");
        }
        else
        {
            c.Arity(2, 2);
            shape = c.ConstantInts(c.Input(1));
        }
        bool allowZero = c.Int("allowzero", 0) != 0;
        if (allowZero && shape is null)
            throw NodeContext.Fail("allowzero = 1 needs a constant shape: Caffe2's 0 always copies the input's dim.");
        if (allowZero && shape!.Contains(0)) shape = LiteralZeros(c, x, shape!);
        string oldShape = c.Fresh("old_shape");
        if (shape is not null) c.Op("Reshape", [x], [c.Output(0), oldShape], ("shape", shape));
        else c.Op("Reshape", [x, c.Input(1)], [c.Output(0), oldShape]);
    }

    // allowzero = 1: a 0 is a zero-size dim (ONNX forbids -1 beside it), where Caffe2's 0 copies the
    // input's dim. One 0 becomes Caffe2's -1 (the other dims are non-zero, so it infers 0); more
    // than one need the input's shape, to be copies of zero-size input dims.
    private static long[] LiteralZeros(NodeContext c, string x, long[] shape)
    {
        if (shape.Contains(-1)) throw NodeContext.Fail("allowzero = 1 with both 0 and -1 in the shape is invalid ONNX.");
        var zeros = Enumerable.Range(0, shape.Length).Where(i => shape[i] == 0).ToList();
        if (zeros.Count == 1) return [.. shape.Select(d => d == 0 ? -1 : d)];
        var dims = c.Shape(x)?.Dims.ToArray();
        if (dims is null || zeros.Any(i => i >= dims.Length || dims[i] != 0))
            throw NodeContext.Fail($"allowzero = 1 with zero-size dims at [{string.Join(", ", zeros)}] of the shape has no Caffe2 Reshape unless the input has zero-size dims there.");
        return shape;
    }

    private static void Transpose(NodeContext c)
    {
        c.Arity(1, 1);
        c.Allow("perm");
        if (c.Ints("perm") is { } perm) c.Op("Transpose", [c.Input(0)], [c.Output(0)], ("axes", perm));
        else c.Op("Transpose", [c.Input(0)], [c.Output(0)]);
    }

    // Axes as an attribute before opset 13, a (constant) input from 13 on.
    private static long[]? AxesOf(NodeContext c, int inputIndex, long attributeUntil)
    {
        if (c.Opset < attributeUntil)
        {
            c.Arity(1, 1);
            return c.Ints("axes");
        }
        c.Arity(1, 2);
        return c.In(inputIndex) is { } a ? c.ConstantInts(a) ?? throw NodeContext.Fail($"axes ('{a}') must be a constant (an initializer or a Constant node): Caffe2 takes them as an argument.") : null;
    }

    private static void Squeeze(NodeContext c)
    {
        c.Allow("axes");
        string x = c.Input(0);
        var axes = AxesOf(c, 1, 13);
        var shape = c.Shape(x);
        if (axes is null)
        {
            // No axes: every dim of size 1, which needs the shape.
            if (shape is null) c.RequireRank(x, "Squeeze without axes");
            axes = [.. shape!.Dims.Select((d, i) => (d, (long)i)).Where(p => p.d == 1).Select(p => p.Item2)];
        }
        if (axes.Any(a => a < 0))
        {
            int r = c.RequireRank(x, "Squeeze with negative axes");
            axes = [.. axes.Select(a => a < 0 ? a + r : a)];
        }
        c.Op("Squeeze", [x], [c.Output(0)], ("dims", axes.Order().ToArray()));
    }

    private static void Unsqueeze(NodeContext c)
    {
        c.Allow("axes");
        string x = c.Input(0);
        var axes = AxesOf(c, 1, 13) ?? throw NodeContext.Fail("axes are required.");
        if (axes.Any(a => a < 0))
        {
            // Negative axes count from the end of the output (rank + number of axes).
            int r = c.RequireRank(x, "Unsqueeze with negative axes") + axes.Length;
            axes = [.. axes.Select(a => a < 0 ? a + r : a)];
        }
        c.Op("ExpandDims", [x], [c.Output(0)], ("dims", axes.Order().ToArray()));
    }

    private static void Shape(NodeContext c)
    {
        c.Arity(1, 1);
        c.Allow("start", "end");
        string x = c.Input(0);
        long? start = c.Has("start") ? c.Int("start", 0) : null, end = c.Has("end") ? c.Int("end", 0) : null;
        long[]? axes = null;
        if (start is not null || end is not null)
        {
            int r = c.RequireRank(x, "Shape with start/end");
            long s = Math.Clamp(start is { } s0 ? (s0 < 0 ? s0 + r : s0) : 0, 0, r);
            long e = Math.Clamp(end is { } e0 ? (e0 < 0 ? e0 + r : e0) : r, 0, r);
            axes = [.. Enumerable.Range((int)s, (int)Math.Max(0, e - s)).Select(d => (long)d)];
        }
        // A shape known at import (declared fixed dims, which CheckInputs enforces on every feed)
        // is a constant, so the shape arithmetic after it folds too.
        if (c.Shape(x) is { } known)
        {
            var dims = known.Dims.ToArray();
            long[] picked = axes is null ? dims : [.. axes.Select(a => dims[a])];
            c.DefineConstant(c.Output(0), Tensor.From<long>(picked, picked.Length));
            return;
        }
        if (axes is not null) c.Op("Shape", [x], [c.Output(0)], ("axes", axes));
        else c.Op("Shape", [x], [c.Output(0)]);
    }

    private static void Gather(NodeContext c)
    {
        c.Arity(2, 2);
        c.Allow("axis");
        c.Op("Gather", [c.Input(0), c.Input(1)], [c.Output(0)], ("axis", c.Int("axis", 0)));
    }

    private static void Cast(NodeContext c)
    {
        c.Arity(1, 1);
        c.Allow("to", "saturate");
        long to = c.Int("to", -1);
        // ONNX numbers its types differently (ONNX 6 is INT32, Caffe2 6 is UINT8).
        var type = OnnxTensors.Caffe2Type((int)to) ?? throw NodeContext.Fail($"'to' = {to} is no ONNX element type that Caffe2Sharp has.");
        c.Op("Cast", [c.Input(0)], [c.Output(0)], ("to", (long)(int)type));
    }

    private static void ReduceMean(NodeContext c)
    {
        c.Allow("axes", "keepdims", "noop_with_empty_axes");
        var axes = AxesOf(c, 1, 18) ?? [];
        long keep = c.Int("keepdims", 1);
        if (axes.Length == 0 && c.Int("noop_with_empty_axes", 0) != 0)
        {
            c.Op("Copy", [c.Input(0)], [c.Output(0)]);
            return;
        }
        if (axes.Length > 0) c.Op("ReduceMean", [c.Input(0)], [c.Output(0)], ("axes", axes), ("keepdims", keep));
        else c.Op("ReduceMean", [c.Input(0)], [c.Output(0)], ("keepdims", keep));
    }

    private static void ArgReduce(NodeContext c, string type)
    {
        c.Arity(1, 1);
        c.Allow("axis", "keepdims", "select_last_index");
        // ONNX's default axis is 0; Caffe2's is -1, so it is always written.
        c.Op(type, [c.Input(0)], [c.Output(0)], ("axis", c.Int("axis", 0)), ("keepdims", c.Int("keepdims", 1)),
            ("select_last_index", c.Int("select_last_index", 0)));
    }

    private static void Constant(NodeContext c)
    {
        c.Arity(0, 0);
        c.Allow("value", "value_float", "value_floats", "value_int", "value_ints");
        if (c.Node.Attribute.Count != 1) throw NodeContext.Fail($"has {c.Node.Attribute.Count} value attributes; exactly one expected.");
        var a = c.Node.Attribute[0];
        Tensor value = a.Name switch
        {
            "value" => OnnxTensors.ToTensor(a.T ?? throw NodeContext.Fail("attribute 'value' holds no tensor."), $"Constant '{c.DisplayName}'"),
            "value_float" => Tensor.From<float>([a.F]),
            "value_floats" => Tensor.From<float>([.. a.Floats], a.Floats.Count),
            "value_int" => Tensor.From<long>([a.I]),
            _ => Tensor.From<long>([.. a.Ints], a.Ints.Count),
        };
        if (a.Name is "value_float" or "value_int") value.Resize(value.DataType, []); // scalars
        c.DefineConstant(c.Output(0), value);
    }

    // ---- normalisation and pooling ------------------------------------------------------------

    private static void BatchNormalization(NodeContext c)
    {
        c.Arity(5, 5, maxOutputs: 5);
        c.Allow("epsilon", "momentum", "spatial", "is_test", "training_mode", "consumed_inputs");
        if (c.Int("training_mode", 0) != 0 || (c.Opset < 7 && c.Has("is_test") && c.Int("is_test", 0) == 0))
            throw NodeContext.Fail("training mode is not imported; only inference BatchNormalization is.");
        if (c.Int("spatial", 1) != 1) throw NodeContext.Fail("spatial = 0 (statistics per element) has no Caffe2 SpatialBN.");
        if (Enumerable.Range(1, 4).Any(i => c.Out(i) is not null)) throw NodeContext.Fail("the running statistics outputs (training) are not imported.");
        c.Op("SpatialBN", [c.Input(0), c.Input(1), c.Input(2), c.Input(3), c.Input(4)], [c.Output(0)],
            ("is_test", 1L), ("epsilon", c.Float("epsilon", 1e-5f)));
    }

    private static void Lrn(NodeContext c)
    {
        c.Arity(1, 1);
        c.Allow("size", "alpha", "beta", "bias");
        if (!c.Has("size")) throw NodeContext.Fail("attribute 'size' is required.");
        // Same formula (alpha divided by size, the window centred alike); ONNX's defaults differ from Caffe2's.
        c.Op("LRN", [c.Input(0)], [c.Output(0)], ("size", c.Int("size", 0)), ("alpha", c.Float("alpha", 1e-4f)),
            ("beta", c.Float("beta", 0.75f)), ("bias", c.Float("bias", 1f)));
    }

    private static void Pool(NodeContext c, string type, bool global)
    {
        c.Arity(1, 1);
        string x = c.Input(0), y = c.Output(0);
        if (global)
        {
            c.Allow();
            c.Op(type, [x], [y], ("global_pooling", 1L));
            return;
        }
        c.Allow("kernel_shape", "strides", "pads", "dilations", "count_include_pad", "auto_pad", "ceil_mode", "storage_order");
        if (c.Int("storage_order", 0) != 0) throw NodeContext.Fail("storage_order = 1 (column-major indices) is not imported.");
        long[] kernel = c.Ints("kernel_shape") ?? throw NodeContext.Fail("attribute 'kernel_shape' is required.");
        int n = kernel.Length;
        long[] strides = c.Ints("strides") ?? [.. Enumerable.Repeat(1L, n)];
        // dilations: MaxPool since opset 10, AveragePool since 19; imported as the dilation of
        // Caffe2Sharp's pooling (an extension: Caffe2 refuses dilation in pooling).
        int dilationsSince = type == "MaxPool" ? 10 : 19;
        if (c.Has("dilations") && c.Opset < dilationsSince)
            throw NodeContext.Fail($"attribute 'dilations' is not part of {type} before opset {dilationsSince} (the model has opset {c.Opset}).");
        long[] dilations = c.Ints("dilations") ?? [.. Enumerable.Repeat(1L, n)];
        bool dilated = dilations.Any(d => d != 1);
        long[] pads = c.Ints("pads") ?? new long[2 * n];
        if (strides.Length != n || pads.Length != 2 * n || dilations.Length != n)
            throw NodeContext.Fail($"kernel_shape has {n} dims; strides and dilations must have {n} and pads {2 * n}.");
        bool countIncludePad = c.Int("count_include_pad", 0) != 0;
        var args = new List<(string, object)> { ("kernels", kernel), ("strides", strides) };
        if (dilated) args.Add(("dilations", dilations));
        if (type == "AveragePool") args.Add(("count_include_pad", countIncludePad ? 1L : 0L));
        string autoPad = c.String("auto_pad", "NOTSET");
        bool ceil = c.Int("ceil_mode", 0) != 0;
        switch (autoPad)
        {
            case "NOTSET" when !ceil:
                args.Add(("pads", pads));
                break;
            case "NOTSET":
            {
                var dims = SpatialDims(c, x, n, "ceil_mode");
                // ONNX: out = ceil((in + pads - k) / s) + 1, less one when the last window would
                // start past the image and the begin pad. Caffe's ceil mode (legacy_pad 3) agrees when
                // the pads are symmetric and that last window keeps (or drops) alike; otherwise the
                // end pads grow to give ONNX's size, which only a max, or an average that counts no
                // padding, can ignore.
                bool caffeAgrees = true;
                var endPads = new long[n];
                for (int d = 0; d < n; d++)
                {
                    // k: the dilated kernel, the extent ONNX's size rule uses.
                    long input = dims[d], k = dilations[d] * (kernel[d] - 1) + 1, s = strides[d], pb = pads[d], pe = pads[n + d];
                    long o = CeilDiv(input + pb + pe - k, s) + 1;
                    if ((o - 1) * s >= input + pb) o--;
                    long caffe = CeilDiv(input + 2 * pb - k, s) + 1;
                    if (pb > 0 && (caffe - 1) * s >= input + pb) caffe--;
                    caffeAgrees &= pb == pe && caffe == o;
                    endPads[d] = Math.Max(pe, (o - 1) * s + k - input - pb);
                }
                if (caffeAgrees)
                {
                    args.Add(("pads", pads));
                    args.Add(("legacy_pad", 3L));
                    break;
                }
                bool grown = Enumerable.Range(0, n).Any(d => endPads[d] != pads[n + d]);
                if (grown && type == "AveragePool" && countIncludePad)
                    throw NodeContext.Fail("ceil_mode with count_include_pad = 1 where the last window passes the padding has no Caffe2 form.");
                args.Add(("pads", pads.Take(n).Concat(endPads).ToArray()));
                break;
            }
            case "VALID":
                args.Add(("legacy_pad", 1L));
                break;
            case "SAME_UPPER" when !dilated:
                args.Add(("legacy_pad", 2L));
                break;
            case "SAME_UPPER":
            case "SAME_LOWER":
            {
                // Explicit pads, out = ceil(in / stride), the odd pad at the begin (LOWER) or the end
                // (UPPER; Caffe2's SAME, which takes no dilation, serves it undilated).
                var dims = SpatialDims(c, x, n, $"auto_pad {autoPad}");
                var explicitPads = new long[2 * n];
                for (int d = 0; d < n; d++)
                {
                    long o = CeilDiv(dims[d], strides[d]);
                    long need = Math.Max(0, (o - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1 - dims[d]);
                    explicitPads[d] = autoPad == "SAME_LOWER" ? (need + 1) / 2 : need / 2;
                    explicitPads[n + d] = need - explicitPads[d];
                }
                args.Add(("pads", explicitPads));
                break;
            }
            default:
                throw NodeContext.Fail($"auto_pad '{autoPad}' is not an ONNX value.");
        }
        c.Op(type, [x], [y], [.. args]);
    }

    private static long CeilDiv(long a, long b) => a >= 0 ? (a + b - 1) / b : -(-a / b);

    // The spatial dims of x (all but N and C), for rules that depend on the image size.
    private static long[] SpatialDims(NodeContext c, string x, int n, string why)
    {
        var shape = c.Shape(x);
        if (shape is null) c.RequireRank(x, why);
        var dims = shape!.Dims.ToArray();
        if (dims.Length != n + 2) throw NodeContext.Fail($"'{x}' has rank {dims.Length}; {n + 2} expected for a {n}-D window.");
        return dims[2..];
    }

    // ---- convolution --------------------------------------------------------------------------

    private static long[] KernelOf(NodeContext c, string w, int n)
    {
        if (c.Ints("kernel_shape") is { } ks) return ks;
        var shape = c.Shape(w) ?? throw NodeContext.Fail($"kernel_shape is absent and the shape of the weights '{w}' is not known.");
        return [.. shape.Dims.Skip(2)];
    }

    private static int SpatialRank(NodeContext c, string x, string w)
    {
        if (c.Rank(x) is { } r) return r - 2;
        if (c.Ints("kernel_shape") is { } ks) return ks.Length;
        if (c.Rank(w) is { } rw) return rw - 2;
        throw NodeContext.Fail($"the number of spatial dims is not known (no kernel_shape, no shape for '{x}' or '{w}').");
    }

    private static void Conv(NodeContext c)
    {
        c.Arity(2, 3);
        c.Allow("kernel_shape", "strides", "pads", "dilations", "group", "auto_pad");
        string x = c.Input(0), w = c.Input(1);
        int n = SpatialRank(c, x, w);
        long[] kernel = KernelOf(c, w, n);
        long[] strides = c.Ints("strides") ?? [.. Enumerable.Repeat(1L, n)];
        long[] dilations = c.Ints("dilations") ?? [.. Enumerable.Repeat(1L, n)];
        var args = new List<(string, object)> { ("kernels", kernel), ("strides", strides), ("dilations", dilations), ("group", c.Int("group", 1)) };
        string autoPad = c.String("auto_pad", "NOTSET");
        switch (autoPad)
        {
            case "NOTSET":
                if (c.Ints("pads") is { } pads) args.Add(("pads", pads));
                break;
            case "VALID":
                args.Add(("legacy_pad", 1L));
                break;
            case "SAME_UPPER":
            case "SAME_LOWER":
            {
                // out = ceil(in / stride); the odd pad at the end (UPPER) or the begin (LOWER).
                // Caffe2's SAME (legacy_pad 2) where it coincides, else explicit pads.
                var dims = SpatialDims(c, x, n, $"auto_pad {autoPad}");
                var explicitPads = new long[2 * n];
                bool coincides = true;
                for (int d = 0; d < n; d++)
                {
                    long o = CeilDiv(dims[d], strides[d]);
                    long need = Math.Max(0, (o - 1) * strides[d] + dilations[d] * (kernel[d] - 1) + 1 - dims[d]);
                    explicitPads[d] = autoPad == "SAME_UPPER" ? need / 2 : (need + 1) / 2;
                    explicitPads[n + d] = need - explicitPads[d];
                    var (_, head, tail) = ConvPoolArgs.ComputeSizeAndPad((int)dims[d], (int)kernel[d], (int)strides[d], 1, LegacyPadding.Same, 0, 0);
                    coincides &= dilations[d] == 1 && head == explicitPads[d] && tail == explicitPads[n + d];
                }
                if (coincides) args.Add(("legacy_pad", 2L));
                else args.Add(("pads", explicitPads));
                break;
            }
            default:
                throw NodeContext.Fail($"auto_pad '{autoPad}' is not an ONNX value.");
        }
        var inputs = new List<string> { x, w };
        if (c.In(2) is { } b) inputs.Add(b);
        c.Op("Conv", inputs, [c.Output(0)], [.. args]);
    }

    private static void ConvTranspose(NodeContext c)
    {
        c.Arity(2, 3);
        c.Allow("kernel_shape", "strides", "pads", "dilations", "group", "output_padding", "auto_pad");
        if (c.Has("output_shape")) throw NodeContext.Fail("output_shape is not imported (give pads).");
        if (c.String("auto_pad", "NOTSET") != "NOTSET") throw NodeContext.Fail($"auto_pad '{c.String("auto_pad", "")}' is not imported for ConvTranspose (give pads).");
        string x = c.Input(0), w = c.Input(1);
        int n = SpatialRank(c, x, w);
        var args = new List<(string, object)> { ("kernels", KernelOf(c, w, n)), ("group", c.Int("group", 1)) };
        if (c.Ints("strides") is { } strides) args.Add(("strides", strides));
        if (c.Ints("dilations") is { } dilations) args.Add(("dilations", dilations));
        if (c.Ints("pads") is { } pads) args.Add(("pads", pads));
        if (c.Ints("output_padding") is { } adjs) args.Add(("adjs", adjs));
        var inputs = new List<string> { x, w };
        if (c.In(2) is { } b) inputs.Add(b);
        c.Op("ConvTranspose", inputs, [c.Output(0)], [.. args]);
    }

    // ---- matrix products ----------------------------------------------------------------------

    private static void Gemm(NodeContext c)
    {
        c.Arity(2, 3);
        c.Allow("alpha", "beta", "transA", "transB", "broadcast");
        string a = c.Input(0), b = c.Input(1), y = c.Output(0);
        bool transA = c.Int("transA", 0) != 0, transB = c.Int("transB", 0) != 0;
        float alpha = c.Float("alpha", 1f), beta = c.Float("beta", 1f);
        string? cIn = c.In(2);
        long? n = c.Shape(b) is { Dims.Count: 2 } bs ? (transB ? bs.Dims[0] : bs.Dims[1]) : null;
        var cConst = c.Constant(cIn);
        // FC (W [N, K]) or FCTransposed (W [K, N]): Y = A W' + bias with bias one row of N.
        bool biasFits = cIn is null || (beta == 1f && cConst is not null && n is not null && cConst.Size == n
            && (cConst.Rank == 1 || (cConst.Rank == 2 && cConst.Dims[0] == 1)));
        if (!transA && alpha == 1f && biasFits && n is not null && c.Rank(a) is null or 2)
        {
            string bias;
            if (cConst is not null)
            {
                var row = cConst.Clone();
                row.Resize(row.DataType, [n.Value]);
                bias = c.AddConstant("bias", row);
            }
            else bias = c.AddConstant("bias", Tensor.From<float>(new float[n.Value], n.Value));
            c.Op(transB ? "FC" : "FCTransposed", [a, b, bias], [y]);
            return;
        }
        // In general: alpha * op(A) op(B) + beta * C, C broadcast numpy-style.
        string product = cIn is null && alpha == 1f ? y : c.Fresh("product");
        c.Op("BatchMatMul", [a, b], [product], ("trans_a", transA ? 1L : 0L), ("trans_b", transB ? 1L : 0L));
        string scaled = product;
        if (alpha != 1f)
        {
            scaled = cIn is null ? y : c.Fresh("scaled");
            c.Op("Mul", [product, c.AddConstant("alpha", Tensor.From<float>([alpha]).Reshaped())], [scaled]);
        }
        if (cIn is null) return;
        string addend = cIn;
        if (beta != 1f)
        {
            addend = c.Fresh("scaled_c");
            c.Op("Mul", [cIn, c.AddConstant("beta", Tensor.From<float>([beta]).Reshaped())], [addend]);
        }
        c.Op("Add", [scaled, addend], [y]);
    }

    private static Tensor Reshaped(this Tensor t)
    {
        t.Resize(t.DataType, []);
        return t;
    }

    private static void MatMul(NodeContext c)
    {
        c.Arity(2, 2);
        c.Allow();
        // numpy matmul: 1-D operands promoted, batch dims broadcast.
        c.Op("BatchMatMul", [c.Input(0), c.Input(1)], [c.Output(0)], ("broadcast", 1L));
    }

    private static void PRelu(NodeContext c)
    {
        c.Arity(2, 2);
        c.Allow("consumed_inputs");
        string x = c.Input(0), slope = c.Input(1), y = c.Output(0);
        // Caffe2's PRelu: one slope, or one per channel (dim 1). ONNX broadcasts the slope numpy-style.
        var s = c.Shape(slope);
        int? rank = c.Rank(x);
        if (s is not null && s.ElementCount == 1)
        {
            c.Op("PRelu", [x, Flat(c, slope, 1)], [y]);
            return;
        }
        if (s is not null && rank is { } r && r >= 2 && s.Dims.Count <= r)
        {
            // Right-aligned against X: every dim but X's dim 1 must be 1.
            var dims = s.Dims.ToArray();
            int offset = r - dims.Length;
            bool perChannel = Enumerable.Range(0, dims.Length).All(k => k + offset == 1 || dims[k] == 1)
                && offset <= 1 && c.Shape(x)!.Dims[1] == dims[1 - offset];
            if (perChannel)
            {
                c.Op("PRelu", [x, Flat(c, slope, dims[1 - offset])], [y]);
                return;
            }
        }
        // Otherwise: Y = X < 0 ? X * slope : X, broadcast numpy-style.
        var zero = c.Shape(x)?.DataType == DataType.Double ? Tensor.From<double>([0.0]).Reshaped() : Tensor.From<float>([0f]).Reshaped();
        string negative = c.Fresh("negative"), scaled = c.Fresh("scaled");
        c.Op("LT", [x, c.AddConstant("zero", zero)], [negative]);
        c.Op("Mul", [x, slope], [scaled]);
        c.Op("Where", [negative, scaled, x], [y]);
    }

    // A value flattened to [count]: a constant folds, anything else goes through a Reshape.
    private static string Flat(NodeContext c, string value, long count)
    {
        if (c.Constant(value) is { } t)
        {
            if (t.Rank == 1) return value;
            var flat = t.Clone();
            flat.Resize(flat.DataType, [count]);
            return c.AddConstant("slope", flat);
        }
        string y = c.Fresh("flat");
        c.Op("Reshape", [value], [y, c.Fresh("old_shape")], ("shape", new[] { count }));
        return y;
    }

    // ---- resizing -----------------------------------------------------------------------------

    // Resize becomes Caffe2's ResizeNearest where that picks the same pixels (so the net still loads
    // in Caffe2), else Caffe2Sharp's Resize, which has ONNX's semantics. Constant scales, sizes and
    // roi fold into arguments; scales or sizes computed at run time become Resize's second input.
    private static void Resize(NodeContext c)
    {
        c.Allow("mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value", "antialias", "axes", "keep_aspect_ratio_policy");
        if (c.Opset < 11) c.Arity(2, 2); // Resize-10: X and scales
        else c.Arity(2, 4);
        string x = c.Input(0);
        string mode = c.String("mode", "nearest");
        if (mode is not ("nearest" or "linear") && !(mode == "cubic" && c.Opset >= 11))
            throw NodeContext.Fail($"mode '{mode}' is not a Resize mode at opset {c.Opset} (nearest, linear{(c.Opset >= 11 ? ", cubic" : "")}).");
        // Opset 10 had no coordinate modes: its Resize is Upsample's (asymmetric, nearest rounds down).
        string coordinates = c.Opset >= 11 ? c.String("coordinate_transformation_mode", "half_pixel") : "asymmetric";
        string nearest = c.Opset >= 11 ? c.String("nearest_mode", "round_prefer_floor") : "floor";
        var args = new List<(string Name, object Value)> { ("mode", mode), ("coordinate_transformation_mode", coordinates), ("nearest_mode", nearest) };
        foreach (var name in new[] { "cubic_coeff_a", "extrapolation_value" })
            if (c.Has(name)) args.Add((name, c.Float(name, 0f)));
        foreach (var name in new[] { "exclude_outside", "antialias" })
            if (c.Has(name)) args.Add((name, c.Int(name, 0)));
        if (c.Has("keep_aspect_ratio_policy")) args.Add(("keep_aspect_ratio_policy", c.String("keep_aspect_ratio_policy", "stretch")));
        long[]? axes = c.Ints("axes");
        if (axes is not null) args.Add(("axes", axes));

        // The target: scales (input 1 before opset 11, else 2) or sizes (input 3); an empty tensor is absent.
        string? scalesName = c.Opset < 11 ? c.Input(1) : c.In(2), sizesName = c.Opset < 11 ? null : c.In(3);
        if (scalesName is not null && c.Shape(scalesName) is { UnknownShape: false } ss && ss.Dims.Count == 1 && ss.Dims[0] == 0) scalesName = null;
        if (sizesName is not null && c.Shape(sizesName) is { UnknownShape: false } zs && zs.Dims.Count == 1 && zs.Dims[0] == 0) sizesName = null;
        // An empty scales (opsets 11-12 require the input) whose shape is not known beside sizes: sizes.
        if (scalesName is not null && sizesName is not null && c.Constant(scalesName) is null && c.Shape(scalesName) is null or { UnknownShape: true }) scalesName = null;
        if ((scalesName is null) == (sizesName is null))
            throw NodeContext.Fail(scalesName is null ? "neither scales nor sizes is given." : "both scales and sizes are given; ONNX allows one.");
        var inputs = new List<string> { x };
        double[]? scales = null;
        if (scalesName is not null)
        {
            if (c.Constant(scalesName) is { } t) args.Add(("scales", (scales = t.ToDoubleArray()).Select(v => (float)v).ToArray()));
            else inputs.Add(scalesName);
        }
        else if (c.ConstantInts(sizesName) is { } sizes) args.Add(("sizes", sizes));
        else inputs.Add(sizesName!);

        if (coordinates == "tf_crop_and_resize" && c.In(1) is { } roiName)
            args.Add(("roi", c.RequireConstant(roiName, "roi").ToDoubleArray().Select(v => (float)v).ToArray()));

        bool plain = axes is null && !c.Has("antialias") && !c.Has("keep_aspect_ratio_policy") && !c.Has("exclude_outside");
        if (mode == "nearest" && plain && scales is not null && FloatingPoint(c, x) && CaffeNearest(scales, coordinates, nearest) is var (h, w))
        {
            c.Op("ResizeNearest", [x], [c.Output(0)], ("height_scale", h), ("width_scale", w));
            return;
        }
        c.Op("Resize", inputs, [c.Output(0)], [.. args]);
    }

    // Upsample (opsets 7-9) is Resize with asymmetric coordinates
    // and, for nearest, source index floor(d / scale): Caffe2's ResizeNearest on H and W of NCHW.
    private static void Upsample(NodeContext c)
    {
        // The opset table admits Upsample at 7 to 9 only (the experimental Upsample-1 is not imported).
        c.Allow("mode", "scales", "height_scale", "width_scale");
        string mode = c.String("mode", "nearest");
        if (mode is not ("nearest" or "linear")) throw NodeContext.Fail($"mode '{mode}' is not an Upsample mode (nearest, linear).");
        string? dynamicScales = null;
        double[]? scales = null;
        if (c.Opset < 9)
        {
            c.Arity(1, 1);
            scales = [.. (c.Floats("scales") ?? throw NodeContext.Fail("attribute 'scales' is required.")).Select(v => (double)v)];
        }
        else
        {
            c.Arity(2, 2);
            if (c.Constant(c.Input(1)) is { } t) scales = t.ToDoubleArray();
            else dynamicScales = c.Input(1);
        }
        if (mode == "nearest" && scales is not null && FloatingPoint(c, c.Input(0)) && CaffeNearest(scales, "asymmetric", "floor") is var (h, w))
        {
            c.Op("ResizeNearest", [c.Input(0)], [c.Output(0)], ("height_scale", h), ("width_scale", w));
            return;
        }
        var args = new List<(string Name, object Value)> { ("mode", mode), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor") };
        if (scales is not null) args.Add(("scales", scales.Select(v => (float)v).ToArray()));
        c.Op("Resize", dynamicScales is null ? [c.Input(0)] : [c.Input(0), dynamicScales], [c.Output(0)], [.. args]);
    }

    // Caffe2's ResizeNearest moves FLOAT and DOUBLE only; Resize moves every type.
    private static bool FloatingPoint(NodeContext c, string value) => c.Shape(value)?.DataType is DataType.Float or DataType.Double;

    // Caffe2's ResizeNearest takes source index min(floor(d / scale), in - 1) on H and W of NCHW.
    // ONNX agrees with asymmetric coordinates and floor rounding at any scale, and with half_pixel
    // and round_prefer_floor at integer up-scales (round((d + 0.5) / s - 0.5) = floor(d / s)).
    // Null where the scales or the rules differ (then Resize, with ONNX's rules, is used).
    private static (float H, float W)? CaffeNearest(double[] scales, string coordinates, string nearest)
    {
        if (scales.Length != 4 || scales[0] != 1 || scales[1] != 1) return null;
        bool exact = coordinates == "asymmetric" && nearest == "floor";
        bool integerUp = coordinates is "half_pixel" or "pytorch_half_pixel" && nearest == "round_prefer_floor"
            && scales[2] >= 1 && scales[3] >= 1 && scales[2] == Math.Floor(scales[2]) && scales[3] == Math.Floor(scales[3]);
        return exact || integerUp ? ((float)scales[2], (float)scales[3]) : null;
    }
}
