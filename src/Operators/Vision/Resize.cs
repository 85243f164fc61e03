// Hand-written.
using System.Runtime.InteropServices;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// <c>Resize</c>, a Caffe2Sharp operator with ONNX Resize's semantics (opset 19): nearest, linear
/// and cubic resizing of any axes of an N-D tensor; and Caffe2's <c>UpsampleBilinear</c>
/// (<c>upsample_op.cc</c>), which is its linear, align-corners case on H and W of NCHW (source
/// coordinates in ONNX Runtime's float order, weights in double: Caffe2's own float arithmetic can
/// differ in the last bit).
/// </summary>
/// <remarks>
/// <para>Real Caffe2 has no <c>Resize</c> (its nets use <c>ResizeNearest</c> and <c>UpsampleBilinear</c>);
/// the operator exists so every ONNX Resize and Upsample imports, and a net using it exports back
/// to ONNX's Resize. Arguments carry ONNX's attributes under the same names; the target is the
/// <c>scales</c> (FLOAT) or <c>sizes</c> (INT64) argument, one value per entry of <c>axes</c>
/// (default: every axis), or a second input of either type, which overrides the arguments.</para>
/// <para>Output size: <c>floor(in * scale)</c> (the product in float, as ONNX Runtime and Caffe2 compute it) with scales; with sizes, the
/// sizes (<c>keep_aspect_ratio_policy</c> "stretch"), or <c>floor(s * in + 0.5)</c> on every
/// listed axis with <c>s</c> the smallest ("not_larger") or largest ("not_smaller") of
/// <c>sizes / in</c>. The coordinate mappings use the scale (with sizes, <c>out / in</c> or <c>s</c>).
/// The interpolation rules are <see cref="ResampleAxis"/>'s, the execution
/// <see cref="ResampleKernels"/>'s.</para>
/// <para>Nearest takes every element type, bit for bit; linear and cubic take FLOAT and DOUBLE.
/// No gradients are registered.</para>
/// </remarks>
public static class Resize
{
    /// <summary>The pack name used by <see cref="AddResize"/>.</summary>
    public const string PackName = "Caffe2Sharp.Resize";

