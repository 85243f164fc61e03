// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Runtime;

/// <summary>A set of element types an operator accepts; prints as <c>FLOAT, DOUBLE or FLOAT16</c>.</summary>
public readonly record struct DataTypeSet(ulong Mask)
{
    /// <summary>FLOAT, DOUBLE and FLOAT16.</summary>
    public static DataTypeSet Floating { get; } = Of(DataType.Float, DataType.Double, DataType.Float16);

    /// <summary>FLOAT, DOUBLE, FLOAT16, INT32 and INT64: what Caffe2's arithmetic operators take.</summary>
    public static DataTypeSet Arithmetic { get; } = Of(DataType.Float, DataType.Double, DataType.Float16, DataType.Int32, DataType.Int64);

    /// <summary>The set of <paramref name="types"/>.</summary>
    public static DataTypeSet Of(params ReadOnlySpan<DataType> types)
    {
        ulong mask = 0;
        foreach (var t in types)
        {
            if ((uint)t >= 64 || !DataTypes.Info(t).IsNumeric)
                throw new ArgumentException($"{DataTypes.Name(t)} is not a numeric type; an element-wise operator cannot take it.", nameof(types));
            mask |= 1UL << (int)t;
        }
        return new DataTypeSet(mask);
    }

    /// <summary>True when <paramref name="type"/> is in the set.</summary>
    public bool Contains(DataType type) => (uint)type < 64 && (Mask >> (int)type & 1) != 0;

    /// <inheritdoc/>
    public override string ToString()
    {
        var self = this;
        var names = DataTypes.All.Where(i => self.Contains(i.Type)).Select(i => i.Name).ToList();
        return names.Count <= 1 ? string.Concat(names) : string.Join(", ", names.Take(names.Count - 1)) + " or " + names[^1];
    }
}

/// <summary>How the operands of a binary element-wise operator line up.</summary>
public enum Broadcast
{
    /// <summary>Both inputs have the same number of elements; the output takes the shape of the input named at registration.</summary>
    None,
    /// <summary>numpy's multidirectional broadcasting (ONNX's rule).</summary>
    Numpy,
    /// <summary>
    /// Caffe2's arithmetic rule: numpy's, unless the op has <c>broadcast=1</c>; then B lines up with A
    /// at <c>axis</c> (-1: A's trailing dims) and the output has A's shape.
    /// </summary>
    Caffe2,
    /// <summary>
    /// B has one element (shared) or one per channel, A's dim 1 (PRelu's slope, a per-channel
    /// scale or bias); the output has A's shape.
    /// </summary>
    Channel,
}

/// <summary>What the element-wise operator bases share: the element types accepted, checked on input 0.</summary>
public abstract class ElementwiseOperatorBase : OperatorBase
{
    /// <summary>Binds the operator to its blobs; <paramref name="types"/> are the element types it accepts.</summary>
    protected ElementwiseOperatorBase(OperatorDef def, Workspace workspace, DataTypeSet types) : base(def, workspace) => Types = types;

    /// <summary>The element types accepted.</summary>
    public DataTypeSet Types { get; }

    /// <summary>Runs <paramref name="kernel"/> for <paramref name="type"/>; a type the table cannot dispatch is an error, never a silent no-op.</summary>
    protected void Dispatch<TKernel>(DataType type, ref TKernel kernel) where TKernel : struct, INumericTypeVisitor, allows ref struct
    {
        if (!DataTypes.Dispatch(type, ref kernel))
            throw Error($"{Type} has no kernel for {DataTypes.Name(type)}.");
    }

    /// <summary>Input 0, whose type must be one of <see cref="Types"/> (the other inputs must match it).</summary>
    /// <exception cref="EnforceNotMetException">It is of another type; the message names the blob and the types accepted.</exception>
    protected Tensor TypedInput0()
    {
        var x = Input(0);
        if (!Types.Contains(x.DataType))
            throw Error($"input 0 '{Def.Input[0]}' is {x.Describe()}; {Type} takes {Types}.");
        return x;
    }
}

