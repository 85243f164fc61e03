// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Runtime;

/// <summary>Creates an operator instance bound to a workspace.</summary>
public delegate OperatorBase OperatorCreator(OperatorDef def, Workspace workspace);

/// <summary>A registry key: device type (a <see cref="DeviceTypeProto"/> value), engine ("" = default) and operator type.</summary>
public readonly record struct OperatorKey(int DeviceType, string Engine, string Type)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Type} on {DeviceName(DeviceType)}" + (Engine.Length > 0 ? $" engine {Engine}" : "");

    /// <summary>Readable name of a device type number: Caffe2's (<c>CPU</c>, <c>CUDA</c>, <c>MKLDNN</c>...).</summary>
    public static string DeviceName(int deviceType) =>
        Enum.IsDefined(typeof(DeviceTypeProto), deviceType)
            ? ((DeviceTypeProto)deviceType).ToString()["Proto".Length..].ToUpperInvariant()
            : $"device type {deviceType}";
}

/// <summary>
/// Operator kernels keyed by (device type, engine, operator type). An op whose engine is not
/// registered falls back to the device's default engine (""), as in Caffe2; <c>engine</c> may be
/// a comma-separated preference list. A duplicate registration throws naming both sites.
/// </summary>
public sealed class OperatorRegistry
{
    private readonly Dictionary<OperatorKey, (OperatorCreator Creator, string Site)> _creators = [];

    /// <summary>Registers <paramref name="creator"/> for <paramref name="type"/> on a device and engine (default: CPU, default engine).</summary>
    public void Register(string type, OperatorCreator creator, int deviceType = (int)DeviceTypeProto.ProtoCpu, string engine = "",
        [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(creator);
        var key = new OperatorKey(deviceType, NormalizeEngine(engine ?? ""), type);
        lock (_creators)
        {
            var site = $"{file}:{line}";
            if (_creators.TryGetValue(key, out var existing))
                throw new InvalidOperationException($"Operator {key} is registered twice: first at {existing.Site}, again at {site}.");
            _creators.Add(key, (creator, site));
        }
    }

    /// <summary>The creator for exactly this key, or null.</summary>
    public OperatorCreator? Find(OperatorKey key)
    {
        lock (_creators) return _creators.TryGetValue(key, out var e) ? e.Creator : null;
    }

    /// <summary>True when <paramref name="type"/> has a kernel on any device or engine.</summary>
    public bool Contains(string type)
    {
        lock (_creators)
            foreach (var k in _creators.Keys)
                if (k.Type == type) return true;
        return false;
    }

    /// <summary>Every registered key, sorted by type, device and engine.</summary>
    public IReadOnlyList<OperatorKey> Keys
    {
        get
        {
            lock (_creators)
                return [.. _creators.Keys.OrderBy(k => k.Type, StringComparer.Ordinal).ThenBy(k => k.DeviceType).ThenBy(k => k.Engine, StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// The creator for <paramref name="def"/>: each engine in its preference list, then the
    /// device's default engine.
    /// </summary>
    /// <exception cref="EnforceNotMetException">Nothing matches; the message lists close operator type names.</exception>
    public OperatorCreator Resolve(OperatorDef def)
    {
        int device = def.DeviceOption?.DeviceType ?? 0;
        foreach (var engine in (def.Engine ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var c = Find(new OperatorKey(device, NormalizeEngine(engine), def.Type));
            if (c is not null) return c;
        }
        return Find(new OperatorKey(device, "", def.Type)) ?? throw UnknownOperator(def, device);
    }

    private EnforceNotMetException UnknownOperator(OperatorDef def, int device)
    {
        var keys = Keys;
        var onOtherDevices = keys.Where(k => k.Type == def.Type).Select(k => OperatorKey.DeviceName(k.DeviceType)).Distinct().ToList();
        if (onOtherDevices.Count > 0)
            return new EnforceNotMetException(
                $"Operator type '{def.Type}' has no kernel for {OperatorKey.DeviceName(device)} (device_type {device}); it is registered for {string.Join(", ", onOtherDevices)}." +
                " To run the net on the CPU, place it there: NetDef.OnDevice(0), PredictorOptions.Device, or the CLI's --device cpu.");
        var close = Suggestions.Closest(def.Type, keys.Select(k => k.Type).Distinct());
        return new EnforceNotMetException(
            $"Unknown operator type '{def.Type}'." + (close.Count > 0 ? $" Did you mean: {string.Join(", ", close)}?" : "") +
            $" ({keys.Select(k => k.Type).Distinct().Count()} operator types are registered.)");
    }

    private static string NormalizeEngine(string engine) => engine.Equals("DEFAULT", StringComparison.OrdinalIgnoreCase) ? "" : engine;
}
