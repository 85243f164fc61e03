// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// Caffe2's <c>MaxPool</c> and <c>AveragePool</c> (<c>pool_op.cc</c>), NCHW, 1-D (<c>[N, C, W]</c>)
/// and 2-D (<c>[N, C, H, W]</c>), FLOAT and DOUBLE; one registration method.
/// </summary>
/// <remarks>
/// <para>Arguments as in <see cref="ConvPoolArgs"/>: <c>kernel</c>/<c>kernels</c>/<c>kernel_h</c>+<c>kernel_w</c>,
/// <c>stride</c>.., <c>pad</c>/<c>pads</c> (begins then ends: t, l, b, r)/<c>pad_t</c>..,
/// <c>legacy_pad</c> (including Caffe's ceil mode), <c>global_pooling</c>; <c>order</c> must be
/// NCHW. Each explicit pad must be smaller than its kernel.</para>
/// <para><c>dilation</c>/<c>dilations</c>/<c>dilation_h</c>+<c>dilation_w</c> are a Caffe2Sharp
/// extension, for ONNX's pooling dilations: Caffe2 refuses dilation in pooling, so a NetDef that
/// uses it does not load in Caffe2. Window taps are <c>dilation</c> cells apart; the output size
/// uses the dilated kernel <c>dilation * (kernel - 1) + 1</c>, and the explicit pads must be
/// smaller than it. <c>count_include_pad</c> divides by the number of taps (the kernel size).
/// legacy_pad SAME and global_pooling do not take a dilation.</para>
/// <para>Windows are clipped to the image: padding never wins a maximum, and AveragePool divides by
/// the number of image cells in the window unless <c>count_include_pad</c> is 1 (then by the kernel
/// size). MaxPool propagates NaN: a window holding a NaN gives NaN. See <see cref="PoolingKernels"/>.</para>
/// <para>No gradients are registered yet.</para>
/// </remarks>
public static class Pooling
{
    /// <summary>The pack name used by <see cref="AddPooling"/>.</summary>
    public const string PackName = "Caffe2Sharp.Pooling";

    /// <summary>Adds the pooling pack (MaxPool, AveragePool) to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddPooling(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels of MaxPool and AveragePool into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("MaxPool")
            .FillUsing(s => Common(s, "the maximum"))
            .SetDoc("Max pooling of an NCHW input (1-D or 2-D) over windows clipped to the image; padding never wins, a NaN in a window gives NaN. Dilation is a Caffe2Sharp extension (Caffe2 refuses it).");
        catalog.Operators.Register("MaxPool", static (d, ws) => new PoolOp(d, ws, average: false));

        catalog.Schemas.Schema("AveragePool")
            .FillUsing(s => Common(s, "the mean"))
            .Arg("count_include_pad", "*(type: int; default: 0)* 1: divide by the kernel size, padding included; 0: by the number of image cells in the window.", 0)
            .SetDoc("Average pooling of an NCHW input (1-D or 2-D) over windows clipped to the image; divides by the image cells in the window, or by the kernel size with count_include_pad. Dilation is a Caffe2Sharp extension (Caffe2 refuses it).");
        catalog.Operators.Register("AveragePool", static (d, ws) => new PoolOp(d, ws, average: true));
    }

    private static void Common(OpSchema s, string what) => ConvPoolArgs.DeclareWindowArgs(s.NumInputs(1).NumOutputs(1), "Window", pooling: true)
        .Arg("global_pooling", "*(type: int; default: 0)* 1: pool the whole spatial extent; the kernel is ignored.", 0)
        .TensorInferenceFunction(static (def, inputs) =>
        {
            var x = inputs[0];
            var dims = OutputDims(def, x.Dims.ToArray(), out _);
            return [TensorShape.Create(dims, x.DataType)];
        })
        .CostInferenceFunction(static (def, inputs) =>
        {
            var x = inputs[0];
            long n = x.ElementCount;
            Enforce.That(n >= 0, () => $"Cost of operator {def.DisplayName}: the shape of input 0 is unknown.");
            var dims = OutputDims(def, x.Dims.ToArray(), out long window);
            long outN = dims.Aggregate(1L, (a, b) => a * b);
            ulong size = (ulong)DataTypes.ElementSize(x.DataType);
            // One compare (max) or add (average) per window cell; average adds one division per output.
            return new Cost((ulong)(outN * window), (ulong)n * size, (ulong)outN * size);
        })
        .InheritOnnxSchema()
        .Input(0, "X", "FLOAT or DOUBLE input, [N, C, W] or [N, C, H, W] (NCHW).")
        .Output(0, "Y", $"[N, C, out...], {what} of each window.");

    /// <summary>The output dims of a pooling def on an input of <paramref name="inputDims"/>, and the window size.</summary>
    private static long[] OutputDims(OperatorDef def, long[] inputDims, out long window)
    {
        var args = ConvPoolArgs.Parse(def, pooling: true);
        string blob = def.Input.Count > 0 ? def.Input[0] : "X";
        CheckRank(inputDims.Length, blob, inputDims);
        var spatial = new SpatialDim[inputDims.Length - 2];
        args.Resolve(inputDims, spatial, blob);
        var dims = new long[inputDims.Length];
        dims[0] = inputDims[0];
        dims[1] = inputDims[1];
        window = 1;
        for (int d = 0; d < spatial.Length; d++)
        {
            dims[d + 2] = spatial[d].Out;
            window *= spatial[d].Kernel;
        }
        return dims;
    }

    internal static void CheckRank(int rank, string blob, ReadOnlySpan<long> dims)
    {
        if (rank is not (3 or 4))
            throw new EnforceNotMetException($"input '{blob}' must be [N, C, W] or [N, C, H, W] (NCHW, 1-D or 2-D pooling); it has dims [{string.Join(", ", dims.ToArray())}].");
    }
}

