// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// One spatial dim of a transposed convolution, resolved for a given input.
/// </summary>
/// <param name="In">Input (X) size.</param>
/// <param name="Kernel">Filter size.</param>
/// <param name="Stride">Step between the filter's placements in the output.</param>
/// <param name="Dilation">Filter dilation.</param>
/// <param name="PadBegin">Cropped from the start of the full output.</param>
/// <param name="PadEnd">Cropped from the end of the full output.</param>
/// <param name="Adj">Added at the end of the output (<c>adj</c>, ONNX's <c>output_padding</c>).</param>
/// <param name="Out">Output (Y) size: <c>(In - 1) * Stride + Dilation * (Kernel - 1) + 1 + Adj - PadBegin - PadEnd</c>.</param>
public readonly record struct TransposedDim(int In, int Kernel, int Stride, int Dilation, int PadBegin, int PadEnd, int Adj, int Out);

/// <summary>
/// Caffe2's <c>ConvTranspose</c> (<c>conv_transpose_op.h</c>, <c>conv_transpose_unpool_op_base.h</c>):
/// the transposed ("de-") convolution of an NCHW input, 2-D (and 1-D), with groups and an optional
/// bias; FLOAT; one registration method.
/// </summary>
/// <remarks>
/// <para>Inputs: X <c>[N, C, H, W]</c> (or <c>[N, C, W]</c>), filter <c>[C, M / group, kH, kW]</c>
/// (input channels first, as in Caffe2 and ONNX; Caffe2's own docs call X's channels M and Y's C),
/// optional bias <c>[M]</c>. Output Y <c>[N, M, H_out, W_out]</c>, per spatial dim
/// <c>out = (in - 1) * stride + dilation * (k - 1) + 1 + adj - pad_begin - pad_end</c>. Each input
/// pixel scatters its filter, scaled, into the output at <c>in * stride - pad_begin + k * dilation</c>:
/// <c>Y[n, g*Mg + m, o] = bias[g*Mg + m] + sum_{c in group g, i, k : i*stride - pad_begin + k*dilation = o} X[n, c, i] * W[c, m, k]</c>.</para>
/// <para>Arguments as Conv's (<see cref="ConvPoolArgs"/>: kernel, stride, pad and their forms; the
/// kernel is required and must agree with the filter), plus <c>adj</c> / <c>adjs</c> /
/// <c>adj_h</c>+<c>adj_w</c> (default 0; Caffe2 requires <c>0 &lt;= adj &lt;= stride</c>) and
/// <c>group</c> (default 1, must divide C). <c>legacy_pad</c>: 0 NOTSET uses the pads; 1 VALID and
/// 2 SAME both mean no padding, <c>out = (in - 1) * stride + k + adj</c> (Caffe2 treats them alike
/// here; SAME does not keep <c>in * stride</c>); 3 is refused, as in Caffe2. Differences from
/// Caffe2, all extensions: dilation is honoured (Caffe2's ConvTranspose ignores it; ONNX has it),
/// a 3-D input is a 1-D transposed convolution, and an empty batch gives an empty output. Only
/// <c>order</c> NCHW is supported.</para>
/// <para>Per image and group the product <c>col = W_gᵀ · X_g</c> (<c>[Mg * kH * kW, H * W]</c>) runs on
/// <see cref="Gemm"/> with the operator's threads, into a per-thread buffer reused across runs;
/// col2im then adds each column into the output (serially, in a fixed order, so results are
/// bit-identical at every thread count), and the bias is added per output channel. The gradient
/// (<c>ConvTransposeGradient</c>, as Caffe2's) unfolds dY on X's grid and runs two products.</para>
/// </remarks>
public static class ConvTranspose
{
    /// <summary>The pack name used by <see cref="AddConvTranspose"/>.</summary>
    public const string PackName = "Caffe2Sharp.ConvTranspose";

