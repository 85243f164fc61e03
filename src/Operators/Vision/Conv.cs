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
/// <para>Each image and group is unfolded (im2col) into a per-thread buffer reused across runs and
/// multiplied by the group's filters on <see cref="Gemm"/>; the bias is added per output channel. A
/// 1x1 convolution with stride 1 and no padding multiplies the input in place.</para>
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
            .TensorInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                var w = inputs[1];
                if (x.UnknownShape || w.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                var s = Shapes(def, x.Dims.ToArray(), w.Dims.ToArray(), inputs.Count > 2 && !inputs[2].UnknownShape ? inputs[2].Dims.ToArray() : null);
                return [TensorShape.Create(s.OutputDims, x.DataType)];
            })
            .CostInferenceFunction(static (def, inputs) =>
            {
                Enforce.That(inputs[0].ElementCount >= 0 && inputs[1].ElementCount >= 0,
                    () => $"Conv cost of {def.DisplayName}: an input shape is unknown.");
                var s = Shapes(def, inputs[0].Dims.ToArray(), inputs[1].Dims.ToArray(), inputs.Count > 2 ? inputs[2].Dims.ToArray() : null);
                long outN = s.OutputDims.Aggregate(1L, (a, b) => a * b);
                ulong size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
                ulong paramBytes = (ulong)(inputs[1].ElementCount + (inputs.Count > 2 ? inputs[2].ElementCount : 0)) * size;
                // Two flops (multiply, add) per filter tap per output.
                return new Cost((ulong)(2 * outN * s.ChannelsPerGroup * s.KernelSize), (ulong)inputs[0].ElementCount * size + paramBytes, (ulong)outN * size, paramBytes);
            })
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT input [N, C, H, W] (or [N, C, W]), NCHW.")
            .Input(1, "filter", "FLOAT filters [M, C / group, kH, kW] (or [M, C / group, kW]).")
            .Input(2, "bias", "Optional FLOAT bias [M].")
            .Output(0, "Y", "[N, M, H_out, W_out] (or [N, M, W_out]).")
            .SetDoc("2-D (or 1-D) convolution of an NCHW input with grouped, dilated, strided and padded filters and an optional bias per output channel.");
        catalog.Operators.Register("Conv", static (d, ws) => new ConvOp(d, ws));
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
internal sealed class ConvOp : OperatorBase
{
    [ThreadStatic] private static float[]? t_col;

    private readonly ConvPoolArgs _args;
    private readonly int _group;

    public ConvOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _args = Conv.ParseArgs(def);
        _group = GetSingleArgument("group", 1);
    }

    public override void Run()
    {
        var x = Input(0);
        var w = Input(1);
        bool hasBias = InputSize > 2;
        for (int i = 0; i < InputSize; i++)
        {
            if (Input(i).DataType != DataType.Float)
                throw Error($"input {i} '{Def.Input[i]}' must be FLOAT; it is {Input(i).Describe()}.");
            if (IsInPlace(i, 0)) throw Error($"the output may not be input {i} '{Def.Input[i]}': Conv does not run in place.");
        }
        var s = Conv.Shapes(_args, _group, Def.Input[0], Def.Input[1], hasBias ? Def.Input[2] : "bias", x.Dims, w.Dims, hasBias ? Input(2).Dims.ToArray() : null);
        var y = Output(0);
        y.Resize(DataType.Float, s.OutputDims);
        bool twoD = s.Spatial.Length == 2;
        var sh = twoD ? s.Spatial[0] : new SpatialDim(1, 1, 1, 1, 0, 0, 1);
        var sw = s.Spatial[^1];
        long n = x.Dims[0], c = x.Dims[1], m = w.Dims[0];
        int g = s.Group;
        long cg = c / g, mg = m / g, inPlane = (long)sh.In * sw.In, outPlane = (long)sh.Out * sw.Out;
        long kdim = cg * s.KernelSize;
        if (kdim * outPlane > Array.MaxLength || x.Size > int.MaxValue || y.Size > int.MaxValue || w.Size > int.MaxValue)
            throw Error($"X {x.Describe()} and filter {w.Describe()} are too large for this implementation.");
        var ys = y.Data<float>();
        if (ys.Length == 0) return;
        var xs = x.Data<float>();
        var ws = w.Data<float>();
        bool direct = s.KernelSize == 1 && sh.Stride == 1 && sw.Stride == 1 && sh.PadBegin == 0 && sh.PadEnd == 0 && sw.PadBegin == 0 && sw.PadEnd == 0;
        float[]? col = null;
        if (!direct && kdim * outPlane > 0)
        {
            col = t_col;
            if (col is null || col.Length < kdim * outPlane) t_col = col = new float[kdim * outPlane];
        }
        for (long img = 0; img < n; img++)
        {
            for (int grp = 0; grp < g; grp++)
            {
                var yg = ys.Slice((int)((img * m + grp * mg) * outPlane), (int)(mg * outPlane));
                if (kdim == 0 || mg == 0)
                {
                    yg.Clear();
                    continue;
                }
                var xg = xs.Slice((int)((img * c + grp * cg) * inPlane), (int)(cg * inPlane));
                ReadOnlySpan<float> b;
                if (direct) b = xg;
                else
                {
                    Im2Col(xg, (int)cg, sh, sw, col!);
                    b = col.AsSpan(0, (int)(kdim * outPlane));
                }
                Gemm.Multiply(false, false, (int)mg, (int)outPlane, (int)kdim, 1f, ws.Slice((int)(grp * mg * kdim), (int)(mg * kdim)), (int)kdim,
                    b, (int)outPlane, 0f, yg, (int)outPlane, Pool, MaxDegreeOfParallelism);
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

    // col[(ch, kh, kw), (oh, ow)] = x[ch, oh * stride - pad + kh * dilation, ...], 0 outside the image.
    private static void Im2Col(ReadOnlySpan<float> x, int channels, SpatialDim sh, SpatialDim sw, float[] col)
    {
        int h = sh.In, wIn = sw.In, oh = sh.Out, ow = sw.Out;
        int row = 0;
        for (int ch = 0; ch < channels; ch++)
        {
            var plane = x.Slice(ch * h * wIn, h * wIn);
            for (int kh = 0; kh < sh.Kernel; kh++)
                for (int kw = 0; kw < sw.Kernel; kw++, row++)
                {
                    var dst = col.AsSpan(row * oh * ow, oh * ow);
                    int dx = kw * sw.Dilation - sw.PadBegin;
                    for (int i = 0; i < oh; i++)
                    {
                        var d = dst.Slice(i * ow, ow);
                        int iy = i * sh.Stride - sh.PadBegin + kh * sh.Dilation;
                        if ((uint)iy >= (uint)h)
                        {
                            d.Clear();
                            continue;
                        }
                        var src = plane.Slice(iy * wIn, wIn);
                        if (sw.Stride == 1)
                        {
                            // Columns j with 0 <= j + dx < wIn are a contiguous copy.
                            int lo = Math.Clamp(-dx, 0, ow), hi = Math.Clamp(wIn - dx, lo, ow);
                            d[..lo].Clear();
                            src.Slice(lo + dx, hi - lo).CopyTo(d[lo..hi]);
                            d[hi..].Clear();
                        }
                        else
                        {
                            for (int j = 0; j < ow; j++)
                            {
                                int ix = j * sw.Stride + dx;
                                d[j] = (uint)ix < (uint)wIn ? src[ix] : 0f;
                            }
                        }
                    }
                }
        }
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
