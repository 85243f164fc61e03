// Hand-written: extends the generated caffe2.OperatorDef.
using System.Text;

namespace Caffe2Sharp.Schema.Proto;

public partial class OperatorDef
{
    /// <summary>How this operator is named in messages: <c>LeakyRelu "relu1"</c>, or just the type when unnamed.</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? $"'{Type}'" : $"'{Type}' \"{Name}\"";

    /// <summary>True when an argument named <paramref name="name"/> is present.</summary>
    public bool HasArgument(string name) => ArgumentHelper.Has(Arg, name);

    /// <summary>Reads a single-valued argument or returns <paramref name="defaultValue"/>; see <see cref="ArgumentHelper"/>.</summary>
    public T GetSingleArgument<T>(string name, T defaultValue) =>
        ArgumentHelper.GetSingle(Arg, name, defaultValue, "operator " + DisplayName);

    /// <summary>Reads a repeated argument or returns <paramref name="defaultValue"/> (empty when null).</summary>
    public T[] GetRepeatedArgument<T>(string name, IReadOnlyList<T>? defaultValue = null) =>
        ArgumentHelper.GetRepeated(Arg, name, defaultValue, "operator " + DisplayName);

    /// <summary>Adds (or replaces) a single-valued argument and returns this def, for chaining.</summary>
    public OperatorDef SetArgument<T>(string name, T value)
    {
        RemoveArgument(name);
        Arg.Add(ArgumentHelper.MakeArgument(name, value));
        return this;
    }

    /// <summary>Adds (or replaces) a repeated argument and returns this def, for chaining.</summary>
    public OperatorDef SetRepeatedArgument<T>(string name, IEnumerable<T> values)
    {
        RemoveArgument(name);
        Arg.Add(ArgumentHelper.MakeRepeatedArgument(name, values));
        return this;
    }

    private void RemoveArgument(string name)
    {
        for (int k = Arg.Count - 1; k >= 0; k--)
            if (Arg[k].Name == name) Arg.RemoveAt(k);
    }

    /// <summary>
    /// A one-line readable form: <c>LeakyRelu "relu1" (X) -> (Y) [alpha=0.2]</c>. (The generated
    /// <c>ToString</c> gives protobuf's diagnostic JSON and cannot be replaced in a partial class.)
    /// </summary>
    public string Describe()
    {
        var sb = new StringBuilder(Type);
        if (!string.IsNullOrEmpty(Name)) sb.Append(" \"").Append(Name).Append('"');
        sb.Append(" (").Append(string.Join(", ", Input)).Append(") -> (").Append(string.Join(", ", Output)).Append(')');
        if (Arg.Count > 0) sb.Append(" [").Append(string.Join(", ", Arg.Select(ArgumentHelper.Describe))).Append(']');
        if (!string.IsNullOrEmpty(Engine)) sb.Append(" engine=").Append(Engine);
        if (DeviceOption is { } d && d.DeviceType != 0) sb.Append(" device=").Append(d.DeviceType).Append(':').Append(d.DeviceId);
        if (IsGradientOp) sb.Append(" (gradient)");
        return sb.ToString();
    }

    /// <summary>Creates an operator def from its parts, the way Caffe2's <c>CreateOperatorDef</c> does.</summary>
    public static OperatorDef Create(string type, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<Argument>? args = null)
    {
        var def = new OperatorDef { Type = type };
        if (!string.IsNullOrEmpty(name)) def.Name = name;
        def.Input.AddRange(inputs);
        def.Output.AddRange(outputs);
        if (args is not null) def.Arg.AddRange(args);
        return def;
    }
}
