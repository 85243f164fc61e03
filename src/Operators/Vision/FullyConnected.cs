// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// Caffe2's <c>FC</c> (<c>fully_connected_op.h</c>): <c>Y = X W^T + b</c> with X and W flattened
/// to 2-D; one registration method.
/// </summary>
/// <remarks>
/// <para>With <c>axis</c> = a and <c>axis_w</c> = aw: X is viewed as <c>[M, K]</c>,
/// <c>M = prod(X.dims[:a])</c>, <c>K = prod(X.dims[a:])</c>; W as <c>[N, K]</c>,
/// <c>N = prod(W.dims[:aw])</c>, and <c>prod(W.dims[aw:])</c> must be K; <c>b</c> has N elements
/// (its first dim N, as Caffe2 checks). <c>Y.dims = X.dims[:a] + [N]</c>, so a <c>[1, 512, 1, 1]</c>
/// input with axis 1 gives <c>[1, N]</c>. The product runs on <see cref="Gemm"/> (W transposed, read
/// in place) with b added per column as each element is stored, so each element is the dot
/// product plus the bias, one rounding after the accumulation.</para>
/// <para>ONNX's <c>Gemm</c> with <c>transA</c> = 0, <c>transB</c> = 1, <c>alpha</c> = <c>beta</c> = 1
/// and a bias of N elements is this operator on 2-D inputs; other Gemm forms are not.</para>
/// <para>FLOAT only.</para>
/// </remarks>
public static class FullyConnected
{
    /// <summary>The pack name used by <see cref="AddFullyConnected"/>.</summary>
    public const string PackName = "Caffe2Sharp.FC";

