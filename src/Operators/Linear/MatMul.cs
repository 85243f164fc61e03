// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Linear;

/// <summary>
/// Caffe2's matrix products: <c>BatchMatMul</c> (<c>batch_matmul_op.cc</c>) and the 2-D
/// <c>MatMul</c> (<c>matmul_op.cc</c>); one registration method.
/// </summary>
/// <remarks>
/// <para><b>BatchMatMul(A, B)</b>, args <c>trans_a</c>, <c>trans_b</c>, <c>broadcast</c> (all 0 by
/// default): <c>Y[..., i, j] = sum_k op(A)[..., i, k] * op(B)[..., k, j]</c>, op transposing the
/// last two dims when its flag is set. With <c>broadcast</c> = 0 both operands have the same rank
/// (at least 2) and the same batch dims. With <c>broadcast</c> = 1 it is numpy's <c>matmul</c>
/// (ONNX's <c>MatMul</c>): a 1-D A is promoted to <c>[1, K]</c> and a 1-D B to <c>[K, 1]</c>, the
/// added dim removed from Y (1-D times 1-D gives a scalar, rank 0, where Caffe2 gives <c>[1]</c>),
/// the batch dims broadcast; a transpose flag on a 1-D operand has no effect (a vector has no
/// orientation).</para>
/// <para><b>MatMul(A, B)</b>, args <c>axis_a</c>, <c>axis_b</c> (1), <c>trans_a</c>, <c>trans_b</c>
/// (0): A flattened to 2-D at <c>axis_a</c>, B at <c>axis_b</c>, <c>Y = op(A) op(B)</c>, 2-D.</para>
/// <para>FLOAT runs each batch matrix on <see cref="Gemm"/> (the sum order is the GEMM's, so
/// results are within float rounding of the exact product); DOUBLE on a plain loop summing k in
/// order. Neither runs in place. BatchMatMul's gradient (Caffe2's, without broadcast) is two
/// BatchMatMuls; MatMul has none registered. Shapes are resolved (allocating) only when the input dims change,
/// so a steady-state run allocates nothing.</para>
/// </remarks>
public static class MatMul
{
    /// <summary>The pack name used by <see cref="AddMatMul"/>.</summary>
    public const string PackName = "Caffe2Sharp.MatMul";

    /// <summary>The element types the matrix products accept.</summary>
    public static DataTypeSet Types { get; } = DataTypeSet.Of(DataType.Float, DataType.Double);

    /// <summary>Adds BatchMatMul and MatMul to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddMatMul(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the BatchMatMul and MatMul schemas and CPU kernels into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("BatchMatMul")
            .NumInputs(2).NumOutputs(1)
            .Arg("trans_a", "*(type: int; default: 0)* 1: transpose A's last two dims before multiplying.", 0)
            .Arg("trans_b", "*(type: int; default: 0)* 1: transpose B's last two dims before multiplying.", 0)
            .Arg("broadcast", "*(type: int; default: 0)* 1: numpy matmul semantics (1-D operands promoted, batch dims broadcast); 0: same rank and batch dims.", 0)
            .InheritOnnxSchema("MatMul")
            .TensorInferenceFunction(static (def, inputs) => Infer(def, inputs, batched: true))
            .CostInferenceFunction(static (def, inputs) => CostOf(def, inputs, batched: true))
            .Input(0, "A", "FLOAT or DOUBLE tensor [..., M, K] ([..., K, M] with trans_a).")
            .Input(1, "B", "Tensor of A's type, [..., K, N] ([..., N, K] with trans_b).")
            .Output(0, "Y", "Tensor [..., M, N]: the batch dims (broadcast with broadcast = 1), then M and N.")
            .SetDoc("Batched matrix product: Y[..., i, j] = sum_k op(A)[..., i, k] * op(B)[..., k, j]. With broadcast = 1, numpy's matmul (ONNX MatMul): 1-D operands promoted and the added dim removed, batch dims broadcast.");
        catalog.Operators.Register("BatchMatMul", static (d, ws) => new MatMulOp(d, ws, batched: true));
        catalog.Gradients.Register("BatchMatMul", static (d, g) => new GetBatchMatMulGradient(d, g));