    /// <summary>Adds the Resize and UpsampleBilinear pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddResize(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels of Resize and UpsampleBilinear into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("Resize")
            .NumInputs(1, 2).NumOutputs(1)
            .Arg("mode", "*(type: string; default: nearest)* nearest, linear or cubic.", "nearest")
            .Arg("coordinate_transformation_mode", "*(type: string; default: half_pixel)* half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn or tf_crop_and_resize.", "half_pixel")
            .Arg("nearest_mode", "*(type: string; default: round_prefer_floor)* round_prefer_floor, round_prefer_ceil, floor or ceil.", "round_prefer_floor")
            .Arg("cubic_coeff_a", "*(type: float; default: -0.75)* The coefficient of the cubic kernel.", -0.75f)
            .Arg("exclude_outside", "*(type: int; default: 0)* 1: cells outside the input get weight 0 and the rest are renormalised.", 0)
            .Arg("extrapolation_value", "*(type: float; default: 0.0)* The value of positions outside the input (tf_crop_and_resize).", 0f)
            .Arg("antialias", "*(type: int; default: 0)* 1: linear and cubic down-sampling widen the kernel by 1 / scale.", 0)
            .Arg("axes", "*(type: int[]; default: all)* The axes that scales, sizes and roi refer to; negative counts from the end.", Array.Empty<long>())
            .Arg("keep_aspect_ratio_policy", "*(type: string; default: stretch)* With sizes: stretch, not_larger or not_smaller.", "stretch")
            .Arg("scales", "*(type: float[])* One scale per axis (or give sizes).", Array.Empty<float>())
            .Arg("sizes", "*(type: int[])* One output size per axis (or give scales).", Array.Empty<long>())
            .Arg("roi", "*(type: float[])* tf_crop_and_resize's region: the starts of every axis, then the ends, as fractions.", Array.Empty<float>())
            .TensorInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                if (inputs.Count > 1 || x.UnknownShape) return [TensorShape.Unknown(x.DataType)];
                try
                {
                    var plan = ResizePlan.FromArguments(def, x.Dims.ToArray(), null, null);
                    return [TensorShape.Create(plan.OutDims, x.DataType)];
                }
                catch (ArgumentException)
                {
                    return [TensorShape.Unknown(x.DataType)];
                }
            })
            .CostInferenceFunction(static (def, inputs) => ResizeCost(def, inputs[0], def.GetSingleArgument("mode", "nearest"),
                dims => ResizePlan.FromArguments(def, dims, null, null).OutDims))
            .Input(0, "X", "The tensor to resize: any type for nearest, FLOAT or DOUBLE for linear and cubic.")
            .Input(1, "scales_or_sizes", "(optional) FLOAT scales or INT64 sizes, one per axis, overriding the arguments.")
            .Output(0, "Y", "The resized tensor, of X's type.")
            .InheritOnnxSchema("Resize")
            .SetDoc("Resizes any axes of a tensor by scales or to sizes, nearest, linear or cubic, with ONNX Resize's coordinate mappings (opset 19).");
        catalog.Operators.Register("Resize", static (d, ws) => new ResizeOp(d, ws));

        catalog.Schemas.Schema("UpsampleBilinear")
            .NumInputs(1, 2).NumOutputs(1)
            .Arg("width_scale", "*(type: float; default: 1.0)* Scale along the width dimension.", 1f)
            .Arg("height_scale", "*(type: float; default: 1.0)* Scale along the height dimension.", 1f)
            .TensorInferenceFunction(static (def, inputs) =>
            {
                var x = inputs[0];
                if (inputs.Count > 1 || x.UnknownShape || x.Dims.Count != 4) return [TensorShape.Unknown(x.DataType)];
                float hs = def.GetSingleArgument("height_scale", 1f), ws = def.GetSingleArgument("width_scale", 1f);
                return [TensorShape.Create([x.Dims[0], x.Dims[1], ResizeNearest.OutSize(x.Dims[2], hs), ResizeNearest.OutSize(x.Dims[3], ws)], x.DataType)];
            })
            .CostInferenceFunction(static (def, inputs) => ResizeCost(def, inputs[0], "linear", dims => dims.Length != 4 ? dims :
                [dims[0], dims[1], ResizeNearest.OutSize(dims[2], def.GetSingleArgument("height_scale", 1f)), ResizeNearest.OutSize(dims[3], def.GetSingleArgument("width_scale", 1f))]))
            .Input(0, "X", "FLOAT or DOUBLE input, NCHW.")
            .Input(1, "scales", "(optional) FLOAT [height_scale, width_scale], overriding the arguments.")
            .Output(0, "Y", "[N, C, floor(H * height_scale), floor(W * width_scale)].")
            .SetDoc("Bilinear up- or down-sampling of NCHW images with the corner pixels aligned: source coordinate y * (H - 1) / (out_h - 1), likewise x.");
        catalog.Operators.Register("UpsampleBilinear", static (d, ws) => new UpsampleBilinearOp(d, ws));
    }

    // Nearest reads each output once; linear and cubic about 2 or 4 taps per resized axis.
    private static Cost ResizeCost(OperatorDef def, TensorShape x, string mode, Func<long[], long[]> outDims)
    {
        ulong size = (ulong)Math.Max(1, DataTypes.ElementSize(x.DataType));
        if (x.UnknownShape) return new Cost(0, 0, 0);
        var dims = x.Dims.ToArray();
        long[] o;
        try { o = outDims(dims); }
        catch (ArgumentException) { return new Cost(0, 0, 0); }
        long inN = dims.Aggregate(1L, (a, b) => a * b), outN = o.Aggregate(1L, (a, b) => a * b);
        int resized = dims.Zip(o).Count(p => p.First != p.Second);
        long taps = mode switch { "linear" => 2, "cubic" => 4, _ => 0 };
        return new Cost((ulong)(outN * 2 * taps * resized), (ulong)inN * size, (ulong)outN * size);
    }
}

/// <summary>The output dims and per-axis scales of one Resize, from its arguments and optional target input.</summary>
internal sealed class ResizePlan
{
    public required long[] OutDims { get; init; }
    public required float[] Scales { get; init; }    // per dim; 1 for axes not listed
    public required float[] RoiStart { get; init; }
    public required float[] RoiEnd { get; init; }

