// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// Caffe2's <c>Conv</c> (<c>conv_op.h</c>): 2-D convolution of an NCHW input (1-D as H = 1), with
/// groups, dilation and an optional bias; FLOAT; one registration method.
/// </summary>
/// <remarks>
/// <para>Inputs: X <c>[N, C, H, W]</c> (or <c>[N, C, W]</c>), filter <c>[M, C / group, kH, kW]</c>
/// (or <c>[M, C / group, kW]</c>), optional bias <c>[M]</c>. Arguments as in
/// <see cref="ConvPoolArgs"/> (kernel, stride, pad, dilation in their forms, <c>legacy_pad</c>;
/// <c>order</c> must be NCHW), and <c>group</c> (default 1), which must divide C and M. The kernel
/// argument must agree with the filter's spatial dims.</para>
/// <para>The internal argument <c>activation</c> (<see cref="ActivationArg"/>: <c>"Relu"</c> or empty),
/// set by a net optimiser, fuses a Relu into the store.</para>
/// <para>Runs on <see cref="Convolution.Forward"/>: per image and group an implicit-GEMM (the
/// image unfolded straight into the GEMM's packed panels, per thread, never a whole column
/// matrix), a 1x1 stride-1 unpadded convolution on the input as it is, a depthwise convolution on
/// a direct kernel; the bias and the Relu are applied as each output is stored, after the full sum.</para>
/// </remarks>
public static class Conv
{
    /// <summary>The pack name used by <see cref="AddConv"/>.</summary>
    public const string PackName = "Caffe2Sharp.Conv";