/// <summary>
/// The operator behind every one-input element-wise function: input lookup, type check and
/// dispatch, output shape (the input's, as the schema's <c>IdenticalTypeAndShape</c> says), in
/// place, FLOAT16 and threads; the function itself is <typeparamref name="TFunctor"/>.
/// Register it with <see cref="ElementwiseRegistration.RegisterUnaryElementwise{TFunctor}"/>.
/// </summary>
public sealed class UnaryElementwiseOperator<TFunctor> : ElementwiseOperatorBase where TFunctor : struct, IUnaryFunctor
{
    private readonly TFunctor _functor;

    /// <summary>Creates the operator with its function (built once from the def's arguments).</summary>
    public UnaryElementwiseOperator(OperatorDef def, Workspace workspace, TFunctor functor, DataTypeSet types)
        : base(def, workspace, types) => _functor = functor;

    /// <summary>The function.</summary>
    public TFunctor Functor => _functor;

    /// <inheritdoc/>
    public override void Run()
    {
        var x = TypedInput0();
        var y = Output(0);
        // In place, y is x: resizing to the same type and dims keeps the contents.
        y.Resize(x.DataType, x.Dims);
        var kernel = new Kernel(this, x, y);
        Dispatch(x.DataType, ref kernel);
    }

    private readonly struct Kernel(UnaryElementwiseOperator<TFunctor> op, Tensor x, Tensor y) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> =>
            ElementwiseDriver.Unary(op._functor, x.Data<T>(), y.Data<T>(), op.Pool, op.MaxDegreeOfParallelism);
    }
}

/// <summary>
/// The operator behind every two-input element-wise function: lookup, type checks and dispatch,
/// broadcasting by <see cref="Broadcast"/> (with the same shape rule the schema's inference uses),
/// in place, FLOAT16 and threads. Register it with
/// <see cref="ElementwiseRegistration.RegisterBinaryElementwise{TFunctor}"/>.
/// </summary>
public sealed class BinaryElementwiseOperator<TFunctor> : ElementwiseOperatorBase where TFunctor : struct, IBinaryFunctor
{
    private readonly TFunctor _functor;
    private readonly Broadcast _rule;
    private readonly int _shapeInput;
    private readonly bool _legacy;
    private readonly int _axis;

    /// <summary>Creates the operator; reads <c>broadcast</c> and <c>axis</c> once under <see cref="Broadcast.Caffe2"/>.</summary>
    public BinaryElementwiseOperator(OperatorDef def, Workspace workspace, TFunctor functor, DataTypeSet types, Broadcast rule, int shapeInput = 0)
        : base(def, workspace, types)
    {
        _functor = functor;
        _rule = rule;
        _shapeInput = shapeInput;
        (_legacy, _axis) = ElementwiseShapes.ReadLegacy(def, rule);
    }

    /// <summary>The function.</summary>
    public TFunctor Functor => _functor;

    /// <inheritdoc/>
    public override void Run()
    {
        var a = TypedInput0();
        var b = Input(1);
        if (b.DataType != a.DataType)
            throw Error($"input 0 '{Def.Input[0]}' is {a.Describe()} but input 1 '{Def.Input[1]}' is {b.Describe()}; they must have the same type.");
        var y = Output(0);
        if (_rule == Broadcast.None)
        {
            if (a.Size != b.Size)
                throw Error($"input 0 '{Def.Input[0]}' {a.Describe()} and input 1 '{Def.Input[1]}' {b.Describe()} must have the same number of elements.");
            y.Resize(a.DataType, (_shapeInput == 0 ? a : b).Dims);
            var flat = new FlatKernel(this, a, b, y);
            Dispatch(a.DataType, ref flat);
            return;
        }
        Span<long> outDims = stackalloc long[Broadcasting.MaxRank];
        Span<long> bDims = stackalloc long[Broadcasting.MaxRank];
        int rank = ElementwiseShapes.BroadcastShape(a.Dims, b.Dims, _rule, _legacy, _axis, outDims, bDims, out int bRank, out string? why);
        if (rank < 0)
            throw Error($"input 0 '{Def.Input[0]}' {a.Describe()} and input 1 '{Def.Input[1]}' {b.Describe()} do not broadcast: {why}.");
        var dims = outDims[..rank];
        // In place the output is an input, so that input must already have the output's shape.
        for (int i = 0; i < 2; i++)
            if (IsInPlace(i, 0) && !Input(i).Dims.SequenceEqual(dims))
                throw Error($"output '{Def.Output[0]}' is input {i} in place, but the result has shape [{string.Join(", ", dims.ToArray())}], not {Input(i).Describe()}.");
        y.Resize(a.DataType, dims);
        var kernel = new BroadcastKernel(this, a, b, y, bDims[..bRank]);
        Dispatch(a.DataType, ref kernel);
    }

