// Hand-written.
namespace Caffe2Sharp.TextFormat;

/// <summary>Kinds of token in protobuf text format.</summary>
internal enum TokenKind
{
    /// <summary>End of input.</summary>
    End,
    /// <summary><c>[A-Za-z_][A-Za-z0-9_]*</c>: field names, enum names, true/false, inf/nan.</summary>
    Identifier,
    /// <summary>Decimal, hexadecimal (<c>0x</c>) or octal (leading <c>0</c>) integer, without sign.</summary>
    Integer,
    /// <summary>Decimal number with a '.', an exponent or an <c>f</c> suffix, without sign.</summary>
    Float,
    /// <summary>A single- or double-quoted literal; <see cref="Token.Text"/> includes the quotes, escapes undecoded.</summary>
    String,
    /// <summary>Any single punctuation character: <c>{ } &lt; &gt; [ ] : , ; -</c> and others.</summary>
    Symbol,
}

/// <summary>One token with its 1-based position.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column)
{
    /// <summary>Whether this is the single-character symbol <paramref name="symbol"/>.</summary>
    public bool Is(char symbol) => Kind == TokenKind.Symbol && Text.Length == 1 && Text[0] == symbol;

    /// <summary>The token as quoted in error messages: <c>'}'</c>, <c>"abc"</c>, <c>end of input</c>.</summary>
    public string Describe()
    {
        if (Kind == TokenKind.End)
        {
            return "end of input";
        }

        // Long string literals are shortened so the error stays one readable line.
        string text = Text.Length > 40 ? string.Concat(Text.AsSpan(0, 37), "...") : Text;
        return Kind == TokenKind.String ? text : $"'{text}'";
    }
}

/// <summary>
/// Splits protobuf text format into tokens, the way protobuf's C++ <c>io::Tokenizer</c> does for
/// text format: whitespace and <c>#</c> comments are skipped, numbers carry no sign (the parser
/// consumes <c>-</c> as a symbol), and string literals may not span lines. Malformed tokens
/// (unterminated strings, <c>08</c>, <c>0x</c>, <c>1e</c>, <c>12abc</c>, control characters) throw
/// <see cref="TextFormatException"/> at the offending position.
/// </summary>
internal sealed class TextTokenizer
{
    private readonly string _text;
    private readonly string? _sourceName;
    private int _pos;
    private int _line = 1;
    private int _lineStart;
    private Token _current;

    public TextTokenizer(string text, string? sourceName)
    {
        _text = text;
        _sourceName = sourceName;

        // A UTF-8 byte order mark decoded into the string is not content.
        if (_text.Length > 0 && _text[0] == '\uFEFF')
        {
            _pos = 1;
            _lineStart = 1;
        }

        _current = ReadToken();
    }

    /// <summary>The next unconsumed token.</summary>
    public Token Current => _current;

    /// <summary>Consumes and returns the current token.</summary>
    public Token Next()
    {
        Token token = _current;
        if (token.Kind != TokenKind.End)
        {
            _current = ReadToken();
        }

        return token;
    }

    /// <summary>Consumes the current token if it is <paramref name="symbol"/>.</summary>
    public bool TryConsume(char symbol)
    {
        if (!_current.Is(symbol))
        {
            return false;
        }

        Next();
        return true;
    }

    /// <summary>An error at the position of <paramref name="token"/>.</summary>
    public TextFormatException Error(Token token, string reason) => new(_sourceName, token.Line, token.Column, reason);

    /// <summary>An error at an explicit position.</summary>
    public TextFormatException Error(int line, int column, string reason) => new(_sourceName, line, column, reason);

    private int Column => _pos - _lineStart + 1;

    private TextFormatException ErrorHere(string reason) => new(_sourceName, _line, Column, reason);