        catalog.Schemas.Schema("MatMul")
            .NumInputs(2).NumOutputs(1)
            .Arg("axis_a", "*(type: int; default: 1)* A is flattened to [prod(dims[:axis_a]), prod(dims[axis_a:])]. Negative counts from the end.", 1)
            .Arg("axis_b", "*(type: int; default: 1)* B is flattened to [prod(dims[:axis_b]), prod(dims[axis_b:])]. Negative counts from the end.", 1)
            .Arg("trans_a", "*(type: int; default: 0)* 1: transpose the flattened A.", 0)
            .Arg("trans_b", "*(type: int; default: 0)* 1: transpose the flattened B.", 0)
            .TensorInferenceFunction(static (def, inputs) => Infer(def, inputs, batched: false))
            .CostInferenceFunction(static (def, inputs) => CostOf(def, inputs, batched: false))
            .Input(0, "A", "FLOAT or DOUBLE tensor, flattened to 2-D at axis_a.")
            .Input(1, "B", "Tensor of A's type, flattened to 2-D at axis_b.")
            .Output(0, "Y", "op(A) op(B), 2-D [M, N].")
            .SetDoc("Matrix product of A and B flattened to 2-D (at axis_a and axis_b), each optionally transposed: Y = op(A) op(B), [M, N].");
        catalog.Operators.Register("MatMul", static (d, ws) => new MatMulOp(d, ws, batched: false));
    }

    private static IReadOnlyList<TensorShape> Infer(OperatorDef def, IReadOnlyList<TensorShape> inputs, bool batched)
    {
        Enforce.That(inputs.Count == 2, () => $"{def.Type} takes 2 inputs; {inputs.Count} given.");
        if (inputs[0].UnknownShape || inputs[1].UnknownShape) return [TensorShape.Unknown(inputs[0].DataType)];
        var plan = PlanOf(def, inputs[0].Dims.ToArray(), inputs[1].Dims.ToArray(), batched);
        return [TensorShape.Create(plan.OutputDims, inputs[0].DataType)];
    }

    private static Cost CostOf(OperatorDef def, IReadOnlyList<TensorShape> inputs, bool batched)
    {
        Enforce.That(inputs[0].ElementCount >= 0 && inputs[1].ElementCount >= 0, () => $"{def.Type} cost of {def.DisplayName}: an input shape is unknown.");
        var p = PlanOf(def, inputs[0].Dims.ToArray(), inputs[1].Dims.ToArray(), batched);
        ulong size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
        ulong outputs = (ulong)(p.Batch * p.M * p.N);
        // A multiply and an add per (i, j, k); every element of A and B read, Y written.
        return new Cost(2 * outputs * (ulong)p.K, (ulong)(inputs[0].ElementCount + inputs[1].ElementCount) * size, outputs * size);
    }

    /// <summary>
    /// Caffe2's gradient of BatchMatMul: two BatchMatMuls of dY with the other operand, transposes
    /// chosen so each gradient has its input's stored layout (for Y = A B: dA = dY B^T, dB = A^T dY).
    /// With broadcast = 1 the gradient would need a reduction over broadcast batch dims: refused, as
    /// in Caffe2.
    /// </summary>
    private sealed class GetBatchMatMulGradient(OperatorDef def, IReadOnlyList<Schema.Gradients.GradientWrapper> g) : Schema.Gradients.GradientMakerBase(def, g)
    {
        public override bool CopyArguments => false;

        protected override IReadOnlyList<OperatorDef> GetGradientDefs()
        {
            if (Def.GetSingleArgument("broadcast", 0) != 0)
                throw new EnforceNotMetException($"The gradient of {Def.DisplayName} with broadcast = 1 is not supported (it needs a reduction over broadcast batch dims).");
            bool ta = Def.GetSingleArgument("trans_a", 0) != 0, tb = Def.GetSingleArgument("trans_b", 0) != 0;
            string a = I(0), b = I(1), dy = GO(0);
            // (first, second, trans_a, trans_b) of dA, then of dB.
            var (da, db) = (ta, tb) switch
            {
                (false, false) => ((dy, b, false, true), (a, dy, true, false)),   // dA = dY B^T, dB = A^T dY
                (false, true) => ((dy, b, false, false), (dy, a, true, false)),   // dA = dY B, dB = dY^T A
                (true, false) => ((b, dy, false, true), (a, dy, false, false)),   // dA = B dY^T, dB = A dY
                (true, true) => ((b, dy, true, true), (dy, a, true, true)),       // dA = B^T dY^T, dB = dY^T A^T
            };
            return [Product(da, GI(0)), Product(db, GI(1))];
        }

        private static OperatorDef Product((string First, string Second, bool TransA, bool TransB) p, string output) =>
            OperatorDef.Create("BatchMatMul", "", [p.First, p.Second], [output],
                [ArgumentHelper.MakeArgument("trans_a", p.TransA ? 1 : 0), ArgumentHelper.MakeArgument("trans_b", p.TransB ? 1 : 0)]);
    }

    internal static MatMulPlan PlanOf(OperatorDef def, long[] a, long[] b, bool batched)
    {
        bool ta = def.GetSingleArgument("trans_a", 0) != 0, tb = def.GetSingleArgument("trans_b", 0) != 0;
        return batched
            ? BatchShapes(a, b, ta, tb, def.GetSingleArgument("broadcast", 0) != 0)
            : FlatShapes(a, b, def.GetSingleArgument("axis_a", 1), def.GetSingleArgument("axis_b", 1), ta, tb);
    }

    /// <summary>
    /// The plan of a BatchMatMul on A of <paramref name="a"/> and B of <paramref name="b"/>: the
    /// product sizes, the output dims, and where each batch matrix of A and B starts.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The shapes do not multiply; the message names both shapes and the flags.</exception>
    public static MatMulPlan BatchShapes(long[] a, long[] b, bool transA, bool transB, bool broadcast)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        string Shapes() => $"A [{string.Join(", ", a)}]{(transA ? " (trans_a)" : "")} and B [{string.Join(", ", b)}]{(transB ? " (trans_b)" : "")}";
        if (!broadcast)
        {
            if (a.Length < 2 || b.Length < 2 || a.Length != b.Length)
                throw new EnforceNotMetException($"{Shapes()}: without broadcast, A and B must have the same rank, at least 2 (broadcast = 1 takes numpy's matmul shapes).");
            if (!a.AsSpan(0, a.Length - 2).SequenceEqual(b.AsSpan(0, b.Length - 2)))
                throw new EnforceNotMetException($"{Shapes()}: without broadcast, the batch dims (all but the last two) must be equal.");
        }
        if (a.Length == 0 || b.Length == 0)
            throw new EnforceNotMetException($"{Shapes()}: a matrix product needs operands of rank 1 or more.");
        bool vecA = a.Length == 1, vecB = b.Length == 1;
        // 1-D operands promoted as numpy does; a flag on them is ignored.
        long[] pa = vecA ? [1, a[0]] : a, pb = vecB ? [b[0], 1] : b;
        bool ta = transA && !vecA, tb = transB && !vecB;
        long m = ta ? pa[^1] : pa[^2], ka = ta ? pa[^2] : pa[^1];
        long kb = tb ? pb[^1] : pb[^2], n = tb ? pb[^2] : pb[^1];
        if (ka != kb)
            throw new EnforceNotMetException($"{Shapes()}: the inner dims differ (A gives K = {ka}, B gives K = {kb}).");
        var aBatch = pa[..^2];
        var bBatch = pb[..^2];
        var batchDims = new long[Math.Max(aBatch.Length, bBatch.Length)];
        if (Broadcasting.TryBroadcast(aBatch, bBatch, batchDims) < 0)
            throw new EnforceNotMetException($"{Shapes()}: the batch dims [{string.Join(", ", aBatch)}] and [{string.Join(", ", bBatch)}] do not broadcast.");
        var outDims = new List<long>(batchDims);
        if (!vecA) outDims.Add(m);
        if (!vecB) outDims.Add(n);
        long batch = batchDims.Aggregate(1L, (p, d) => p * d);
        long matA = m * ka, matB = ka * n;
        if (batch * m * n > int.MaxValue || a.Aggregate(1L, (p, d) => p * d) > int.MaxValue || b.Aggregate(1L, (p, d) => p * d) > int.MaxValue)
            throw new EnforceNotMetException($"{Shapes()}: too large (more than {int.MaxValue} elements in an operand or the output).");
        var aOffsets = new int[batch];
        var bOffsets = new int[batch];
        // Each output batch index (an odometer over batchDims) maps to A's and B's batch index,
        // a dim of size 1 in an operand staying at 0 (broadcast).
        var index = new long[batchDims.Length];
        for (long t = 0; t < batch; t++)
        {
            aOffsets[t] = (int)(Flat(index, aBatch) * matA);
            bOffsets[t] = (int)(Flat(index, bBatch) * matB);
            for (int d = index.Length - 1; d >= 0; d--)
            {
                if (++index[d] < batchDims[d]) break;
                index[d] = 0;
            }
        }
        return new MatMulPlan(m, n, ka, ta, tb, ta ? m : ka, tb ? ka : n, batch, [.. outDims], aOffsets, bOffsets);
    }

    // The flat index in an operand of batch dims `dims` (right-aligned with the output's) at the output batch index.
    private static long Flat(long[] outIndex, long[] dims)
    {
        long flat = 0;
        int shift = outIndex.Length - dims.Length;
        for (int d = 0; d < dims.Length; d++) flat = flat * dims[d] + (dims[d] == 1 ? 0 : outIndex[d + shift]);
        return flat;
    }

    /// <summary>The plan of a 2-D MatMul: A flattened at <paramref name="axisA"/>, B at <paramref name="axisB"/>.</summary>
    /// <exception cref="EnforceNotMetException">An axis is out of range, or the inner dims differ (the message names both shapes).</exception>
    public static MatMulPlan FlatShapes(long[] a, long[] b, int axisA, int axisB, bool transA, bool transB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int ca = FullyConnected.Canonical(axisA, a.Length, "axis_a", "A"), cb = FullyConnected.Canonical(axisB, b.Length, "axis_b", "B");
        long a0 = FullyConnected.Product(a, 0, ca), a1 = FullyConnected.Product(a, ca, a.Length), b0 = FullyConnected.Product(b, 0, cb), b1 = FullyConnected.Product(b, cb, b.Length);
        long m = transA ? a1 : a0, k = transA ? a0 : a1, kb = transB ? b1 : b0, n = transB ? b0 : b1;
        if (k != kb)
            throw new EnforceNotMetException(
                $"A [{string.Join(", ", a)}] flattened at axis_a {ca} is [{a0}, {a1}]{(transA ? " (trans_a)" : "")} and B [{string.Join(", ", b)}] flattened at axis_b {cb} is [{b0}, {b1}]{(transB ? " (trans_b)" : "")}; " +
                $"the inner dims differ ({k} vs {kb}).");
        if (a0 * a1 > int.MaxValue || b0 * b1 > int.MaxValue || m * n > int.MaxValue)
            throw new EnforceNotMetException($"A [{string.Join(", ", a)}] and B [{string.Join(", ", b)}] are too large for one GEMM.");
        return new MatMulPlan(m, n, k, transA, transB, (int)a1, (int)b1, 1, [m, n], [0], [0]);
    }
}

