// Hand-written.
using System.Runtime.InteropServices;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Shape;

/// <summary>
/// The shape family of Caffe2's nets: <c>Reshape</c>, <c>Flatten</c>, <c>Transpose</c>,
/// <c>Squeeze</c>, <c>ExpandDims</c>, <c>Concat</c> and <c>Split</c>, with Caffe2's names,
/// arguments, defaults and second outputs; their gradient makers; one registration method.
/// </summary>
/// <remarks>
/// Every operator moves elements without looking at them: the reshaping ones copy the raw bytes
/// (nothing at all when run in place), Transpose copies elements by their size (1, 2, 4 or 8
/// bytes), Concat and Split copy contiguous byte rows. So every numeric type (and BOOL) works
/// with one code path, and no operator switches over the data type. Shapes are computed into
/// buffers kept between runs, so a steady-state run allocates nothing.
/// </remarks>
public static class ShapeOperators
{
    /// <summary>The pack name used by <see cref="AddShapeOperators"/>.</summary>
    public const string PackName = "Caffe2Sharp.Shape";

    /// <summary>Adds the shape pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddShapeOperators(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, CPU kernels and gradient makers into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);

        catalog.Schemas.Schema("Reshape")
            .NumInputs(1, 2).NumOutputs(2)
            .Arg("shape", "*(type: [int])* New shape; 0 copies the input's dim at that index, one -1 is inferred. Not with a shape input.", Array.Empty<long>())
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .Input(0, "data", "Tensor to reshape.")
            .Input(1, "new_shape", "(optional) 1-D INT64 or INT32 tensor holding the new shape, instead of the argument.")
            .Output(0, "reshaped", "The data with the new shape; may be data (in place).")
            .Output(1, "old_shape", "1-D INT64 tensor holding the input's shape.")
            .TensorInferenceFunction(InferReshape)
            .SetDoc("Reshapes the input to `shape` (argument or second input) without changing its elements. " +
                    "In the new shape, 0 copies the input's dim at the same index and one -1 takes whatever size makes the element counts match. " +
                    "The second output holds the old shape, for the gradient.");
        catalog.Operators.Register("Reshape", static (d, ws) => new ReshapeOp(d, ws));
        catalog.Gradients.Register("Reshape", static (d, g) => new GetReshapeGradient(d, g));

        catalog.Schemas.Schema("Flatten")
            .NumInputs(1).NumOutputs(1)
            .Arg("axis", "*(type: int; default: 1)* Dims before axis make the output's first dim, the rest its second. 0 to rank.", 1)
            .InheritOnnxSchema()
            .Input(0, "input", "Tensor of rank >= axis.")
            .Output(0, "output", "2-D tensor [prod(dims[:axis]), prod(dims[axis:])].")
            .TensorInferenceFunction(InferFlatten)
            .SetDoc("Flattens the input to a 2-D matrix: Y has shape [prod(dims[:axis]), prod(dims[axis:])] and the input's elements in order.");
        catalog.Operators.Register("Flatten", static (d, ws) => new FlattenOp(d, ws));

        catalog.Schemas.Schema("Transpose")
            .NumInputs(1).NumOutputs(1)
            .Arg("axes", "*(type: [int]; default: reversed)* Permutation of the input's dims: output dim i is input dim axes[i].", Array.Empty<long>())
            .InheritOnnxSchema()
            .Input(0, "X", "Tensor of any numeric type.")
            .Output(0, "Y", "X with its dims permuted.")
            .TensorInferenceFunction(InferTranspose)
            .SetDoc("Permutes the dims: Y[i_0, ..., i_n] = X at the index whose dim axes[k] is i_k. Without `axes` the dims are reversed.");
        catalog.Operators.Register("Transpose", static (d, ws) => new TransposeOp(d, ws));
        catalog.Gradients.Register("Transpose", static (d, g) => new GetTransposeGradient(d, g));

        catalog.Schemas.Schema("Squeeze")
            .NumInputs(1).NumOutputs(1)
            .Arg("dims", "*(type: [int])* Dims to remove; each must have size 1.", null, ArgumentKind.Ints, required: true)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .Input(0, "data", "Tensor whose listed dims have size 1.")
            .Output(0, "squeezed", "data without the listed dims; may be data (in place).")
            .TensorInferenceFunction(InferSqueeze)
            .SetDoc("Removes the size-1 dims listed in `dims` (sorted, repeats ignored). A listed dim that is not 1 is an error.");
        catalog.Operators.Register("Squeeze", static (d, ws) => new SqueezeOp(d, ws));
        catalog.Gradients.Register("Squeeze", static (d, g) => new GetSqueezeExpandGradient(d, g, "ExpandDims"));

