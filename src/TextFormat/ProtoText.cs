// Hand-written.
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Caffe2Sharp.TextFormat;

/// <summary>
/// Reads and writes the protobuf text format (<c>.pbtxt</c>, <c>.prototxt</c>), which
/// Google.Protobuf does not provide for C#. Works for any generated message through its
/// descriptor, so Caffe2's <c>NetDef</c>, <c>OperatorDef</c>, <c>TensorProto</c>, ONNX's <c>ModelProto</c> and
/// the rest need no per-message code.
/// </summary>
/// <remarks>
/// <para>
/// The reader accepts what protobuf's own text parser accepts: <c>#</c> comments; fields in any
/// order, separated by whitespace and an optional <c>,</c> or <c>;</c>; <c>name: value</c>;
/// messages as <c>name { ... }</c>, <c>name: { ... }</c> or <c>name &lt; ... &gt;</c>; repeated
/// fields as repeated lines or lists (<c>ints: [1, 2, 3]</c>, <c>op [{ ... }, { ... }]</c>);
/// single- or double-quoted strings with C escapes, adjacent literals concatenated; integers in
/// decimal, hex or octal; floats with <c>f</c> suffixes, <c>inf</c> and <c>nan</c>; enums by name
/// or number. proto2 rules hold: a non-repeated field may be given once per message body,
/// required fields must be present, unknown field names are errors. Extensions
/// (<c>[pkg.ext]</c>) and the expanded <c>Any</c> syntax are rejected. Every failure is a
/// <see cref="TextFormatException"/> carrying line and column.
/// </para>
/// <para>
/// The writer prints present fields in field-number order with two-space indentation, strings
/// and bytes double-quoted with octal escapes for anything non-printable or non-ASCII, and
/// floating-point values in their shortest round-trip form. Its output reads back (here and in
/// protobuf's C++ and Python parsers) to an equal message. Unknown fields kept from binary
/// parsing are not printed, since the text format has no way to name them that parsers accept.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// NetDef net = ProtoText.Parse&lt;NetDef&gt;(File.ReadAllText(path), Path.GetFileName(path));
/// string text = ProtoText.Print(net);
/// </code>
/// </example>
public static class ProtoText
{
    /// <summary>Parses <paramref name="text"/> as a message of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The generated message type, for example Caffe2's <c>NetDef</c>.</typeparam>
    /// <param name="text">Text format input. Empty input, or only whitespace and comments, is an empty message.</param>
    /// <param name="sourceName">Name used in error messages (usually the file name); <c>&lt;text&gt;</c> when null.</param>
    /// <returns>The parsed message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="TextFormatException">The text is not a valid <typeparamref name="T"/>.</exception>
    public static T Parse<T>(string text, string? sourceName = null)
        where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(text);
        var message = new T();
        TextParser.Merge(message, text, sourceName);
        return message;
    }

    /// <summary>Parses <paramref name="text"/> as a message described by <paramref name="descriptor"/>.</summary>
    /// <param name="descriptor">Descriptor of a generated message type, for example <c>NetDef.Descriptor</c>.</param>
    /// <param name="text">Text format input. Empty input, or only whitespace and comments, is an empty message.</param>
    /// <param name="sourceName">Name used in error messages (usually the file name); <c>&lt;text&gt;</c> when null.</param>
    /// <returns>A new message of the descriptor's generated type.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="descriptor"/> or <paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentException">The descriptor has no generated type to instantiate (a map entry).</exception>
    /// <exception cref="TextFormatException">The text is not a valid message of that type.</exception>
    public static IMessage Parse(MessageDescriptor descriptor, string text, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(text);
        if (descriptor.Parser is null)
        {
            throw new ArgumentException($"message type {descriptor.FullName} has no generated class to parse into", nameof(descriptor));
        }

        IMessage message = descriptor.Parser.ParseFrom(ByteString.Empty);
        TextParser.Merge(message, text, sourceName);
        return message;
    }

    /// <summary>
    /// Parses <paramref name="text"/> and merges its fields into <paramref name="message"/>:
    /// repeated fields are appended to, singular scalars overwritten, singular messages merged.
    /// A non-repeated field given twice within the text is still an error.
    /// </summary>
    /// <param name="message">The message to merge into.</param>
    /// <param name="text">Text format input.</param>
    /// <param name="sourceName">Name used in error messages (usually the file name); <c>&lt;text&gt;</c> when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> or <paramref name="text"/> is null.</exception>
    /// <exception cref="TextFormatException">The text is not valid for the message's type; fields
    /// before the error have already been merged.</exception>
    public static void Merge(IMessage message, string text, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(text);
        TextParser.Merge(message, text, sourceName);
    }

    /// <summary>Writes <paramref name="message"/> in text format.</summary>
    /// <param name="message">The message to print.</param>
    /// <returns>One field per line, each line ending in <c>\n</c>; empty for an empty message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static string Print(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sb = new StringBuilder();
        TextPrinter.Print(message, sb, indent: 0);
        return sb.ToString();
    }
}
