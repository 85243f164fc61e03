// Hand-written.
using System.Numerics;
using Caffe2Sharp.Operators.Logical;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Reduction;

/// <summary>
/// Reductions: Caffe2's <c>ReduceMean</c> (<c>axes</c>, <c>keepdims</c>) and <c>ArgMax</c> /
/// <c>ArgMin</c> (<c>axis</c>, <c>keepdims</c>, and ONNX's <c>select_last_index</c> as a
/// Caffe2Sharp extension); one registration method.
/// </summary>
/// <remarks>
/// ReduceMean sums in double and divides once, then rounds to the input's type, so FLOAT results
/// do not depend on the order of the sum beyond double's rounding. ArgMax and ArgMin follow numpy on
/// NaN: a NaN is the extreme (the first NaN's index; with select_last_index, the last NaN's). Among
/// equal extremes the first index wins (the last with select_last_index); -0 and +0 are equal.
/// ArgMax and ArgMin have no gradient; ReduceMean's is not registered yet.
/// </remarks>
public static class Reductions
{
    /// <summary>The pack name used by <see cref="AddReductions"/>.</summary>
    public const string PackName = "Caffe2Sharp.Reductions";

    /// <summary>Adds the reduction pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddReductions(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);

        catalog.Schemas.Schema("ReduceMean")
            .NumInputs(1).NumOutputs(1)
            .Arg("axes", "*(type: [int]; default: all)* The dims to average over (negative counts from the end); empty or absent: every dim.", Array.Empty<long>())
            .Arg("keepdims", "*(type: int; default: 1)* 1: the reduced dims stay, as 1; 0: they are removed.", 1)
            .InheritOnnxSchema()
            .Input(0, "data", "FLOAT or DOUBLE tensor.")
            .Output(0, "reduced", "The mean over the axes.")
            .TensorInferenceFunction(InferReduceMean)
            .CostInferenceFunction(ReduceMeanCost)
            .SetDoc("reduced = sum(data over axes) / (number of elements summed), computed in double and rounded once. " +
                    "Averaging over a dim of size 0 gives NaN (0 / 0). No gradient is registered yet.");
        catalog.Operators.Register("ReduceMean", static (d, ws) => new ReduceMeanOp(d, ws));

        ArgReduce(catalog, "ArgMax", "largest");
        ArgReduce(catalog, "ArgMin", "smallest");
    }

    private static void ArgReduce(OperatorCatalog catalog, string type, string extreme)
    {
        catalog.Schemas.Schema(type)
            .NumInputs(1).NumOutputs(1)
            .Arg("axis", "*(type: int; default: -1)* The dim to search along (negative counts from the end).", -1)
            .Arg("keepdims", "*(type: int; default: 1)* 1: the dim stays, as 1; 0: it is removed.", 1)
            .Arg("select_last_index", "*(type: int; default: 0)* 1: among equal extremes the last index wins (ONNX's; a Caffe2Sharp extension).", 0)
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT, DOUBLE, INT32 or INT64 tensor, rank >= 1.")
            .Output(0, "Y", $"INT64 index of the {extreme} element along the axis.")
            .TensorInferenceFunction(InferArg)
            .CostInferenceFunction(ArgCost)
            .SetDoc($"Y = the index of the {extreme} element of X along `axis` (INT64). Ties: the first index (the last with select_last_index). " +
                    "NaN, as numpy: a NaN is the extreme, so the first NaN's index wins (the last NaN's with select_last_index). The axis must not be empty. No gradient.");
        catalog.Operators.Register(type, (d, ws) => new ArgReduceOp(d, ws, type == "ArgMax"));
        catalog.Gradients.NoGradient(type);
    }

    // ---- shape arithmetic ------------------------------------------------------------------------

    /// <summary>Marks the reduced dims of a rank-<paramref name="rank"/> tensor in <paramref name="reduced"/>; null or why not.</summary>
    internal static string? ReducedDims(ReadOnlySpan<long> axes, int rank, Span<bool> reduced)
    {
        reduced.Clear();
        if (axes.Length == 0)
        {
            reduced.Fill(true);
            return null;
        }
        for (int k = 0; k < axes.Length; k++)
        {
            long a = axes[k] < 0 ? axes[k] + rank : axes[k];
            if (a < 0 || a >= rank) return $"argument 'axes' has {axes[k]} at index {k}, out of range for rank {rank} (valid: {-rank} to {rank - 1}).";
            if (reduced[(int)a]) return $"argument 'axes' names dim {a} twice.";
            reduced[(int)a] = true;
        }
        return null;
    }

    private static IReadOnlyList<TensorShape> InferReduceMean(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dims = inputs[0].Dims.ToArray();
        var reduced = new bool[dims.Length];
        if (ReducedDims(def.GetRepeatedArgument<long>("axes"), dims.Length, reduced) is { } why) throw new EnforceNotMetException(why);
        bool keep = def.GetSingleArgument("keepdims", 1) != 0;
        var result = new List<long>();
        for (int d = 0; d < dims.Length; d++)
            if (!reduced[d]) result.Add(dims[d]);
            else if (keep) result.Add(1);
        return [TensorShape.Create(result, inputs[0].DataType)];
    }

    // One add per input element and one divide per output element; reads the input, writes the output.
    private static Cost ReduceMeanCost(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        ulong n = (ulong)inputs[0].ElementCount, m = (ulong)InferReduceMean(def, inputs)[0].ElementCount, size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
        return new Cost(n + m, n * size, m * size);
    }

    private static IReadOnlyList<TensorShape> InferArg(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dims = inputs[0].Dims.ToArray();
        int requested = def.GetSingleArgument("axis", -1);
        if (!Shape.ShapeOperators.CanonicalAxis(requested, dims.Length, out int axis))
            throw new EnforceNotMetException(Shape.ShapeOperators.AxisOutOfRange(requested, dims.Length, $"input {Shape.ShapeOperators.Text(dims)}"));
        var result = dims.ToList();
        if (def.GetSingleArgument("keepdims", 1) != 0) result[axis] = 1;
        else result.RemoveAt(axis);
        return [TensorShape.Create(result, DataType.Int64)];
    }

    // One compare per input element; reads the input, writes one INT64 per output element.
    private static Cost ArgCost(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        ulong n = (ulong)inputs[0].ElementCount, m = (ulong)InferArg(def, inputs)[0].ElementCount;
        return new Cost(n, n * (ulong)DataTypes.ElementSize(inputs[0].DataType), 8 * m);
    }
}

