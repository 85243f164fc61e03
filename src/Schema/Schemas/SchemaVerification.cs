// Hand-written.
namespace Caffe2Sharp.Schema;

/// <summary>
/// The outcome of <see cref="OpSchema.VerifyWithWarnings"/>: the reason the def is rejected (or
/// null), and warnings that do not reject it.
/// </summary>
/// <param name="Error">null when the def is valid; otherwise the same reason <see cref="OpSchema.Verify"/> returns.</param>
/// <param name="Warnings">Findings that do not make the def invalid, in argument order; today,
/// arguments the schema does not declare. Reported whether or not <paramref name="Error"/> is set.</param>
public sealed record SchemaVerification(string? Error, IReadOnlyList<SchemaWarning> Warnings)
{
    /// <summary>True when <see cref="Error"/> is null.</summary>
    public bool IsValid => Error is null;
}

/// <summary>
/// An argument on an operator that its schema does not declare. Caffe2 nets carry such arguments
/// routinely (<c>order</c>, <c>use_cudnn</c>, <c>ws_nbytes_limit</c>, ...); Caffe2 ignores them and
/// so does this runtime, but the operator may then compute something other than what the net's
/// author meant (an <c>order</c> of <c>NHWC</c> on an operator that reads no <c>order</c>), and a
/// misspelt argument silently takes its default. So they are reported, not rejected.
/// </summary>
/// <param name="OpType">The operator's type.</param>
/// <param name="OpName">The operator's name, or null when it has none.</param>
/// <param name="Argument">The undeclared argument's name.</param>
/// <param name="Suggestion">The closest declared argument name (see <see cref="Suggestions.Closest"/>), or null when none is close.</param>
/// <param name="Message">A readable sentence without the operator, e.g.
/// <c>argument 'alpah' is not declared by the schema (closest: 'alpha')</c>.</param>
public sealed record SchemaWarning(string OpType, string? OpName, string Argument, string? Suggestion, string Message)
{
    /// <summary>The operator as messages name it: <c>Type</c>, or <c>Type "name"</c> when it has a name.</summary>
    public string OpDisplay => OpName is null ? OpType : $"{OpType} \"{OpName}\"";

    /// <inheritdoc/>
    public override string ToString() => $"{OpDisplay}: {Message}";
}