    /// <summary>Adds the FC pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddFullyConnected(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the FC schema and CPU kernel into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("FC").FillUsing(static s => Common(s, transposed: false))
            .InheritOnnxSchema("Gemm")
            .Input(1, "W", "FLOAT weights, flattened to [N, K] at axis_w.")
            .Output(0, "Y", "X W^T + b, dims X.dims[:axis] + [N].")
            .SetDoc("Fully connected: Y = X W^T + b with X viewed as [M, K] at axis and W as [N, K] at axis_w; Y has dims X.dims[:axis] + [N]. ONNX Gemm with transA = 0, transB = 1, alpha = beta = 1 and a bias of N elements.");
        catalog.Operators.Register("FC", static (d, ws) => new FullyConnectedOp(d, ws, transposed: false));
        catalog.Schemas.Schema("FCTransposed").FillUsing(static s => Common(s, transposed: true))
            .Input(1, "W", "FLOAT weights, already transposed: flattened to [K, N] at axis_w.")
            .Output(0, "Y", "X W + b, dims X.dims[:axis] + [N].")
            .SetDoc("FC with the weights stored transposed (Caffe2's FCTransposed): Y = X W + b with X viewed as [M, K] at axis and W as [K, N] at axis_w. ONNX Gemm with transB = 0. The inference optimiser turns an FC with constant weights into this operator, whose GEMM reads W where it lies instead of packing it on every run.");
        catalog.Operators.Register("FCTransposed", static (d, ws) => new FullyConnectedOp(d, ws, transposed: true));
        catalog.Passes.Add(new TransposeConstantFCWeights());
        catalog.Passes.Add(new FoldFlattenIntoFC());
        catalog.Passes.Add(new FuseReluInto("fuse Relu into FC", NetPassStage.Simplify, "FC", "FCTransposed"));
    }

    private static void Common(OpSchema s, bool transposed) => s
            .NumInputs(3).NumOutputs(1)
            .Arg("axis", "*(type: int; default: 1)* X is flattened to [prod(dims[:axis]), prod(dims[axis:])]. Negative counts from the end.", 1)
            .Arg("axis_w", $"*(type: int; default: 1)* W is flattened to [prod(dims[:axis_w]), prod(dims[axis_w:])] = {(transposed ? "[K, N]" : "[N, K]")}. Negative counts from the end.", 1)
            .Arg(Conv.ActivationArg, "*(type: string; default: \"\")* Internal, set by a net optimiser that fuses a following Relu: \"Relu\" applies y = y < 0 ? 0 : y to each output after the bias, in the same store. Not a Caffe2 argument.", "")
            .TensorInferenceFunction((def, inputs) =>
            {
                Enforce.That(inputs.Count == 3, () => $"{def.Type} takes 3 inputs; {inputs.Count} given.");
                var x = inputs[0];
                var w = inputs[1];
                if (x.UnknownShape || w.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                var (_, _, n, _, outDims) = Shapes(x.Dims.ToArray(), w.Dims.ToArray(), def.GetSingleArgument("axis", 1), def.GetSingleArgument("axis_w", 1), transposed);
                return [TensorShape.Create(outDims, x.DataType)];
            })
            .CostInferenceFunction((def, inputs) =>
            {
                Enforce.That(inputs[0].ElementCount >= 0 && inputs[1].ElementCount >= 0,
                    () => $"{def.Type} cost of {def.DisplayName}: an input shape is unknown.");
                var (m, k, n, _, _) = Shapes(inputs[0].Dims.ToArray(), inputs[1].Dims.ToArray(), def.GetSingleArgument("axis", 1), def.GetSingleArgument("axis_w", 1), transposed);
                ulong size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
                // Caffe2's CostInferenceForFC: 2K flops per output for the dot product, one for the bias.
                return new Cost((ulong)(m * n * (2 * k + 1)), (ulong)(k * (m + n) + n) * size, (ulong)(m * n) * size, (ulong)(k * n + n) * size);
            })
            .Input(0, "X", "FLOAT input, flattened to [M, K] at axis.")
            .Input(2, "b", "FLOAT bias of N elements.");

    /// <summary>
    /// The GEMM sizes of an FC on inputs of <paramref name="xDims"/> and <paramref name="wDims"/>,
    /// and the output dims.
    /// </summary>
    /// <exception cref="EnforceNotMetException">An axis is out of range, or K differs between X and W (the message names both shapes).</exception>
    public static (long M, long K, long N, long KW, long[] OutputDims) Shapes(long[] xDims, long[] wDims, int axis, int axisW) =>
        Shapes(xDims, wDims, axis, axisW, transposed: false);

    /// <summary>
    /// The GEMM sizes of an FC (W flattened to <c>[N, K]</c>) or, with <paramref name="transposed"/>,
    /// an FCTransposed (W flattened to <c>[K, N]</c>), and the output dims.
    /// </summary>
    /// <exception cref="EnforceNotMetException">An axis is out of range, or K differs between X and W (the message names both shapes).</exception>
    public static (long M, long K, long N, long KW, long[] OutputDims) Shapes(long[] xDims, long[] wDims, int axis, int axisW, bool transposed)
    {
        ArgumentNullException.ThrowIfNull(xDims);
        ArgumentNullException.ThrowIfNull(wDims);
        int a = Canonical(axis, xDims.Length, "axis", "X");
        int aw = Canonical(axisW, wDims.Length, "axis_w", "W");
        long m = Product(xDims, 0, a), k = Product(xDims, a, xDims.Length);
        long n = Product(wDims, 0, aw), kw = Product(wDims, aw, wDims.Length);
        if (transposed) (n, kw) = (kw, n);
        if (k != kw)
            throw new EnforceNotMetException(
                $"X [{string.Join(", ", xDims)}] flattened at axis {a} is [{m}, {k}] but W [{string.Join(", ", wDims)}] flattened at axis_w {aw} is " +
                (transposed ? $"[{kw}, {n}] (K, N: FCTransposed)" : $"[{n}, {kw}]") + $"; K must agree ({k} vs {kw}).");
        var outDims = new long[a + 1];
        Array.Copy(xDims, outDims, a);
        outDims[a] = n;
        return (m, k, n, kw, outDims);
    }

    // Shared with MatMul's flattening (axis_a, axis_b).
    internal static int Canonical(int axis, int rank, string arg, string blob)
    {
        if (axis < -rank || axis >= rank)
            throw new EnforceNotMetException($"argument '{arg}' = {axis} is out of range for {blob} of rank {rank}; it must be in [{-rank}, {rank - 1}].");
        return axis < 0 ? axis + rank : axis;
    }

    internal static long Product(long[] dims, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= dims[i];
        return p;
    }
}