        catalog.Schemas.Schema("ExpandDims")
            .NumInputs(1).NumOutputs(1)
            .Arg("dims", "*(type: [int])* Output positions of the new size-1 dims.", null, ArgumentKind.Ints, required: true)
            .AllowInplace((0, 0)).InheritOnnxSchema("Unsqueeze")
            .Input(0, "data", "Tensor to expand.")
            .Output(0, "expanded", "data with size-1 dims inserted; may be data (in place).")
            .TensorInferenceFunction(InferExpandDims)
            .SetDoc("Inserts size-1 dims so that they sit at the output positions listed in `dims` (sorted, repeats ignored).");
        catalog.Operators.Register("ExpandDims", static (d, ws) => new ExpandDimsOp(d, ws));
        catalog.Gradients.Register("ExpandDims", static (d, g) => new GetSqueezeExpandGradient(d, g, "Squeeze"));

        catalog.Schemas.Schema("Concat")
            .NumInputs(1, int.MaxValue).NumOutputs(2)
            .Arg("axis", "*(type: int; default: 1)* Axis to concatenate along (negative counts from the end). Not with 'order'.", 1)
            .Arg("order", "*(type: string; default: \"NCHW\")* Picks the axis instead: NCHW 1, NHWC 3. Not with 'axis'.", "NCHW")
            .Arg("add_axis", "*(type: int; default: 0)* Non-zero: stack the inputs along a new axis at 'axis'.", 0)
            .InheritOnnxSchema()
            .Input(0, "X0", "First input; the others have its type and its dims except along the axis (all its dims with add_axis).")
            .Output(0, "concat_result", "The inputs concatenated (or stacked) along the axis.")
            .Output(1, "split_info", "1-D INT32 tensor: each input's size along the axis (1 each with add_axis).")
            .TensorInferenceFunction(InferConcat)
            .SetDoc("Concatenates the inputs along `axis` (or stacks them along a new axis with `add_axis`). One input is a copy. " +
                    "The second output records each input's size along the axis, for Split in the gradient.");
        catalog.Operators.Register("Concat", static (d, ws) => new ConcatOp(d, ws));
        catalog.Gradients.Register("Concat", static (d, g) => new GetConcatGradient(d, g));

