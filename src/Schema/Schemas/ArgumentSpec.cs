// Hand-written.
namespace Caffe2Sharp.Schema;

/// <summary>Which field of a Caffe2 <see cref="Argument"/> an argument's value must be in.</summary>
public enum ArgumentKind
{
    /// <summary>Any field; not checked.</summary>
    Any,
    /// <summary>A float in <c>f</c> (an integer in <c>i</c> with an exact float value is accepted too).</summary>
    Float,
    /// <summary>An integer or bool in <c>i</c>.</summary>
    Int,
    /// <summary>A string in <c>s</c>.</summary>
    String,
    /// <summary>A list of floats in <c>floats</c>.</summary>
    Floats,
    /// <summary>A list of integers in <c>ints</c>.</summary>
    Ints,
    /// <summary>A list of strings in <c>strings</c>.</summary>
    Strings,
    /// <summary>A net in <c>n</c>.</summary>
    Net,
    /// <summary>A tensor in <c>t</c>.</summary>
    Tensor,
}

/// <summary>A documented operator argument: name, description, kind, default and whether it is required.</summary>
/// <param name="Name">The argument name as written in OperatorDef.arg.</param>
/// <param name="Description">User documentation.</param>
/// <param name="Kind">Which field holds the value; checked by <see cref="OpSchema.Verify"/>.</param>
/// <param name="DefaultValue">The value used when the argument is absent, for docs and readers; null when none.</param>
/// <param name="Required">When true, <see cref="OpSchema.Verify"/> rejects a def without it.</param>
public sealed record ArgumentSpec(string Name, string Description, ArgumentKind Kind, object? DefaultValue, bool Required)
{
    /// <summary>True when the fields set on <paramref name="arg"/> suit <see cref="Kind"/>.</summary>
    public bool Accepts(Argument arg) => Kind switch
    {
        ArgumentKind.Any => true,
        // An integer is accepted where it has an exact float value (|i| <= 2^24).
        ArgumentKind.Float => arg.HasF || arg.HasI && arg.I >= -(1L << 24) && arg.I <= 1L << 24,
        ArgumentKind.Int => arg.HasI,
        ArgumentKind.String => arg.HasS,
        // An empty list is written with no elements at all, so an argument with no value field is an empty list.
        ArgumentKind.Floats => arg.Floats.Count > 0 || ArgumentHelper.SetFields(arg).Count == 0,
        ArgumentKind.Ints => arg.Ints.Count > 0 || ArgumentHelper.SetFields(arg).Count == 0,
        ArgumentKind.Strings => arg.Strings.Count > 0 || ArgumentHelper.SetFields(arg).Count == 0,
        ArgumentKind.Net => arg.N is not null,
        ArgumentKind.Tensor => arg.T is not null,
        _ => false,
    };

    /// <summary>The field name(s) that <see cref="Kind"/> expects, for messages.</summary>
    public string ExpectedField => Kind switch
    {
        ArgumentKind.Float => "f (float)",
        ArgumentKind.Int => "i (integer)",
        ArgumentKind.String => "s (string)",
        ArgumentKind.Floats => "floats",
        ArgumentKind.Ints => "ints",
        ArgumentKind.Strings => "strings",
        ArgumentKind.Net => "n (NetDef)",
        ArgumentKind.Tensor => "t (TensorProto)",
        _ => "any",
    };
}

/// <summary>Documentation of one input or output slot.</summary>
/// <param name="Index">Slot index.</param>
/// <param name="Name">Slot name, e.g. "X".</param>
/// <param name="Description">User documentation.</param>
public sealed record SlotDoc(int Index, string Name, string Description);
