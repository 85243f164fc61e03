// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Arithmetic;

/// <summary>
/// Caffe2's element-wise reductions over inputs: <c>Max</c>, <c>Min</c> and <c>Mean</c> of one or
/// more tensors, with numpy broadcasting across all inputs (ONNX's <c>Max</c>, <c>Min</c> and
/// <c>Mean</c>; Caffe2's originals required equal shapes, of which broadcasting is a superset).
/// </summary>
/// <remarks>
/// <para>NaN: any NaN input gives NaN (numpy's <c>np.maximum</c>/<c>np.minimum</c> and ONNX), not
/// the other operand (C's <c>fmax</c>).</para>
/// <para>-0 and +0: Max of the two is +0 and Min is -0, whatever their order (IEEE 754-2019
/// <c>maximum</c>/<c>minimum</c>, .NET's <c>Math.Max</c>/<c>Math.Min</c>). numpy returns the first
/// operand on a tie, so it depends on the order; we choose the order-independent answer.</para>
/// <para>Mean adds in input order, <c>((x0 + x1) + x2) + ...</c>, each step rounded to the element
/// type, then divides by N once (a correctly rounded division, not a multiply by 1/N).</para>
/// <para>Max and Min take FLOAT, DOUBLE, INT32 and INT64; Mean FLOAT and DOUBLE. The output may be
/// input 0 (in place) when input 0 already has the broadcast shape.</para>
/// </remarks>
public static class MinMaxMean
{
    /// <summary>The pack name used by <see cref="AddMinMaxMean"/>.</summary>
    public const string PackName = "Caffe2Sharp.MinMaxMean";

    /// <summary>The types Max and Min accept.</summary>
    public static DataTypeSet MinMaxTypes { get; } = DataTypeSet.Of(DataType.Float, DataType.Double, DataType.Int32, DataType.Int64);

    /// <summary>The types Mean accepts.</summary>
    public static DataTypeSet MeanTypes { get; } = DataTypeSet.Of(DataType.Float, DataType.Double);

    /// <summary>Adds Max, Min and Mean to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddMinMaxMean(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels of Max, Min and Mean into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        Common(catalog.Schemas.Schema("Max"), "max", flopsPerInput: 1, mean: false)
            .SetDoc("Element-wise maximum of the inputs, broadcast numpy-style: max(x0, x1, ...). A NaN input gives NaN; max(-0, +0) is +0.");
        catalog.Operators.Register("Max", static (d, ws) => new BroadcastFoldOperator<MaxFunctor>(d, ws, MinMaxTypes, mean: false));
        Common(catalog.Schemas.Schema("Min"), "min", flopsPerInput: 1, mean: false)
            .SetDoc("Element-wise minimum of the inputs, broadcast numpy-style: min(x0, x1, ...). A NaN input gives NaN; min(-0, +0) is -0.");
        catalog.Operators.Register("Min", static (d, ws) => new BroadcastFoldOperator<MinFunctor>(d, ws, MinMaxTypes, mean: false));
        Common(catalog.Schemas.Schema("Mean"), "mean", flopsPerInput: 1, mean: true)
            .SetDoc("Element-wise mean of the inputs, broadcast numpy-style: ((x0 + x1) + ...) / N, added in input order (each step rounded) and divided once.");
        catalog.Operators.Register("Mean", static (d, ws) => new BroadcastFoldOperator<Sum.AddFunctor>(d, ws, MeanTypes, mean: true));
    }

    private static OpSchema Common(OpSchema s, string what, int flopsPerInput, bool mean) => s
        .NumInputs(1, int.MaxValue).NumOutputs(1)
        .AllowInplace((0, 0))
        .InheritOnnxSchema()
        .TensorInferenceFunction(static (def, inputs) =>
        {
            Enforce.That(inputs.Count >= 1, () => $"Shape inference of operator {def.DisplayName} needs at least 1 input shape.");
            if (inputs.Any(i => i.UnknownShape)) return [TensorShape.Unknown(inputs[0].DataType)];
            var dims = BroadcastShape(inputs.Select(i => i.Dims.ToArray()).ToArray(), def.Input);
            return [TensorShape.Create(dims, inputs[0].DataType)];
        })
        .CostInferenceFunction((def, inputs) =>
        {
            Enforce.That(inputs.All(i => i.ElementCount >= 0), () => $"Cost of {def.DisplayName}: an input shape is unknown.");
            var dims = BroadcastShape(inputs.Select(i => i.Dims.ToArray()).ToArray(), def.Input);
            ulong n = (ulong)dims.Aggregate(1L, (p, d) => p * d);
            ulong size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
            ulong read = (ulong)inputs.Sum(i => i.ElementCount);
            // N - 1 compares (or adds) per output element; Mean divides once more.
            ulong flops = n * (ulong)((inputs.Count - 1) * flopsPerInput + (mean ? 1 : 0));
            return new Cost(flops, read * size, n * size);
        })
        .Input(0, "data_0", $"First input; every input has its type and they broadcast together (numpy's rule).")
        .Output(0, what, $"Element-wise {what} in the broadcast shape; may be input 0 (in place) when input 0 has that shape.");

    /// <summary>
    /// The numpy broadcast of all <paramref name="dims"/>; <paramref name="names"/> name the inputs
    /// in the error.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The shapes do not broadcast; the message lists every input's shape.</exception>
    public static long[] BroadcastShape(IReadOnlyList<long[]> dims, IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(names);
        Span<long> a = stackalloc long[Broadcasting.MaxRank];
        Span<long> b = stackalloc long[Broadcasting.MaxRank];
        int rank = Broadcast(dims.Count, i => dims[i], a, b);
        if (rank < 0) throw new EnforceNotMetException(NoBroadcast(dims, names));
        return a[..rank].ToArray();
    }

    internal static string NoBroadcast(IReadOnlyList<long[]> dims, IReadOnlyList<string> names) =>
        "the inputs do not broadcast (numpy's rule: trailing dims equal or 1, at most " + Broadcasting.MaxRank + " dims): " +
        string.Join(", ", dims.Select((d, i) => $"'{(i < names.Count ? names[i] : "?")}' [{string.Join(", ", d)}]"));

    /// <summary>Folds the broadcast of <paramref name="count"/> shapes into <paramref name="result"/>; -1 on a conflict.</summary>
    internal static int Broadcast(int count, Func<int, long[]> dims, Span<long> result, Span<long> scratch)
    {
        var first = dims(0);
        if (first.Length > Broadcasting.MaxRank) return -1;
        first.CopyTo(result);
        int rank = first.Length;
        for (int i = 1; i < count; i++)
        {
            var d = dims(i);
            if (d.Length > Broadcasting.MaxRank) return -1;
            result[..rank].CopyTo(scratch);
            rank = Broadcasting.TryBroadcast(scratch[..rank], d, result);
            if (rank < 0) return -1;
        }
        return rank;
    }
}