        catalog.Schemas.Schema("Split")
            .NumInputs(1, 2).NumOutputs(1, int.MaxValue)
            .Arg("axis", "*(type: int; default: 1)* Axis to split along (negative counts from the end). Not with 'order'.", 1)
            .Arg("order", "*(type: string; default: \"NCHW\")* Picks the axis instead: NCHW 1, NHWC 3. Not with 'axis'.", "NCHW")
            .Arg("split", "*(type: [int])* Size of each output along the axis; default: equal parts. Not with a split input.", Array.Empty<long>())
            .Arg("add_axis", "*(type: int; default: 0)* Non-zero: every size is 1 and the axis is removed from the outputs (undoes Concat's add_axis).", 0)
            .InheritOnnxSchema()
            .Input(0, "input", "Tensor to split.")
            .Input(1, "split", "(optional) 1-D INT32 or INT64 tensor of the sizes, instead of the argument.")
            .Output(0, "output_0", "First part; one output per part.")
            .TensorInferenceFunction(InferSplit)
            .SetDoc("Splits the input along `axis` into one part per output, of the sizes in `split` (argument or second input) or equal.");
        catalog.Operators.Register("Split", static (d, ws) => new SplitOp(d, ws));
        catalog.Gradients.Register("Split", static (d, g) => new GetSplitGradient(d, g));
    }

    // ---- shape arithmetic shared by the operators and the inference functions -------------------

    /// <summary>Formats dims as <c>[2, 3]</c> (errors only).</summary>
    internal static string Text(ReadOnlySpan<long> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <summary>
    /// Resolves Reshape's requested shape against the input's dims into <paramref name="result"/>
    /// (same length as <paramref name="requested"/>): 0 copies the input dim, one -1 is inferred.
    /// </summary>
    /// <returns>null, or the reason the shape does not fit (naming the argument or <paramref name="shapeBlob"/>, and both shapes).</returns>
    internal static string? ResolveReshape(ReadOnlySpan<long> requested, ReadOnlySpan<long> inputDims, long inputSize, Span<long> result, string? shapeBlob)
    {
        // Built only on error: a steady-state run allocates nothing.
        string Source() => shapeBlob is null ? "argument 'shape'" : $"shape input '{shapeBlob}'";
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; i++)
        {
            long d = requested[i];
            if (d == -1)
            {
                if (unknown >= 0) return $"{Source()} {Text(requested)} has more than one -1 (at {unknown} and {i}); only one dim can be inferred.";
                unknown = i;
                result[i] = -1;
                continue;
            }
            if (d == 0)
            {
                if (i >= inputDims.Length)
                    return $"{Source()} {Text(requested)} has 0 at index {i}, which copies the input's dim {i}, but the input {Text(inputDims)} has rank {inputDims.Length}.";
                d = inputDims[i];
            }
            else if (d < 0) return $"{Source()} {Text(requested)} has dim {d} at index {i}; dims are positive, 0 (copy) or -1 (infer).";
            result[i] = d;
            if (d != 0 && known > long.MaxValue / d) return $"{Source()} {Text(requested)} has too many elements.";
            known *= d;
        }
        if (unknown >= 0)
        {
            if (known == 0)
                return $"{Source()} {Text(requested)} cannot infer the -1 at index {unknown}: the other dims multiply to 0 (input {Text(inputDims)}).";
            if (inputSize % known != 0)
                return $"{Source()} {Text(requested)} does not fit the input {Text(inputDims)}: {inputSize} elements are not a multiple of {known}.";
            result[unknown] = inputSize / known;
        }
        else if (known != inputSize)
            return $"{Source()} {Text(requested)} has {known} elements but the input {Text(inputDims)} has {inputSize}; they must match.";
        return null;
    }

    /// <summary>Concat's and Split's axis from 'axis' or 'order' (both is an error, as in Caffe2).</summary>
    internal static int AxisFromArguments(OperatorDef def)
    {
        if (def.HasArgument("axis") && def.HasArgument("order"))
            throw new EnforceNotMetException("arguments 'axis' and 'order' cannot both be given: 'order' only picks the axis (NCHW: 1, NHWC: 3).");
        if (def.HasArgument("axis")) return def.GetSingleArgument("axis", 1);
        string order = def.GetSingleArgument("order", "NCHW");
        return order switch
        {
            "NCHW" => 1,
            "NHWC" => 3,
            _ => throw new EnforceNotMetException($"argument 'order' = \"{order}\" is not NCHW or NHWC."),
        };
    }

    /// <summary>Maps <paramref name="axis"/> (negative counts from the end) into [0, <paramref name="rank"/>); false when out of range.</summary>
    internal static bool CanonicalAxis(int axis, int rank, out int canonical)
    {
        canonical = axis < 0 ? axis + rank : axis;
        return canonical >= 0 && canonical < rank;
    }

    /// <summary>The error text of an out-of-range axis.</summary>
    internal static string AxisOutOfRange(int axis, int rank, string what) =>
        $"argument 'axis' = {axis} is out of range for {what} (valid: {-rank} to {rank - 1}).";

    /// <summary>The sorted, de-duplicated 'dims' of Squeeze and ExpandDims (at least one, none negative).</summary>
    internal static int[] SortedDims(OperatorDef def)
    {
        var dims = def.GetRepeatedArgument<int>("dims");
        if (dims.Length == 0) throw new EnforceNotMetException("argument 'dims' must list at least one dim.");
        Array.Sort(dims);
        int n = 0;
        for (int k = 0; k < dims.Length; k++)
            if (n == 0 || dims[k] != dims[n - 1]) dims[n++] = dims[k];
        Array.Resize(ref dims, n);
        if (dims[0] < 0) throw new EnforceNotMetException($"argument 'dims' has negative dim {dims[0]}; dims are counted from 0.");
        return dims;
    }

    /// <summary>Squeeze's output dims into <paramref name="result"/> (length rank - dims).</summary>
    internal static string? SqueezeDims(ReadOnlySpan<long> input, ReadOnlySpan<int> dims, Span<long> result)
    {
        if (dims[^1] >= input.Length) return $"argument 'dims' names dim {dims[^1]}, but the input {Text(input)} has rank {input.Length}.";
        int j = 0, r = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (j < dims.Length && dims[j] == i)
            {
                if (input[i] != 1) return $"cannot squeeze dim {i} of the input {Text(input)}: its size is {input[i]}, not 1.";
                j++;
                continue;
            }
            result[r++] = input[i];
        }
        return null;
    }

    /// <summary>ExpandDims' output dims into <paramref name="result"/> (length rank + dims).</summary>
    internal static string? ExpandDims(ReadOnlySpan<long> input, ReadOnlySpan<int> dims, Span<long> result)
    {
        if (dims[^1] >= result.Length)
            return $"argument 'dims' names output dim {dims[^1]}, but the input {Text(input)} with {dims.Length} new dim(s) has rank {result.Length}.";
        int j = 0, s = 0;
        for (int p = 0; p < result.Length; p++)
        {
            if (j < dims.Length && dims[j] == p)
            {
                result[p] = 1;
                j++;
            }
            else result[p] = input[s++];
        }
        return null;
    }

    /// <summary>Makes <paramref name="y"/> hold <paramref name="x"/>'s elements with <paramref name="dims"/> (same element count); nothing is copied in place.</summary>
    internal static void ReshapeInto(Tensor x, Tensor y, ReadOnlySpan<long> dims)
    {
        if (ReferenceEquals(x, y))
        {
            // Same type and element count: Resize keeps the storage and its contents.
            y.Resize(x.DataType, dims);
            return;
        }
        y.Resize(x.DataType, dims);
        if (x.DataType == DataType.String) x.Strings().CopyTo(y.Strings());
        else x.RawBytes.CopyTo(y.RawBytes);
    }

    // ---- tensor inference ------------------------------------------------------------------------

    private static IReadOnlyList<TensorShape> InferReshape(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var x = inputs[0];
        var oldShape = TensorShape.Create([x.Dims.Count], DataType.Int64);
        if (inputs.Count == 2) return [TensorShape.Unknown(x.DataType), oldShape];
        var requested = def.GetRepeatedArgument<long>("shape");
        var result = new long[requested.Length];
        var dims = x.Dims.ToArray();
        if (ResolveReshape(requested, dims, x.ElementCount, result, null) is { } why) throw new EnforceNotMetException(why);
        return [TensorShape.Create(result, x.DataType), oldShape];
    }

    private static IReadOnlyList<TensorShape> InferFlatten(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dims = inputs[0].Dims.ToArray();
        int axis = def.GetSingleArgument("axis", 1);
        if (axis < 0 || axis > dims.Length) throw new EnforceNotMetException($"argument 'axis' = {axis} is out of range for input {Text(dims)} (valid: 0 to {dims.Length}).");
        long outer = DataTypes.ElementCount(dims.AsSpan(0, axis)) ?? -1, inner = DataTypes.ElementCount(dims.AsSpan(axis)) ?? -1;
        return [TensorShape.Create([outer, inner], inputs[0].DataType)];
    }

    private static IReadOnlyList<TensorShape> InferTranspose(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dims = inputs[0].Dims.ToArray();
        var axes = def.GetRepeatedArgument<int>("axes");
        if (axes.Length == 0) return [TensorShape.Create(dims.Reverse(), inputs[0].DataType)];
        if (axes.Length != dims.Length) throw new EnforceNotMetException($"argument 'axes' has {axes.Length} entries but the input {Text(dims)} has rank {dims.Length}.");
        return [TensorShape.Create(axes.Select(a => dims[a]), inputs[0].DataType)];
    }

    private static IReadOnlyList<TensorShape> InferSqueeze(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dims = SortedDims(def);
        var input = inputs[0].Dims.ToArray();
        var result = new long[Math.Max(0, input.Length - dims.Length)];
        if (SqueezeDims(input, dims, result) is { } why) throw new EnforceNotMetException(why);
        return [TensorShape.Create(result, inputs[0].DataType)];
    }

    private static IReadOnlyList<TensorShape> InferExpandDims(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dims = SortedDims(def);
        var input = inputs[0].Dims.ToArray();
        var result = new long[input.Length + dims.Length];
        if (ExpandDims(input, dims, result) is { } why) throw new EnforceNotMetException(why);
        return [TensorShape.Create(result, inputs[0].DataType)];
    }

    private static IReadOnlyList<TensorShape> InferConcat(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        bool addAxis = def.GetSingleArgument("add_axis", 0) != 0;
        var first = inputs[0].Dims.ToArray();
        int adjusted = first.Length + (addAxis ? 1 : 0);
        int requested = AxisFromArguments(def);
        if (!CanonicalAxis(requested, adjusted, out int axis)) throw new EnforceNotMetException(AxisOutOfRange(requested, adjusted, $"inputs {Text(first)}"));
        var splitInfo = TensorShape.Create([inputs.Count], DataType.Int32);
        var result = first.ToList();
        if (addAxis) result.Insert(axis, inputs.Count);
        else result[axis] = inputs.Sum(s => s.Dims.Count > axis ? s.Dims[axis] : 0);
        return [TensorShape.Create(result, inputs[0].DataType), splitInfo];
    }

    private static IReadOnlyList<TensorShape> InferSplit(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var type = inputs[0].DataType;
        if (inputs.Count == 2) return def.Output.Select(_ => TensorShape.Unknown(type)).ToArray();
        bool addAxis = def.GetSingleArgument("add_axis", 0) != 0;
        var dims = inputs[0].Dims.ToArray();
        int requested = AxisFromArguments(def);
        if (!CanonicalAxis(requested, dims.Length, out int axis)) throw new EnforceNotMetException(AxisOutOfRange(requested, dims.Length, $"input {Text(dims)}"));
        var split = def.GetRepeatedArgument<long>("split");
        int n = def.Output.Count;
        var shapes = new TensorShape[n];
        for (int o = 0; o < n; o++)
        {
            var part = dims.ToList();
            if (addAxis) part.RemoveAt(axis);
            else part[axis] = split.Length == n ? split[o] : dims[axis] / n;
            shapes[o] = TensorShape.Create(part, type);
        }
        return shapes;
    }
}

