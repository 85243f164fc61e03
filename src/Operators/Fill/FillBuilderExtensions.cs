// Hand-written.
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Operators.Fill;

/// <summary>Fluent <see cref="NetBuilder"/> methods for the fill pack.</summary>
public static class FillBuilderExtensions
{
    /// <summary>Adds <c>GivenTensorFill</c>: <paramref name="output"/> gets <paramref name="values"/> in <paramref name="shape"/>.</summary>
    public static NetBuilder GivenTensorFill(this NetBuilder net, string output, long[] shape, float[] values, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("GivenTensorFill", [], [output], name,
            ArgumentHelper.MakeRepeatedArgument("shape", shape), ArgumentHelper.MakeRepeatedArgument("values", values));
    }

    /// <summary>Adds <c>ConstantFill</c>: <paramref name="output"/> of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static NetBuilder ConstantFill(this NetBuilder net, string output, long[] shape, float value, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("ConstantFill", [], [output], name,
            ArgumentHelper.MakeRepeatedArgument("shape", shape), ArgumentHelper.MakeArgument("value", value));
    }

    /// <summary>Adds <c>Copy</c>.</summary>
    public static NetBuilder Copy(this NetBuilder net, string input, string output, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Copy", [input], [output], name);
    }
}
