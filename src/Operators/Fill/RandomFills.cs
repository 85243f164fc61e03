// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Fill;

/// <summary>
/// Caffe2's random fills (<c>filler_op.h</c>): <c>UniformFill</c>, <c>GaussianFill</c>,
/// <c>XavierFill</c> and <c>MSRAFill</c>, all FLOAT, shaped like the other fills (<c>shape</c>, or the
/// input's shape plus <c>extra_shape</c>, or the input's values with <c>input_as_shape</c>).
/// Registered by <see cref="FillOperators.Register"/> as part of the fill pack.
/// </summary>
/// <remarks>
/// <para>Deterministic: the values are a pure function of the seed, the shape and the arguments,
/// drawn from the shared splitmix64 stream (<see cref="SplitMix64"/>) with the stream number equal to
/// <c>device_option.random_seed</c>; uniform doubles take the top 53 bits, normals come by
/// Box-Muller (<see cref="SplitMix64.FillGaussian"/>). The same seed gives the same values on every
/// machine and at every run; a different seed gives different values.</para>
/// <para>Without a seed (no <c>device_option</c>, or one without <c>random_seed</c>) the stream number is
/// the 64-bit FNV-1a hash of the output blob's name (UTF-16 code units): still reproducible, and
/// two unseeded fills of different blobs (say two layers' weights of one shape) differ. Caffe2
/// itself draws a fresh seed per run there.</para>
/// </remarks>
public static class RandomFills
{
    /// <summary>The random fill operator types.</summary>
    public static IReadOnlyList<string> Types { get; } = ["UniformFill", "GaussianFill", "XavierFill", "MSRAFill"];

    /// <summary>Registers the random fills' schemas and kernels (no gradients) into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        Common(catalog, "UniformFill", 2)
            .Arg("min", "*(type: float; default: 0)* Lower bound, included.", 0f)
            .Arg("max", "*(type: float; default: 1)* Upper bound, excluded; must be >= min (equal fills min).", 1f)
            .Output(0, "output", "FLOAT tensor of values uniform in [min, max).")
            .SetDoc("Fills the output with values uniform in [min, max), seeded by device_option.random_seed.");
        Common(catalog, "GaussianFill", 20)
            .Arg("mean", "*(type: float; default: 0)* Mean.", 0f)
            .Arg("std", "*(type: float; default: 1)* Standard deviation, >= 0.", 1f)
            .Output(0, "output", "FLOAT tensor of normal values.")
            .SetDoc("Fills the output with normal values N(mean, std^2) (Box-Muller), seeded by device_option.random_seed.");
        Common(catalog, "XavierFill", 2)
            .Output(0, "output", "FLOAT tensor of values uniform in [-sqrt(3 / fan_in), sqrt(3 / fan_in)).")
            .SetDoc("Fills the output with values uniform in [-s, s), s = sqrt(3 / fan_in), fan_in = size / dims[0] (Caffe2's formula; the output needs rank >= 1). Seeded by device_option.random_seed.");
        Common(catalog, "MSRAFill", 20)
            .Output(0, "output", "FLOAT tensor of normal values with mean 0 and std sqrt(2 / fan_out).")
            .SetDoc("Fills the output with normal values of mean 0 and std sqrt(2 / fan_out), fan_out = size / dims[1] (Caffe2's formula: for a conv weight [M, C, kH, kW] that is M * kH * kW; the output needs rank >= 2). Seeded by device_option.random_seed.");
        foreach (var type in Types)
        {
            var t = type;
            catalog.Operators.Register(t, (d, ws) => new RandomFillOp(d, ws, t));
            catalog.Gradients.NoGradient(t);
        }
    }

    private static OpSchema Common(OperatorCatalog catalog, string type, int flopsPerElement) =>
        catalog.Schemas.Schema(type)
            .NumInputs(0, 1).NumOutputs(1)
            .Arg("shape", "(ints) Output shape, when there is no input.", Array.Empty<long>())
            .Arg("extra_shape", "(ints) Dims appended to the input's shape.", Array.Empty<long>())
            .Arg("input_as_shape", "(bool; default false) Read the shape from the values of the 1-D input.", false)
            .Input(0, "input", "(optional) Tensor whose shape (or, with input_as_shape, values) gives the output shape.")
            .TensorInferenceFunction(InferShape)
            .CostInferenceFunction((def, inputs) =>
            {
                var shape = InferShape(def, inputs)[0];
                long n = shape.ElementCount;
                Enforce.That(n >= 0, () => $"{def.DisplayName}: the output shape is unknown (input_as_shape).");
                return new Cost((ulong)n * (ulong)flopsPerElement, 0, (ulong)n * sizeof(float));
            });

    private static IReadOnlyList<TensorShape> InferShape(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        if (inputs.Count == 0) return [TensorShape.Create(def.GetRepeatedArgument<long>("shape"), DataType.Float)];
        if (def.GetSingleArgument("input_as_shape", false)) return [TensorShape.Unknown(DataType.Float)];
        return [TensorShape.Create(inputs[0].Dims.Concat(def.GetRepeatedArgument<long>("extra_shape")), DataType.Float)];
    }

    /// <summary>
    /// The stream number of a random op: <c>device_option.random_seed</c> when set, else the 64-bit
    /// FNV-1a hash of <paramref name="blob"/> (its UTF-16 code units, low byte first).
    /// </summary>
    internal static ulong Stream(OperatorDef def, string blob)
    {
        if (def.DeviceOption is { HasRandomSeed: true } d) return d.RandomSeed;
        ulong h = 0xCBF29CE484222325UL;
        foreach (char ch in blob)
        {
            h = unchecked((h ^ (byte)ch) * 0x100000001B3UL);
            h = unchecked((h ^ (byte)(ch >> 8)) * 0x100000001B3UL);
        }
        return h;
    }
}

