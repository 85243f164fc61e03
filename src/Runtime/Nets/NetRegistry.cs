// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// Creates an executor (a <see cref="NetBase"/>) over operators already created, in def order, in
/// <paramref name="workspace"/> (Caffe2's <c>NetRegistry</c> creators).
/// </summary>
/// <param name="def">The net's def, cloned by the workspace, device options resolved.</param>
/// <param name="operators">The net's operators, one per op of <paramref name="def"/>, in order.</param>
/// <param name="workspace">The workspace the operators are bound to.</param>
public delegate NetBase NetFactory(NetDef def, IReadOnlyList<OperatorBase> operators, Workspace workspace);

/// <summary>
/// Executors by net type (<c>NetDef.type</c>; empty means <c>simple</c>), owned by an
/// <see cref="OperatorCatalog"/>. A new registry holds <c>simple</c> and, as aliases of it, every
/// other type Caffe2 defines (<see cref="CaffeNetTypes"/>).
/// </summary>
/// <remarks>
/// Every Caffe2 executor respects the dependency order of the def, so a net declaring
/// <c>dag</c> or <c>async_scheduling</c> computes the same results under <c>simple</c>, only
/// without inter-op parallelism: the aliases keep such nets loading. Registering a real executor
/// under an aliased name replaces the alias, silently and by design; registering a name a second
/// time otherwise throws, naming both call sites, as <see cref="OperatorRegistry"/> does. The
/// registry is safe to read from several threads; register before creating nets.
/// </remarks>
public sealed class NetRegistry
{
    /// <summary>The name of the sequential executor, and the type of a net that names none.</summary>
    public const string Simple = "simple";

    /// <summary>Caffe2's other executor types, registered as aliases of <see cref="Simple"/> in a new registry.</summary>
    public static IReadOnlyList<string> CaffeNetTypes { get; } =
        ["dag", "async_dag", "async_scheduling", "async_simple", "async_polling", "parallel", "prof_dag", "singlethread_async"];

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(NetFactory? Factory, string? AliasOf, string Site);

    /// <summary>Creates a registry holding <c>simple</c> and its aliases.</summary>
    public NetRegistry()
    {
        Register(Simple, static (def, ops, _) => new SimpleNet(def, ops));
        foreach (var type in CaffeNetTypes) RegisterAlias(type, Simple);
    }

    /// <summary>
    /// Registers the executor for net type <paramref name="type"/>. An alias of that name is
    /// replaced; a real registration of it is an error.
    /// </summary>
    /// <exception cref="InvalidOperationException">An executor of that type is registered already; the message names both sites.</exception>
    public void Register(string type, NetFactory factory, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(factory);
        lock (_entries)
        {
            if (_entries.TryGetValue(type, out var existing) && existing.AliasOf is null)
                throw new InvalidOperationException($"Net type '{type}' is registered twice: first at {existing.Site}, again at {file}:{line}.");
            _entries[type] = new Entry(factory, null, $"{file}:{line}");
        }
    }

    /// <summary>
    /// Makes net type <paramref name="alias"/> run with the executor of <paramref name="target"/>
    /// until a real executor registers under <paramref name="alias"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The alias name is registered already (as an executor or alias), or <paramref name="target"/> is not a registered executor.</exception>
    public void RegisterAlias(string alias, string target, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(alias);
        ArgumentException.ThrowIfNullOrEmpty(target);
        lock (_entries)
        {
            if (_entries.TryGetValue(alias, out var existing))
                throw new InvalidOperationException($"Net type '{alias}' is registered twice: first at {existing.Site}, again (as an alias of '{target}') at {file}:{line}.");
            if (!_entries.TryGetValue(target, out var t) || t.AliasOf is not null)
                throw new InvalidOperationException($"Cannot alias net type '{alias}' to '{target}': '{target}' is not a registered executor (at {file}:{line}).");
            _entries.Add(alias, new Entry(null, target, $"{file}:{line}"));
        }
    }

    /// <summary>Every registered net type (executors and aliases), sorted.</summary>
    public IReadOnlyList<string> Types
    {
        get { lock (_entries) return [.. _entries.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>True when <paramref name="type"/> is registered (as an executor or an alias).</summary>
    public bool Contains(string type)
    {
        lock (_entries) return _entries.ContainsKey(type);
    }

    /// <summary>The executor type an alias stands for, or null when <paramref name="type"/> is a real executor or unknown.</summary>
    public string? AliasTarget(string type)
    {
        lock (_entries) return _entries.TryGetValue(type, out var e) ? e.AliasOf : null;
    }

    /// <summary>
    /// The factory for <paramref name="def"/>'s type (<c>simple</c> when empty), following an alias.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The type is unknown; the message names the net and lists the known types.</exception>
    public NetFactory Resolve(NetDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        string type = string.IsNullOrEmpty(def.Type) ? Simple : def.Type;
        lock (_entries)
        {
            if (_entries.TryGetValue(type, out var e))
            {
                if (e.AliasOf is not null) e = _entries[e.AliasOf];
                return e.Factory!;
            }
        }
        var known = Types.Select(t => AliasTarget(t) is { } target ? $"{t} (runs as {target})" : t);
        var close = Suggestions.Closest(type, Types, 3);
        throw new EnforceNotMetException($"{def.DisplayName}: unknown net type '{type}'." +
            (close.Count > 0 ? $" Did you mean: {string.Join(", ", close)}?" : "") +
            $" Known types: {string.Join(", ", known)}.");
    }
}
