// Hand-written.
namespace Caffe2Sharp.Onnx.Import;

/// <summary>One node (or graph-level item) the importer could not turn into Caffe2 operators.</summary>
/// <param name="NodeIndex">The node's index in the graph, or -1 for a graph-level problem.</param>
/// <param name="OpType">The node's op type ("" for a graph-level problem).</param>
/// <param name="Opset">The opset the node's domain is imported at (0 for a graph-level problem).</param>
/// <param name="NodeName">The node's name, or its first output when it has none.</param>
/// <param name="Reason">What is wrong or unsupported.</param>
/// <param name="Unsupported">True when the op type (at that opset) has no importer at all.</param>
public sealed record OnnxImportProblem(int NodeIndex, string OpType, long Opset, string NodeName, string Reason, bool Unsupported = false)
{
    /// <summary>Readable form: <c>node #3 Softmax (opset 13) "prob": ...</c>.</summary>
    public override string ToString() =>
        NodeIndex < 0 ? Reason : $"node #{NodeIndex} {OpType} (opset {Opset}){(NodeName.Length > 0 ? $" \"{NodeName}\"" : "")}: {Reason}";
}

/// <summary>
/// An ONNX model cannot be imported. <see cref="Problems"/> lists every node that failed (all
/// unsupported op types at once, not only the first); the message names the file when known.
/// </summary>
public sealed class OnnxImportException : EnforceNotMetException
{
    /// <summary>Creates the exception for <paramref name="source"/> (a file or "ONNX model") from its problems.</summary>
    public OnnxImportException(string source, IReadOnlyList<OnnxImportProblem> problems)
        : base(Format(source, problems)) => Problems = problems;

    /// <summary>Every problem found, in node order.</summary>
    public IReadOnlyList<OnnxImportProblem> Problems { get; }

    /// <summary>The distinct op types that have no importer.</summary>
    public IReadOnlyList<string> UnsupportedOperatorTypes =>
        [.. Problems.Where(p => p.Unsupported).Select(p => p.OpType).Distinct(StringComparer.Ordinal)];

    private static string Format(string source, IReadOnlyList<OnnxImportProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 1) return $"{source}: {problems[0]}";
        var types = problems.Where(p => p.Unsupported).Select(p => $"{p.OpType} (opset {p.Opset})").Distinct(StringComparer.Ordinal).ToArray();
        string head = types.Length > 0
            ? $"{source}: cannot import {problems.Count} node(s); op type(s) without an importer: {string.Join(", ", types)}."
            : $"{source}: cannot import {problems.Count} node(s).";
        return head + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p));
    }
}