    /// <summary>Adds the ConvTranspose pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddConvTranspose(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the ConvTranspose and ConvTransposeGradient schemas and CPU kernels, and the gradient maker, into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ConvPoolArgs.DeclareWindowArgs(catalog.Schemas.Schema("ConvTranspose").NumInputs(2, 3).NumOutputs(1), "Kernel", pooling: false)
            .Arg("adj", "*(type: int; default: 0)* Extra output rows/columns at the end of every spatial dim (ONNX's output_padding); 0 <= adj <= stride.", 0)
            .Arg("adjs", "*(type: int[])* adj per spatial dim.", Array.Empty<long>())
            .Arg("adj_h", "*(type: int)* Vertical adj (with adj_w).", 0)
            .Arg("adj_w", "*(type: int)* Horizontal adj (with adj_h).", 0)
            .Arg("group", "*(type: int; default: 1)* Number of groups; must divide C. Y has M = filter.dim(1) * group channels.", 1)
            .ConvolutionInference("ConvTranspose", static (def, x, w, b) =>
            {
                var s = Shapes(def, x, w, b);
                // One multiply-add per input element per filter tap of its group's outputs:
                // N * C * H * W * (M / group) * kH * kW.
                return (s.OutputDims, x.Aggregate(1L, (p, d) => p * d) * s.OutputChannelsPerGroup * s.KernelSize);
            })
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT input [N, C, H, W] (or [N, C, W]), NCHW.")
            .Input(1, "filter", "FLOAT filters [C, M / group, kH, kW] (or [C, M / group, kW]): input channels first.")
            .Input(2, "bias", "Optional FLOAT bias [M].")
            .Output(0, "Y", "[N, M, H_out, W_out] (or [N, M, W_out]), out = (in - 1) * stride + dilation * (k - 1) + 1 + adj - pad_begin - pad_end.")
            .SetDoc("""
                Transposed ("de-") convolution of an NCHW input X [N, C, H, W] with filters [C, M / group, kH, kW]
                and an optional bias [M]: every input pixel adds its filter, scaled by the pixel, into the output
                at in * stride - pad_begin + k * dilation. Per spatial dim
                out = (in - 1) * stride + dilation * (k - 1) + 1 + adj - pad_begin - pad_end.
                legacy_pad 1 (VALID) and 2 (SAME) both mean no padding (Caffe2's rule); 3 is refused. adj (adjs,
                adj_h/adj_w) must satisfy 0 <= adj <= stride. Dilation is an extension (Caffe2 ignores it), as
                are 1-D inputs [N, C, W] and an empty batch. Gradient: ConvTransposeGradient.
                Example: X [1, 1, 3, 3], filter [1, 2, 3, 3], stride 2, pad 1, adj 1 gives Y [1, 2, 6, 6].
                """);
        catalog.Operators.Register("ConvTranspose", static (d, ws) => new ConvTransposeOp(d, ws));

