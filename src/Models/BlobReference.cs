// Hand-written.
namespace Caffe2Sharp.Models;

/// <summary>
/// A blob name as Caffe2's Python front end passes it around: either <em>relative</em> (a plain
/// string, which the <see cref="ModelHelper"/> prefixes with its current name scope, as Caffe2's
/// <c>ScopedBlobReference</c> does) or <em>absolute</em> (what every <see cref="ModelHelper"/>
/// method returns: the full, already-scoped name, used as is).
/// </summary>
/// <remarks>
/// So the output of one layer can be handed to the next inside a name scope without being
/// prefixed twice: <c>var c = model.Conv("data", "conv1", ...)</c> in scope <c>gpu_0</c> reads
/// <c>gpu_0/data</c> and returns <c>gpu_0/conv1</c>, absolute; <c>model.Relu(c, c)</c> then works
/// on <c>gpu_0/conv1</c>. A string is always relative, like a Python <c>str</c> in Caffe2: passing
/// <c>c.Name</c> (a string) back in would prefix it again.
/// </remarks>
public readonly record struct BlobReference
{
    /// <summary>A reference to <paramref name="name"/>; <paramref name="absolute"/> says whether it is already scoped.</summary>
    public BlobReference(string name, bool absolute)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        IsAbsolute = absolute;
    }

    /// <summary>The name: the full blob name when <see cref="IsAbsolute"/>, else relative to the current name scope.</summary>
    public string Name { get; }

    /// <summary>True when <see cref="Name"/> is the full blob name and is used without a scope prefix.</summary>
    public bool IsAbsolute { get; }

    /// <summary>An absolute reference: the blob <paramref name="name"/> exactly, whatever the current name scope.</summary>
    public static BlobReference Absolute(string name) => new(name, absolute: true);

    /// <summary>A relative reference: <paramref name="name"/> under the current name scope.</summary>
    public static implicit operator BlobReference(string name) => new(name, absolute: false);

    /// <summary>The name (relative or absolute as it is held).</summary>
    public override string ToString() => Name;
}