    private char PeekChar(int offset = 0) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private Token ReadToken()
    {
        SkipWhitespaceAndComments();
        if (_pos >= _text.Length)
        {
            return new Token(TokenKind.End, string.Empty, _line, Column);
        }

        int start = _pos;
        int column = Column;
        char c = _text[_pos];
        TokenKind kind;
        if (IsLetter(c))
        {
            while (_pos < _text.Length && (IsLetter(_text[_pos]) || char.IsAsciiDigit(_text[_pos])))
            {
                _pos++;
            }

            kind = TokenKind.Identifier;
        }
        else if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(PeekChar(1))))
        {
            kind = ReadNumber();
        }
        else if (c is '"' or '\'')
        {
            ReadString(c, column);
            kind = TokenKind.String;
        }
        else if (c > ' ' && c < '\x7f')
        {
            _pos++;
            kind = TokenKind.Symbol;
        }
        else
        {
            throw ErrorHere($"unexpected character {DescribeChar(c)}");
        }

        return new Token(kind, _text.Substring(start, _pos - start), _line, column);
    }

    private void SkipWhitespaceAndComments()
    {
        while (_pos < _text.Length)
        {
            char c = _text[_pos];
            if (c == '\n')
            {
                _pos++;
                _line++;
                _lineStart = _pos;
            }
            else if (c is ' ' or '\t' or '\r' or '\v' or '\f')
            {
                _pos++;
            }
            else if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else
            {
                return;
            }
        }
    }

    // Number grammar (as protobuf's tokenizer): 0x[0-9a-fA-F]+ | 0[0-7]+ | decimal with optional
    // fraction, exponent and f/F suffix. Anything glued to the end (12abc, 0x1g) is an error rather
    // than two tokens, so typos do not silently become a field name.
    private TokenKind ReadNumber()
    {
        TokenKind kind = TokenKind.Integer;
        if (_text[_pos] == '0' && PeekChar(1) is 'x' or 'X')
        {
            _pos += 2;
            if (!char.IsAsciiHexDigit(PeekChar()))
            {
                throw ErrorHere("'0x' must be followed by hex digits");
            }

            while (char.IsAsciiHexDigit(PeekChar()))
            {
                _pos++;
            }
        }
        else if (_text[_pos] == '0' && char.IsAsciiDigit(PeekChar(1)))
        {
            _pos++;
            while (PeekChar() is >= '0' and <= '7')
            {
                _pos++;
            }

            if (char.IsAsciiDigit(PeekChar()))
            {
                throw ErrorHere("numbers starting with a leading zero must be octal");
            }
        }
        else
        {
            while (char.IsAsciiDigit(PeekChar()))
            {
                _pos++;
            }

            if (PeekChar() == '.')
            {
                kind = TokenKind.Float;
                _pos++;
                while (char.IsAsciiDigit(PeekChar()))
                {
                    _pos++;
                }
            }

            if (PeekChar() is 'e' or 'E')
            {
                kind = TokenKind.Float;
                _pos++;
                if (PeekChar() is '+' or '-')
                {
                    _pos++;
                }

                if (!char.IsAsciiDigit(PeekChar()))
                {
                    throw ErrorHere("exponent must be followed by digits");
                }

                while (char.IsAsciiDigit(PeekChar()))
                {
                    _pos++;
                }
            }

            if (PeekChar() is 'f' or 'F')
            {
                kind = TokenKind.Float;
                _pos++;
            }
        }

        if (IsLetter(PeekChar()) || char.IsAsciiDigit(PeekChar()))
        {
            throw ErrorHere($"need space between number and {DescribeChar(PeekChar())}");
        }

        return kind;
    }

    // Finds the end of a string literal; escapes are validated and decoded later by the parser,
    // which knows whether the field is string or bytes.
    private void ReadString(char quote, int startColumn)
    {
        _pos++;
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n')
            {
                throw Error(_line, startColumn, "unterminated string literal (strings cannot span lines)");
            }

            char c = _text[_pos];
            if (c == quote)
            {
                _pos++;
                return;
            }

            // A backslash always takes the next character with it, so \" and \\ are skipped whole.
            _pos += c == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] != '\n' ? 2 : 1;
        }
    }

    private static bool IsLetter(char c) => char.IsAsciiLetter(c) || c == '_';

    /// <summary>A character as shown in error messages: <c>'x'</c> or <c>U+0001</c>.</summary>
    public static string DescribeChar(char c) =>
        c > ' ' && c < '\x7f' ? $"'{c}'" : $"U+{(int)c:X4}";
}