        ConvPoolArgs.DeclareWindowArgs(catalog.Schemas.Schema("ConvTransposeGradient").NumInputs(3).NumOutputs(1, 3), "Kernel", pooling: false)
            .Arg("adj", "*(type: int; default: 0)* As ConvTranspose's.", 0)
            .Arg("adjs", "*(type: int[])* As ConvTranspose's.", Array.Empty<long>())
            .Arg("adj_h", "*(type: int)* As ConvTranspose's.", 0)
            .Arg("adj_w", "*(type: int)* As ConvTranspose's.", 0)
            .Arg("group", "*(type: int; default: 1)* As ConvTranspose's.", 1)
            .Arg("no_bias", "*(type: bool; default: false)* The forward op had no bias: the outputs are dfilter[, dX].", 0)
            .TensorInferenceFunction(static (def, inputs) =>
            {
                bool noBias = def.GetSingleArgument("no_bias", 0) != 0;
                var shapes = new List<TensorShape> { inputs[1] };
                if (!noBias)
                    shapes.Add(inputs[1].UnknownShape || inputs[1].Dims.Count < 2 ? TensorShape.Unknown(inputs[1].DataType)
                        : TensorShape.Create([inputs[1].Dims[1] * def.GetSingleArgument("group", 1)], inputs[1].DataType));
                if (def.Output.Count > shapes.Count) shapes.Add(inputs[0]);
                return shapes;
            })
            .Input(0, "X", "The forward input [N, C, H, W] (or [N, C, W]).")
            .Input(1, "filter", "The forward filter [C, M / group, kH, kW] (or [C, M / group, kW]).")
            .Input(2, "dY", "The gradient of Y [N, M, H_out, W_out].")
            .Output(0, "dfilter", "The gradient of the filter.")
            .Output(1, "dbias", "The gradient of the bias [M] (without no_bias); with no_bias, dX.")
            .Output(2, "dX", "The gradient of X (optional).")
            .SetDoc("Gradient of ConvTranspose (Caffe2's ConvTransposeGradient): dfilter, dbias (unless no_bias) and, when asked for, dX.");
        catalog.Operators.Register("ConvTransposeGradient", static (d, ws) => new ConvTransposeGradientOp(d, ws));
        catalog.Gradients.Register("ConvTranspose", static (d, g) => new GetConvTransposeGradient(d, g));
    }

    // Caffe2's GetConvTransposeGradient: (X, filter, dY) -> (dfilter, dbias[, dX]); without a bias
    // input, no_bias is set and the outputs are (dfilter[, dX]). no_gradient_to_input drops dX.
    private sealed class GetConvTransposeGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs()
        {
            Enforce.That(Def.Input.Count is 2 or 3, () => $"ConvTranspose {Def.DisplayName} has {Def.Input.Count} inputs; 2 or 3 expected.");
            bool computeDx = Def.GetSingleArgument("no_gradient_to_input", 0) == 0;
            if (Def.Input.Count == 3)
                return SingleGradientDef("ConvTransposeGradient", "", [I(0), I(1), GO(0)], computeDx ? [GI(1), GI(2), GI(0)] : [GI(1), GI(2)]);
            return SingleGradientDef("ConvTransposeGradient", "", [I(0), I(1), GO(0)], computeDx ? [GI(1), GI(0)] : [GI(1)],
                [ArgumentHelper.MakeArgument("no_bias", 1)]);
        }
    }

    /// <summary>The resolved sizes of a transposed convolution.</summary>
    /// <param name="OutputDims">The output dims <c>[N, M, out...]</c>.</param>
    /// <param name="Spatial">The resolved spatial dims (one or two).</param>
    /// <param name="Group">The group count.</param>
    /// <param name="InputChannelsPerGroup">Input channels per group, <c>C / group</c>.</param>
    /// <param name="OutputChannelsPerGroup">Output channels per group, <c>M / group</c> (the filter's dim 1).</param>
    /// <param name="KernelSize">The product of the kernel sizes.</param>
    public readonly record struct ConvTransposeShapes(long[] OutputDims, TransposedDim[] Spatial, int Group, long InputChannelsPerGroup, long OutputChannelsPerGroup, long KernelSize);

    // The GEMM view of one image and group, shared by the forward op and its gradient: 1-D is 2-D
    // with a height of one; col is [kdim = M/g * kernel, H * W].
    internal readonly record struct Plan(TransposedDim H, TransposedDim W, long N, long C, long M, int Group, long Cg, long Mg, long InPlane, long OutPlane, long Kdim)
    {
        public static Plan Of(in ConvTransposeShapes s, Tensor x)
        {
            var sh = s.Spatial.Length == 2 ? s.Spatial[0] : new TransposedDim(1, 1, 1, 1, 0, 0, 0, 1);
            var sw = s.Spatial[^1];
            long kdim = s.OutputChannelsPerGroup * s.KernelSize;
            return new Plan(sh, sw, x.Dims[0], x.Dims[1], s.OutputDims[1], s.Group, s.InputChannelsPerGroup, s.OutputChannelsPerGroup,
                (long)sh.In * sw.In, (long)sh.Out * sw.Out, kdim);
        }

        /// <summary>Whether the spans this implementation indexes with int fit (the col buffer and every tensor).</summary>
        public bool Fits(params ReadOnlySpan<Tensor> tensors)
        {
            if (Kdim * InPlane > Array.MaxLength) return false;
            foreach (var t in tensors) if (t.Size > int.MaxValue) return false;
            return true;
        }

        [ThreadStatic] private static float[]? t_col;

        /// <summary>The col buffer of this thread, at least Kdim * InPlane floats, kept between runs.</summary>
        public Span<float> Col()
        {
            var col = t_col;
            if (col is null || col.Length < Kdim * InPlane) t_col = col = new float[Kdim * InPlane];
            return col.AsSpan(0, (int)(Kdim * InPlane));
        }
    }


    /// <summary>Checks the inputs of a ConvTranspose def and computes its output dims.</summary>
    /// <param name="def">The def (its arguments).</param>
    /// <param name="xDims">X's dims.</param>
    /// <param name="wDims">The filter's dims.</param>
    /// <param name="biasDims">The bias's dims, or null without a bias.</param>
    /// <exception cref="EnforceNotMetException">The shapes do not agree or an argument is invalid; the message names the shapes.</exception>
    public static ConvTransposeShapes Shapes(OperatorDef def, long[] xDims, long[] wDims, long[]? biasDims)
    {
        ArgumentNullException.ThrowIfNull(def);
        ArgumentNullException.ThrowIfNull(xDims);
        ArgumentNullException.ThrowIfNull(wDims);
        var args = ParseArgs(def);
        return Shapes(args, def.Input.Count > 0 ? def.Input[0] : "X", def.Input.Count > 1 ? def.Input[1] : "filter",
            def.Input.Count > 2 ? def.Input[2] : "bias", xDims, wDims, biasDims, biasDims is not null);
    }

    /// <summary>The parsed arguments: Conv's window arguments plus adj and group.</summary>
    internal sealed record Args(ConvPoolArgs Window, int[]? Adj, bool AdjSingle, int Group);

    internal static Args ParseArgs(OperatorDef def)
    {
        if (def.GetSingleArgument("global_pooling", 0) != 0)
            throw new EnforceNotMetException($"{def.DisplayName}: 'global_pooling' is not a ConvTranspose argument.");
        var window = ConvPoolArgs.Parse(def, pooling: false);
        if (window.LegacyPad == LegacyPadding.CaffeLegacyPooling)
            throw new EnforceNotMetException($"{def.DisplayName}: legacy_pad 3 (CAFFE_LEGACY_POOLING) is not supported by ConvTranspose (Caffe2 refuses it too).");
        var (adj, adjSingle) = ConvPoolArgs.ReadForms(def, "adj", "adjs", "adj_h", "adj_w");
        if (adj is not null && adj.Any(a => a < 0))
            throw new EnforceNotMetException($"{def.DisplayName}: adj must not be negative; got [{string.Join(", ", adj)}].");
        int group = def.GetSingleArgument("group", 1);
        if (group < 1)
            throw new EnforceNotMetException($"{def.DisplayName}: argument 'group' = {group} must be at least 1.");
        return new Args(window, adj, adjSingle, group);
    }

    internal static ConvTransposeShapes Shapes(Args args, string xName, string wName, string bName,
        ReadOnlySpan<long> xDims, ReadOnlySpan<long> wDims, ReadOnlySpan<long> biasDims, bool hasBias)
    {
        // Messages are formatted only on the error paths.
        static string D(string what, string name, ReadOnlySpan<long> d) => $"{what} '{name}' [{string.Join(", ", d.ToArray())}]";
        if (xDims.Length is not (3 or 4))
            throw new EnforceNotMetException($"{D("X", xName, xDims)} must be [N, C, H, W] or [N, C, W] (NCHW, 2-D or 1-D transposed convolution).");
        if (wDims.Length != xDims.Length)
            throw new EnforceNotMetException($"{D("filter", wName, wDims)} must have the rank of {D("X", xName, xDims)}: [C, M / group, kernel...].");
        int group = args.Group;
        long c = xDims[1];
        if (wDims[0] != c)
            throw new EnforceNotMetException($"{D("filter", wName, wDims)} has {wDims[0]} input channels (dim 0) but {D("X", xName, xDims)} has C = {c}; ConvTranspose's filter is [C, M / group, kernel...].");
        if (c % group != 0)
            throw new EnforceNotMetException($"group {group} must divide the input channels C = {c} of {D("X", xName, xDims)}.");
        long mg = wDims[1], m = mg * group;
        int n = xDims.Length - 2;
        var spatial = new TransposedDim[n];
        long kernelSize = 1;
        var outDims = new long[xDims.Length];
        outDims[0] = xDims[0];
        outDims[1] = m;
        for (int d = 0; d < n; d++)
        {
            long input = xDims[d + 2];
            if (input < 1 || input > int.MaxValue)
                throw new EnforceNotMetException($"{D("X", xName, xDims)} spatial dim {d} = {input} must be between 1 and {int.MaxValue}.");
            var win = args.Window.Window(n, d, xName);
            if (win.Kernel != wDims[d + 2])
                throw new EnforceNotMetException($"the kernel argument ({win.Kernel} in spatial dim {d}) does not match {D("filter", wName, wDims)}.");
            int adj = 0;
            if (args.Adj is { } a)
            {
                if (!args.AdjSingle && a.Length != n)
                    throw new EnforceNotMetException($"argument 'adjs' has {a.Length} value(s); the {n}-D input '{xName}' needs {n}.");
                adj = args.AdjSingle ? a[0] : a[d];
            }
            if (adj > win.Stride)
                throw new EnforceNotMetException($"spatial dim {d}: adj {adj} must not exceed the stride {win.Stride} (Caffe2 requires 0 <= adj <= stride).");
            int padBegin = win.PadBegin, padEnd = win.PadEnd;
            if (args.Window.LegacyPad is LegacyPadding.Valid or LegacyPadding.Same) padBegin = padEnd = 0;
            long dk = (long)win.Dilation * (win.Kernel - 1) + 1;
            long output = (input - 1) * win.Stride + dk + adj - padBegin - padEnd;
            if (output < 1 || output > int.MaxValue)
                throw new EnforceNotMetException($"{D("X", xName, xDims)} spatial dim {d}: the output size ({input} - 1) * {win.Stride} + {dk} + {adj} - {padBegin} - {padEnd} = {output} is not positive (the pads crop more than the full output).");
            spatial[d] = new TransposedDim((int)input, win.Kernel, win.Stride, win.Dilation, padBegin, padEnd, adj, (int)output);
            kernelSize *= win.Kernel;
            outDims[d + 2] = output;
        }
        if (hasBias && (biasDims.Length != 1 || biasDims[0] != m))
            throw new EnforceNotMetException($"bias '{bName}' [{string.Join(", ", biasDims.ToArray())}] must be [M] = [{m}], one value per output channel (filter dim 1 {mg} * group {group}).");
        return new ConvTransposeShapes(outDims, spatial, group, c / group, mg, kernelSize);
    }
}