/// <summary>UniformFill, GaussianFill, XavierFill or MSRAFill.</summary>
internal sealed class RandomFillOp : FillOpBase
{
    private readonly string _type;
    private readonly ulong _stream;
    private readonly double _a, _b;

    public RandomFillOp(OperatorDef def, Workspace ws, string type) : base(def, ws)
    {
        _type = type;
        _stream = RandomFills.Stream(def, def.Output.Count > 0 ? def.Output[0] : "");
        switch (type)
        {
            case "UniformFill":
                _a = GetSingleArgument("min", 0f);
                _b = GetSingleArgument("max", 1f);
                if (!(_a <= _b)) throw Error($"argument 'min' = {_a} must not exceed 'max' = {_b}.");
                break;
            case "GaussianFill":
                _a = GetSingleArgument("mean", 0f);
                _b = GetSingleArgument("std", 1f);
                if (!(_b >= 0)) throw Error($"argument 'std' = {_b} must be 0 or more.");
                if (!double.IsFinite(_a)) throw Error($"argument 'mean' = {_a} must be finite.");
                break;
        }
    }

    public override void Run()
    {
        var shape = ResolveShape();
        var y = Output(0);
        y.Resize(DataType.Float, shape);
        var data = y.Data<float>();
        if (data.IsEmpty) return;
        switch (_type)
        {
            case "UniformFill":
                SplitMix64.FillUniform(data, _stream, _a, _b);
                break;
            case "GaussianFill":
                SplitMix64.FillGaussian(data, _stream, _a, _b);
                break;
            case "XavierFill":
            {
                if (shape.Length < 1) throw Error("XavierFill needs an output of rank 1 or more (fan_in = size / dims[0]).");
                double scale = Math.Sqrt(3.0 / (data.Length / shape[0]));
                SplitMix64.FillUniform(data, _stream, -scale, scale);
                break;
            }
            default:
            {
                if (shape.Length < 2) throw Error("MSRAFill needs an output of rank 2 or more (fan_out = size / dims[1]).");
                double std = Math.Sqrt(2.0 / (data.Length / shape[1]));
                SplitMix64.FillGaussian(data, _stream, 0, std);
                break;
            }
        }
    }
}