    private readonly struct FlatKernel(BinaryElementwiseOperator<TFunctor> op, Tensor a, Tensor b, Tensor y) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> =>
            ElementwiseDriver.Binary(op._functor, a.Data<T>(), b.Data<T>(), y.Data<T>(), op.Pool, op.MaxDegreeOfParallelism);
    }

    private readonly ref struct BroadcastKernel(BinaryElementwiseOperator<TFunctor> op, Tensor a, Tensor b, Tensor y, ReadOnlySpan<long> bDims) : INumericTypeVisitor
    {
        private readonly ReadOnlySpan<long> _bDims = bDims;

        public void Visit<T>() where T : unmanaged, INumber<T> =>
            Broadcasting.Binary(op._functor, a.Data<T>(), a.Dims, b.Data<T>(), _bDims, y.Data<T>(), y.Dims, op.Pool, op.MaxDegreeOfParallelism);
    }
}

/// <summary>
/// Caffe2's <c>Sum</c> shape of operator for any binary function: one or more inputs of the same
/// type and size folded left to right, <c>((x0 op x1) op x2) ...</c>, into an output with input 0's
/// shape; the output may be input 0 (in place).
/// </summary>
public sealed class FoldElementwiseOperator<TFunctor> : ElementwiseOperatorBase where TFunctor : struct, IBinaryFunctor
{
    private readonly TFunctor _functor;

    /// <summary>Creates the operator.</summary>
    public FoldElementwiseOperator(OperatorDef def, Workspace workspace, TFunctor functor, DataTypeSet types) : base(def, workspace, types)
    {
        _functor = functor;
        for (int i = 1; i < def.Input.Count; i++)
            if (def.Input[i] == def.Output[0])
                throw new EnforceNotMetException($"output '{def.Output[0]}' is input {i}; only input 0 may be the output (in place).");
    }

    /// <inheritdoc/>
    public override void Run()
    {
        var first = TypedInput0();
        for (int i = 1; i < InputSize; i++)
        {
            var t = Input(i);
            if (t.DataType != first.DataType || t.Size != first.Size)
                throw Error($"input {i} '{Def.Input[i]}' is {t.Describe()} but input 0 '{Def.Input[0]}' is {first.Describe()}; they must match in type and size.");
        }
        var y = Output(0);
        // Resizing y to input 0's shape keeps its contents when y is input 0 (in place).
        y.Resize(first.DataType, first.Dims);
        var kernel = new Kernel(this, first, y);
        Dispatch(first.DataType, ref kernel);
    }

    private readonly struct Kernel(FoldElementwiseOperator<TFunctor> op, Tensor first, Tensor y) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T>
        {
            var acc = y.Data<T>();
            if (op.InputSize == 1)
            {
                if (!op.IsInPlace(0, 0)) first.Data<T>().CopyTo(acc);
                return;
            }
            // The first step reads input 0 directly (no copy); later steps accumulate in place.
            ElementwiseDriver.Binary(op._functor, first.Data<T>(), op.Input(1).Data<T>(), acc, op.Pool, op.MaxDegreeOfParallelism);
            for (int i = 2; i < op.InputSize; i++)
                ElementwiseDriver.Binary(op._functor, acc, op.Input(i).Data<T>(), acc, op.Pool, op.MaxDegreeOfParallelism);
        }
    }
}

