// Hand-written.
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// Caffe2's <c>ResizeNearest</c> (<c>resize_op.cc</c>), NCHW: nearest-neighbour up- or
/// down-sampling of the two spatial dims by <c>height_scale</c> and <c>width_scale</c>.
/// </summary>
/// <remarks>
/// <para>Output <c>[N, C, floor(H * height_scale), floor(W * width_scale)]</c> (the product in
/// float, as Caffe2 computes it); <c>Y[n, c, y, x] = X[n, c, min(floor(y / height_scale), H - 1),
/// min(floor(x / width_scale), W - 1)]</c>. A second input <c>[height_scale, width_scale]</c>
/// (FLOAT, 2 values) overrides the arguments.</para>
/// <para>No gradient is registered yet (Caffe2's <c>ResizeNearestGradient</c> is not ported).</para>
/// </remarks>
public static class ResizeNearest
{
    /// <summary>The pack name used by <see cref="AddResizeNearest"/>.</summary>
    public const string PackName = "Caffe2Sharp.ResizeNearest";

    /// <summary>Adds the ResizeNearest pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddResizeNearest(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schema and CPU kernel into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("ResizeNearest")
            .NumInputs(1, 2).NumOutputs(1)
            .Arg("width_scale", "*(type: float; default: 1.0)* Scale along the width dimension.", 1f)
            .Arg("height_scale", "*(type: float; default: 1.0)* Scale along the height dimension.", 1f)
            .Arg("order", "*(type: string; default: NCHW)* Only NCHW is supported.", "NCHW")
            .TensorInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                if (inputs.Count > 1 || x.UnknownShape || x.Dims.Count != 4) return [TensorShape.Unknown(x.DataType)];
                float hs = def.GetSingleArgument("height_scale", 1f), ws = def.GetSingleArgument("width_scale", 1f);
                return [TensorShape.Create([x.Dims[0], x.Dims[1], OutSize(x.Dims[2], hs), OutSize(x.Dims[3], ws)], x.DataType)];
            })
            .CostInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                long n = x.ElementCount;
                ulong size = (ulong)DataTypes.ElementSize(x.DataType);
                float hs = def.GetSingleArgument("height_scale", 1f), ws = def.GetSingleArgument("width_scale", 1f);
                long outN = n < 0 || x.Dims.Count != 4 ? 0 : x.Dims[0] * x.Dims[1] * OutSize(x.Dims[2], hs) * OutSize(x.Dims[3], ws);
                return new Cost(0, (ulong)Math.Max(0, n) * size, (ulong)outN * size);
            })
            .Input(0, "X", "FLOAT or DOUBLE input, NCHW.")
            .Input(1, "scales", "(optional) FLOAT [height_scale, width_scale], overriding the arguments.")
            .Output(0, "Y", "[N, C, floor(H * height_scale), floor(W * width_scale)].")
            .SetDoc("Nearest-neighbour resize of NCHW images: Y[n, c, y, x] = X[n, c, min(floor(y / height_scale), H - 1), min(floor(x / width_scale), W - 1)].");
        catalog.Operators.Register("ResizeNearest", static (d, ws) => new ResizeNearestOp(d, ws));
    }

    /// <summary>Caffe2's output size: <c>(int)(in * scale)</c> with the product in float.</summary>
    internal static long OutSize(long input, float scale) => (long)(input * scale);
}

/// <summary>
/// Caffe2's two NCHW resizes by <c>height_scale</c> and <c>width_scale</c> (ResizeNearest,
/// UpsampleBilinear): the arguments, checked positive and finite, or a FLOAT [2] second input.
/// </summary>
internal abstract class HeightWidthScaleOp : OperatorBase
{
    private readonly float _widthScale, _heightScale;

