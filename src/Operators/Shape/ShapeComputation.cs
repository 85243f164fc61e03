// Hand-written.
using System.Numerics;
using System.Runtime.InteropServices;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Logical;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Shape;

/// <summary>
/// The operators of shape computations (what PyTorch's ONNX exporter writes around a dynamic
/// reshape): <c>Shape</c>, <c>Gather</c>, <c>Expand</c> and <c>Range</c>, with Caffe2's names and
/// ONNX's semantics where Caffe2 has none; one registration method.
/// </summary>
/// <remarks>
/// Shape, Gather and Expand move elements by their size without looking at them, so every numeric
/// type and BOOL takes one path. Shape and Range have no gradient; Gather's and Expand's are not
/// registered yet. Buffers are kept between runs, so a steady-state run allocates nothing.
/// </remarks>
public static class ShapeComputation
{
    /// <summary>The pack name used by <see cref="AddShapeComputation"/>.</summary>
    public const string PackName = "Caffe2Sharp.ShapeComputation";

    /// <summary>Adds the shape-computation pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddShapeComputation(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);

        catalog.Schemas.Schema("Shape")
            .NumInputs(1).NumOutputs(1)
            .Arg("axes", "*(type: [int]; default: all)* Only these dims, in this order (negative counts from the end).", Array.Empty<long>())
            .InheritOnnxSchema()
            .Input(0, "data", "Tensor of any type.")
            .Output(0, "shape", "1-D INT64 tensor of data's dims (or the listed ones).")
            .TensorInferenceFunction(InferShape)
            .CostInferenceFunction(static (def, inputs) => new Cost(0, 0, 8 * (ulong)InferShape(def, inputs)[0].Dims[0]))
            .SetDoc("Outputs the dims of the input as a 1-D INT64 tensor; with `axes`, only those dims. Reads no element. No gradient.");
        catalog.Operators.Register("Shape", static (d, ws) => new ShapeOp(d, ws));
        catalog.Gradients.NoGradient("Shape");

        catalog.Schemas.Schema("Gather")
            .NumInputs(2).NumOutputs(1)
            .Arg("axis", "*(type: int; default: 0)* The axis of DATA that INDICES index (negative counts from the end).", 0)
            .InheritOnnxSchema()
            .Input(0, "DATA", "Tensor of any numeric type or BOOL, rank >= 1.")
            .Input(1, "INDICES", "INT32 or INT64 indices into DATA's axis; negative ones count from the end once (ONNX).")
            .Output(0, "OUTPUT", "data.shape[:axis] + indices.shape + data.shape[axis+1:].")
            .TensorInferenceFunction(InferGather)
            .CostInferenceFunction(GatherCost)
            .SetDoc("OUTPUT[i..., j..., k...] = DATA[i..., INDICES[j...], k...] along `axis`. An index below -n or at or above n (n: DATA's size along the axis) is an error. " +
                    "No gradient is registered yet.");
        catalog.Operators.Register("Gather", static (d, ws) => new GatherOp(d, ws));

        catalog.Schemas.Schema("Expand")
            .NumInputs(2).NumOutputs(1)
            .InheritOnnxSchema()
            .Input(0, "X", "Tensor of any numeric type or BOOL.")
            .Input(1, "shape", "1-D INT64 tensor: the shape to broadcast X to.")
            .Output(0, "Y", "X broadcast to numpy's broadcast of X's shape and `shape`.")
            .TensorInferenceFunction(static (_, inputs) => [TensorShape.Unknown(inputs[0].DataType)])
            .CostInferenceFunction(static (_, inputs) => new Cost(0, (ulong)inputs[0].ElementCount * (ulong)DataTypes.ElementSize(inputs[0].DataType) + 8 * (ulong)inputs[1].ElementCount, 0))
            .SetDoc("Broadcasts X to `shape` with numpy's rule, as ONNX's Expand: the output's shape is broadcast(X.shape, shape), so a 1 in `shape` keeps X's dim. " +
                    "The output shape depends on the values of `shape`, so inference and cost know only X's type and the bytes read. No gradient is registered yet.");
        catalog.Operators.Register("Expand", static (d, ws) => new ExpandOp(d, ws));

