// Hand-written: extends the generated caffe2.NetDef.
using System.Text;

namespace Caffe2Sharp.Schema.Proto;

public partial class NetDef
{
    /// <summary>How this net is named in messages.</summary>
    public string DisplayName => string.IsNullOrEmpty(Name) ? "net (unnamed)" : $"net '{Name}'";

    /// <summary>True when a net-level argument named <paramref name="name"/> is present.</summary>
    public bool HasArgument(string name) => ArgumentHelper.Has(Arg, name);

    /// <summary>Reads a single-valued net argument or returns <paramref name="defaultValue"/>.</summary>
    public T GetSingleArgument<T>(string name, T defaultValue) =>
        ArgumentHelper.GetSingle(Arg, name, defaultValue, DisplayName);

    /// <summary>Reads a repeated net argument or returns <paramref name="defaultValue"/> (empty when null).</summary>
    public T[] GetRepeatedArgument<T>(string name, IReadOnlyList<T>? defaultValue = null) =>
        ArgumentHelper.GetRepeated(Arg, name, defaultValue, DisplayName);

    /// <summary>
    /// A copy of this net placed on <paramref name="deviceType"/> (a <see cref="DeviceTypeProto"/>
    /// value): the net's and every op's <c>device_option.device_type</c> are set to it and
    /// <c>device_id</c> cleared; each <c>random_seed</c> and <c>node_name</c> is kept. This is how a
    /// net exported from GPU training (<c>device_type</c> 1, CUDA) runs on the CPU.
    /// </summary>
    public NetDef OnDevice(int deviceType)
    {
        var copy = Clone();
        copy.DeviceOption = Place(copy.DeviceOption, deviceType);
        // An op without its own option inherits the net's (and so its random_seed) when created.
        foreach (var op in copy.Op)
            if (op.DeviceOption is not null) op.DeviceOption = Place(op.DeviceOption, deviceType);
        return copy;

        static DeviceOption Place(DeviceOption? option, int deviceType)
        {
            var placed = option?.Clone() ?? new DeviceOption();
            placed.DeviceType = deviceType;
            placed.ClearDeviceId();
            return placed;
        }
    }

    /// <summary>A multi-line readable listing: name, type, external inputs/outputs and one line per op.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append("NetDef ").Append(string.IsNullOrEmpty(Name) ? "(unnamed)" : Name);
        if (!string.IsNullOrEmpty(Type)) sb.Append(" type=").Append(Type);
        sb.AppendLine();
        if (ExternalInput.Count > 0) sb.Append("  inputs: ").AppendLine(string.Join(", ", ExternalInput));
        if (ExternalOutput.Count > 0) sb.Append("  outputs: ").AppendLine(string.Join(", ", ExternalOutput));
        for (int k = 0; k < Op.Count; k++) sb.Append("  #").Append(k).Append(' ').AppendLine(Op[k].Describe());
        return sb.ToString();
    }
}