    /// <summary>
    /// Computes the plan of input dims <paramref name="dims"/>; a non-null <paramref name="scales"/> or
    /// <paramref name="sizes"/> (from the second input) replaces the arguments. Throws
    /// <see cref="ArgumentException"/> with a message naming the argument at fault.
    /// </summary>
    public static ResizePlan FromArguments(OperatorDef def, long[] dims, float[]? scales, long[]? sizes)
    {
        int rank = dims.Length;
        var axesArg = def.GetRepeatedArgument<long>("axes");
        int[] axes = axesArg.Length == 0 ? [.. Enumerable.Range(0, rank)] : new int[axesArg.Length];
        for (int i = 0; i < axesArg.Length; i++)
        {
            long a = axesArg[i] < 0 ? axesArg[i] + rank : axesArg[i];
            if (a < 0 || a >= rank) throw new ArgumentException($"argument 'axes' [{string.Join(", ", axesArg)}]: {axesArg[i]} is out of range for rank {rank}.");
            if (Array.IndexOf(axes, (int)a, 0, i) >= 0) throw new ArgumentException($"argument 'axes' [{string.Join(", ", axesArg)}] repeats axis {a}.");
            axes[i] = (int)a;
        }
        if (scales is null && sizes is null)
        {
            var s = def.GetRepeatedArgument<float>("scales");
            var z = def.GetRepeatedArgument<long>("sizes");
            if (s.Length > 0 && z.Length > 0) throw new ArgumentException("arguments 'scales' and 'sizes' are both given; give one.");
            if (s.Length > 0) scales = s;
            else if (z.Length > 0) sizes = z;
            else throw new ArgumentException("neither argument 'scales' nor 'sizes' is given (nor a second input).");
        }
        var outDims = (long[])dims.Clone();
        var perDim = Enumerable.Repeat(1f, rank).ToArray();
        if (scales is not null)
        {
            if (scales.Length != axes.Length)
                throw new ArgumentException($"'scales' has {scales.Length} values for {axes.Length} axes (rank {rank}).");
            for (int i = 0; i < axes.Length; i++)
            {
                if (!(scales[i] > 0) || !float.IsFinite(scales[i]))
                    throw new ArgumentException($"'scales' [{string.Join(", ", scales)}]: every scale must be positive and finite.");
                perDim[axes[i]] = scales[i];
                outDims[axes[i]] = (long)(dims[axes[i]] * scales[i]); // the product in float, as ONNX Runtime (and Caffe2) compute it
            }
        }
        else
        {
            if (sizes!.Length != axes.Length)
                throw new ArgumentException($"'sizes' has {sizes.Length} values for {axes.Length} axes (rank {rank}).");
            foreach (var z in sizes)
                if (z < 0) throw new ArgumentException($"'sizes' [{string.Join(", ", sizes)}]: a size is negative.");
            string policy = def.GetSingleArgument("keep_aspect_ratio_policy", "stretch");
            if (policy == "stretch")
            {
                for (int i = 0; i < axes.Length; i++)
                {
                    outDims[axes[i]] = sizes[i];
                    perDim[axes[i]] = dims[axes[i]] == 0 ? 1 : (float)sizes[i] / dims[axes[i]];
                }
            }
            else if (policy is "not_larger" or "not_smaller")
            {
                float common = policy == "not_larger" ? float.PositiveInfinity : 0;
                int ratios = 0;
                for (int i = 0; i < axes.Length; i++)
                {
                    if (dims[axes[i]] == 0) continue;
                    float r = (float)sizes[i] / dims[axes[i]];
                    common = policy == "not_larger" ? Math.Min(common, r) : Math.Max(common, r);
                    ratios++;
                }
                if (ratios == 0) common = 1; // every listed axis is empty: nothing to scale by
                foreach (int a in axes)
                {
                    perDim[a] = common;
                    outDims[a] = (long)MathF.Floor(common * dims[a] + 0.5f);
                }
            }
            else throw new ArgumentException($"argument 'keep_aspect_ratio_policy' = \"{policy}\" is not stretch, not_larger or not_smaller.");
        }
        var roi = def.GetRepeatedArgument<float>("roi");
        var roiStart = new float[rank];
        var roiEnd = Enumerable.Repeat(1f, rank).ToArray();
        if (roi.Length > 0)
        {
            if (roi.Length != 2 * axes.Length)
                throw new ArgumentException($"argument 'roi' has {roi.Length} values; {axes.Length} axes need {2 * axes.Length} (starts, then ends).");
            for (int i = 0; i < axes.Length; i++)
            {
                roiStart[axes[i]] = roi[i];
                roiEnd[axes[i]] = roi[axes.Length + i];
            }
        }
        return new ResizePlan { OutDims = outDims, Scales = perDim, RoiStart = roiStart, RoiEnd = roiEnd };
    }
}

