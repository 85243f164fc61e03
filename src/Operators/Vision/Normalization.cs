// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// Caffe2's normalisation operators: <c>SpatialBN</c> in inference (<c>spatial_batch_norm_op.h</c>,
/// <c>is_test = 1</c>) and <c>LRN</c> across channels (<c>local_response_normalization_op.cc</c>);
/// one registration method.
/// </summary>
/// <remarks>
/// <para>SpatialBN, inputs <c>X, scale, bias, mean, var</c>, per channel c:
/// <c>Y = (X - mean) / sqrt(var + epsilon) * scale + bias</c>, evaluated as <c>Y = X * a + b</c> with
/// <c>a = scale / sqrt(var + epsilon)</c> and <c>b = bias - mean * a</c> computed in double and
/// rounded to float once per channel (<see cref="BatchNormKernel"/>). Training mode (<c>is_test</c> = 0,
/// Caffe2's default) is not supported yet: creating the op fails with a message saying so.</para>
/// <para>LRN: <c>scale = bias + (alpha / size) * sum of X^2</c> over channels <c>c - (size - 1) / 2</c>
/// to <c>c - (size - 1) / 2 + size - 1</c> (clipped), <c>Y = X * scale^-beta</c>; the optional second
/// output is <c>scale</c> (<see cref="LrnKernel"/>). ONNX's LRN is the same formula (its alpha is
/// divided by size too).</para>
/// </remarks>
public static class Normalization
{
    /// <summary>The pack name used by <see cref="AddNormalization"/>.</summary>
    public const string PackName = "Caffe2Sharp.Normalization";

    /// <summary>Adds the normalisation pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddNormalization(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels of SpatialBN and LRN into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("SpatialBN")
            .NumInputs(5).NumOutputs(1, 5)
            .Arg("is_test", "*(type: int; default: 0)* Nonzero: inference with the given mean and var (the only mode supported yet).", 0)
            .Arg("epsilon", "*(type: float; default: 1e-5)* Added to the variance.", 1e-5f)
            .Arg("momentum", "*(type: float; default: 0.9)* Running-average factor of training mode (not supported yet).", 0.9f)
            .Arg("order", "*(type: string; default: NCHW)* NCHW (channels at dim 1) or NHWC (channels last).", "NCHW")
            .AllowInplace((0, 0))
            .TensorInferenceFunction(static (def, inputs) =>
            {
                Enforce.That(inputs.Count == 5, () => $"SpatialBN takes 5 inputs; {inputs.Count} given.");
                var shapes = new List<TensorShape> { inputs[0].Clone() };
                for (int k = 1; k < def.Output.Count; k++) shapes.Add(inputs[1].Clone());
                return shapes;
            })
            .CostInferenceFunction(static (def, inputs) =>
            {
                long n = inputs[0].ElementCount, c = inputs[1].ElementCount;
                Enforce.That(n >= 0 && c >= 0, () => $"SpatialBN cost of {def.DisplayName}: an input shape is unknown.");
                return new Cost((ulong)(2 * n + 4 * c), (ulong)(n + 4 * c) * sizeof(float), (ulong)n * sizeof(float), (ulong)(4 * c) * sizeof(float));
            })
            .InheritOnnxSchema("BatchNormalization")
            .Input(0, "X", "FLOAT input, [N, C, ...] (NCHW) or [N, ..., C] (NHWC).")
            .Input(1, "scale", "FLOAT [C]: the per-channel scale (gamma).")
            .Input(2, "bias", "FLOAT [C]: the per-channel bias (beta).")
            .Input(3, "mean", "FLOAT [C]: the running mean.")
            .Input(4, "var", "FLOAT [C]: the running variance.")
            .Output(0, "Y", "The normalised X; same shape and type.")
            .Output(1, "running_mean", "(training mode only, not supported yet)")
            .Output(2, "running_var", "(training mode only, not supported yet)")
            .Output(3, "saved_mean", "(training mode only, not supported yet)")
            .Output(4, "saved_inv_var", "(training mode only, not supported yet)")
            .SetDoc("Inference (is_test = 1): Y = (X - mean) / sqrt(var + epsilon) * scale + bias per channel. Training mode is not supported yet.");
        catalog.Operators.Register("SpatialBN", static (d, ws) => new SpatialBNOp(d, ws));
        catalog.Passes.Add(new FoldSpatialBNIntoConv());