/// <summary>MaxPool(X) -&gt; Y and AveragePool(X) -&gt; Y.</summary>
internal sealed class PoolOp : OperatorBase
{
    private readonly ConvPoolArgs _args;
    private readonly bool _average, _countIncludePad;
    private readonly SpatialDim[] _spatial1 = new SpatialDim[1], _spatial2 = new SpatialDim[2];
    private readonly long[] _out3 = new long[3], _out4 = new long[4];

    public PoolOp(OperatorDef def, Workspace ws, bool average) : base(def, ws)
    {
        _average = average;
        _args = ConvPoolArgs.Parse(def, pooling: true);
        _countIncludePad = average && GetSingleArgument("count_include_pad", 0) != 0;
    }

    public override void Run()
    {
        var x = Input(0);
        Pooling.CheckRank(x.Rank, Def.Input[0], x.Dims);
        if (x.DataType is not (DataType.Float or DataType.Double))
            throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {x.Describe()}.");
        bool twoD = x.Rank == 4;
        var spatial = twoD ? _spatial2 : _spatial1;
        _args.Resolve(x.Dims, spatial, Def.Input[0]);
        var outDims = twoD ? _out4 : _out3;
        outDims[0] = x.Dims[0];
        outDims[1] = x.Dims[1];
        for (int d = 0; d < spatial.Length; d++) outDims[d + 2] = spatial[d].Out;

        // 1-D is 2-D with a height of one.
        var h = twoD ? spatial[0] : new SpatialDim(1, 1, 1, 1, 0, 0, 1);
        var w = spatial[^1];
        var g = new PoolGeometry2D(h.In, w.In, h.Out, w.Out, h.Kernel, w.Kernel, h.Stride, w.Stride, h.PadBegin, w.PadBegin, h.Dilation, w.Dilation);
        long planes = x.Dims[0] * x.Dims[1];
        if (planes > int.MaxValue) throw Error($"input '{Def.Input[0]}' has too many planes ({planes}).");
        var y = Output(0);
        y.Resize(x.DataType, outDims);
        if (x.DataType == DataType.Float)
        {
            if (_average) PoolingKernels.AveragePool2D<float>(x.Data<float>(), y.Data<float>(), (int)planes, g, _countIncludePad, Pool, MaxDegreeOfParallelism);
            else PoolingKernels.MaxPool2D<float>(x.Data<float>(), y.Data<float>(), (int)planes, g, Pool, MaxDegreeOfParallelism);
        }
        else
        {
            if (_average) PoolingKernels.AveragePool2D<double>(x.Data<double>(), y.Data<double>(), (int)planes, g, _countIncludePad, Pool, MaxDegreeOfParallelism);
            else PoolingKernels.MaxPool2D<double>(x.Data<double>(), y.Data<double>(), (int)planes, g, Pool, MaxDegreeOfParallelism);
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for MaxPool and AveragePool.</summary>
public static class PoolingBuilderExtensions
{
    /// <summary>Adds <c>MaxPool(x) -&gt; y</c> with a square window, stride and pad (NOTSET padding).</summary>
    public static NetBuilder MaxPool(this NetBuilder net, string x, string y, int kernel, int stride = 1, int pad = 0, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("MaxPool", [x], [y], name,
            ArgumentHelper.MakeArgument("kernel", kernel), ArgumentHelper.MakeArgument("stride", stride), ArgumentHelper.MakeArgument("pad", pad));
    }

    /// <summary>Adds <c>AveragePool(x) -&gt; y</c> with a square window, stride and pad (NOTSET padding).</summary>
    public static NetBuilder AveragePool(this NetBuilder net, string x, string y, int kernel, int stride = 1, int pad = 0, bool countIncludePad = false, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("AveragePool", [x], [y], name,
            ArgumentHelper.MakeArgument("kernel", kernel), ArgumentHelper.MakeArgument("stride", stride), ArgumentHelper.MakeArgument("pad", pad),
            ArgumentHelper.MakeArgument("count_include_pad", countIncludePad ? 1 : 0));
    }
}