/// <summary>
/// A resolved matrix product: <paramref name="Batch"/> products of <c>op(A)</c> [M, K] by
/// <c>op(B)</c> [K, N], batch t reading A from <c>AOffsets[t]</c> and B from <c>BOffsets[t]</c>
/// (row-major, leading dimensions <paramref name="Lda"/> and <paramref name="Ldb"/> as stored) and
/// writing Y from <c>t * M * N</c>.
/// </summary>
public sealed record MatMulPlan(long M, long N, long K, bool TransA, bool TransB, long Lda, long Ldb, long Batch,
    long[] OutputDims, int[] AOffsets, int[] BOffsets);

/// <summary>BatchMatMul(A, B) -&gt; Y and MatMul(A, B) -&gt; Y.</summary>
internal sealed class MatMulOp : OperatorBase
{
    private readonly bool _batched;
    private long[] _aDims = [], _bDims = [];
    private MatMulPlan? _plan;

    public MatMulOp(OperatorDef def, Workspace ws, bool batched) : base(def, ws)
    {
        _batched = batched;
        if (batched && def.GetSingleArgument("broadcast", 0) is not (0 or 1))
            throw new EnforceNotMetException($"argument 'broadcast' must be 0 or 1; got {def.GetSingleArgument("broadcast", 0)}.");
    }