        catalog.Schemas.Schema("LRN")
            .NumInputs(1).NumOutputs(1, 2)
            .Arg("size", "*(type: int; required)* Number of channels in the window, 1 or more.", null, ArgumentKind.Int, required: true)
            .Arg("alpha", "*(type: float; default: 0)* Scaling of the sum of squares (divided by size).", 0f)
            .Arg("beta", "*(type: float; default: 0)* The exponent.", 0f)
            .Arg("bias", "*(type: float; default: 1)* Added to the scaled sum.", 1f)
            .Arg("order", "*(type: string; default: NCHW)* NCHW (channels at dim 1) or NHWC (channels last).", "NCHW")
            .TensorInferenceFunction(static (def, inputs) =>
            {
                Enforce.That(inputs.Count == 1, () => $"LRN takes one input; {inputs.Count} given.");
                return def.Output.Count > 1 ? [inputs[0].Clone(), inputs[0].Clone()] : [inputs[0].Clone()];
            })
            .CostInferenceFunction(static (def, inputs) =>
            {
                long n = inputs[0].ElementCount;
                Enforce.That(n >= 0, () => $"LRN cost of {def.DisplayName}: the input shape is unknown.");
                long size = def.GetSingleArgument("size", 1);
                return new Cost((ulong)(n * (2 * size + 12)), (ulong)n * sizeof(float), (ulong)(n * def.Output.Count) * sizeof(float));
            })
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT input, [N, C, ...] (NCHW) or [N, ..., C] (NHWC).")
            .Output(0, "Y", "X * scale^-beta; same shape and type.")
            .Output(1, "scale", "(optional) bias + (alpha / size) * the window's sum of squares; same shape.")
            .SetDoc("Local response normalisation across channels: scale = bias + (alpha / size) * sum of X^2 over channels c - (size - 1) / 2 .. c - (size - 1) / 2 + size - 1 (clipped); Y = X * scale^-beta.");
        catalog.Operators.Register("LRN", static (d, ws) => new LrnOp(d, ws));
    }

    /// <summary>The <c>[outer, channels, inner]</c> view of <paramref name="dims"/> for an order (NCHW or NHWC), rank 2 or more.</summary>
    internal static (int Outer, int Channels, int Inner) View(ReadOnlySpan<long> dims, bool nhwc)
    {
        int channelAxis = nhwc ? dims.Length - 1 : 1;
        long outer = 1, inner = 1;
        for (int k = 0; k < channelAxis; k++) outer *= dims[k];
        for (int k = channelAxis + 1; k < dims.Length; k++) inner *= dims[k];
        return ((int)outer, (int)dims[channelAxis], (int)inner);
    }

    internal static bool ReadOrder(OperatorBase op, Func<string, Exception> error)
    {
        string order = op.Def.GetSingleArgument("order", "NCHW");
        return order switch
        {
            "NCHW" => false,
            "NHWC" => true,
            _ => throw error($"argument 'order' = '{order}' must be NCHW or NHWC."),
        };
    }
}

/// <summary>SpatialBN(X, scale, bias, mean, var) -&gt; Y, inference only.</summary>
internal sealed class SpatialBNOp : OperatorBase
{
    private readonly double _epsilon;
    private readonly bool _nhwc;
    private float[] _a = [], _b = [];