    /// <summary>Adds the Conv pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddConv(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the Conv schema and CPU kernel into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ConvPoolArgs.DeclareWindowArgs(catalog.Schemas.Schema("Conv").NumInputs(2, 3).NumOutputs(1), "Kernel", pooling: false)
            .Arg("group", "*(type: int; default: 1)* Number of groups; must divide C and M.", 1)
            .Arg(ActivationArg, "*(type: string; default: \"\")* Internal, set by a net optimiser that fuses a following Relu into this Conv: \"Relu\" applies y = y < 0 ? 0 : y to each output after the bias, in the same store (bit-identical to a separate Relu operator); empty (the default) applies nothing. Not a Caffe2 argument.", "")
            .ConvolutionInference("Conv", static (def, x, w, b) =>
            {
                var s = Shapes(def, x, w, b);
                // One multiply-add per filter tap per output.
                return (s.OutputDims, s.OutputDims.Aggregate(1L, (p, d) => p * d) * s.ChannelsPerGroup * s.KernelSize);
            })
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT input [N, C, H, W] (or [N, C, W]), NCHW.")
            .Input(1, "filter", "FLOAT filters [M, C / group, kH, kW] (or [M, C / group, kW]).")
            .Input(2, "bias", "Optional FLOAT bias [M].")
            .Output(0, "Y", "[N, M, H_out, W_out] (or [N, M, W_out]).")
            .SetDoc("2-D (or 1-D) convolution of an NCHW input with grouped, dilated, strided and padded filters and an optional bias per output channel.");
        catalog.Operators.Register("Conv", static (d, ws) => new ConvOp(d, ws));
        catalog.Passes.Add(new FuseReluInto("fuse Relu into Conv", NetPassStage.Simplify, "Conv"));
        catalog.Passes.Add(new FuseBiasAddIntoConv());
    }

    /// <summary>The resolved sizes of a convolution.</summary>
    /// <param name="OutputDims">The output dims <c>[N, M, out...]</c>.</param>
    /// <param name="Spatial">The resolved spatial dims (one or two).</param>
    /// <param name="Group">The group count.</param>
    /// <param name="ChannelsPerGroup">Input channels per group, <c>C / group</c>.</param>
    /// <param name="KernelSize">The product of the kernel sizes.</param>
    public readonly record struct ConvShapes(long[] OutputDims, SpatialDim[] Spatial, int Group, long ChannelsPerGroup, long KernelSize);

    /// <summary>Checks the inputs of a Conv def and computes its output dims.</summary>
    /// <param name="def">The def (its arguments).</param>
    /// <param name="xDims">X's dims.</param>
    /// <param name="wDims">The filter's dims.</param>
    /// <param name="biasDims">The bias's dims, or null without a bias.</param>
    /// <exception cref="EnforceNotMetException">The shapes do not agree or an argument is invalid; the message names the shapes.</exception>
    public static ConvShapes Shapes(OperatorDef def, long[] xDims, long[] wDims, long[]? biasDims)
    {
        ArgumentNullException.ThrowIfNull(def);
        ArgumentNullException.ThrowIfNull(xDims);
        ArgumentNullException.ThrowIfNull(wDims);
        var args = ParseArgs(def);
        return Shapes(args, def.GetSingleArgument("group", 1), def.Input.Count > 0 ? def.Input[0] : "X", def.Input.Count > 1 ? def.Input[1] : "filter",
            def.Input.Count > 2 ? def.Input[2] : "bias", xDims, wDims, biasDims);
    }

    /// <summary>
    /// The internal, optimiser-facing argument naming an activation fused into the convolution's
    /// store: <c>"Relu"</c> or empty (none). Caffe2 has no such argument; a net optimiser that
    /// folds a <c>Relu</c> following a Conv into it sets it (ONNX Runtime's <c>FusedConv</c> has
    /// the same attribute name).
    /// </summary>
    public const string ActivationArg = "activation";

    /// <summary>The activations <see cref="ActivationArg"/> accepts besides empty.</summary>
    public const string ReluActivation = "Relu";

    internal static bool ParseActivation(OperatorDef def)
    {
        string activation = def.GetSingleArgument(ActivationArg, "");
        return activation switch
        {
            "" => false,
            ReluActivation => true,
            _ => throw new EnforceNotMetException($"{def.DisplayName}: argument '{ActivationArg}' = \"{activation}\" is not supported; it must be \"{ReluActivation}\" or empty."),
        };
    }

    internal static ConvPoolArgs ParseArgs(OperatorDef def)
    {
        if (def.GetSingleArgument("global_pooling", 0) != 0)
            throw new EnforceNotMetException($"{def.DisplayName}: 'global_pooling' is not a Conv argument.");
        return ConvPoolArgs.Parse(def, pooling: false);
    }

    internal static ConvShapes Shapes(ConvPoolArgs args, int group, string xName, string wName, string bName, ReadOnlySpan<long> xDims, ReadOnlySpan<long> wDims, long[]? biasDims)
    {
        // Messages are formatted only on the error paths.
        static string D(string what, string name, ReadOnlySpan<long> d) => $"{what} '{name}' [{string.Join(", ", d.ToArray())}]";
        if (xDims.Length is not (3 or 4))
            throw new EnforceNotMetException($"{D("X", xName, xDims)} must be [N, C, H, W] or [N, C, W] (NCHW, 2-D or 1-D convolution).");
        if (wDims.Length != xDims.Length)
            throw new EnforceNotMetException($"{D("filter", wName, wDims)} must have the rank of {D("X", xName, xDims)}: [M, C / group, kernel...].");
        if (group < 1)
            throw new EnforceNotMetException($"argument 'group' = {group} must be at least 1.");
        long c = xDims[1], m = wDims[0];
        if (c % group != 0 || m % group != 0)
            throw new EnforceNotMetException($"group {group} must divide both the input channels C = {c} of {D("X", xName, xDims)} and the filters M = {m} of {D("filter", wName, wDims)}.");
        if (wDims[1] != c / group)
            throw new EnforceNotMetException($"{D("filter", wName, wDims)} has {wDims[1]} channels per filter but {D("X", xName, xDims)} with group {group} needs C / group = {c / group}.");
        var spatial = new SpatialDim[xDims.Length - 2];
        args.Resolve(xDims, spatial, xName);
        long kernelSize = 1;
        var outDims = new long[xDims.Length];
        outDims[0] = xDims[0];
        outDims[1] = m;
        for (int d = 0; d < spatial.Length; d++)
        {
            if (spatial[d].Kernel != wDims[d + 2])
                throw new EnforceNotMetException($"the kernel argument ({spatial[d].Kernel} in spatial dim {d}) does not match {D("filter", wName, wDims)}.");
            kernelSize *= spatial[d].Kernel;
            outDims[d + 2] = spatial[d].Out;
        }
        if (biasDims is not null && (biasDims.Length != 1 || biasDims[0] != m))
            throw new EnforceNotMetException($"bias '{bName}' [{string.Join(", ", biasDims)}] must be [M] = [{m}], one value per filter of {D("filter", wName, wDims)}.");
        return new ConvShapes(outDims, spatial, group, c / group, kernelSize);
    }
}