/// <summary>FC(X, W, b) -&gt; Y = X W^T + b, and FCTransposed(X, W, b) -&gt; Y = X W + b.</summary>
internal sealed class FullyConnectedOp : OperatorBase
{
    private readonly int _axis, _axisW;
    private readonly bool _transposed, _relu;

    // The shapes of the last run, recomputed (allocating) only when X's or W's dims change, so a
    // steady-state run allocates nothing.
    private long[] _xDims = [], _wDims = [];
    private (long M, long K, long N, long KW, long[] OutputDims) _shapes;

    public FullyConnectedOp(OperatorDef def, Workspace ws, bool transposed) : base(def, ws)
    {
        _axis = GetSingleArgument("axis", 1);
        _axisW = GetSingleArgument("axis_w", 1);
        _transposed = transposed;
        _relu = Conv.ParseActivation(def);
    }

    public override void Run()
    {
        var x = Input(0);
        var w = Input(1);
        var b = Input(2);
        for (int i = 0; i < 3; i++)
        {
            if (Input(i).DataType != DataType.Float)
                throw Error($"input {i} '{Def.Input[i]}' must be FLOAT; it is {Input(i).Describe()}.");
            if (IsInPlace(i, 0)) throw Error($"the output may not be input {i} '{Def.Input[i]}': FC does not run in place.");
        }
        if (_shapes.OutputDims is null || !x.Dims.SequenceEqual(_xDims) || !w.Dims.SequenceEqual(_wDims))
        {
            _shapes = FullyConnected.Shapes(x.Dims.ToArray(), w.Dims.ToArray(), _axis, _axisW, _transposed);
            (_xDims, _wDims) = (x.Dims.ToArray(), w.Dims.ToArray());
        }
        var (m, k, n, _, outDims) = _shapes;
        if (b.Size != n || (b.Rank > 0 && b.Dims[0] != n))
            throw Error($"the bias '{Def.Input[2]}' is {b.Describe()} but W {w.Describe()} flattened at axis_w {_axisW} has N = {n} {(_transposed ? "columns" : "rows")}; b must have N elements.");
        if (m > int.MaxValue || n > int.MaxValue || k > int.MaxValue || m * n > int.MaxValue)
            throw Error($"X {x.Describe()} and W {w.Describe()} are too large for one GEMM.");
        var y = Output(0);
        y.Resize(DataType.Float, outDims);
        var ys = y.Data<float>();
        var bs = b.Data<float>();
        // The bias is added on the GEMM's store, after the full dot product: one rounding, as
        // filling Y with b and accumulating with beta = 1 would give.
        // FCTransposed's W is [K, N], row-major: the GEMM reads its full strips where they lie.
        Gemm.Multiply(false, !_transposed, (int)m, (int)n, (int)k, 1f, x.Data<float>(), Math.Max(1, (int)k), w.Data<float>(), Math.Max(1, (int)(_transposed ? n : k)),
            0f, ys, Math.Max(1, (int)n), new GemmEpilogue { ColumnBias = bs, Relu = _relu }, Pool, MaxDegreeOfParallelism);
    }
}