/// <summary>The shape rules of the element-wise operators, shared by their kernels and their schemas' inference.</summary>
public static class ElementwiseShapes
{
    /// <summary>Reads Caffe2's <c>broadcast</c> and <c>axis</c> arguments (only under <see cref="Broadcast.Caffe2"/>).</summary>
    /// <exception cref="EnforceNotMetException"><c>broadcast</c> is not 0 or 1.</exception>
    public static (bool Legacy, int Axis) ReadLegacy(OperatorDef def, Broadcast rule)
    {
        ArgumentNullException.ThrowIfNull(def);
        if (rule != Broadcast.Caffe2) return (false, -1);
        long broadcast = def.GetSingleArgument("broadcast", 0L);
        if (broadcast is not (0 or 1)) throw new EnforceNotMetException($"argument 'broadcast' must be 0 or 1; got {broadcast}.");
        long axis = def.GetSingleArgument("axis", -1L);
        // Checked against the shapes at run time; here only that it fits an int (no silent wrap).
        if (axis is < int.MinValue or > int.MaxValue)
            throw new EnforceNotMetException($"argument 'axis' = {axis} is out of range.");
        return (broadcast == 1, (int)axis);
    }

    /// <summary>
    /// The output shape of A op B into <paramref name="outDims"/>, and B's dims as the kernel should
    /// read them into <paramref name="bDims"/> (padded to A's rank under the legacy rule). Returns the
    /// output rank, or -1 with the reason in <paramref name="why"/>.
    /// </summary>
    public static int BroadcastShape(ReadOnlySpan<long> a, ReadOnlySpan<long> b, Broadcast rule, bool legacy, int axis, Span<long> outDims, Span<long> bDims, out int bRank, out string? why)
    {
        why = null;
        bRank = b.Length;
        if (a.Length > Broadcasting.MaxRank || b.Length > Broadcasting.MaxRank)
        {
            why = $"more than {Broadcasting.MaxRank} dims";
            return -1;
        }
        if (rule == Broadcast.Channel)
        {
            long count = 1;
            foreach (var d in b) count *= d;
            bDims[..a.Length].Fill(1);
            if (count != 1)
            {
                if (a.Length < 2 || count != a[1])
                {
                    why = a.Length < 2
                        ? $"B must have one element when A has fewer than 2 dims"
                        : $"B must have one element (shared) or {a[1]} (one per channel, A's dim 1); it has {count}";
                    return -1;
                }
                bDims[1] = count;
            }
            bRank = a.Length;
            a.CopyTo(outDims);
            return a.Length;
        }
        if (!legacy)
        {
            b.CopyTo(bDims);
            int rank = Broadcasting.TryBroadcast(a, b, outDims);
            if (rank < 0) why = "numpy broadcasting needs each pair of trailing dims to be equal or 1";
            return rank;
        }
        why = Broadcasting.TryAlignLegacy(a, b, axis, bDims);
        if (why is not null) return -1;
        bRank = a.Length;
        a.CopyTo(outDims);
        return a.Length;
    }

    /// <summary>A tensor inference function for a binary operator under <paramref name="rule"/> (the kernels' own rule).</summary>
    public static TensorInference Inference(Broadcast rule, int shapeInput = 0) => (def, inputs) =>
    {
        Enforce.That(inputs.Count >= 2, () => $"Shape inference of operator {def.DisplayName} needs 2 input shapes; {inputs.Count} given.");
        var a = inputs[0];
        var type = a.DataType;
        if (rule == Broadcast.None) return [inputs[shapeInput].Clone()];
        var (legacy, axis) = ReadLegacy(def, rule);
        Span<long> outDims = stackalloc long[Broadcasting.MaxRank];
        Span<long> bDims = stackalloc long[Broadcasting.MaxRank];
        int rank = BroadcastShape([.. a.Dims], [.. inputs[1].Dims], rule, legacy, axis, outDims, bDims, out _, out string? why);
        Enforce.That(rank >= 0, () => $"Operator {def.DisplayName}: shapes {a.Describe()} and {inputs[1].Describe()} do not broadcast: {why}.");
        return [TensorShape.Create(outDims[..rank].ToArray(), type)];
    };
}