/// <summary>Conv(X, filter[, bias]) -&gt; Y.</summary>
internal sealed class ConvOp : ConvolutionOperator<Conv.ConvShapes>
{
    private readonly ConvPoolArgs _args;
    private readonly int _group;
    private readonly bool _relu;

    public ConvOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _args = Conv.ParseArgs(def);
        _group = GetSingleArgument("group", 1);
        _relu = Conv.ParseActivation(def);
    }

    protected override Conv.ConvShapes ComputeShapes() =>
        Conv.Shapes(_args, _group, Def.Input[0], Def.Input[1], InputSize > 2 ? Def.Input[2] : "bias", Input(0).Dims, Input(1).Dims,
            InputSize > 2 ? Input(2).Dims.ToArray() : null);

    public override void Run()
    {
        var s = CheckInputsAndShapes("Conv");
        var x = Input(0);
        var w = Input(1);
        bool hasBias = InputSize > 2;
        var y = Output(0);
        y.Resize(DataType.Float, s.OutputDims);
        bool twoD = s.Spatial.Length == 2;
        var sh = twoD ? s.Spatial[0] : new SpatialDim(1, 1, 1, 1, 0, 0, 1);
        var sw = s.Spatial[^1];
        long n = x.Dims[0], c = x.Dims[1], m = w.Dims[0];
        long kdim = s.ChannelsPerGroup * s.KernelSize, outPlane = (long)sh.Out * sw.Out;
        if (kdim > int.MaxValue || outPlane > int.MaxValue || x.Size > int.MaxValue || y.Size > int.MaxValue || w.Size > int.MaxValue)
            throw Error($"X {x.Describe()} and filter {w.Describe()} are too large for this implementation.");
        var ys = y.Data<float>();
        if (ys.Length == 0) return;
        var bias = hasBias ? Input(2).Data<float>() : default;
        if (kdim == 0)
        {
            // No taps: every output is its bias (or 0), then the activation.
            for (long r = 0; r < n * m; r++)
            {
                float v = bias.IsEmpty ? 0f : bias[(int)(r % m)];
                if (_relu && v < 0) v = 0;
                ys.Slice((int)(r * outPlane), (int)outPlane).Fill(v);
            }
            return;
        }
        var g = new ConvGeometry((int)c, sh.In, sw.In, (int)m, s.Group, sh.Kernel, sw.Kernel, sh.Stride, sw.Stride,
            sh.PadBegin, sw.PadBegin, sh.Dilation, sw.Dilation, sh.Out, sw.Out);
        Convolution.Forward(in g, (int)n, x.Data<float>(), w.Data<float>(), bias, _relu, ys, Pool, MaxDegreeOfParallelism);
    }
}

/// <summary>
/// The inference pass that fuses a <c>Relu</c> into the operator that feeds it, one of
/// <paramref name="producers"/> (ONNX Runtime's ConvActivationFusion and GemmActivationFusion):
/// the producer gets <see cref="Conv.ActivationArg"/> = <c>"Relu"</c> and writes the Relu's
/// output; the Relu is removed. Bit-identical to the two ops (the fused store applies the same
/// <c>y &lt; 0 ? 0 : y</c> after the bias).
/// </summary>
/// <remarks>
/// Applies only when the producer's output is read by the Relu alone (or the Relu runs in place
/// on it) and is not protected, the producer has no activation yet, and nothing between the two
/// ops touches the Relu's output. The stage runs to a fixpoint, so Conv + SpatialBN + Relu
/// becomes one op.
/// </remarks>
/// <param name="name">The pass's name in reports.</param>
/// <param name="stage">When it runs (the NCHWc conv takes its Relu in the layout stage).</param>
/// <param name="producers">The operator types that take the Relu (each reads <see cref="Conv.ActivationArg"/>).</param>
internal sealed class FuseReluInto(string name, NetPassStage stage, params string[] producers) : INetPass
{
    public string Name => name;