        catalog.Schemas.Schema("Range")
            .NumInputs(1, 3).NumOutputs(1)
            .InheritOnnxSchema()
            .Input(0, "start", "Scalar (one element) FLOAT, DOUBLE, INT32 or INT64: the first value; with one input, the limit (start 0).")
            .Input(1, "limit", "(optional) Scalar of start's type: the exclusive end.")
            .Input(2, "delta", "(optional, default 1) Scalar of start's type: the step, not 0.")
            .Output(0, "output", "1-D tensor of max(0, ceil((limit - start) / delta)) values start + i * delta.")
            .TensorInferenceFunction(static (_, inputs) => [TensorShape.Unknown(inputs[0].DataType)])
            .CostInferenceFunction(static (_, inputs) => new Cost(0, (ulong)inputs.Sum(s => s.ElementCount * DataTypes.ElementSize(s.DataType)), 0))
            .SetDoc("Outputs start, start + delta, ... below limit (above it for a negative delta): max(0, ceil((limit - start) / delta)) values, value i computed as start + i * delta " +
                    "(not by repeated addition). Inputs as Caffe2's Range: (limit), (start, limit) or (start, limit, delta); all of one type. A delta of 0 is an error. " +
                    "The output's length depends on the values, so inference and cost know only the type and the bytes read. No gradient.");
        catalog.Operators.Register("Range", static (d, ws) => new RangeOp(d, ws));
        catalog.Gradients.NoGradient("Range");
    }

    // ---- inference -------------------------------------------------------------------------------

    /// <summary>Resolves Shape's axes against <paramref name="rank"/> into <paramref name="result"/>; null or why not.</summary>
    internal static string? ResolveAxes(ReadOnlySpan<long> axes, int rank, Span<int> result)
    {
        for (int k = 0; k < axes.Length; k++)
        {
            long a = axes[k] < 0 ? axes[k] + rank : axes[k];
            if (a < 0 || a >= rank) return $"argument 'axes' has {axes[k]} at index {k}, out of range for rank {rank} (valid: {-rank} to {rank - 1}).";
            result[k] = (int)a;
        }
        return null;
    }

    private static IReadOnlyList<TensorShape> InferShape(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var axes = def.GetRepeatedArgument<long>("axes");
        int rank = inputs[0].Dims.Count;
        if (axes.Length > 0 && ResolveAxes(axes, rank, new int[axes.Length]) is { } why) throw new EnforceNotMetException(why);
        return [TensorShape.Create([axes.Length > 0 ? axes.Length : rank], DataType.Int64)];
    }

    private static IReadOnlyList<TensorShape> InferGather(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var data = inputs[0].Dims.ToArray();
        int requested = def.GetSingleArgument("axis", 0);
        if (!ShapeOperators.CanonicalAxis(requested, data.Length, out int axis))
            throw new EnforceNotMetException(ShapeOperators.AxisOutOfRange(requested, data.Length, $"DATA {ShapeOperators.Text(data)}"));
        if (inputs[1].DataType is not (DataType.Int32 or DataType.Int64 or DataType.Undefined))
            throw new EnforceNotMetException($"Operator {def.DisplayName}: INDICES is {inputs[1].Describe()}; it must be INT32 or INT64.");
        return [TensorShape.Create([.. data[..axis], .. inputs[1].Dims, .. data[(axis + 1)..]], inputs[0].DataType)];
    }

    // Moves every output element once: reads it (and the indices), writes it.
    private static Cost GatherCost(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var y = InferGather(def, inputs)[0];
        ulong bytes = (ulong)y.ElementCount * (ulong)DataTypes.ElementSize(inputs[0].DataType);
        return new Cost(0, bytes + (ulong)inputs[1].ElementCount * (ulong)DataTypes.ElementSize(inputs[1].DataType), bytes);
    }
}