    public override void Run()
    {
        var a = Input(0);
        var b = Input(1);
        if (!MatMul.Types.Contains(a.DataType))
            throw Error($"input 0 '{Def.Input[0]}' is {a.Describe()}; {Type} takes {MatMul.Types}.");
        if (b.DataType != a.DataType)
            throw Error($"input 0 '{Def.Input[0]}' is {a.Describe()} but input 1 '{Def.Input[1]}' is {b.Describe()}; they must have the same type.");
        for (int i = 0; i < 2; i++)
            if (IsInPlace(i, 0)) throw Error($"the output may not be input {i} '{Def.Input[i]}': {Type} does not run in place.");
        if (_plan is null || !a.Dims.SequenceEqual(_aDims) || !b.Dims.SequenceEqual(_bDims))
        {
            _plan = MatMul.PlanOf(Def, a.Shape, b.Shape, _batched);
            (_aDims, _bDims) = (a.Shape, b.Shape);
        }
        var p = _plan;
        var y = Output(0);
        y.Resize(a.DataType, p.OutputDims);
        int m = (int)p.M, n = (int)p.N, k = (int)p.K, mn = m * n;
        if (mn == 0) return;
        if (k == 0)
        {
            // An empty sum: zeros.
            y.RawBytes.Clear();
            return;
        }
        int matA = m * k, matB = k * n, lda = (int)p.Lda, ldb = (int)p.Ldb;
        if (a.DataType == DataType.Float)
        {
            Span<float> ad = a.Data<float>(), bd = b.Data<float>(), yd = y.Data<float>();
            for (int t = 0; t < p.Batch; t++)
                Gemm.Multiply(p.TransA, p.TransB, m, n, k, 1f, ad.Slice(p.AOffsets[t], matA), lda, bd.Slice(p.BOffsets[t], matB), ldb,
                    0f, yd.Slice(t * mn, mn), n, Pool, MaxDegreeOfParallelism);
        }
        else
        {
            Span<double> ad = a.Data<double>(), bd = b.Data<double>(), yd = y.Data<double>();
            for (int t = 0; t < p.Batch; t++)
                MultiplyDouble(p.TransA, p.TransB, m, n, k, ad.Slice(p.AOffsets[t], matA), lda, bd.Slice(p.BOffsets[t], matB), ldb, yd.Slice(t * mn, mn));
        }
    }