    public NetPassStage Stage => stage;

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var relu = ops[k];
            if (relu.Type != "Relu" || relu.Input.Count != 1 || relu.Output.Count != 1) continue;
            foreach (var type in producers)
            {
                int j = context.FindMergeableProducer(k, type);
                if (j < 0 || ops[j].GetSingleArgument(Conv.ActivationArg, "").Length > 0) continue;
                ops[j].SetArgument(Conv.ActivationArg, Conv.ReluActivation);
                context.MergeIntoProducer(k, j, "fused");
                return 1;
            }
        }
        return 0;
    }
}

/// <summary>
/// The inference pass that fuses an <c>Add</c> of a constant per-channel bias into the bias-less
/// <c>Conv</c> that feeds it (ONNX Runtime's ConvAddFusion; nets exported through ONNX, such as
/// the Caffe2 LeNet, write <c>Conv</c> then <c>Add(Y, b, broadcast=1, axis=1)</c>): the Conv takes
/// the bias and writes the Add's output; the Add is removed. Bit-identical: the Conv adds the
/// bias to the finished sum, as the Add did.
/// </summary>
/// <remarks>
/// Applies when the Add's second input is a FLOAT constant whose dims are all 1 except the one
/// that lines up with the Conv output's channel dim (by the Add's own broadcast rule), which is M;
/// the Conv has no bias and no activation yet, and the merge rules of
/// <see cref="NetPassContext.FindMergeableProducer"/> hold. A bias that is not 1-D is copied to a
/// new 1-D constant.
/// </remarks>
internal sealed class FuseBiasAddIntoConv : INetPass
{
    public string Name => "fuse bias Add into Conv";

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var add = ops[k];
            if (add.Type != "Add" || add.Input.Count != 2 || add.Output.Count != 1 || add.Input[0] == add.Input[1]) continue;
            string b = add.Input[1];
            if (!context.IsConstant(b)) continue;
            int j = context.FindMergeableProducer(k, "Conv");
            if (j < 0) continue;
            var conv = ops[j];
            if (conv.Input.Count != 2 || conv.GetSingleArgument(Conv.ActivationArg, "").Length > 0 || !context.IsConstant(conv.Input[1])) continue;
            var w = context.Constant(conv.Input[1]);
            var bias = context.Constant(b);
            if (w.DataType != DataType.Float || bias.DataType != DataType.Float || w.Rank < 3) continue;
            if (!IsPerChannel(add, bias.Dims, w.Rank, w.Dims[0])) continue;
            string biasName = bias.Rank == 1 ? b : context.AddConstant(b + "_conv_bias", Tensor.From<float>(bias.ToArray<float>(), w.Dims[0]));
            conv.Input.Add(biasName);
            context.MergeIntoProducer(k, j, "fused");
            return 1;
        }
        return 0;
    }

    // True when B, added to a Conv output of rank `rank` under the Add's broadcast rule, adds B's
    // value m to every element of channel m (dim 1): B's dims are all 1 except M at the channel dim.
    private static bool IsPerChannel(OperatorDef add, ReadOnlySpan<long> b, int rank, long m)
    {
        bool legacy = add.GetSingleArgument("broadcast", 0L) == 1;
        long axis = add.GetSingleArgument("axis", -1L);
        if (b.Length == 0 || b.Length > rank) return false;
        // Legacy: B lines up with Y at axis (-1: trailing); numpy: trailing.
        long start = legacy && axis != -1 ? (axis < 0 ? axis + rank : axis) : rank - b.Length;
        if (start < 0 || start + b.Length > rank) return false;
        for (int d = 0; d < b.Length; d++)
            if (b[d] != (start + d == 1 ? m : 1)) return false;
        return start <= 1;
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for Conv.</summary>
public static class ConvBuilderExtensions
{
    /// <summary>Adds <c>Conv(x, filter[, bias]) -&gt; y</c> with a square kernel, stride and pad (NOTSET padding).</summary>
    public static NetBuilder Conv(this NetBuilder net, string x, string filter, string? bias, string y, int kernel, int stride = 1, int pad = 0, int group = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        string[] inputs = bias is null ? [x, filter] : [x, filter, bias];
        return net.Op("Conv", inputs, [y], name,
            ArgumentHelper.MakeArgument("kernel", kernel), ArgumentHelper.MakeArgument("stride", stride), ArgumentHelper.MakeArgument("pad", pad),
            ArgumentHelper.MakeArgument("group", group));
    }
}