    public SpatialBNOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        if (GetSingleArgument("is_test", 0) == 0)
            throw Error("only inference is supported yet: set is_test = 1 (training mode, is_test = 0, is not implemented).");
        if (OutputSize != 1) throw Error($"in test mode SpatialBN has one output; {OutputSize} given.");
        _epsilon = GetSingleArgument("epsilon", 1e-5f);
        if (!(_epsilon >= 0)) throw Error($"argument 'epsilon' = {_epsilon} must be 0 or more.");
        _nhwc = Normalization.ReadOrder(this, m => Error(m));
    }

    public override void Run()
    {
        var x = Input(0);
        if (x.DataType != DataType.Float) throw Error($"input '{Def.Input[0]}' must be FLOAT; it is {x.Describe()}.");
        if (x.Rank < 2) throw Error($"input '{Def.Input[0]}' must have rank 2 or more; it is {x.Describe()}.");
        var (outer, channels, inner) = Normalization.View(x.Dims, _nhwc);
        for (int k = 1; k < 5; k++)
        {
            var p = Input(k);
            if (p.DataType != DataType.Float || p.Rank != 1 || p.Size != channels)
                throw Error($"input '{Def.Input[k]}' must be FLOAT [{channels}] (one per channel of '{Def.Input[0]}' {x.Describe()}); it is {p.Describe()}.");
        }
        if (_a.Length != channels)
        {
            _a = new float[channels];
            _b = new float[channels];
        }
        BatchNormKernel.Affine(Input(1).Data<float>(), Input(2).Data<float>(), Input(3).Data<float>(), Input(4).Data<float>(), _epsilon, _a, _b);
        var y = Output(0);
        if (!IsInPlace(0, 0)) y.Resize(DataType.Float, x.Dims);
        if (_nhwc) BatchNormKernel.ApplyNhwc(x.Data<float>(), y.Data<float>(), outer, _a, _b);
        else BatchNormKernel.ApplyNchw(x.Data<float>(), y.Data<float>(), outer, inner, _a, _b);
    }
}

/// <summary>LRN(X) -&gt; Y[, scale].</summary>
internal sealed class LrnOp : OperatorBase
{
    private readonly int _size;
    private readonly double _alpha, _beta, _bias;
    private readonly bool _nhwc;