/// <summary>ReduceMean: walks the input once, adding each element (in double) into its output slot.</summary>
internal sealed class ReduceMeanOp : OperatorBase
{
    private readonly long[] _axes;
    private readonly bool _keep;
    private readonly BroadcastWalker _walker = new(1);
    private bool[] _reduced = [];
    private long[] _kept = [];
    private long[] _out = [];
    private double[] _sums = [];

    public ReduceMeanOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _axes = GetRepeatedArgument<long>("axes");
        _keep = GetSingleArgument("keepdims", 1) != 0;
    }

    public override void Run()
    {
        var x = Input(0);
        if (x.DataType is not (DataType.Float or DataType.Double))
            throw Error($"input '{Def.Input[0]}' is {x.Describe()}; ReduceMean takes FLOAT or DOUBLE.");
        int rank = x.Rank;
        if (_reduced.Length != rank)
        {
            _reduced = new bool[rank];
            _kept = new long[rank];
        }
        if (Reductions.ReducedDims(_axes, rank, _reduced) is { } why) throw Error($"input '{Def.Input[0]}' {x.Describe()}: {why}");
        int outRank = 0;
        long count = 1;
        for (int d = 0; d < rank; d++)
        {
            _kept[d] = _reduced[d] ? 1 : x.Dims[d];
            if (_reduced[d]) count *= x.Dims[d];
            if (!_reduced[d] || _keep) outRank++;
        }
        if (_out.Length != outRank) _out = new long[outRank];
        for (int d = 0, r = 0; d < rank; d++)
            if (!_reduced[d] || _keep) _out[r++] = _kept[d];

        var y = Output(0);
        if (ReferenceEquals(x, y)) throw Error($"output '{Def.Output[0]}' is the input; ReduceMean does not run in place.");
        y.Resize(x.DataType, _out);
        if (_sums.Length < y.Size) _sums = new double[y.Size];
        var sums = _sums.AsSpan(0, (int)y.Size);
        sums.Clear();
        // The output (with reduced dims as 1) broadcasts to the input: walking the input, the walker's
        // offset is the output slot each element adds into.
        _walker.Reset(x.Dims);
        _walker.SetOperand(0, _kept.AsSpan(0, rank));
        if (x.DataType == DataType.Float)
        {
            Sum<float>(x.Data<float>(), sums);
            var dst = y.Data<float>();
            for (int k = 0; k < dst.Length; k++) dst[k] = (float)(sums[k] / count);
        }
        else
        {
            Sum<double>(x.Data<double>(), sums);
            var dst = y.Data<double>();
            for (int k = 0; k < dst.Length; k++) dst[k] = sums[k] / count;
        }
    }

    private void Sum<T>(ReadOnlySpan<T> x, Span<double> sums) where T : unmanaged, INumber<T>
    {
        var w = _walker;
        int inner = (int)w.InnerLength;
        int s = (int)w.InnerStride(0);
        for (int start = 0; start < x.Length; start += inner)
        {
            int p = (int)w.Offset(0);
            var run = x.Slice(start, inner);
            if (s == 0)
            {
                double acc = sums[p];
                for (int j = 0; j < run.Length; j++) acc += double.CreateTruncating(run[j]);
                sums[p] = acc;
            }
            else
                for (int j = 0; j < run.Length; j++) sums[p + j] += double.CreateTruncating(run[j]);
            w.Advance();
        }
    }
}

/// <summary>ArgMax and ArgMin: outer x inner independent searches along the axis.</summary>
internal sealed class ArgReduceOp : OperatorBase
{
    private readonly bool _max;
    private readonly int _axis;
    private readonly bool _keep;
    private readonly bool _last;
    private long[] _out = [];