/// <summary>
/// Max, Min and Mean: one or more inputs broadcast together and folded left to right with a binary
/// functor into the output (Mean then divides by N). Allocates nothing per run.
/// </summary>
internal sealed class BroadcastFoldOperator<TFunctor> : ElementwiseOperatorBase where TFunctor : struct, IBinaryFunctor
{
    private readonly bool _mean;

    public BroadcastFoldOperator(OperatorDef def, Workspace workspace, DataTypeSet types, bool mean) : base(def, workspace, types)
    {
        _mean = mean;
        // Later inputs are read after the output is written: only input 0 may be the output.
        for (int i = 1; i < def.Input.Count; i++)
            if (def.Input[i] == def.Output[0])
                throw new EnforceNotMetException($"output '{def.Output[0]}' is input {i}; only input 0 may be the output (in place).");
    }

    public override void Run()
    {
        var first = TypedInput0();
        for (int i = 1; i < InputSize; i++)
            if (Input(i).DataType != first.DataType)
                throw Error($"input {i} '{Def.Input[i]}' is {Input(i).Describe()} but input 0 '{Def.Input[0]}' is {first.Describe()}; they must have the same type.");
        Span<long> outDims = stackalloc long[Broadcasting.MaxRank];
        Span<long> scratch = stackalloc long[Broadcasting.MaxRank];
        int rank = first.Rank <= Broadcasting.MaxRank ? first.Rank : -1;
        if (rank >= 0) first.Dims.CopyTo(outDims);
        for (int i = 1; i < InputSize && rank >= 0; i++)
        {
            var d = Input(i).Dims;
            if (d.Length > Broadcasting.MaxRank) { rank = -1; break; }
            outDims[..rank].CopyTo(scratch);
            rank = Broadcasting.TryBroadcast(scratch[..rank], d, outDims);
        }
        if (rank < 0)
            throw Error(MinMaxMean.NoBroadcast([.. Enumerable.Range(0, InputSize).Select(i => Input(i).Shape)], Def.Input));
        var dims = outDims[..rank];
        if (IsInPlace(0, 0) && !first.Dims.SequenceEqual(dims))
            throw Error($"output '{Def.Output[0]}' is input 0 in place, but the result has shape [{string.Join(", ", dims.ToArray())}], not {first.Describe()}.");
        var y = Output(0);
        // In place, y is input 0 and already has this type and shape: its contents are kept.
        y.Resize(first.DataType, dims);
        var kernel = new Kernel(this, first, y);
        Dispatch(first.DataType, ref kernel);
    }