/// <summary>Reshape's gradient: <c>Reshape(dY, old_shape) -&gt; dX</c> (Caffe2's form; the forward 'shape' is not copied).</summary>
public sealed class GetReshapeGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    public override bool CopyArguments => false;

    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
        SingleGradientDef("Reshape", "", [GO(0), O(1)], [GI(0), "_" + GI(0) + "_dims"]);
}

/// <summary>Transpose's gradient: the transpose by the inverse permutation (reversal when no axes were given).</summary>
public sealed class GetTransposeGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs()
    {
        var axes = Def.GetRepeatedArgument<int>("axes");
        if (axes.Length == 0) return SingleGradientDef("Transpose", "", [GO(0)], [GI(0)]);
        var inverse = new int[axes.Length];
        for (int k = 0; k < axes.Length; k++) inverse[axes[k]] = k;
        return SingleGradientDef("Transpose", "", [GO(0)], [GI(0)], [ArgumentHelper.MakeRepeatedArgument("axes", inverse)]);
    }
}

/// <summary>Squeeze's gradient is ExpandDims with the same dims, and the other way round.</summary>
public sealed class GetSqueezeExpandGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput, string gradientType) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
        SingleGradientDef(gradientType, "", [GO(0)], [GI(0)], [ArgumentHelper.MakeRepeatedArgument("dims", Def.GetRepeatedArgument<int>("dims"))]);
}