    protected HeightWidthScaleOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _widthScale = GetSingleArgument("width_scale", 1f);
        _heightScale = GetSingleArgument("height_scale", 1f);
        CheckScale(_widthScale, "width_scale");
        CheckScale(_heightScale, "height_scale");
    }

    private void CheckScale(float scale, string name)
    {
        if (!(scale > 0f) || !float.IsFinite(scale)) throw Error($"argument '{name}' = {scale} must be positive and finite.");
    }

    /// <summary>Input 0, which must be 4-D (NCHW).</summary>
    protected Tensor InputNchw()
    {
        var x = Input(0);
        if (x.Rank != 4) throw Error($"input '{Def.Input[0]}' must be 4-D (NCHW); it is {x.Describe()}.");
        return x;
    }

    /// <summary>This run's scales: the second input when there is one, else the arguments.</summary>
    protected (float Height, float Width) Scales()
    {
        if (InputSize < 2) return (_heightScale, _widthScale);
        var scales = Input(1);
        if (scales.DataType != DataType.Float || scales.Rank != 1 || scales.Size != 2)
            throw Error($"input '{Def.Input[1]}' must be FLOAT [2] (height_scale, width_scale); it is {scales.Describe()}.");
        float hs = scales.Data<float>()[0], ws = scales.Data<float>()[1];
        CheckScale(hs, "height_scale");
        CheckScale(ws, "width_scale");
        return (hs, ws);
    }
}

/// <summary>ResizeNearest(X[, scales]) -&gt; Y.</summary>
internal sealed class ResizeNearestOp : HeightWidthScaleOp
{
    private readonly long[] _outDims = new long[4];

    public ResizeNearestOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        string order = GetSingleArgument("order", "NCHW");
        if (order != "NCHW") throw Error($"argument 'order' = \"{order}\" is not supported; only NCHW is.");
    }

    public override void Run()
    {
        var x = InputNchw();
        var (hs, ws) = Scales();
        long h = x.Dims[2], w = x.Dims[3];
        _outDims[0] = x.Dims[0];
        _outDims[1] = x.Dims[1];
        _outDims[2] = ResizeNearest.OutSize(h, hs);
        _outDims[3] = ResizeNearest.OutSize(w, ws);
        var y = Output(0);
        if (ReferenceEquals(y, x)) throw Error($"output '{Def.Output[0]}' is input '{Def.Input[0]}'; ResizeNearest does not run in place.");
        switch (x.DataType)
        {
            case DataType.Float:
                y.Resize(DataType.Float, _outDims);
                Resize(x.Data<float>(), y.Data<float>(), (int)(x.Dims[0] * x.Dims[1]), (int)h, (int)w, (int)_outDims[2], (int)_outDims[3], hs, ws);
                break;
            case DataType.Double:
                y.Resize(DataType.Double, _outDims);
                Resize(x.Data<double>(), y.Data<double>(), (int)(x.Dims[0] * x.Dims[1]), (int)h, (int)w, (int)_outDims[2], (int)_outDims[3], hs, ws);
                break;
            default:
                throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {x.Describe()}.");
        }
    }

    private static void Resize<T>(ReadOnlySpan<T> x, Span<T> y, int planes, int h, int w, int oh, int ow, float hs, float ws)
    {
        for (int p = 0; p < planes; p++)
        {
            var src = x.Slice(p * h * w, h * w);
            var dst = y.Slice(p * oh * ow, oh * ow);
            for (int oy = 0; oy < oh; oy++)
            {
                int iy = Math.Min((int)(oy / hs), h - 1);
                for (int ox = 0; ox < ow; ox++)
                {
                    int ix = Math.Min((int)(ox / ws), w - 1);
                    dst[oy * ow + ox] = src[iy * w + ix];
                }
            }
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for ResizeNearest.</summary>
public static class ResizeNearestBuilderExtensions
{
    /// <summary>Adds <c>ResizeNearest(x) -&gt; y</c> with the given scales.</summary>
    public static NetBuilder ResizeNearest(this NetBuilder net, string x, string y, float heightScale, float widthScale, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("ResizeNearest", [x], [y], name,
            ArgumentHelper.MakeArgument("height_scale", heightScale), ArgumentHelper.MakeArgument("width_scale", widthScale));
    }
}