    public ArgReduceOp(OperatorDef def, Workspace ws, bool max) : base(def, ws)
    {
        _max = max;
        _axis = GetSingleArgument("axis", -1);
        _keep = GetSingleArgument("keepdims", 1) != 0;
        _last = GetSingleArgument("select_last_index", 0) != 0;
    }

    public override void Run()
    {
        var x = Input(0);
        if (x.DataType is not (DataType.Float or DataType.Double or DataType.Int32 or DataType.Int64))
            throw Error($"input '{Def.Input[0]}' is {x.Describe()}; {Type} takes FLOAT, DOUBLE, INT32 or INT64.");
        if (!Shape.ShapeOperators.CanonicalAxis(_axis, x.Rank, out int axis))
            throw Error(Shape.ShapeOperators.AxisOutOfRange(_axis, x.Rank, $"input '{Def.Input[0]}' {x.Describe()}"));
        long along = x.Dims[axis];
        long outer = DataTypes.ElementCount(x.Dims[..axis]) ?? 0, inner = DataTypes.ElementCount(x.Dims[(axis + 1)..]) ?? 0;
        if (along == 0 && outer * inner > 0) throw Error($"input '{Def.Input[0]}' {x.Describe()} is empty along axis {axis}; {Type} has no element to pick.");
        int outRank = _keep ? x.Rank : x.Rank - 1;
        if (_out.Length != outRank) _out = new long[outRank];
        for (int d = 0, r = 0; d < x.Rank; d++)
            if (d != axis) _out[r++] = x.Dims[d];
            else if (_keep) _out[r++] = 1;
        var y = Output(0);
        if (ReferenceEquals(x, y)) throw Error($"output '{Def.Output[0]}' is the input; {Type} does not run in place.");
        y.Resize(DataType.Int64, _out);
        var dst = y.Data<long>();
        switch (x.DataType)
        {
            case DataType.Float: Search<float>(x.Data<float>(), dst, outer, along, inner); break;
            case DataType.Double: Search<double>(x.Data<double>(), dst, outer, along, inner); break;
            case DataType.Int32: Search<int>(x.Data<int>(), dst, outer, along, inner); break;
            default: Search<long>(x.Data<long>(), dst, outer, along, inner); break;
        }
    }

    private void Search<T>(ReadOnlySpan<T> x, Span<long> y, long outer, long along, long inner) where T : unmanaged, INumber<T>
    {
        for (long o = 0; o < outer; o++)
            for (long i = 0; i < inner; i++)
            {
                int p = (int)(o * along * inner + i);
                T best = x[p];
                long at = 0;
                // Once the best is NaN, only a later NaN (with select_last_index) replaces it.
                for (long k = 1; k < along; k++)
                {
                    T v = x[p + (int)(k * inner)];
                    bool take;
                    if (T.IsNaN(best)) take = _last && T.IsNaN(v);
                    else if (T.IsNaN(v)) take = true;
                    else if (_last) take = _max ? v >= best : v <= best;
                    else take = _max ? v > best : v < best;
                    if (take)
                    {
                        best = v;
                        at = k;
                    }
                }
                y[(int)(o * inner + i)] = at;
            }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the reduction family.</summary>
public static class ReductionBuilderExtensions
{
    /// <summary>Adds <c>ReduceMean(x) -&gt; y</c> over <paramref name="axes"/> (null or empty: every dim).</summary>
    public static NetBuilder ReduceMean(this NetBuilder net, string x, string y, long[]? axes = null, bool keepDims = true, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        var keep = ArgumentHelper.MakeArgument("keepdims", keepDims ? 1 : 0);
        return axes is null || axes.Length == 0
            ? net.Op("ReduceMean", [x], [y], name, keep)
            : net.Op("ReduceMean", [x], [y], name, ArgumentHelper.MakeRepeatedArgument("axes", axes), keep);
    }

    /// <summary>Adds <c>ArgMax(x) -&gt; y</c> (INT64) along <paramref name="axis"/>.</summary>
    public static NetBuilder ArgMax(this NetBuilder net, string x, string y, int axis = -1, bool keepDims = true, bool selectLastIndex = false, string? name = null) =>
        Arg(net, "ArgMax", x, y, axis, keepDims, selectLastIndex, name);

    /// <summary>Adds <c>ArgMin(x) -&gt; y</c> (INT64) along <paramref name="axis"/>.</summary>
    public static NetBuilder ArgMin(this NetBuilder net, string x, string y, int axis = -1, bool keepDims = true, bool selectLastIndex = false, string? name = null) =>
        Arg(net, "ArgMin", x, y, axis, keepDims, selectLastIndex, name);

    private static NetBuilder Arg(NetBuilder net, string type, string x, string y, int axis, bool keepDims, bool selectLastIndex, string? name)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op(type, [x], [y], name, ArgumentHelper.MakeArgument("axis", axis), ArgumentHelper.MakeArgument("keepdims", keepDims ? 1 : 0),
            ArgumentHelper.MakeArgument("select_last_index", selectLastIndex ? 1 : 0));
    }
}