/// <summary>ConvTranspose(X, filter[, bias]) -&gt; Y.</summary>
internal sealed class ConvTransposeOp : ConvolutionOperator<ConvTranspose.ConvTransposeShapes>
{
    private readonly ConvTranspose.Args _args;

    public ConvTransposeOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _args = ConvTranspose.ParseArgs(def);
    }

    protected override ConvTranspose.ConvTransposeShapes ComputeShapes() =>
        ConvTranspose.Shapes(_args, Def.Input[0], Def.Input[1], InputSize > 2 ? Def.Input[2] : "bias", Input(0).Dims, Input(1).Dims,
            InputSize > 2 ? Input(2).Dims : default, InputSize > 2);

    public override void Run()
    {
        var s = CheckInputsAndShapes("ConvTranspose");
        var x = Input(0);
        var w = Input(1);
        bool hasBias = InputSize > 2;
        var y = Output(0);
        y.Resize(DataType.Float, s.OutputDims);
        var plan = ConvTranspose.Plan.Of(s, x);
        var (sh, sw, n, c, m, g, cg, mg, inPlane, outPlane, kdim) = plan;
        if (!plan.Fits(x, y, w)) throw Error($"X {x.Describe()} and filter {w.Describe()} are too large for this implementation.");
        var ys = y.Data<float>();
        if (ys.Length == 0) return;
        var xs = x.Data<float>();
        var ws = w.Data<float>();
        var colSpan = plan.Col();
        for (long img = 0; img < n; img++)
        {
            for (int grp = 0; grp < g; grp++)
            {
                var xg = xs.Slice((int)((img * c + grp * cg) * inPlane), (int)(cg * inPlane));
                var wg = ws.Slice((int)(grp * cg * kdim), (int)(cg * kdim));
                var yg = ys.Slice((int)((img * m + grp * mg) * outPlane), (int)(mg * outPlane));
                // col[(m, kh, kw), (ih, iw)] = sum_c W[c, m, kh, kw] * X[c, ih, iw]: Wᵀ (stored [cg, kdim]) times X ([cg, H * W]).
                // With no input channels (C = 0) the product is zero and only the bias remains.
                Gemm.Multiply(true, false, (int)kdim, (int)inPlane, (int)cg, 1f, wg, (int)kdim, xg, (int)inPlane, 0f, colSpan, (int)inPlane,
                    Pool, MaxDegreeOfParallelism);
                Col2Im(colSpan, (int)mg, sh, sw, yg);
            }
        }
        if (hasBias)
        {
            var bias = Input(2).Data<float>();
            for (long img = 0; img < n; img++)
                for (long oc = 0; oc < m; oc++)
                {
                    float bv = bias[(int)oc];
                    var row = ys.Slice((int)((img * m + oc) * outPlane), (int)outPlane);
                    for (int i = 0; i < row.Length; i++) row[i] += bv;
                }
        }
    }

    // y[ch, ih * stride - pad + kh * dilation, ...] += col[(ch, kh, kw), (ih, iw)], dropping what
    // falls in the cropped pads. Each output element gathers its terms in the order (kh, kw, ih, iw).
    private static void Col2Im(ReadOnlySpan<float> col, int channels, TransposedDim sh, TransposedDim sw, Span<float> y)
    {
        y.Clear();
        int h = sh.In, wIn = sw.In, oh = sh.Out, ow = sw.Out, inPlane = h * wIn;
        int row = 0;
        for (int ch = 0; ch < channels; ch++)
        {
            var plane = y.Slice(ch * oh * ow, oh * ow);
            for (int kh = 0; kh < sh.Kernel; kh++)
                for (int kw = 0; kw < sw.Kernel; kw++, row++)
                {
                    var src = col.Slice(row * inPlane, inPlane);
                    int dx = kw * sw.Dilation - sw.PadBegin;
                    for (int i = 0; i < h; i++)
                    {
                        int oy = i * sh.Stride - sh.PadBegin + kh * sh.Dilation;
                        if ((uint)oy >= (uint)oh) continue;
                        var dst = plane.Slice(oy * ow, ow);
                        var s = src.Slice(i * wIn, wIn);
                        if (sw.Stride == 1)
                        {
                            // Columns j with 0 <= j + dx < ow are a contiguous run.
                            int lo = Math.Clamp(-dx, 0, wIn), hi = Math.Clamp(ow - dx, lo, wIn);
                            if (hi == lo) continue;
                            var d = dst.Slice(lo + dx, hi - lo);
                            var v = s[lo..hi];
                            for (int j = 0; j < d.Length; j++) d[j] += v[j];
                        }
                        else
                        {
                            for (int j = 0; j < wIn; j++)
                            {
                                int ox = j * sw.Stride + dx;
                                if ((uint)ox < (uint)ow) dst[ox] += s[j];
                            }
                        }
                    }
                }
        }
    }
}