/// <summary>Resize(X[, scales_or_sizes]) -&gt; Y.</summary>
internal sealed class ResizeOp : OperatorBase
{
    private readonly ResampleOptions _options;
    private readonly double _extrapolation;
    private readonly bool _interpolates;
    private long[] _plannedFor = [];
    private float[]? _plannedScales;
    private long[]? _plannedSizes;
    private ResampleAxis?[] _axes = [];
    private long[] _outDims = [];

    public ResizeOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        var mode = GetSingleArgument("mode", "nearest") switch
        {
            "nearest" => ResampleMode.Nearest,
            "linear" => ResampleMode.Linear,
            "cubic" => ResampleMode.Cubic,
            var m => throw Error($"argument 'mode' = \"{m}\" is not nearest, linear or cubic."),
        };
        var coordinates = GetSingleArgument("coordinate_transformation_mode", "half_pixel") switch
        {
            "half_pixel" => ResampleCoordinates.HalfPixel,
            "half_pixel_symmetric" => ResampleCoordinates.HalfPixelSymmetric,
            "pytorch_half_pixel" => ResampleCoordinates.PytorchHalfPixel,
            "align_corners" => ResampleCoordinates.AlignCorners,
            "asymmetric" => ResampleCoordinates.Asymmetric,
            "tf_half_pixel_for_nn" => ResampleCoordinates.TfHalfPixelForNn,
            "tf_crop_and_resize" => ResampleCoordinates.TfCropAndResize,
            var c => throw Error($"argument 'coordinate_transformation_mode' = \"{c}\" is not half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn or tf_crop_and_resize."),
        };
        var nearest = GetSingleArgument("nearest_mode", "round_prefer_floor") switch
        {
            "round_prefer_floor" => NearestRounding.RoundPreferFloor,
            "round_prefer_ceil" => NearestRounding.RoundPreferCeil,
            "floor" => NearestRounding.Floor,
            "ceil" => NearestRounding.Ceil,
            var n => throw Error($"argument 'nearest_mode' = \"{n}\" is not round_prefer_floor, round_prefer_ceil, floor or ceil."),
        };
        float a = GetSingleArgument("cubic_coeff_a", -0.75f);
        if (!float.IsFinite(a)) throw Error($"argument 'cubic_coeff_a' = {a} must be finite.");
        _options = new ResampleOptions
        {
            Mode = mode,
            Coordinates = coordinates,
            Nearest = nearest,
            CubicCoeffA = a,
            ExcludeOutside = GetSingleArgument("exclude_outside", 0) != 0,
            Antialias = GetSingleArgument("antialias", 0) != 0,
        };
        _extrapolation = GetSingleArgument("extrapolation_value", 0f);
        _interpolates = mode != ResampleMode.Nearest;
        string policy = GetSingleArgument("keep_aspect_ratio_policy", "stretch");
        if (policy is not ("stretch" or "not_larger" or "not_smaller"))
            throw Error($"argument 'keep_aspect_ratio_policy' = \"{policy}\" is not stretch, not_larger or not_smaller.");
        bool hasScales = def.GetRepeatedArgument<float>("scales").Length > 0, hasSizes = def.GetRepeatedArgument<long>("sizes").Length > 0;
        if (hasScales && hasSizes) throw Error("arguments 'scales' and 'sizes' are both given; give one.");
        if (InputSize == 1 && !hasScales && !hasSizes) throw Error("neither argument 'scales' nor 'sizes' is given, nor a second input.");
    }

    public override void Run()
    {
        var x = Input(0);
        if (_interpolates && x.DataType is not (DataType.Float or DataType.Double))
            throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE for mode '{GetSingleArgument("mode", "nearest")}'; it is {x.Describe()}.");
        if (x.ElementSize is not (1 or 2 or 4 or 8))
            throw Error($"input '{Def.Input[0]}' is {x.Describe()}; Resize moves numeric and BOOL elements only.");
        Tensor? target = null;
        if (InputSize == 2)
        {
            target = Input(1);
            if (target.Rank != 1 || target.DataType is not (DataType.Float or DataType.Int64))
                throw Error($"input 1 '{Def.Input[1]}' must be 1-D FLOAT scales or INT64 sizes; it is {target.Describe()}.");
        }
        if (!PlanIsCurrent(x, target))
        {
            float[]? scales = target?.DataType == DataType.Float ? target.ToArray<float>() : null;
            long[]? sizes = target?.DataType == DataType.Int64 ? target.ToArray<long>() : null;
            ResizePlan plan;
            try { plan = ResizePlan.FromArguments(Def, [.. x.Dims], scales, sizes); }
            catch (ArgumentException e) { throw Error($"input '{Def.Input[0]}' {x.Describe()}: {e.Message}"); }
            Plan(x, plan);
            _plannedScales = scales;
            _plannedSizes = sizes;
        }
        var y = Output(0);
        if (ReferenceEquals(y, x)) throw Error($"output '{Def.Output[0]}' is input '{Def.Input[0]}'; Resize does not run in place.");
        y.Resize(x.DataType, _outDims);
        if (y.Size == 0) return; // an axis resized to nothing
        switch (x.DataType)
        {
            case DataType.Float:
                ResampleKernels.Resample(x.Data<float>(), y.Data<float>(), x.Dims, _axes, (float)_extrapolation, Pool, MaxDegreeOfParallelism);
                break;
            case DataType.Double:
                ResampleKernels.Resample(x.Data<double>(), y.Data<double>(), x.Dims, _axes, _extrapolation, Pool, MaxDegreeOfParallelism);
                break;
            default:
                var ext = ExtrapolationBits(x.DataType, x.ElementSize);
                switch (x.ElementSize)
                {
                    case 1: ResampleKernels.Resample(x.RawBytes, y.RawBytes, x.Dims, _axes, (byte)ext, Pool, MaxDegreeOfParallelism); break;
                    case 2: ResampleKernels.Resample(MemoryMarshal.Cast<byte, ushort>(x.RawBytes), MemoryMarshal.Cast<byte, ushort>(y.RawBytes), x.Dims, _axes, (ushort)ext, Pool, MaxDegreeOfParallelism); break;
                    case 4: ResampleKernels.Resample(MemoryMarshal.Cast<byte, uint>(x.RawBytes), MemoryMarshal.Cast<byte, uint>(y.RawBytes), x.Dims, _axes, (uint)ext, Pool, MaxDegreeOfParallelism); break;
                    default: ResampleKernels.Resample(MemoryMarshal.Cast<byte, ulong>(x.RawBytes), MemoryMarshal.Cast<byte, ulong>(y.RawBytes), x.Dims, _axes, ext, Pool, MaxDegreeOfParallelism); break;
                }
                break;
        }
    }

    // The bits of the extrapolation value in a non-float element type (only tf_crop_and_resize writes it).
    private ulong ExtrapolationBits(DataType type, int size)
    {
        if (_options.Coordinates != ResampleCoordinates.TfCropAndResize) return 0;
        double v = _extrapolation;
        return type switch
        {
            DataType.Bool => v != 0 ? 1UL : 0UL,
            DataType.Int8 => (byte)(sbyte)v,
            DataType.Uint8 or DataType.Byte => (byte)v,
            DataType.Int16 => (ushort)(short)v,
            DataType.Uint16 => (ushort)v,
            DataType.Int32 => (uint)(int)v,
            DataType.Int64 => (ulong)(long)v,
            DataType.Float16 => BitConverter.HalfToUInt16Bits((Half)v),
            _ => throw Error($"tf_crop_and_resize cannot write the extrapolation value into {type} ({size}-byte) elements."),
        };
    }

    // The taps are rebuilt only when the input dims or the target input change (they are usually
    // fixed), so a steady-state run allocates nothing.
    private bool PlanIsCurrent(Tensor x, Tensor? target)
    {
        if (_outDims.Length == 0 || !x.Dims.SequenceEqual(_plannedFor)) return false;
        if (target is null) return _plannedScales is null && _plannedSizes is null;
        return target.DataType == DataType.Float
            ? _plannedScales is not null && target.Data<float>().SequenceEqual(_plannedScales)
            : _plannedSizes is not null && target.Data<long>().SequenceEqual(_plannedSizes);
    }

    private void Plan(Tensor x, ResizePlan plan)
    {
        var axes = new ResampleAxis?[x.Rank];
        for (int d = 0; d < x.Rank; d++)
        {
            long inSize = x.Dims[d], outSize = plan.OutDims[d];
            bool cropping = _options.Coordinates == ResampleCoordinates.TfCropAndResize && (plan.RoiStart[d] != 0 || plan.RoiEnd[d] != 1);
            if (inSize == outSize && plan.Scales[d] == 1 && !cropping) continue;
            if (outSize == 0) continue; // the output is empty; Run does not call the kernel
            if (inSize == 0) throw Error($"input '{Def.Input[0]}' {x.Describe()}: axis {d} is empty and cannot be resized to {outSize}.");
            if (inSize > int.MaxValue || outSize > int.MaxValue) throw Error($"input '{Def.Input[0]}' {x.Describe()}: axis {d} is too long to resize ({inSize} -> {outSize}).");
            axes[d] = ResampleAxis.Create((int)inSize, (int)outSize, plan.Scales[d], _options, plan.RoiStart[d], plan.RoiEnd[d]);
        }
        _axes = axes;
        _plannedFor = [.. x.Dims];
        _outDims = plan.OutDims;
    }
}