    // C[i, j] = sum over p in order of op(A)[i, p] * op(B)[p, j], in double.
    private static void MultiplyDouble(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, Span<double> c)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * n + j] = sum;
            }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for BatchMatMul and MatMul.</summary>
public static class MatMulBuilderExtensions
{
    /// <summary>Adds <c>BatchMatMul(a, b) -&gt; y</c>; <paramref name="broadcast"/> gives numpy's matmul (ONNX MatMul).</summary>
    public static NetBuilder BatchMatMul(this NetBuilder net, string a, string b, string y, bool transA = false, bool transB = false, bool broadcast = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("BatchMatMul", [a, b], [y], name, ArgumentHelper.MakeArgument("trans_a", transA ? 1 : 0),
            ArgumentHelper.MakeArgument("trans_b", transB ? 1 : 0), ArgumentHelper.MakeArgument("broadcast", broadcast ? 1 : 0));
    }

    /// <summary>Adds <c>MatMul(a, b) -&gt; y</c>: a and b flattened to 2-D at the given axes, optionally transposed.</summary>
    public static NetBuilder MatMul(this NetBuilder net, string a, string b, string y, int axisA = 1, int axisB = 1, bool transA = false, bool transB = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("MatMul", [a, b], [y], name, ArgumentHelper.MakeArgument("axis_a", axisA), ArgumentHelper.MakeArgument("axis_b", axisB),
            ArgumentHelper.MakeArgument("trans_a", transA ? 1 : 0), ArgumentHelper.MakeArgument("trans_b", transB ? 1 : 0));
    }
}
