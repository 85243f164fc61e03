// Hand-written.
namespace Caffe2Sharp.Schema.Builders;

/// <summary>
/// Authors a <see cref="NetDef"/> in C#, fluently:
/// <code>
/// var net = new NetBuilder("predict").ExternalInput("X")
///     .LeakyRelu("X", "Y", alpha: 0.2f)
///     .ExternalOutput("Y")
///     .Build();
/// </code>
/// Operator packs extend it with extension methods (such as <c>LeakyRelu</c> above) built on
/// <c>Op</c>; nothing here knows any operator.
/// </summary>
public sealed class NetBuilder
{
    private readonly NetDef _net;

    /// <summary>Starts a net named <paramref name="name"/> (empty for an unnamed net).</summary>
    public NetBuilder(string name = "") => _net = new NetDef { Name = name ?? "" };

    /// <summary>Continues an existing net (a copy is edited).</summary>
    public NetBuilder(NetDef net) => _net = (net ?? throw new ArgumentNullException(nameof(net))).Clone();

    /// <summary>Number of ops added so far.</summary>
    public int OpCount => _net.Op.Count;

    /// <summary>Declares external inputs.</summary>
    public NetBuilder ExternalInput(params string[] names)
    {
        _net.ExternalInput.AddRange(names);
        return this;
    }

    /// <summary>Declares external outputs.</summary>
    public NetBuilder ExternalOutput(params string[] names)
    {
        _net.ExternalOutput.AddRange(names);
        return this;
    }

    /// <summary>Sets the executor type ("simple" when not set).</summary>
    public NetBuilder Type(string type)
    {
        _net.Type = type;
        return this;
    }

    /// <summary>Sets the net's device option, inherited by ops without one.</summary>
    public NetBuilder Device(DeviceOption option)
    {
        _net.DeviceOption = option;
        return this;
    }

    /// <summary>Adds a net-level argument.</summary>
    public NetBuilder Argument<T>(string name, T value)
    {
        _net.Arg.Add(ArgumentHelper.MakeArgument(name, value));
        return this;
    }

    /// <summary>Adds an operator and returns this builder.</summary>
    /// <param name="type">Operator type.</param>
    /// <param name="inputs">Input blob names.</param>
    /// <param name="outputs">Output blob names.</param>
    /// <param name="name">Optional operator name.</param>
    /// <param name="args">Arguments, e.g. from <see cref="ArgumentHelper.MakeArgument{T}"/>.</param>
    public NetBuilder Op(string type, IEnumerable<string> inputs, IEnumerable<string> outputs, string? name = null, params Argument[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        _net.Op.Add(OperatorDef.Create(type, name ?? "", inputs, outputs, args));
        return this;
    }

    /// <summary>Adds a ready-made operator def (copied).</summary>
    public NetBuilder Op(OperatorDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        _net.Op.Add(def.Clone());
        return this;
    }

    /// <summary>The net built so far (a copy: the builder can keep going).</summary>
    public NetDef Build() => _net.Clone();
}