/// <summary>Concat's gradient: <c>Split(dY, split_info) -&gt; dX_0, ..., dX_n</c>, with the forward op's axis, order and add_axis.</summary>
public sealed class GetConcatGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs()
    {
        var outputs = new string[Def.Input.Count];
        for (int i = 0; i < outputs.Length; i++) outputs[i] = GI(i);
        var args = Def.Arg.Where(a => a.Name is "axis" or "order" or "add_axis").Select(a => a.Clone());
        return SingleGradientDef("Split", "", [GO(0), O(1)], outputs, args);
    }
}

/// <summary>Split's gradient: <c>Concat(dY_0, ..., dY_n) -&gt; dX</c>, with the forward op's axis, order and add_axis (every output's gradient is needed).</summary>
public sealed class GetSplitGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs()
    {
        var inputs = new string[Def.Output.Count];
        for (int o = 0; o < inputs.Length; o++) inputs[o] = GO(o);
        var args = Def.Arg.Where(a => a.Name is "axis" or "order" or "add_axis").Select(a => a.Clone());
        return SingleGradientDef("Concat", "", inputs, [GI(0), "_" + GI(0) + "_dims"], args);
    }
}

/// <summary>Reshape: new dims from the argument or input 1; old dims to output 1 (INT64).</summary>
internal sealed class ReshapeOp : OperatorBase
{
    private readonly long[] _argShape;
    private long[] _requested = [];
    private long[] _newShape = [];

    public ReshapeOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        if (InputSize == 2 && def.HasArgument("shape"))
            throw Error($"takes the new shape from input 1 '{def.Input[1]}' or from argument 'shape', not both.");
        if (InputSize == 1 && !def.HasArgument("shape"))
            throw Error("needs the new shape: argument 'shape' is missing and there is no shape input.");
        _argShape = GetRepeatedArgument<long>("shape");
    }

    public override void Run()
    {
        var x = Input(0);
        ReadOnlySpan<long> requested = _argShape;
        if (InputSize == 2)
        {
            var s = Input(1);
            if (s.Rank != 1) throw Error($"shape input 1 '{Def.Input[1]}' must be 1-D; it is {s.Describe()}.");
            if (_requested.Length != s.Size) _requested = new long[s.Size];
            if (s.DataType == DataType.Int64) s.Data<long>().CopyTo(_requested);
            else if (s.DataType == DataType.Int32)
            {
                var v = s.Data<int>();
                for (int k = 0; k < v.Length; k++) _requested[k] = v[k];
            }
            else throw Error($"shape input 1 '{Def.Input[1]}' must be INT64 or INT32; it is {s.Describe()}.");
            requested = _requested;
        }
        if (_newShape.Length != requested.Length) _newShape = new long[requested.Length];
        if (ShapeOperators.ResolveReshape(requested, x.Dims, x.Size, _newShape, InputSize == 2 ? Def.Input[1] : null) is { } why)
            throw Error($"cannot reshape input '{Def.Input[0]}': {why}");

        // The old shape first: in place, resizing output 0 changes x's dims.
        var oldShape = Output(1);
        oldShape.Resize(DataType.Int64, x.Rank);
        x.Dims.CopyTo(oldShape.Data<long>());
        ShapeOperators.ReshapeInto(x, Output(0), _newShape);
    }
}

/// <summary>Flatten: [prod(dims[:axis]), prod(dims[axis:])].</summary>
internal sealed class FlattenOp : OperatorBase
{
    private readonly int _axis;

    public FlattenOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _axis = GetSingleArgument("axis", 1);
        if (_axis < 0) throw Error($"argument 'axis' = {_axis} must be 0 or more (Caffe2's Flatten counts from the front only).");
    }

    public override void Run()
    {
        var x = Input(0);
        if (_axis > x.Rank) throw Error($"argument 'axis' = {_axis} is beyond the rank of input '{Def.Input[0]}' {x.Describe()} (valid: 0 to {x.Rank}).");
        long outer = DataTypes.ElementCount(x.Dims[.._axis]) ?? 0, inner = DataTypes.ElementCount(x.Dims[_axis..]) ?? 0;
        ShapeOperators.ReshapeInto(x, Output(0), [outer, inner]);
    }
}