/// <summary>Registers element-wise operators in one line each: the schema's counts, shape rule and cost come with the kernel.</summary>
public static class ElementwiseRegistration
{
    /// <summary>
    /// Registers a one-input element-wise operator: a schema with one input, one output, the
    /// output's type and shape the input's, and a pointwise cost of
    /// <see cref="IUnaryFunctor.CostPerElement"/> per element; and its CPU kernel. Continue the
    /// returned schema chain with arguments, in-place pairs and docs.
    /// </summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="type">The operator type.</param>
    /// <param name="functor">Builds the function from the def's arguments, once per operator.</param>
    /// <param name="types">The element types accepted.</param>
    /// <param name="file">The caller's file, for duplicate-registration errors.</param>
    /// <param name="line">The caller's line.</param>
    public static OpSchema RegisterUnaryElementwise<TFunctor>(this OperatorCatalog catalog, string type, Func<OperatorDef, TFunctor> functor, DataTypeSet types,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) where TFunctor : struct, IUnaryFunctor
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(functor);
        var schema = catalog.Schemas.Schema(type, file, line)
            .NumInputs(1).NumOutputs(1)
            .IdenticalTypeAndShape()
            .CostInferenceFunction(CostFunctions.Pointwise(1));
        catalog.Operators.Register(type, (def, ws) => new UnaryElementwiseOperator<TFunctor>(def, ws, functor(def), types), file: file, line: line);
        return schema;
    }

    /// <summary>
    /// Registers a two-input element-wise operator: a schema with two inputs, one output, the
    /// shape rule of <paramref name="broadcast"/> (the kernel's own) and a pointwise cost; and its CPU
    /// kernel. Under <see cref="Broadcast.Caffe2"/> the schema declares <c>broadcast</c> and <c>axis</c>.
    /// </summary>
    /// <param name="catalog">The catalog.</param>
    /// <param name="type">The operator type.</param>
    /// <param name="functor">Builds the function from the def's arguments, once per operator.</param>
    /// <param name="types">The element types accepted.</param>
    /// <param name="broadcast">How the operands line up.</param>
    /// <param name="shapeInput">Under <see cref="Broadcast.None"/>, the input whose shape the output takes.</param>
    /// <param name="file">The caller's file, for duplicate-registration errors.</param>
    /// <param name="line">The caller's line.</param>
    public static OpSchema RegisterBinaryElementwise<TFunctor>(this OperatorCatalog catalog, string type, Func<OperatorDef, TFunctor> functor, DataTypeSet types,
        Broadcast broadcast, int shapeInput = 0, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) where TFunctor : struct, IBinaryFunctor
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(functor);
        ArgumentOutOfRangeException.ThrowIfNotEqual(shapeInput is 0 or 1, true, nameof(shapeInput));
        var schema = catalog.Schemas.Schema(type, file, line)
            .NumInputs(2).NumOutputs(1)
            .TensorInferenceFunction(ElementwiseShapes.Inference(broadcast, shapeInput))
            .CostInferenceFunction(CostFunctions.Pointwise(1));
        if (broadcast == Broadcast.Caffe2)
        {
            schema.Arg("broadcast", "*(type: int; default: 0)* 1: B lines up with A at `axis` (Caffe2's legacy broadcast); 0: numpy broadcasting.", 0L)
                .Arg("axis", "*(type: int; default: -1)* With broadcast=1, the dim of A where B's dims start; -1 aligns B with A's trailing dims.", -1L);
        }
        catalog.Operators.Register(type, (def, ws) => new BinaryElementwiseOperator<TFunctor>(def, ws, functor(def), types, broadcast, shapeInput), file: file, line: line);
        return schema;
    }

    /// <summary>
    /// Registers a Caffe2 <c>Sum</c>-shaped operator for a binary function: one or more inputs of
    /// one type and size folded left to right, output shaped like input 0, which it may be (in place).
    /// </summary>
    public static OpSchema RegisterFoldElementwise<TFunctor>(this OperatorCatalog catalog, string type, Func<OperatorDef, TFunctor> functor, DataTypeSet types,
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) where TFunctor : struct, IBinaryFunctor
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(functor);
        var schema = catalog.Schemas.Schema(type, file, line)
            .NumInputs(1, int.MaxValue).NumOutputs(1)
            .AllowInplace((0, 0))
            .IdenticalTypeAndShapeOfInput(0)
            .CostInferenceFunction(CostFunctions.Pointwise(1));
        catalog.Operators.Register(type, (def, ws) => new FoldElementwiseOperator<TFunctor>(def, ws, functor(def), types), file: file, line: line);
        return schema;
    }
}
