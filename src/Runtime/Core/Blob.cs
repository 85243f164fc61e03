// Hand-written.
namespace Caffe2Sharp.Runtime;

/// <summary>A named slot in a <see cref="Workspace"/> holding a value, normally a <see cref="Tensor"/>.</summary>
public sealed class Blob
{
    internal Blob(string name) => Name = name;

    /// <summary>The blob's name in its workspace.</summary>
    public string Name { get; internal set; }

    /// <summary>The held value, or null when the blob is empty.</summary>
    public object? Value { get; private set; }

    /// <summary>True when the blob holds a tensor.</summary>
    public bool IsTensor => Value is Tensor;

    /// <summary>True when the blob holds nothing.</summary>
    public bool IsEmpty => Value is null;

    /// <summary>The held tensor.</summary>
    /// <exception cref="EnforceNotMetException">The blob is empty or holds something else; the message names the blob.</exception>
    public Tensor GetTensor() => Value as Tensor ?? throw new EnforceNotMetException(
        Value is null ? $"Blob '{Name}' holds no tensor (it was created but never written or fed)."
                      : $"Blob '{Name}' holds a {Value.GetType().Name}, not a tensor.");

    /// <summary>The held tensor, creating an empty one when the blob is empty or holds something else.</summary>
    public Tensor GetMutableTensor()
    {
        if (Value is Tensor t) return t;
        t = new Tensor();
        Value = t;
        return t;
    }

    /// <summary>Replaces the held value.</summary>
    public void Reset(object? value = null) => Value = value;

    /// <inheritdoc/>
    public override string ToString() => $"Blob '{Name}': " + (Value switch
    {
        null => "empty",
        Tensor t => t.Describe(),
        var v => v.GetType().Name,
    });
}
