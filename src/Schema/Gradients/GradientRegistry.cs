// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Schema.Gradients;

/// <summary>Creates a gradient maker for a forward def and its output gradients.</summary>
public delegate GradientMakerBase GradientMakerFactory(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput);

/// <summary>
/// Gradient makers keyed by forward operator type (Caffe2's <c>REGISTER_GRADIENT</c>). A duplicate
/// registration throws and names both sites.
/// </summary>
public sealed class GradientRegistry
{
    private readonly Dictionary<string, (GradientMakerFactory Factory, string Site)> _makers = new(StringComparer.Ordinal);

    /// <summary>Registers the maker for forward operator <paramref name="type"/>.</summary>
    public void Register(string type, GradientMakerFactory factory, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(factory);
        lock (_makers)
        {
            var site = $"{file}:{line}";
            if (_makers.TryGetValue(type, out var existing))
                throw new InvalidOperationException($"Gradient of '{type}' is registered twice: first at {existing.Site}, again at {site}.");
            _makers.Add(type, (factory, site));
        }
    }

    /// <summary>Registers that <paramref name="type"/> has no gradient.</summary>
    public void NoGradient(string type, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0) =>
        Register(type, static (d, g) => new NoGradient(d, g), file, line);

    /// <summary>True when a maker is registered for <paramref name="type"/>.</summary>
    public bool Contains(string type)
    {
        lock (_makers) return _makers.ContainsKey(type);
    }

    /// <summary>Every forward type with a registered maker, sorted.</summary>
    public IReadOnlyList<string> Types
    {
        get { lock (_makers) return [.. _makers.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>
    /// The gradient ops of <paramref name="def"/> (Caffe2's <c>GetGradientForOp</c>).
    /// <paramref name="gOutput"/> gives the gradient of each output; when null every output gets
    /// the dense name <c>Y_grad</c>.
    /// </summary>
    public GradientOpsMeta GetGradientForOp(OperatorDef def, IReadOnlyList<GradientWrapper>? gOutput = null)
    {
        ArgumentNullException.ThrowIfNull(def);
        GradientMakerFactory factory;
        lock (_makers)
        {
            if (!_makers.TryGetValue(def.Type, out var entry))
                throw new EnforceNotMetException($"No gradient maker is registered for operator type '{def.Type}' (operator {def.DisplayName}).");
            factory = entry.Factory;
        }
        gOutput ??= def.Output.Select(o => new GradientWrapper(Dense: o + "_grad")).ToArray();
        var meta = factory(def, gOutput).Get();
        Enforce.That(meta.InputGradients.Count == def.Input.Count,
            () => $"Gradient maker of '{def.Type}' reported {meta.InputGradients.Count} input gradients for {def.Input.Count} inputs.");
        return meta;
    }
}