/// <summary>Transpose: a strided copy by element size, so every numeric type takes one path.</summary>
internal sealed class TransposeOp : OperatorBase
{
    private readonly int[] _axes;
    private long[] _outDims = [];
    private long[] _srcStrides = [];
    private long[] _index = [];
    private int[] _perm = [];

    public TransposeOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _axes = GetRepeatedArgument<int>("axes");
        var seen = new bool[_axes.Length];
        foreach (int a in _axes)
        {
            if (a < 0 || a >= _axes.Length || seen[a])
                throw Error($"argument 'axes' [{string.Join(", ", _axes)}] is not a permutation of 0 to {_axes.Length - 1}.");
            seen[a] = true;
        }
    }

    public override void Run()
    {
        var x = Input(0);
        int rank = x.Rank;
        if (_axes.Length != 0 && _axes.Length != rank)
            throw Error($"argument 'axes' has {_axes.Length} entries but input '{Def.Input[0]}' {x.Describe()} has rank {rank}.");
        if (x.ElementSize == 0) throw Error($"input '{Def.Input[0]}' is {x.Describe()}; Transpose moves numeric elements only.");
        if (_outDims.Length != rank)
        {
            _outDims = new long[rank];
            _srcStrides = new long[rank];
            _index = new long[rank];
            _perm = new int[rank];
        }
        for (int k = 0; k < rank; k++) _perm[k] = _axes.Length == 0 ? rank - 1 - k : _axes[k];
        // Output dim k walks input dim perm[k], whose row-major stride is the product of the later input dims.
        for (int k = 0; k < rank; k++)
        {
            int a = _perm[k];
            _outDims[k] = x.Dims[a];
            long stride = 1;
            for (int j = a + 1; j < rank; j++) stride *= x.Dims[j];
            _srcStrides[k] = stride;
        }
        var y = Output(0);
        y.Resize(x.DataType, _outDims);
        if (y.Size == 0) return;
        Span<byte> src = x.RawBytes, dst = y.RawBytes;
        switch (x.ElementSize)
        {
            case 1: Permute<byte>(src, dst); break;
            case 2: Permute<ushort>(MemoryMarshal.Cast<byte, ushort>(src), MemoryMarshal.Cast<byte, ushort>(dst)); break;
            case 4: Permute<uint>(MemoryMarshal.Cast<byte, uint>(src), MemoryMarshal.Cast<byte, uint>(dst)); break;
            case 8: Permute<ulong>(MemoryMarshal.Cast<byte, ulong>(src), MemoryMarshal.Cast<byte, ulong>(dst)); break;
            default: throw Error($"input '{Def.Input[0]}' has {x.ElementSize}-byte elements; Transpose moves 1, 2, 4 or 8.");
        }
    }

    // Walks the output in row-major order; the innermost output dim is a strided run of the input,
    // and an odometer over the outer output dims moves the run's start.
    private void Permute<T>(ReadOnlySpan<T> src, Span<T> dst) where T : unmanaged
    {
        int rank = _outDims.Length;
        if (rank == 0)
        {
            dst[0] = src[0];
            return;
        }
        long inner = _outDims[rank - 1], innerStride = _srcStrides[rank - 1];
        Array.Clear(_index);
        long start = 0;
        int k = 0;
        while (true)
        {
            long p = start;
            for (long j = 0; j < inner; j++, p += innerStride) dst[k++] = src[(int)p];
            int d = rank - 2;
            for (; d >= 0; d--)
            {
                start += _srcStrides[d];
                if (++_index[d] < _outDims[d]) break;
                start -= _srcStrides[d] * _outDims[d];
                _index[d] = 0;
            }
            if (d < 0) return;
        }
    }
}

/// <summary>Squeeze: drops the listed size-1 dims.</summary>
internal sealed class SqueezeOp : OperatorBase
{
    private readonly int[] _dims;
    private long[] _out = [];

    public SqueezeOp(OperatorDef def, Workspace ws) : base(def, ws) => _dims = ShapeOperators.SortedDims(def);

    public override void Run()
    {
        var x = Input(0);
        int rank = Math.Max(0, x.Rank - _dims.Length);
        if (_out.Length != rank) _out = new long[rank];
        if (ShapeOperators.SqueezeDims(x.Dims, _dims, _out) is { } why) throw Error($"input '{Def.Input[0]}': {why}");
        ShapeOperators.ReshapeInto(x, Output(0), _out);
    }
}

/// <summary>ExpandDims: inserts size-1 dims at the listed output positions.</summary>
internal sealed class ExpandDimsOp : OperatorBase
{
    private readonly int[] _dims;
    private long[] _out = [];

    public ExpandDimsOp(OperatorDef def, Workspace ws) : base(def, ws) => _dims = ShapeOperators.SortedDims(def);

