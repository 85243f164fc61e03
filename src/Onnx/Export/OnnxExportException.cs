// Hand-written.
namespace Caffe2Sharp.Onnx.Export;

/// <summary>One operator (or net-level item) the exporter could not express in ONNX.</summary>
/// <param name="OpIndex">The operator's index in the predict net, or -1 for a net-level problem (an input without a shape, an output that cannot keep its name).</param>
/// <param name="OpType">The operator's type ("" for a net-level problem).</param>
/// <param name="OpName">The operator's name ("" when it has none).</param>
/// <param name="Reason">What is not supported, and why.</param>
/// <param name="NoMapping">True when the operator type has no ONNX mapping at all (rather than arguments ONNX cannot express).</param>
public sealed record OnnxExportProblem(int OpIndex, string OpType, string OpName, string Reason, bool NoMapping = false)
{
    /// <summary>Readable form: <c>op #3 Softmax "prob": ...</c>.</summary>
    public override string ToString() =>
        OpIndex < 0 ? Reason : $"op #{OpIndex} {OpType}{(OpName.Length > 0 ? $" \"{OpName}\"" : "")}: {Reason}";
}

/// <summary>
/// A net cannot be exported to ONNX. <see cref="Problems"/> lists every operator that has no
/// mapping or whose arguments ONNX cannot express, not only the first; the message lists them too.
/// </summary>
public sealed class OnnxExportException : EnforceNotMetException
{
    /// <summary>Creates the exception from its problems (at least one).</summary>
    public OnnxExportException(string netName, IReadOnlyList<OnnxExportProblem> problems)
        : base(Format(netName, problems)) => Problems = problems;

    /// <summary>Every problem found, in op order.</summary>
    public IReadOnlyList<OnnxExportProblem> Problems { get; }

    /// <summary>The distinct operator types that have no ONNX mapping at all.</summary>
    public IReadOnlyList<string> UnsupportedOperatorTypes =>
        [.. Problems.Where(p => p.NoMapping).Select(p => p.OpType).Distinct(StringComparer.Ordinal)];

    private static string Format(string netName, IReadOnlyList<OnnxExportProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var types = problems.Where(p => p.NoMapping).Select(p => p.OpType).Distinct(StringComparer.Ordinal).ToArray();
        string head = types.Length > 0
            ? $"Cannot export {netName} to ONNX: {problems.Count} problem(s); operator type(s) without an ONNX mapping: {string.Join(", ", types)}."
            : $"Cannot export {netName} to ONNX: {problems.Count} problem(s).";
        return head + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p));
    }
}
