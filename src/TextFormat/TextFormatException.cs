// Hand-written.
namespace Caffe2Sharp.TextFormat;

/// <summary>
/// Thrown when protobuf text format input cannot be parsed. Every parse error carries the
/// 1-based line and column where it was found, and the message starts with
/// <c>source:line:column: </c> so it reads like a compiler diagnostic, for example
/// <c>predict_net.pbtxt:12:7: expected ':' or '{' after field name 'arg', found '}'</c>.
/// </summary>
public sealed class TextFormatException : FormatException
{
    /// <summary>Creates an exception for an error at <paramref name="line"/>:<paramref name="column"/>.</summary>
    /// <param name="sourceName">Name of the input (usually a file name), or <see langword="null"/>.</param>
    /// <param name="line">1-based line of the error.</param>
    /// <param name="column">1-based column of the error, counted in UTF-16 characters.</param>
    /// <param name="reason">What went wrong, without the location prefix.</param>
    public TextFormatException(string? sourceName, int line, int column, string reason)
        : base($"{sourceName ?? "<text>"}:{line}:{column}: {reason}")
    {
        SourceName = sourceName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>Name of the input given to the parser (usually a file name), or <see langword="null"/>.</summary>
    public string? SourceName { get; }

    /// <summary>1-based line of the error.</summary>
    public int Line { get; }

    /// <summary>1-based column of the error, counted in UTF-16 characters (a tab counts as one).</summary>
    public int Column { get; }

    /// <summary>The error description without the <c>source:line:column: </c> prefix.</summary>
    public string Reason { get; }
}