    public override void Run()
    {
        var x = Input(0);
        int rank = x.Rank + _dims.Length;
        if (_out.Length != rank) _out = new long[rank];
        if (ShapeOperators.ExpandDims(x.Dims, _dims, _out) is { } why) throw Error($"input '{Def.Input[0]}': {why}");
        ShapeOperators.ReshapeInto(x, Output(0), _out);
    }
}

/// <summary>Concat: copies each input's contiguous row (everything from the axis on) into place, outer index by outer index.</summary>
internal sealed class ConcatOp : OperatorBase
{
    private readonly int _axis;
    private readonly bool _addAxis;
    private long[] _out = [];

    public ConcatOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _axis = ShapeOperators.AxisFromArguments(def);
        _addAxis = GetSingleArgument("add_axis", 0) != 0;
    }

    public override void Run()
    {
        var x0 = Input(0);
        int rank = x0.Rank;
        if (!ShapeOperators.CanonicalAxis(_axis, rank + (_addAxis ? 1 : 0), out int axis))
            throw Error(ShapeOperators.AxisOutOfRange(_axis, rank + (_addAxis ? 1 : 0), $"input 0 '{Def.Input[0]}' {x0.Describe()}{(_addAxis ? " with add_axis" : "")}"));
        if (x0.ElementSize == 0) throw Error($"input 0 '{Def.Input[0]}' is {x0.Describe()}; Concat moves numeric elements only.");

        var splitInfo = Output(1);
        splitInfo.Resize(DataType.Int32, InputSize);
        var split = splitInfo.Data<int>();
        long total = 0;
        for (int i = 0; i < InputSize; i++)
        {
            var xi = Input(i);
            if (xi.DataType != x0.DataType || xi.Rank != rank)
                throw Error($"input {i} '{Def.Input[i]}' is {xi.Describe()} but input 0 '{Def.Input[0]}' is {x0.Describe()}: the inputs need one type and rank.");
            for (int d = 0; d < rank; d++)
                if ((_addAxis || d != axis) && xi.Dims[d] != x0.Dims[d])
                    throw Error($"input {i} '{Def.Input[i]}' {xi.Describe()} differs from input 0 '{Def.Input[0]}' {x0.Describe()} at dim {d}; " +
                                (_addAxis ? "with add_axis every dim must match." : $"only the axis ({axis}) may differ."));
            long along = _addAxis ? 1 : xi.Dims[axis];
            if (along > int.MaxValue) throw Error($"input {i} '{Def.Input[i]}' {xi.Describe()} is too long along axis {axis} for split_info (INT32).");
            split[i] = (int)along;
            total += along;
        }

        int outRank = rank + (_addAxis ? 1 : 0);
        if (_out.Length != outRank) _out = new long[outRank];
        for (int d = 0, s = 0; d < outRank; d++)
        {
            if (d == axis)
            {
                _out[d] = total;
                if (_addAxis) continue;
            }
            else _out[d] = x0.Dims[s];
            s++;
        }
        var y = Output(0);
        y.Resize(x0.DataType, _out);

        // Every input has the same dims before the axis; each contributes one row per outer index.
        long outer = DataTypes.ElementCount(x0.Dims[..axis]) ?? 0;
        if (outer == 0 || y.Size == 0) return;
        Span<byte> dst = y.RawBytes;
        int outRow = (int)(dst.Length / outer);
        int offset = 0;
        for (int i = 0; i < InputSize; i++)
        {
            ReadOnlySpan<byte> src = Input(i).RawBytes;
            int row = (int)(src.Length / outer);
            for (long b = 0; b < outer; b++)
                src.Slice((int)(b * row), row).CopyTo(dst.Slice((int)(b * outRow) + offset, row));
            offset += row;
        }
    }
}

/// <summary>Split: copies contiguous rows of the input to each output, outer index by outer index.</summary>
internal sealed class SplitOp : OperatorBase
{
    private readonly int _axis;
    private readonly bool _addAxis;
    private readonly long[] _split;
    private readonly long[] _sizes;
    private long[] _out = [];