/// <summary>Shape: X's dims (or the listed ones) as 1-D INT64.</summary>
internal sealed class ShapeOp : OperatorBase
{
    private readonly long[] _axes;
    private readonly int[] _resolved;

    public ShapeOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _axes = GetRepeatedArgument<long>("axes");
        _resolved = new int[_axes.Length];
    }

    public override void Run()
    {
        var x = Input(0);
        // Read the dims before resizing: in place the output is the input.
        if (ShapeComputation.ResolveAxes(_axes, x.Rank, _resolved) is { } why) throw Error($"input '{Def.Input[0]}' {x.Describe()}: {why}");
        var y = Output(0);
        if (ReferenceEquals(x, y)) throw Error($"output '{Def.Output[0]}' is the input; Shape does not run in place.");
        y.Resize(DataType.Int64, _axes.Length > 0 ? _axes.Length : x.Rank);
        var dst = y.Data<long>();
        if (_axes.Length == 0) x.Dims.CopyTo(dst);
        else
            for (int k = 0; k < _resolved.Length; k++) dst[k] = x.Dims[_resolved[k]];
    }
}

/// <summary>Gather: contiguous rows of DATA (everything after the axis) copied per outer index and per index.</summary>
internal sealed class GatherOp : OperatorBase
{
    private readonly int _axis;
    private long[] _out = [];

    public GatherOp(OperatorDef def, Workspace ws) : base(def, ws) => _axis = GetSingleArgument("axis", 0);

    public override void Run()
    {
        var data = Input(0);
        var indices = Input(1);
        if (!ShapeOperators.CanonicalAxis(_axis, data.Rank, out int axis))
            throw Error(ShapeOperators.AxisOutOfRange(_axis, data.Rank, $"DATA '{Def.Input[0]}' {data.Describe()}"));
        if (data.ElementSize == 0) throw Error($"DATA '{Def.Input[0]}' is {data.Describe()}; Gather moves numeric and BOOL elements only.");
        if (indices.DataType is not (DataType.Int32 or DataType.Int64))
            throw Error($"INDICES '{Def.Input[1]}' is {indices.Describe()}; it must be INT32 or INT64.");
        long n = data.Dims[axis];
        // Every index is checked before anything is written.
        if (indices.DataType == DataType.Int32) Check(indices.Data<int>(), n, axis);
        else Check(indices.Data<long>(), n, axis);

        int rank = data.Rank - 1 + indices.Rank;
        if (_out.Length != rank) _out = new long[rank];
        data.Dims[..axis].CopyTo(_out);
        indices.Dims.CopyTo(_out.AsSpan(axis));
        data.Dims[(axis + 1)..].CopyTo(_out.AsSpan(axis + indices.Rank));
        var y = Output(0);
        if (ReferenceEquals(y, data) || ReferenceEquals(y, indices)) throw Error($"output '{Def.Output[0]}' is an input; Gather does not run in place.");
        y.Resize(data.DataType, _out);
        if (y.Size == 0) return;

        long outer = DataTypes.ElementCount(data.Dims[..axis]) ?? 0;
        int row = checked((int)((DataTypes.ElementCount(data.Dims[(axis + 1)..]) ?? 0) * data.ElementSize));
        ReadOnlySpan<byte> src = data.RawBytes;
        Span<byte> dst = y.RawBytes;
        int count = (int)indices.Size;
        bool wide = indices.DataType == DataType.Int64;
        ReadOnlySpan<int> i32 = wide ? default : indices.Data<int>();
        ReadOnlySpan<long> i64 = wide ? indices.Data<long>() : default;
        int d = 0;
        for (long b = 0; b < outer; b++)
        {
            long baseRow = b * n;
            for (int j = 0; j < count; j++, d += row)
            {
                long index = wide ? i64[j] : i32[j];
                if (index < 0) index += n;
                src.Slice((int)((baseRow + index) * row), row).CopyTo(dst.Slice(d, row));
            }
        }
    }

