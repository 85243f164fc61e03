// Hand-written.
namespace Caffe2Sharp.Models;

/// <summary>
/// How a parameter is filled in the init net, like Caffe2's <c>initializers.Initializer</c> (and
/// brew's <c>weight_init=('XavierFill', {})</c> tuples): a fill operator type and its arguments,
/// to which the <see cref="ModelHelper"/> adds <c>shape</c>.
/// </summary>
public sealed class Initializer
{
    private readonly Argument[] _arguments;

    /// <summary>A fill of type <paramref name="operatorType"/> with extra <paramref name="arguments"/> (not <c>shape</c>).</summary>
    public Initializer(string operatorType, params Argument[] arguments)
    {
        ArgumentException.ThrowIfNullOrEmpty(operatorType);
        ArgumentNullException.ThrowIfNull(arguments);
        OperatorType = operatorType;
        _arguments = [.. arguments.Select(a => a.Clone())];
    }

    /// <summary>The fill operator type, e.g. <c>XavierFill</c>.</summary>
    public string OperatorType { get; }

    /// <summary>The fill's arguments other than <c>shape</c> (copies).</summary>
    public IReadOnlyList<Argument> Arguments => [.. _arguments.Select(a => a.Clone())];

    /// <summary><c>XavierFill</c>: uniform in <c>±sqrt(3 / fan_in)</c>; Caffe2's default for Conv and FC weights.</summary>
    public static Initializer Xavier() => new("XavierFill");

    /// <summary><c>MSRAFill</c>: normal, mean 0, std <c>sqrt(2 / fan_out)</c>.</summary>
    public static Initializer Msra() => new("MSRAFill");

    /// <summary><c>GaussianFill</c> with <c>mean</c> and <c>std</c>.</summary>
    public static Initializer Gaussian(float mean = 0f, float std = 1f) =>
        new("GaussianFill", ArgumentHelper.MakeArgument("mean", mean), ArgumentHelper.MakeArgument("std", std));

    /// <summary><c>UniformFill</c> in <c>[min, max)</c>.</summary>
    public static Initializer Uniform(float min = 0f, float max = 1f) =>
        new("UniformFill", ArgumentHelper.MakeArgument("min", min), ArgumentHelper.MakeArgument("max", max));

    /// <summary><c>ConstantFill</c> with the FLOAT <c>value</c>; Caffe2's default for biases (0).</summary>
    public static Initializer Constant(float value) => new("ConstantFill", ArgumentHelper.MakeArgument("value", value));

    /// <summary>The init-net operator that fills <paramref name="output"/> with shape <paramref name="shape"/>.</summary>
    internal OperatorDef CreateFill(string output, IReadOnlyList<long> shape) =>
        OperatorDef.Create(OperatorType, "", [], [output],
            [ArgumentHelper.MakeRepeatedArgument("shape", shape), .. _arguments.Select(a => a.Clone())]);

    /// <summary>The type and arguments, e.g. <c>ConstantFill(value=0)</c>.</summary>
    public override string ToString() =>
        $"{OperatorType}({string.Join(", ", _arguments.Select(ArgumentHelper.Describe))})";
}