    private readonly struct Kernel(BroadcastFoldOperator<TFunctor> op, Tensor first, Tensor y) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T>
        {
            var acc = y.Data<T>();
            int n = op.InputSize;
            if (n == 1)
            {
                if (!op.IsInPlace(0, 0)) first.Data<T>().CopyTo(acc);
                return;
            }
            var f = default(TFunctor);
            // The first step reads input 0 where it lies; later steps accumulate into y in place
            // (the destination is exactly the first operand, which the broadcast loop allows).
            var x1 = op.Input(1);
            Broadcasting.Binary(f, first.Data<T>(), first.Dims, x1.Data<T>(), x1.Dims, acc, y.Dims, op.Pool, op.MaxDegreeOfParallelism);
            for (int i = 2; i < n; i++)
            {
                var xi = op.Input(i);
                Broadcasting.Binary(f, acc, y.Dims, xi.Data<T>(), xi.Dims, acc, y.Dims, op.Pool, op.MaxDegreeOfParallelism);
            }
            if (op._mean) ElementwiseDriver.Unary(new DivideByFunctor(n), acc, acc, op.Pool, op.MaxDegreeOfParallelism);
        }
    }
}

/// <summary>
/// <c>max(x, y)</c>: NaN if either is NaN, +0 for (-0, +0) in either order. Compare-and-select,
/// lane for lane the scalar form, so every vector width gives the same bits.
/// </summary>
public readonly struct MaxFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T>
    {
        if (x > y) return x;
        if (x < y) return y;
        // Equal (the ±0 tie: the non-negative one) or unordered (x NaN: x; else y is NaN).
        if (x == y) return T.IsNegative(x) ? y : x;
        return T.IsNaN(x) ? x : y;
    }

    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T>
    {
        // x > y: x; else y (also when either is NaN: y, which is the NaN unless x is).
        var r = Vector128.ConditionalSelect(Vector128.GreaterThan(x, y), x, y);
        // Equal: x & y, which is x for equal bits and +0 for (-0, +0) (the sign bit cleared).
        r = Vector128.ConditionalSelect(Vector128.Equals(x, y), x & y, r);
        // x NaN (x != x): x.
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), r, x);
    }

    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T>
    {
        var r = Vector256.ConditionalSelect(Vector256.GreaterThan(x, y), x, y);
        r = Vector256.ConditionalSelect(Vector256.Equals(x, y), x & y, r);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), r, x);
    }

    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T>
    {
        var r = Vector512.ConditionalSelect(Vector512.GreaterThan(x, y), x, y);
        r = Vector512.ConditionalSelect(Vector512.Equals(x, y), x & y, r);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), r, x);
    }
}

/// <summary>
/// <c>min(x, y)</c>: NaN if either is NaN, -0 for (-0, +0) in either order. Compare-and-select,
/// lane for lane the scalar form.
/// </summary>
public readonly struct MinFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T>
    {
        if (x < y) return x;
        if (x > y) return y;
        if (x == y) return T.IsNegative(x) ? x : y;
        return T.IsNaN(x) ? x : y;
    }

    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T>
    {
        var r = Vector128.ConditionalSelect(Vector128.LessThan(x, y), x, y);
        // Equal: x | y, which is x for equal bits and -0 for (-0, +0) (the sign bit set).
        r = Vector128.ConditionalSelect(Vector128.Equals(x, y), x | y, r);
        return Vector128.ConditionalSelect(Vector128.Equals(x, x), r, x);
    }

    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T>
    {
        var r = Vector256.ConditionalSelect(Vector256.LessThan(x, y), x, y);
        r = Vector256.ConditionalSelect(Vector256.Equals(x, y), x | y, r);
        return Vector256.ConditionalSelect(Vector256.Equals(x, x), r, x);
    }

    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T>
    {
        var r = Vector512.ConditionalSelect(Vector512.LessThan(x, y), x, y);
        r = Vector512.ConditionalSelect(Vector512.Equals(x, y), x | y, r);
        return Vector512.ConditionalSelect(Vector512.Equals(x, x), r, x);
    }
}

/// <summary><c>x / n</c> for a fixed count n (Mean's last step): one correctly rounded division per element.</summary>
public readonly struct DivideByFunctor(int n) : IVectorUnaryFunctor
{
    private readonly int _n = n;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x / T.CreateTruncating(_n);
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> => x / Vector128.Create(T.CreateTruncating(_n));
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> => x / Vector256.Create(T.CreateTruncating(_n));
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> => x / Vector512.Create(T.CreateTruncating(_n));
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for Max, Min and Mean.</summary>
public static class MinMaxMeanBuilderExtensions
{
    /// <summary>Adds <c>Max(inputs...) -&gt; y</c>.</summary>
    public static NetBuilder Max(this NetBuilder net, IEnumerable<string> inputs, string y, string? name = null) => Op(net, "Max", inputs, y, name);

    /// <summary>Adds <c>Min(inputs...) -&gt; y</c>.</summary>
    public static NetBuilder Min(this NetBuilder net, IEnumerable<string> inputs, string y, string? name = null) => Op(net, "Min", inputs, y, name);

    /// <summary>Adds <c>Mean(inputs...) -&gt; y</c>.</summary>
    public static NetBuilder Mean(this NetBuilder net, IEnumerable<string> inputs, string y, string? name = null) => Op(net, "Mean", inputs, y, name);

    private static NetBuilder Op(NetBuilder net, string type, IEnumerable<string> inputs, string y, string? name)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(inputs);
        return net.Op(type, inputs, [y], name);
    }
}
