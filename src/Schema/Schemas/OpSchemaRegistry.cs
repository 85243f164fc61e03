// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Schema;

/// <summary>
/// All operator schemas known to one runtime, keyed by operator type. An instance, not a static:
/// tests use throwaway registries, and a DI container builds one per catalog.
/// </summary>
/// <remarks>
/// A duplicate registration is an error that names both registration sites: two plugins defining
/// the same operator type would otherwise silently replace each other's contract.
/// </remarks>
public sealed class OpSchemaRegistry
{
    private readonly SortedDictionary<string, OpSchema> _schemas = new(StringComparer.Ordinal);

    /// <summary>Starts a new schema for <paramref name="type"/> and returns it for chaining.</summary>
    /// <exception cref="InvalidOperationException">A schema for <paramref name="type"/> exists already.</exception>
    public OpSchema Schema(string type, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        lock (_schemas)
        {
            if (_schemas.TryGetValue(type, out var existing))
                throw new InvalidOperationException(
                    $"Operator schema '{type}' is registered twice: first at {existing.File}:{existing.Line}, again at {file}:{line}.");
            var schema = new OpSchema(type, file, line);
            _schemas.Add(type, schema);
            return schema;
        }
    }

    /// <summary>The schema for <paramref name="type"/>, or null.</summary>
    public OpSchema? Find(string type)
    {
        lock (_schemas) return _schemas.GetValueOrDefault(type);
    }

    /// <summary>True when a schema for <paramref name="type"/> exists.</summary>
    public bool Contains(string type) => Find(type) is not null;

    /// <summary>Every schema, sorted by operator type.</summary>
    public IReadOnlyList<OpSchema> All
    {
        get { lock (_schemas) return [.. _schemas.Values]; }
    }

    /// <summary>Every registered operator type, sorted.</summary>
    public IReadOnlyList<string> Types
    {
        get { lock (_schemas) return [.. _schemas.Keys]; }
    }
}