/// <summary>
/// The inference pass that stores an FC's constant weights transposed, once, and runs the FC as
/// <c>FCTransposed</c>: the GEMM then reads the weights where they lie instead of packing
/// <c>W^T</c> on every run. Bit-identical (the same products summed in the same order).
/// </summary>
/// <remarks>
/// Applies to an FC whose W is a FLOAT constant; the new constant is <c>[K, N]</c> (W flattened at
/// <c>axis_w</c>, transposed) and <c>axis_w</c> becomes 1. The user's weights are not changed.
/// </remarks>
internal sealed class TransposeConstantFCWeights : INetPass
{
    public string Name => "store constant FC weights transposed";

    public int Apply(NetPassContext context)
    {
        foreach (var op in context.Net.Op)
        {
            if (op.Type != "FC" || op.Input.Count != 3 || op.Output.Count != 1 || !context.IsConstant(op.Input[1])) continue;
            var w = context.Constant(op.Input[1]);
            if (w.DataType != DataType.Float || w.Rank < 1) continue;
            int axisW = op.GetSingleArgument("axis_w", 1);
            if (axisW < -w.Rank || axisW >= w.Rank) continue; // the op reports it when it runs
            if (axisW < 0) axisW += w.Rank;
            long n = 1, k = 1;
            for (int d = 0; d < w.Rank; d++)
            {
                if (d < axisW) n *= w.Dims[d];
                else k *= w.Dims[d];
            }
            if (n * k > int.MaxValue) continue;
            var src = w.Data<float>();
            var t = new float[n * k];
            for (long r = 0; r < n; r++)
                for (long c = 0; c < k; c++) t[c * n + r] = src[(int)(r * k + c)];
            op.Type = "FCTransposed";
            op.Input[1] = context.AddConstant(op.Input[1] + "_transposed", Tensor.From<float>(t, k, n));
            op.SetArgument("axis_w", 1);
            return 1;
        }
        return 0;
    }
}

/// <summary>
/// The inference pass that lets an FC flatten its own input: <c>Flatten(X, axis = 1) -&gt; F</c>
/// then <c>FC(F, W, b)</c> at axis 1 is <c>FC(X, W, b)</c> at axis 1, since FC views X as
/// <c>[dims[0], prod(dims[1:])]</c> exactly as the Flatten does (an exported FC on a 4-D input comes
/// back from ONNX as Flatten and Gemm). Only for axis 1 on both: at another axis the output dims
/// would differ. F must be read by the FC alone, unprotected, and X not rewritten in between.
/// </summary>
internal sealed class FoldFlattenIntoFC : INetPass
{
    public string Name => "fold Flatten into FC";

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var flatten = ops[k];
            if (flatten.Type != "Flatten" || flatten.Input.Count != 1 || flatten.Output.Count != 1 || flatten.GetSingleArgument("axis", 1) != 1) continue;
            string x = flatten.Input[0], f = flatten.Output[0];
            if (x == f || context.IsProtected(f) || context.Writers(f).Count != 1) continue;
            var readers = context.Readers(f);
            if (readers.Count != 1) continue;
            int j = readers[0];
            var fc = ops[j];
            if (fc.Type is not ("FC" or "FCTransposed") || fc.Input[0] != f || fc.Input.Skip(1).Contains(f) || fc.GetSingleArgument("axis", 1) != 1) continue;
            if (context.Writers(x).Any(w => w > k && w < j)) continue;
            fc.Input[0] = x;
            context.MarkRemoved(f, $"Flatten #{k} was folded into {fc.Type} #{j}, which flattens '{x}' itself");
            ops.RemoveAt(k);
            return 1;
        }
        return 0;
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for FC.</summary>
public static class FullyConnectedBuilderExtensions
{
    /// <summary>Adds <c>FC(x, w, b) -&gt; y</c>, <c>y = x w^T + b</c> with the given flattening axes.</summary>
    public static NetBuilder FC(this NetBuilder net, string x, string w, string b, string y, int axis = 1, int axisW = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("FC", [x, w, b], [y], name, ArgumentHelper.MakeArgument("axis", axis), ArgumentHelper.MakeArgument("axis_w", axisW));
    }
}
