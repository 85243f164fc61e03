// Hand-written.
using System.Collections;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Caffe2Sharp.TextFormat;

/// <summary>
/// Recursive-descent parser for protobuf text format, driven entirely by message descriptors:
/// field names are looked up in <see cref="MessageDescriptor"/>, values are converted by
/// <see cref="FieldType"/> and stored through <see cref="FieldDescriptor.Accessor"/>. Nothing is
/// specific to Caffe2's messages.
/// </summary>
/// <remarks>
/// Grammar accepted (protobuf's, minus extensions and Any expansion):
/// <code>
/// message := ( field [ ',' | ';' ] )*
/// field   := name ':' scalar | name ':' '[' [ scalar ( ',' scalar )* ] ']'
///          | name [ ':' ] block | name [ ':' ] '[' [ block ( ',' block )* ] ']'
/// block   := '{' message '}' | '&lt;' message '&gt;'
/// scalar  := [ '-' ] number | identifier | string+
/// </code>
/// proto2 rules are enforced per message body: a non-repeated field may appear once, two members
/// of a oneof may not both appear, and required fields must be present when the body closes.
/// </remarks>
internal sealed class TextParser
{
    // Same default as protobuf's parsers; keeps hostile input like "n{n{n{..." from overflowing the stack.
    private const int MaxDepth = 100;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The quiet NaN with a clear sign bit (0x7FF8000000000000); narrows to float 0x7FC00000.</summary>
    private static readonly double CanonicalNaN = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0000);

    private readonly TextTokenizer _tokens;

    private TextParser(string text, string? sourceName)
    {
        _tokens = new TextTokenizer(text, sourceName);
    }

    /// <summary>Parses <paramref name="text"/> and merges the fields into <paramref name="message"/>.</summary>
    public static void Merge(IMessage message, string text, string? sourceName)
    {
        var parser = new TextParser(text, sourceName);
        parser.ParseBody(message, closing: null, opener: default, depth: 0);
    }

    /// <summary>
    /// Parses fields up to <paramref name="closing"/> (or the end of input when it is null, i.e.
    /// the top-level message). <paramref name="opener"/> is the '{' or '&lt;' token, for errors.
    /// </summary>
    private void ParseBody(IMessage message, char? closing, Token opener, int depth)
    {
        MessageDescriptor descriptor = message.Descriptor;
        var seen = new Dictionary<int, Token>();
        var oneofSeen = new Dictionary<string, FieldDescriptor>(StringComparer.Ordinal);
        while (true)
        {
            Token token = _tokens.Current;
            if (token.Kind == TokenKind.End)
            {
                if (closing is null)
                {
                    CheckRequired(message, token);
                    return;
                }

                throw _tokens.Error(token, $"unexpected end of input: message {descriptor.FullName} opened at {opener.Line}:{opener.Column} is not closed; expected '{closing}'");
            }

            if (closing is char close && token.Is(close))
            {
                CheckRequired(message, token);
                _tokens.Next();
                return;
            }

            if (token.Is('}') || token.Is('>'))
            {
                throw closing is null
                    ? _tokens.Error(token, $"unmatched '{token.Text}': no message is open")
                    : _tokens.Error(token, $"expected '{closing}' to close message {descriptor.FullName} opened at {opener.Line}:{opener.Column}, found '{token.Text}'");
            }

            if (token.Is('['))
            {
                throw descriptor.FullName == "google.protobuf.Any"
                    ? _tokens.Error(token, "the expanded Any syntax '[type_url] { ... }' is not supported; write type_url and value fields instead")
                    : _tokens.Error(token, $"extension syntax '[...]' is not supported (in message {descriptor.FullName})");
            }

            if (token.Kind != TokenKind.Identifier)
            {
                throw _tokens.Error(token, $"expected field name in message {descriptor.FullName}, found {token.Describe()}");
            }

            FieldDescriptor field = FindField(descriptor, token.Text)
                ?? throw _tokens.Error(token, $"message type {descriptor.FullName} has no field named '{token.Text}'");
            _tokens.Next();

            if (!field.IsRepeated)
            {
                if (seen.TryGetValue(field.FieldNumber, out Token first))
                {
                    throw _tokens.Error(token, $"non-repeated field '{field.Name}' is specified multiple times (first at line {first.Line})");
                }

                seen.Add(field.FieldNumber, token);
                OneofDescriptor? oneof = field.RealContainingOneof;
                if (oneof is not null)
                {
                    if (oneofSeen.TryGetValue(oneof.Name, out FieldDescriptor? other))
                    {
                        throw _tokens.Error(token, $"field '{field.Name}' is specified along with field '{other.Name}', another member of oneof '{oneof.Name}'");
                    }

                    oneofSeen.Add(oneof.Name, field);
                }
            }

            if (field.FieldType is FieldType.Message or FieldType.Group)
            {
                ParseMessageField(message, field, depth);
            }
            else
            {
                ParseScalarField(message, field);
            }

            // Fields may be separated by an optional ',' or ';'.
            if (!_tokens.TryConsume(';'))
            {
                _tokens.TryConsume(',');
            }
        }
    }

    private static FieldDescriptor? FindField(MessageDescriptor descriptor, string name)
    {
        FieldDescriptor? field = descriptor.FindFieldByName(name);
        if (field is not null && field.FieldType != FieldType.Group)
        {
            return field;
        }

        // Groups are written with their type name (MyGroup { ... }), not the lowercase field name.
        foreach (FieldDescriptor candidate in descriptor.Fields.InDeclarationOrder())
        {
            if (candidate.FieldType == FieldType.Group && candidate.MessageType.Name == name)
            {
                return candidate;
            }
        }

        return null;
    }

    private void CheckRequired(IMessage message, Token at)
    {
        foreach (FieldDescriptor field in message.Descriptor.Fields.InDeclarationOrder())
        {
            if (field.IsRequired && !field.Accessor.HasValue(message))
            {
                throw _tokens.Error(at, $"message {message.Descriptor.FullName} is missing required field '{field.Name}'");
            }
        }
    }

    private void ParseMessageField(IMessage message, FieldDescriptor field, int depth)
    {
        bool colon = _tokens.TryConsume(':');
        Token token = _tokens.Current;
        if (token.Is('['))
        {
            RequireRepeated(field, token);
            _tokens.Next();
            if (_tokens.TryConsume(']'))
            {
                return;
            }

            while (true)
            {
                ParseOneMessageValue(message, field, depth);
                if (_tokens.TryConsume(']'))
                {
                    return;
                }

                ExpectListComma(field);
            }
        }

        if (!token.Is('{') && !token.Is('<'))
        {
            throw colon
                ? _tokens.Error(token, $"expected '{{' or '<' to start the value of message field '{field.Name}', found {token.Describe()}")
                : _tokens.Error(token, $"expected ':' or '{{' after field name '{field.Name}', found {token.Describe()}");
        }

        ParseOneMessageValue(message, field, depth);
    }

    /// <summary>Parses one <c>{ ... }</c> or <c>&lt; ... &gt;</c> block into the field (appending when repeated).</summary>
    private void ParseOneMessageValue(IMessage message, FieldDescriptor field, int depth)
    {
        Token opener = _tokens.Current;
        char closing;
        if (opener.Is('{'))
        {
            closing = '}';
        }
        else if (opener.Is('<'))
        {
            closing = '>';
        }
        else
        {
            throw _tokens.Error(opener, $"expected '{{' or '<' to start a value of message field '{field.Name}', found {opener.Describe()}");
        }

        if (depth + 1 > MaxDepth)
        {
            throw _tokens.Error(opener, $"messages are nested more than {MaxDepth} deep");
        }

        _tokens.Next();
        if (field.IsMap)
        {
            ParseMapEntry(message, field, closing, opener, depth + 1);
            return;
        }

        IMessage value;
        if (field.IsRepeated)
        {
            value = NewMessage(field.MessageType);
            ((IList)field.Accessor.GetValue(message)).Add(value);
        }
        else if (field.Accessor.HasValue(message))
        {
            // Only reachable when merging into a message that already had the field:
            // merge into it, as protobuf does.
            value = (IMessage)field.Accessor.GetValue(message);
        }
        else
        {
            value = NewMessage(field.MessageType);
            field.Accessor.SetValue(message, value);
        }

        ParseBody(value, closing, opener, depth + 1);
    }

    /// <summary>
    /// A map entry is written as a message with fields <c>key</c> and <c>value</c>. Map entry types
    /// have no generated class, so the pair is collected here and stored into the dictionary;
    /// a missing key or value takes its default, and a repeated key replaces the earlier entry.
    /// </summary>
    private void ParseMapEntry(IMessage message, FieldDescriptor field, char closing, Token opener, int depth)
    {
        MessageDescriptor entry = field.MessageType;
        FieldDescriptor keyField = entry.FindFieldByNumber(1);
        FieldDescriptor valueField = entry.FindFieldByNumber(2);
        object? key = null;
        object? value = null;
        while (true)
        {
            Token token = _tokens.Current;
            if (token.Is(closing))
            {
                _tokens.Next();
                break;
            }

            if (token.Kind == TokenKind.End)
            {
                throw _tokens.Error(token, $"unexpected end of input: map entry of field '{field.Name}' opened at {opener.Line}:{opener.Column} is not closed; expected '{closing}'");
            }

            FieldDescriptor? f = token.Kind == TokenKind.Identifier ? entry.FindFieldByName(token.Text) : null;
            if (f is null)
            {
                throw _tokens.Error(token, $"expected 'key', 'value' or '{closing}' in map entry of field '{field.Name}', found {token.Describe()}");
            }

            if ((f == keyField ? key : value) is not null)
            {
                throw _tokens.Error(token, $"map entry field '{f.Name}' is specified multiple times");
            }

            _tokens.Next();
            object parsed;
            if (f.FieldType == FieldType.Message)
            {
                _tokens.TryConsume(':');
                Token open = _tokens.Current;
                char close = open.Is('{') ? '}' : open.Is('<') ? '>'
                    : throw _tokens.Error(open, $"expected '{{' or '<' to start the value of map field '{field.Name}', found {open.Describe()}");
                if (depth + 1 > MaxDepth)
                {
                    throw _tokens.Error(open, $"messages are nested more than {MaxDepth} deep");
                }

                _tokens.Next();
                IMessage nested = NewMessage(f.MessageType);
                ParseBody(nested, close, open, depth + 1);
                parsed = nested;
            }
            else
            {
                ExpectColon(f);
                parsed = ParseScalar(f);
            }

            if (f == keyField)
            {
                key = parsed;
            }
            else
            {
                value = parsed;
            }

            if (!_tokens.TryConsume(';'))
            {
                _tokens.TryConsume(',');
            }
        }

        key ??= DefaultValue(keyField);
        value ??= valueField.FieldType == FieldType.Message ? NewMessage(valueField.MessageType) : DefaultValue(valueField);
        ((IDictionary)field.Accessor.GetValue(message))[key] = value;
    }

    private void ParseScalarField(IMessage message, FieldDescriptor field)
    {
        ExpectColon(field);
        Token token = _tokens.Current;
        if (token.Is('['))
        {
            RequireRepeated(field, token);
            _tokens.Next();
            var list = (IList)field.Accessor.GetValue(message);
            if (_tokens.TryConsume(']'))
            {
                return;
            }

            while (true)
            {
                list.Add(ParseScalar(field));
                if (_tokens.TryConsume(']'))
                {
                    return;
                }

                ExpectListComma(field);
            }
        }

        object value = ParseScalar(field);
        if (field.IsRepeated)
        {
            ((IList)field.Accessor.GetValue(message)).Add(value);
        }
        else
        {
            field.Accessor.SetValue(message, value);
        }
    }

    private void ExpectColon(FieldDescriptor field)
    {
        Token token = _tokens.Current;
        if (!_tokens.TryConsume(':'))
        {
            throw _tokens.Error(token, $"expected ':' after field name '{field.Name}', found {token.Describe()}");
        }
    }

    private void ExpectListComma(FieldDescriptor field)
    {
        Token token = _tokens.Current;
        if (!_tokens.TryConsume(','))
        {
            throw token.Kind == TokenKind.End
                ? _tokens.Error(token, $"unexpected end of input in list of field '{field.Name}'; expected ',' or ']'")
                : _tokens.Error(token, $"expected ',' or ']' in list of field '{field.Name}', found {token.Describe()}");
        }
    }

    private void RequireRepeated(FieldDescriptor field, Token token)
    {
        if (!field.IsRepeated)
        {
            throw _tokens.Error(token, $"list syntax '[...]' is only allowed for repeated fields; '{field.Name}' is not repeated");
        }
    }

    /// <summary>Reads one scalar value, boxed as the CLR type the field's accessor expects.</summary>
    private object ParseScalar(FieldDescriptor field)
    {
        switch (field.FieldType)
        {
            case FieldType.Double:
                return ParseDouble(field);
            case FieldType.Float:
                return (float)ParseDouble(field);
            case FieldType.Int32:
            case FieldType.SInt32:
            case FieldType.SFixed32:
                return (int)ParseInteger(field, int.MinValue, int.MaxValue, "int32");
            case FieldType.Int64:
            case FieldType.SInt64:
            case FieldType.SFixed64:
                return (long)ParseInteger(field, long.MinValue, long.MaxValue, "int64");
            case FieldType.UInt32:
            case FieldType.Fixed32:
                return (uint)ParseInteger(field, 0, uint.MaxValue, "uint32");
            case FieldType.UInt64:
            case FieldType.Fixed64:
                return (ulong)ParseInteger(field, 0, ulong.MaxValue, "uint64");
            case FieldType.Bool:
                return ParseBool(field);
            case FieldType.Enum:
                return ParseEnum(field);
            case FieldType.String:
            {
                Token token = _tokens.Current;
                byte[] bytes = ParseStringBytes(field);
                try
                {
                    return StrictUtf8.GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    throw _tokens.Error(token, $"value of string field '{field.Name}' is not valid UTF-8 (only bytes fields may hold arbitrary bytes)");
                }
            }

            case FieldType.Bytes:
                return ByteString.CopyFrom(ParseStringBytes(field));
            default:
                throw _tokens.Error(_tokens.Current, $"field '{field.Name}' has unsupported type {field.FieldType}");
        }
    }

    /// <summary>One or more adjacent string literals, concatenated (<c>"ab" 'cd'</c> is <c>abcd</c>).</summary>
    private byte[] ParseStringBytes(FieldDescriptor field)
    {
        Token token = _tokens.Current;
        if (token.Kind != TokenKind.String)
        {
            throw _tokens.Error(token, $"expected a quoted string for field '{field.Name}', found {token.Describe()}");
        }

        var bytes = new List<byte>(token.Text.Length);
        while (_tokens.Current.Kind == TokenKind.String)
        {
            TextEscaping.AppendUnescaped(_tokens, _tokens.Next(), bytes);
        }

        return bytes.ToArray();
    }

    /// <summary>
    /// An optionally negative integer in decimal, hex or octal, range-checked against
    /// [<paramref name="min"/>, <paramref name="max"/>]. <see cref="Int128"/> holds every value of
    /// every protobuf integer type, negated magnitudes included, so one check serves all.
    /// </summary>
    private Int128 ParseInteger(FieldDescriptor field, Int128 min, Int128 max, string typeName)
    {
        Token start = _tokens.Current;
        bool negative = _tokens.TryConsume('-');
        Token token = _tokens.Current;
        if (token.Kind != TokenKind.Integer)
        {
            throw _tokens.Error(token, $"expected an integer for {typeName} field '{field.Name}', found {token.Describe()}");
        }

        _tokens.Next();
        Int128 value = negative ? -(Int128)ParseMagnitude(token, field, typeName) : ParseMagnitude(token, field, typeName);
        if (value < min || value > max)
        {
            throw _tokens.Error(start, $"integer {(negative ? "-" : "")}{token.Text} is out of range for {typeName} field '{field.Name}'");
        }

        return value;
    }

    /// <summary>The unsigned value of an integer token; anything above 2^64-1 is out of range for every type.</summary>
    private ulong ParseMagnitude(Token token, FieldDescriptor field, string typeName)
    {
        string text = token.Text;
        int radix = 10;
        int start = 0;
        if (text.Length > 1 && text[0] == '0' && text[1] is 'x' or 'X')
        {
            radix = 16;
            start = 2;
        }
        else if (text.Length > 1 && text[0] == '0')
        {
            radix = 8;
            start = 1;
        }

        ulong value = 0;
        for (int i = start; i < text.Length; i++)
        {
            int digit = char.IsAsciiDigit(text[i]) ? text[i] - '0' : (text[i] | 0x20) - 'a' + 10;
            if (value > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                throw _tokens.Error(token, $"integer {text} is out of range for {typeName} field '{field.Name}'");
            }

            value = (value * (ulong)radix) + (ulong)digit;
        }

        return value;
    }

    /// <summary>
    /// A float or double: a decimal number (an integer is fine, <c>1.0f</c> style suffixes too),
    /// or <c>inf</c>, <c>infinity</c>, <c>nan</c> in any case, each optionally negated. Hex and octal
    /// integers are rejected, as protobuf does, because <c>010</c> would be ambiguous.
    /// </summary>
    private double ParseDouble(FieldDescriptor field)
    {
        bool negative = _tokens.TryConsume('-');
        Token token = _tokens.Current;
        double value;
        switch (token.Kind)
        {
            case TokenKind.Float:
            case TokenKind.Integer:
            {
                string text = token.Text.TrimEnd('f', 'F');
                if (token.Kind == TokenKind.Integer && text.Length > 1 && text[0] == '0')
                {
                    throw _tokens.Error(token, $"expected a decimal number for {FieldTypeName(field)} field '{field.Name}', found '{token.Text}' (hex and octal are not allowed here)");
                }

                // .NET Core 3.0+ parses correctly rounded and overflows to infinity, like strtod.
                // Float fields are parsed straight to float (C++ goes through double and then
                // narrows, which can round twice); widening the float back to double is exact.
                const NumberStyles style = NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
                value = field.FieldType == FieldType.Float
                    ? float.Parse(text, style, CultureInfo.InvariantCulture)
                    : double.Parse(text, style, CultureInfo.InvariantCulture);
                break;
            }

            case TokenKind.Identifier when token.Text.Equals("inf", StringComparison.OrdinalIgnoreCase)
                                        || token.Text.Equals("infinity", StringComparison.OrdinalIgnoreCase):
                value = double.PositiveInfinity;
                break;
            case TokenKind.Identifier when token.Text.Equals("nan", StringComparison.OrdinalIgnoreCase):
                value = double.NaN;
                break;
            default:
                throw _tokens.Error(token, $"expected a number for {FieldTypeName(field)} field '{field.Name}', found {token.Describe()}");
        }

        _tokens.Next();

        // Negating (rather than parsing "-0") keeps the sign of zero: "-0" reads as -0.0.
        // NaN is kept canonical, and positive as C++'s strtod makes it (.NET's double.NaN has the
        // sign bit set), so binary output matches protobuf's and "-nan" cannot hide a sign bit
        // that printing would drop.
        return double.IsNaN(value) ? CanonicalNaN : negative ? -value : value;
    }

    private bool ParseBool(FieldDescriptor field)
    {
        Token token = _tokens.Next();
        switch (token.Text)
        {
            case "true" or "True" or "t" when token.Kind == TokenKind.Identifier:
            case "1" when token.Kind == TokenKind.Integer:
                return true;
            case "false" or "False" or "f" when token.Kind == TokenKind.Identifier:
            case "0" when token.Kind == TokenKind.Integer:
                return false;
            default:
                throw _tokens.Error(token, $"expected true or false for bool field '{field.Name}', found {token.Describe()}");
        }
    }

    /// <summary>
    /// An enum value by name, or by number. Numbers outside the declared values are accepted (the
    /// C# runtime stores them, and the printer writes them as numbers) so printing stays lossless.
    /// </summary>
    private object ParseEnum(FieldDescriptor field)
    {
        EnumDescriptor type = field.EnumType;
        Token token = _tokens.Current;
        int number;
        if (token.Kind == TokenKind.Identifier)
        {
            EnumValueDescriptor value = type.FindValueByName(token.Text)
                ?? throw _tokens.Error(token, $"unknown value '{token.Text}' for enum field '{field.Name}' of type {type.FullName}");
            _tokens.Next();
            number = value.Number;
        }
        else if (token.Kind == TokenKind.Integer || token.Is('-'))
        {
            number = (int)ParseInteger(field, int.MinValue, int.MaxValue, "enum");
        }
        else
        {
            throw _tokens.Error(token, $"expected an enum value name or number for field '{field.Name}' of type {type.FullName}, found {token.Describe()}");
        }

        return Enum.ToObject(type.ClrType, number);
    }

    private static string FieldTypeName(FieldDescriptor field) => field.FieldType == FieldType.Float ? "float" : "double";

    private static IMessage NewMessage(MessageDescriptor descriptor) => descriptor.Parser.ParseFrom(ByteString.Empty);

    private static object DefaultValue(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Double => 0d,
        FieldType.Float => 0f,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => 0,
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => 0L,
        FieldType.UInt32 or FieldType.Fixed32 => 0u,
        FieldType.UInt64 or FieldType.Fixed64 => 0ul,
        FieldType.Bool => false,
        FieldType.String => string.Empty,
        FieldType.Bytes => ByteString.Empty,
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType, 0),
        _ => throw new NotSupportedException($"no default for field type {field.FieldType}"),
    };
}