    public LrnOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        if (!def.HasArgument("size")) throw Error("argument 'size' is required.");
        _size = GetSingleArgument("size", 0);
        if (_size < 1) throw Error($"argument 'size' = {_size} must be 1 or more.");
        _alpha = GetSingleArgument("alpha", 0f);
        _beta = GetSingleArgument("beta", 0f);
        _bias = GetSingleArgument("bias", 1f);
        _nhwc = Normalization.ReadOrder(this, m => Error(m));
    }

    public override void Run()
    {
        var x = Input(0);
        if (x.DataType != DataType.Float) throw Error($"input '{Def.Input[0]}' must be FLOAT; it is {x.Describe()}.");
        if (x.Rank < 2) throw Error($"input '{Def.Input[0]}' must have rank 2 or more; it is {x.Describe()}.");
        if (IsInPlace(0, 0) || (OutputSize > 1 && IsInPlace(0, 1)))
            throw Error("LRN cannot run in place: every output element reads its neighbours' inputs.");
        var (outer, channels, inner) = Normalization.View(x.Dims, _nhwc);
        var y = Output(0);
        y.Resize(DataType.Float, x.Dims);
        Span<float> scale = default;
        if (OutputSize > 1)
        {
            var s = Output(1);
            s.Resize(DataType.Float, x.Dims);
            scale = s.Data<float>();
        }
        LrnKernel.Forward(x.Data<float>(), y.Data<float>(), scale, outer, channels, inner, _size, _alpha, _beta, _bias);
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the normalisation pack.</summary>
public static class NormalizationBuilderExtensions
{
    /// <summary>Adds <c>SpatialBN(x, scale, bias, mean, var) -&gt; y</c> in inference (<c>is_test = 1</c>).</summary>
    public static NetBuilder SpatialBNForInference(this NetBuilder net, string x, string scale, string bias, string mean, string variance, string y,
        float epsilon = 1e-5f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("SpatialBN", [x, scale, bias, mean, variance], [y], name,
            ArgumentHelper.MakeArgument("is_test", 1), ArgumentHelper.MakeArgument("epsilon", epsilon));
    }

    /// <summary>Adds <c>LRN(x) -&gt; y</c> across channels.</summary>
    public static NetBuilder Lrn(this NetBuilder net, string x, string y, int size, float alpha, float beta, float bias = 1f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("LRN", [x], [y], name, ArgumentHelper.MakeArgument("size", size), ArgumentHelper.MakeArgument("alpha", alpha),
            ArgumentHelper.MakeArgument("beta", beta), ArgumentHelper.MakeArgument("bias", bias));
    }
}

/// <summary>
/// The inference pass that folds a test-mode <c>SpatialBN</c> into the <c>Conv</c> that feeds it
/// (Caffe2's <c>fuseConvBN</c>, ONNX Runtime's ConvBNFusion): per output channel m,
/// <c>s = scale / sqrt(var + epsilon)</c>, <c>W'[m] = W[m] * s</c> and <c>b'[m] = (b[m] - mean) * s + bias</c>
/// (b = 0 without a bias), computed in double and rounded once. The folded weights are new
/// constants (<c>conv1_w_bnfold</c>...); the user's weights are unchanged.
/// </summary>
/// <remarks>
/// Applies only when the Conv's output is read by the SpatialBN alone and is not protected, the
/// Conv's filter and bias and the SpatialBN's four parameters are FLOAT constants of matching
/// sizes, both ops are NCHW, and nothing between them touches the SpatialBN's output (ops after
/// the SpatialBN may write it in place, as ResNet's Relu and residual Sum do).
/// </remarks>
internal sealed class FoldSpatialBNIntoConv : INetPass
{
    public string Name => "fold SpatialBN into Conv";

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var bn = ops[k];
            if (bn.Type != "SpatialBN" || bn.GetSingleArgument("is_test", 0) == 0 || bn.Output.Count != 1 || bn.Input.Count != 5) continue;
            if (bn.GetSingleArgument("order", "NCHW") != "NCHW") continue;
            int j = context.FindMergeableProducer(k, "Conv");
            if (j < 0) continue;
            var conv = ops[j];
            if (conv.GetSingleArgument("order", "NCHW") != "NCHW") continue;
            if (!Parameters(context, conv, bn, out var w, out var b, out var p)) continue;

            double epsilon = bn.GetSingleArgument("epsilon", 1e-5f);
            long m = w.Dims[0], perFilter = w.Size / Math.Max(m, 1);
            var wf = new Tensor(DataType.Float, w.Dims);
            var bf = new Tensor(DataType.Float, m);
            var wIn = w.Data<float>();
            var wOut = wf.Data<float>();
            var bOut = bf.Data<float>();
            for (int c = 0; c < m; c++)
            {
                double s = p.Scale[c] / Math.Sqrt(p.Var[c] + epsilon);
                for (long q = 0; q < perFilter; q++) wOut[(int)(c * perFilter + q)] = (float)(wIn[(int)(c * perFilter + q)] * s);
                bOut[c] = (float)(((b is null ? 0.0 : b[c]) - p.Mean[c]) * s + p.Bias[c]);
            }
            // A Conv without a bias gets one, named as Caffe2 names biases (conv1_w -> conv1_b).
            string wName = conv.Input[1];
            string bName = conv.Input.Count > 2 ? conv.Input[2] : wName.EndsWith("_w", StringComparison.Ordinal) ? wName[..^2] + "_b" : wName + "_bias";
            conv.Input[1] = context.AddConstant(wName + "_bnfold", wf);
            string foldedBias = context.AddConstant(bName + "_bnfold", bf);
            if (conv.Input.Count > 2) conv.Input[2] = foldedBias;
            else conv.Input.Add(foldedBias);
            context.MergeIntoProducer(k, j, "folded");
            return 1;
        }
        return 0;
    }

    private sealed record BnParameters(float[] Scale, float[] Bias, float[] Mean, float[] Var);

    private static bool Parameters(NetPassContext context, OperatorDef conv, OperatorDef bn, out Tensor w, out float[]? b, out BnParameters p)
    {
        w = null!;
        b = null;
        p = null!;
        if (conv.Input.Count < 2 || !IsFloatConstant(context, conv.Input[1])) return false;
        w = context.Constant(conv.Input[1]);
        if (w.Rank < 2) return false;
        long m = w.Dims[0];
        if (conv.Input.Count > 2)
        {
            if (!IsFloatConstant(context, conv.Input[2]) || context.Constant(conv.Input[2]).Size != m) return false;
            b = context.Constant(conv.Input[2]).ToArray<float>();
        }
        var values = new float[4][];
        for (int i = 0; i < 4; i++)
        {
            string name = bn.Input[i + 1];
            if (!IsFloatConstant(context, name) || context.Constant(name).Size != m) return false;
            values[i] = context.Constant(name).ToArray<float>();
        }
        p = new BnParameters(values[0], values[1], values[2], values[3]);
        return true;
    }

    private static bool IsFloatConstant(NetPassContext context, string name) =>
        context.IsConstant(name) && context.Constant(name).DataType == DataType.Float;
}