    private void Check<T>(ReadOnlySpan<T> indices, long n, int axis) where T : unmanaged, IBinaryInteger<T>
    {
        for (int j = 0; j < indices.Length; j++)
        {
            long index = long.CreateTruncating(indices[j]);
            if (index < -n || index >= n)
                throw Error($"index {index} (INDICES '{Def.Input[1]}' element {j}) is out of range for axis {axis} of DATA '{Def.Input[0]}' {Input(0).Describe()}: " +
                            $"the bound is {n} (valid: {-n} to {n - 1}).");
        }
    }
}

/// <summary>Expand: X broadcast to broadcast(X.shape, shape); moves elements by their size.</summary>
internal sealed class ExpandOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
{
    private readonly BroadcastWalker _walker = new(1);

    public override void Run()
    {
        var x = Input(0);
        var s = Input(1);
        if (x.ElementSize == 0) throw Error($"input '{Def.Input[0]}' is {x.Describe()}; Expand moves numeric and BOOL elements only.");
        if (s.DataType != DataType.Int64 || s.Rank != 1) throw Error($"shape input 1 '{Def.Input[1]}' is {s.Describe()}; it must be 1-D INT64.");
        ReadOnlySpan<long> shape = s.Data<long>();
        foreach (var d in shape)
            if (d < 0) throw Error($"shape input 1 '{Def.Input[1]}' {ShapeOperators.Text(shape)} has a negative dim.");
        Span<long> dims = stackalloc long[Broadcasting.MaxRank];
        int rank = x.Rank > Broadcasting.MaxRank || shape.Length > Broadcasting.MaxRank ? -1 : Broadcasting.TryBroadcast(x.Dims, shape, dims);
        if (rank < 0)
            throw Error($"input '{Def.Input[0]}' {x.Describe()} does not broadcast to shape {ShapeOperators.Text(shape)} (numpy's rule: trailing dims equal or 1).");
        var y = Output(0);
        if (ReferenceEquals(y, x) || ReferenceEquals(y, s)) throw Error($"output '{Def.Output[0]}' is an input; Expand does not run in place.");
        _walker.Reset(dims[..rank]);
        _walker.SetOperand(0, x.Dims);
        y.Resize(x.DataType, dims[..rank]);
        switch (x.ElementSize)
        {
            case 1: Copy<byte>(x.RawBytes, y.RawBytes); break;
            case 2: Copy(MemoryMarshal.Cast<byte, ushort>(x.RawBytes), MemoryMarshal.Cast<byte, ushort>(y.RawBytes)); break;
            case 4: Copy(MemoryMarshal.Cast<byte, uint>(x.RawBytes), MemoryMarshal.Cast<byte, uint>(y.RawBytes)); break;
            case 8: Copy(MemoryMarshal.Cast<byte, ulong>(x.RawBytes), MemoryMarshal.Cast<byte, ulong>(y.RawBytes)); break;
            default: throw Error($"input '{Def.Input[0]}' has {x.ElementSize}-byte elements; Expand moves 1, 2, 4 or 8.");
        }
    }

    private void Copy<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged
    {
        var w = _walker;
        int inner = (int)w.InnerLength;
        int sx = (int)w.InnerStride(0);
        for (int start = 0; start < y.Length; start += inner)
        {
            var run = y.Slice(start, inner);
            int p = (int)w.Offset(0);
            if (sx == 1) x.Slice(p, inner).CopyTo(run);
            else run.Fill(x[p]);
            w.Advance();
        }
    }
}