    public SplitOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _axis = ShapeOperators.AxisFromArguments(def);
        _addAxis = GetSingleArgument("add_axis", 0) != 0;
        _split = GetRepeatedArgument<long>("split");
        if (InputSize == 2 && def.HasArgument("split"))
            throw Error($"takes the sizes from input 1 '{def.Input[1]}' or from argument 'split', not both.");
        if (_split.Length != 0 && _split.Length != OutputSize)
            throw Error($"argument 'split' has {_split.Length} sizes but the op has {OutputSize} outputs.");
        foreach (var s in _split)
            if (s < 0) throw Error($"argument 'split' [{string.Join(", ", _split)}] has a negative size.");
        _sizes = new long[OutputSize];
    }

    public override void Run()
    {
        var x = Input(0);
        int rank = x.Rank;
        if (!ShapeOperators.CanonicalAxis(_axis, rank, out int axis)) throw Error(ShapeOperators.AxisOutOfRange(_axis, rank, $"input '{Def.Input[0]}' {x.Describe()}"));
        if (x.ElementSize == 0) throw Error($"input '{Def.Input[0]}' is {x.Describe()}; Split moves numeric elements only.");
        long along = x.Dims[axis];
        if (InputSize == 2)
        {
            var s = Input(1);
            if (s.Rank != 1 || s.Size != OutputSize)
                throw Error($"split input 1 '{Def.Input[1]}' is {s.Describe()}; it must be 1-D with one size per output ({OutputSize}).");
            if (s.DataType == DataType.Int32)
            {
                var v = s.Data<int>();
                for (int k = 0; k < v.Length; k++) _sizes[k] = v[k];
            }
            else if (s.DataType == DataType.Int64) s.Data<long>().CopyTo(_sizes);
            else throw Error($"split input 1 '{Def.Input[1]}' must be INT32 or INT64; it is {s.Describe()}.");
        }
        else if (_split.Length > 0) _split.CopyTo(_sizes.AsSpan());
        else
        {
            if (along % OutputSize != 0)
                throw Error($"input '{Def.Input[0]}' {x.Describe()} has {along} along axis {axis}, which does not split into {OutputSize} equal parts; give 'split'.");
            _sizes.AsSpan().Fill(along / OutputSize);
        }
        long sum = 0;
        foreach (var s in _sizes)
        {
            if (s < 0 || (_addAxis && s != 1))
                throw Error($"split sizes {ShapeOperators.Text(_sizes)} are invalid: sizes are 0 or more{(_addAxis ? ", and exactly 1 with add_axis" : "")}.");
            sum += s;
        }
        if (sum != along)
            throw Error($"split sizes {ShapeOperators.Text(_sizes)} add up to {sum}, but input '{Def.Input[0]}' {x.Describe()} has {along} along axis {axis}.");

        int outRank = rank - (_addAxis ? 1 : 0);
        if (_out.Length != outRank) _out = new long[outRank];
        for (int d = 0, r = 0; d < rank; d++)
            if (!(_addAxis && d == axis)) _out[r++] = x.Dims[d];

        long outer = DataTypes.ElementCount(x.Dims[..axis]) ?? 0;
        long inner = (DataTypes.ElementCount(x.Dims[(axis + 1)..]) ?? 0) * x.ElementSize;
        ReadOnlySpan<byte> src = x.RawBytes;
        int inRow = (int)(along * inner);
        int offset = 0;
        for (int o = 0; o < OutputSize; o++)
        {
            if (!_addAxis) _out[axis] = _sizes[o];
            var y = Output(o);
            y.Resize(x.DataType, _out);
            int row = (int)(_sizes[o] * inner);
            Span<byte> dst = y.RawBytes;
            for (long b = 0; b < outer && row > 0; b++)
                src.Slice((int)(b * inRow) + offset, row).CopyTo(dst.Slice((int)(b * row), row));
            offset += row;
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the shape family.</summary>
public static class ShapeBuilderExtensions
{
    /// <summary>Adds <c>Reshape(x) -&gt; y, oldShape</c> with argument <c>shape</c>.</summary>
    public static NetBuilder Reshape(this NetBuilder net, string x, long[] shape, string y, string oldShape, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Reshape", [x], [y, oldShape], name, ArgumentHelper.MakeRepeatedArgument("shape", shape));
    }

    /// <summary>Adds <c>Flatten(x) -&gt; y</c> with argument <c>axis</c>.</summary>
    public static NetBuilder Flatten(this NetBuilder net, string x, string y, int axis = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Flatten", [x], [y], name, ArgumentHelper.MakeArgument("axis", axis));
    }

    /// <summary>Adds <c>Transpose(x) -&gt; y</c>; with no <paramref name="axes"/> the dims are reversed.</summary>
    public static NetBuilder Transpose(this NetBuilder net, string x, string y, int[]? axes = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return axes is null || axes.Length == 0
            ? net.Op("Transpose", [x], [y], name)
            : net.Op("Transpose", [x], [y], name, ArgumentHelper.MakeRepeatedArgument("axes", axes));
    }

    /// <summary>Adds <c>Concat(inputs) -&gt; y, splitInfo</c> along <paramref name="axis"/>.</summary>
    public static NetBuilder Concat(this NetBuilder net, IEnumerable<string> inputs, string y, string splitInfo, int axis = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Concat", inputs, [y, splitInfo], name, ArgumentHelper.MakeArgument("axis", axis));
    }

    /// <summary>Adds <c>Split(x) -&gt; outputs</c> along <paramref name="axis"/>, in <paramref name="split"/> sizes or equal parts.</summary>
    public static NetBuilder Split(this NetBuilder net, string x, IEnumerable<string> outputs, int axis = 1, long[]? split = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return split is null
            ? net.Op("Split", [x], outputs, name, ArgumentHelper.MakeArgument("axis", axis))
            : net.Op("Split", [x], outputs, name, ArgumentHelper.MakeArgument("axis", axis), ArgumentHelper.MakeRepeatedArgument("split", split));
    }
}