/// <summary>ConvTransposeGradient(X, filter, dY) -&gt; dfilter, dbias[, dX] (or dfilter[, dX] with no_bias).</summary>
/// <remarks>
/// Per image and group, dY is unfolded on X's grid (im2col with the forward geometry):
/// <c>col[(m, kh, kw), (ih, iw)] = dY[m, ih * stride - pad + kh * dilation, ...]</c>; then
/// <c>dfilter_g += X_g · colᵀ</c>, <c>dX_g = filter_g · col</c> on <see cref="Gemm"/>, and dbias sums dY
/// per channel (in double, in a fixed order).
/// </remarks>
internal sealed class ConvTransposeGradientOp : OperatorBase
{

    private readonly ConvTranspose.Args _args;
    private readonly bool _noBias;

    public ConvTransposeGradientOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _args = ConvTranspose.ParseArgs(def);
        _noBias = GetSingleArgument("no_bias", 0) != 0;
        if (OutputSize < (_noBias ? 1 : 2))
            throw Error($"{OutputSize} output(s); without no_bias the outputs are dfilter, dbias[, dX].");
        if (_noBias && OutputSize > 2)
            throw Error($"{OutputSize} outputs; with no_bias the outputs are dfilter[, dX].");
    }

    public override void Run()
    {
        var x = Input(0);
        var w = Input(1);
        var dy = Input(2);
        for (int i = 0; i < 3; i++)
            if (Input(i).DataType != DataType.Float)
                throw Error($"input {i} '{Def.Input[i]}' must be FLOAT; it is {Input(i).Describe()}.");
        var s = ConvTranspose.Shapes(_args, Def.Input[0], Def.Input[1], "bias", x.Dims, w.Dims, default, hasBias: false);
        if (!dy.Dims.SequenceEqual(s.OutputDims))
            throw Error($"dY '{Def.Input[2]}' {dy.Describe()} must have the forward output's shape [{string.Join(", ", s.OutputDims)}].");
        var dw = Output(0);
        dw.Resize(DataType.Float, w.Dims);
        Tensor? db = _noBias ? null : Output(1);
        db?.Resize(DataType.Float, s.OutputDims[1]);
        int dxIndex = _noBias ? 1 : 2;
        Tensor? dx = OutputSize > dxIndex ? Output(dxIndex) : null;
        dx?.Resize(DataType.Float, x.Dims);

        var plan = ConvTranspose.Plan.Of(s, x);
        var (sh, sw, n, c, m, g, cg, mg, inPlane, outPlane, kdim) = plan;
        if (!plan.Fits(x, dy, w)) throw Error($"X {x.Describe()} and filter {w.Describe()} are too large for this implementation.");
        var xs = x.Data<float>();
        var ws = w.Data<float>();
        var dys = dy.Data<float>();
        var dws = dw.Data<float>();
        dws.Clear();
        if (db is not null)
        {
            var dbs = db.Data<float>();
            for (long oc = 0; oc < m; oc++)
            {
                double sum = 0;
                for (long img = 0; img < n; img++)
                    foreach (float v in dys.Slice((int)((img * m + oc) * outPlane), (int)outPlane)) sum += v;
                dbs[(int)oc] = (float)sum;
            }
        }
        if (n == 0 || kdim == 0)
        {
            dx?.Data<float>().Clear();
            return;
        }
        var colSpan = plan.Col();
        var dxs = dx is null ? default : dx.Data<float>();
        for (long img = 0; img < n; img++)
        {
            for (int grp = 0; grp < g; grp++)
            {
                var xg = xs.Slice((int)((img * c + grp * cg) * inPlane), (int)(cg * inPlane));
                var wg = ws.Slice((int)(grp * cg * kdim), (int)(cg * kdim));
                var dwg = dws.Slice((int)(grp * cg * kdim), (int)(cg * kdim));
                Im2Col(dys.Slice((int)((img * m + grp * mg) * outPlane), (int)(mg * outPlane)), (int)mg, sh, sw, colSpan);
                // dfilter_g [cg, kdim] += X_g [cg, H * W] · colᵀ.
                Gemm.Multiply(false, true, (int)cg, (int)kdim, (int)inPlane, 1f, xg, (int)inPlane, colSpan, (int)inPlane, img == 0 ? 0f : 1f, dwg, (int)kdim,
                    Pool, MaxDegreeOfParallelism);
                // dX_g [cg, H * W] = filter_g [cg, kdim] · col.
                if (dx is not null)
                    Gemm.Multiply(false, false, (int)cg, (int)inPlane, (int)kdim, 1f, wg, (int)kdim, colSpan, (int)inPlane, 0f,
                        dxs.Slice((int)((img * c + grp * cg) * inPlane), (int)(cg * inPlane)), (int)inPlane, Pool, MaxDegreeOfParallelism);
            }
        }
    }

    // col[(ch, kh, kw), (ih, iw)] = dy[ch, ih * stride - pad + kh * dilation, iw * stride - pad + kw * dilation], 0 in the cropped pads.
    private static void Im2Col(ReadOnlySpan<float> dy, int channels, TransposedDim sh, TransposedDim sw, Span<float> col)
    {
        int h = sh.In, wIn = sw.In, oh = sh.Out, ow = sw.Out, inPlane = h * wIn;
        int row = 0;
        for (int ch = 0; ch < channels; ch++)
        {
            var plane = dy.Slice(ch * oh * ow, oh * ow);
            for (int kh = 0; kh < sh.Kernel; kh++)
                for (int kw = 0; kw < sw.Kernel; kw++, row++)
                {
                    var dst = col.Slice(row * inPlane, inPlane);
                    int dx = kw * sw.Dilation - sw.PadBegin;
                    for (int i = 0; i < h; i++)
                    {
                        var d = dst.Slice(i * wIn, wIn);
                        int oy = i * sh.Stride - sh.PadBegin + kh * sh.Dilation;
                        if ((uint)oy >= (uint)oh)
                        {
                            d.Clear();
                            continue;
                        }
                        var src = plane.Slice(oy * ow, ow);
                        for (int j = 0; j < wIn; j++)
                        {
                            int ox = j * sw.Stride + dx;
                            d[j] = (uint)ox < (uint)ow ? src[ox] : 0f;
                        }
                    }
                }
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for ConvTranspose.</summary>
public static class ConvTransposeBuilderExtensions
{
    /// <summary>Adds <c>ConvTranspose(x, filter[, bias]) -&gt; y</c> with a square kernel, stride, pad and adj (NOTSET padding).</summary>
    public static NetBuilder ConvTranspose(this NetBuilder net, string x, string filter, string? bias, string y, int kernel, int stride = 1, int pad = 0,
        int adj = 0, int group = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        string[] inputs = bias is null ? [x, filter] : [x, filter, bias];
        return net.Op("ConvTranspose", inputs, [y], name,
            ArgumentHelper.MakeArgument("kernel", kernel), ArgumentHelper.MakeArgument("stride", stride), ArgumentHelper.MakeArgument("pad", pad),
            ArgumentHelper.MakeArgument("adj", adj), ArgumentHelper.MakeArgument("group", group));
    }
}