/// <summary>Range: start + i * delta for i below max(0, ceil((limit - start) / delta)).</summary>
internal sealed class RangeOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
{
    public override void Run()
    {
        var first = Input(0);
        if (first.DataType is not (DataType.Float or DataType.Double or DataType.Int32 or DataType.Int64))
            throw Error($"input 0 '{Def.Input[0]}' is {first.Describe()}; Range takes FLOAT, DOUBLE, INT32 or INT64.");
        for (int i = 0; i < InputSize; i++)
        {
            var t = Input(i);
            if (t.DataType != first.DataType)
                throw Error($"input {i} '{Def.Input[i]}' is {t.Describe()} but input 0 '{Def.Input[0]}' is {first.Describe()}; the inputs must have one type.");
            if (t.Size != 1) throw Error($"input {i} '{Def.Input[i]}' is {t.Describe()}; it must be a scalar (one element).");
        }
        var y = Output(0);
        for (int i = 0; i < InputSize; i++)
            if (ReferenceEquals(y, Input(i))) throw Error($"output '{Def.Output[0]}' is input {i}; Range does not run in place.");
        var kernel = new Kernel(this, y);
        DataTypes.Dispatch(first.DataType, ref kernel);
    }

    private readonly struct Kernel(RangeOp op, Tensor y) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, INumber<T> => op.Fill<T>(y);
    }

    private void Fill<T>(Tensor y) where T : unmanaged, INumber<T>
    {
        T start = InputSize == 1 ? T.Zero : Input(0).Data<T>()[0];
        T limit = Input(InputSize == 1 ? 0 : 1).Data<T>()[0];
        T delta = InputSize == 3 ? Input(2).Data<T>()[0] : T.One;
        if (delta == T.Zero) throw Error($"delta input 2 '{Def.Input[2]}' is 0; Range needs a nonzero step.");
        long n;
        if (typeof(T) == typeof(float) || typeof(T) == typeof(double))
        {
            double count = Math.Ceiling((double.CreateTruncating(limit) - double.CreateTruncating(start)) / double.CreateTruncating(delta));
            if (double.IsNaN(count)) throw Error($"start {start}, limit {limit} and delta {delta} give no length (NaN).");
            if (count > int.MaxValue) throw Error($"start {start}, limit {limit} and delta {delta} give {count} values, more than a tensor holds.");
            n = count > 0 ? (long)count : 0;
        }
        else
        {
            // Exact integer ceiling division (in Int128: limit - start may overflow long).
            Int128 span = Int128.CreateTruncating(limit) - Int128.CreateTruncating(start), step = Int128.CreateTruncating(delta);
            Int128 q = span / step;
            if (span % step != 0 && (span > 0) == (step > 0)) q++;
            if (q > int.MaxValue) throw Error($"start {start}, limit {limit} and delta {delta} give {q} values, more than a tensor holds.");
            n = q > 0 ? (long)q : 0;
        }
        y.Resize(Tensor.DataTypeOf<T>(), n);
        var dst = y.Data<T>();
        for (int i = 0; i < dst.Length; i++) dst[i] = start + T.CreateTruncating(i) * delta;
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the shape-computation family.</summary>
public static class ShapeComputationBuilderExtensions
{
    /// <summary>Adds <c>Shape(x) -&gt; shape</c>; with <paramref name="axes"/>, only those dims.</summary>
    public static NetBuilder Shape(this NetBuilder net, string x, string shape, long[]? axes = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return axes is null || axes.Length == 0
            ? net.Op("Shape", [x], [shape], name)
            : net.Op("Shape", [x], [shape], name, ArgumentHelper.MakeRepeatedArgument("axes", axes));
    }

    /// <summary>Adds <c>Gather(data, indices) -&gt; output</c> along <paramref name="axis"/>.</summary>
    public static NetBuilder Gather(this NetBuilder net, string data, string indices, string output, int axis = 0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Gather", [data, indices], [output], name, ArgumentHelper.MakeArgument("axis", axis));
    }

    /// <summary>Adds <c>Expand(x, shape) -&gt; y</c>.</summary>
    public static NetBuilder Expand(this NetBuilder net, string x, string shape, string y, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Expand", [x, shape], [y], name);
    }

    /// <summary>Adds <c>Range(start, limit, delta) -&gt; output</c>.</summary>
    public static NetBuilder Range(this NetBuilder net, string start, string limit, string delta, string output, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Range", [start, limit, delta], [output], name);
    }
}
