// Hand-written.
using System.Text;

namespace Caffe2Sharp.TextFormat;

/// <summary>C-style escaping of string and bytes values, as protobuf's text format uses.</summary>
internal static class TextEscaping
{
    /// <summary>
    /// Decodes one quoted literal (quotes included in <paramref name="token"/>) and appends its
    /// bytes. Characters written plainly are appended as UTF-8; <c>\ooo</c> and <c>\xHH</c> append
    /// one raw byte each (so bytes fields can hold any value); <c>\uXXXX</c> and
    /// <c>\UXXXXXXXX</c> append the UTF-8 of a code point (a <c>\u</c> surrogate pair is combined).
    /// </summary>
    public static void AppendUnescaped(TextTokenizer tokenizer, Token token, List<byte> output)
    {
        string s = token.Text;
        int end = s.Length - 1; // index of the closing quote
        Span<byte> utf8 = stackalloc byte[4];
        int i = 1;
        while (i < end)
        {
            char c = s[i];
            if (c != '\\')
            {
                if (Rune.DecodeFromUtf16(s.AsSpan(i, end - i), out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
                {
                    throw tokenizer.Error(token.Line, token.Column + i, $"invalid UTF-16 character {TextTokenizer.DescribeChar(c)} in string literal");
                }

                int n = rune.EncodeToUtf8(utf8);
                for (int k = 0; k < n; k++)
                {
                    output.Add(utf8[k]);
                }

                i += used;
                continue;
            }

            int escapeStart = i;
            char e = s[i + 1]; // the tokenizer guarantees a character after every backslash
            i += 2;
            switch (e)
            {
                case 'a': output.Add(0x07); break;
                case 'b': output.Add(0x08); break;
                case 'f': output.Add(0x0C); break;
                case 'n': output.Add(0x0A); break;
                case 'r': output.Add(0x0D); break;
                case 't': output.Add(0x09); break;
                case 'v': output.Add(0x0B); break;
                case '\\': output.Add((byte)'\\'); break;
                case '?': output.Add((byte)'?'); break;
                case '\'': output.Add((byte)'\''); break;
                case '"': output.Add((byte)'"'); break;
                case >= '0' and <= '7':
                {
                    // One to three octal digits; \400 and above do not fit in a byte.
                    int value = e - '0';
                    for (int k = 0; k < 2 && i < end && s[i] is >= '0' and <= '7'; k++)
                    {
                        value = (value * 8) + (s[i++] - '0');
                    }

                    if (value > 0xFF)
                    {
                        throw tokenizer.Error(token.Line, token.Column + escapeStart, $"octal escape '{s[escapeStart..i]}' is greater than \\377");
                    }

                    output.Add((byte)value);
                    break;
                }

                case 'x' or 'X':
                {
                    // One or two hex digits, as in C++'s text format parser.
                    int digits = 0;
                    int value = 0;
                    while (digits < 2 && i < end && char.IsAsciiHexDigit(s[i]))
                    {
                        value = (value * 16) + HexValue(s[i++]);
                        digits++;
                    }

                    if (digits == 0)
                    {
                        throw tokenizer.Error(token.Line, token.Column + escapeStart, "'\\x' must be followed by a hex digit");
                    }

                    output.Add((byte)value);
                    break;
                }

                case 'u' or 'U':
                {
                    int codePoint = ReadHex(tokenizer, token, escapeStart, ref i, e == 'u' ? 4 : 8, end);

                    // \uD83D\uDE00 spells one code point as a UTF-16 surrogate pair.
                    if (char.IsHighSurrogate((char)codePoint) && codePoint <= 0xFFFF
                        && i + 1 < end && s[i] == '\\' && s[i + 1] == 'u')
                    {
                        int lowStart = i;
                        int j = i + 2;
                        int low = ReadHex(tokenizer, token, lowStart, ref j, 4, end);
                        if (char.IsLowSurrogate((char)low))
                        {
                            codePoint = char.ConvertToUtf32((char)codePoint, (char)low);
                            i = j;
                        }
                    }

                    if (!Rune.IsValid(codePoint))
                    {
                        throw tokenizer.Error(token.Line, token.Column + escapeStart, $"'{s[escapeStart..i]}' is not a valid Unicode scalar value");
                    }

                    int n = new Rune(codePoint).EncodeToUtf8(utf8);
                    for (int k = 0; k < n; k++)
                    {
                        output.Add(utf8[k]);
                    }

                    break;
                }

                default:
                    throw tokenizer.Error(token.Line, token.Column + escapeStart, $"invalid escape sequence '\\{e}' in string literal");
            }
        }
    }

    private static int ReadHex(TextTokenizer tokenizer, Token token, int escapeStart, ref int i, int count, int end)
    {
        long value = 0;
        for (int k = 0; k < count; k++)
        {
            if (i >= end || !char.IsAsciiHexDigit(token.Text[i]))
            {
                throw tokenizer.Error(token.Line, token.Column + escapeStart, $"'\\{token.Text[escapeStart + 1]}' must be followed by {count} hex digits");
            }

            value = (value * 16) + HexValue(token.Text[i++]);
        }

        // Values past U+10FFFF are rejected by the caller; clamp so the int cannot wrap.
        return (int)Math.Min(value, int.MaxValue);
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    /// <summary>
    /// Appends <paramref name="bytes"/> as a double-quoted literal: printable ASCII as is, the
    /// usual C escapes for <c>\n \r \t " ' \</c>, and every other byte (controls, DEL and
    /// everything &gt;= 0x80, so also UTF-8 sequences) as a three-digit octal escape. That is what
    /// protobuf's C++ printer writes by default, and any byte string survives the round trip.
    /// </summary>
    public static void AppendQuoted(StringBuilder sb, ReadOnlySpan<byte> bytes)
    {
        sb.Append('"');
        foreach (byte b in bytes)
        {
            switch (b)
            {
                case (byte)'\n': sb.Append("\\n"); break;
                case (byte)'\r': sb.Append("\\r"); break;
                case (byte)'\t': sb.Append("\\t"); break;
                case (byte)'"': sb.Append("\\\""); break;
                case (byte)'\'': sb.Append("\\'"); break;
                case (byte)'\\': sb.Append("\\\\"); break;
                case < 0x20 or >= 0x7F:
                    sb.Append('\\')
                      .Append((char)('0' + (b >> 6)))
                      .Append((char)('0' + ((b >> 3) & 7)))
                      .Append((char)('0' + (b & 7)));
                    break;
                default: sb.Append((char)b); break;
            }
        }

        sb.Append('"');
    }
}