/// <summary>UpsampleBilinear(X[, scales]) -&gt; Y: Resize's linear, align-corners mapping on H and W.</summary>
internal sealed class UpsampleBilinearOp : HeightWidthScaleOp
{
    private static readonly ResampleOptions Options = new() { Mode = ResampleMode.Linear, Coordinates = ResampleCoordinates.AlignCorners };
    private readonly ResampleAxis?[] _axes = new ResampleAxis?[4];
    private readonly long[] _outDims = new long[4];

    public UpsampleBilinearOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
    }

    public override void Run()
    {
        var x = InputNchw();
        if (x.DataType is not (DataType.Float or DataType.Double)) throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {x.Describe()}.");
        var (hs, ws) = Scales();
        long h = x.Dims[2], w = x.Dims[3];
        long oh = ResizeNearest.OutSize(h, hs), ow = ResizeNearest.OutSize(w, ws);
        if (h == 0 && oh > 0 || w == 0 && ow > 0 || oh > int.MaxValue || ow > int.MaxValue)
            throw Error($"input '{Def.Input[0]}' {x.Describe()} cannot be resized to [{oh}, {ow}].");
        _outDims[0] = x.Dims[0];
        _outDims[1] = x.Dims[1];
        _outDims[2] = oh;
        _outDims[3] = ow;
        // The align-corners mapping does not use the scale, only the sizes.
        if (_axes[2]?.InSize != h || _axes[2]?.OutSize != oh) _axes[2] = oh == 0 ? null : ResampleAxis.Create((int)h, (int)oh, 1, Options);
        if (_axes[3]?.InSize != w || _axes[3]?.OutSize != ow) _axes[3] = ow == 0 ? null : ResampleAxis.Create((int)w, (int)ow, 1, Options);
        var y = Output(0);
        if (ReferenceEquals(y, x)) throw Error($"output '{Def.Output[0]}' is input '{Def.Input[0]}'; UpsampleBilinear does not run in place.");
        y.Resize(x.DataType, _outDims);
        if (y.Size == 0) return;
        if (x.DataType == DataType.Float) ResampleKernels.Resample(x.Data<float>(), y.Data<float>(), x.Dims, _axes, 0f, Pool, MaxDegreeOfParallelism);
        else ResampleKernels.Resample(x.Data<double>(), y.Data<double>(), x.Dims, _axes, 0.0, Pool, MaxDegreeOfParallelism);
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for Resize and UpsampleBilinear.</summary>
public static class ResizeBuilderExtensions
{
    /// <summary>Adds <c>Resize(x) -&gt; y</c> by <paramref name="scales"/> (one per axis), with ONNX's mode names.</summary>
    public static NetBuilder Resize(this NetBuilder net, string x, string y, float[] scales, string mode = "nearest", string coordinates = "half_pixel", string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Resize", [x], [y], name,
            ArgumentHelper.MakeRepeatedArgument("scales", scales), ArgumentHelper.MakeArgument("mode", mode),
            ArgumentHelper.MakeArgument("coordinate_transformation_mode", coordinates));
    }

    /// <summary>Adds Caffe2's <c>UpsampleBilinear(x) -&gt; y</c> with the given scales.</summary>
    public static NetBuilder UpsampleBilinear(this NetBuilder net, string x, string y, float heightScale, float widthScale, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("UpsampleBilinear", [x], [y], name,
            ArgumentHelper.MakeArgument("height_scale", heightScale), ArgumentHelper.MakeArgument("width_scale", widthScale));
    }
}
