// Hand-written.
using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Caffe2Sharp.Runtime;

/// <summary>An <c>.npy</c> file or stream is malformed; the message names the source and what was expected.</summary>
public sealed class NpyFormatException(string message) : EnforceNotMetException(message);

/// <summary>
/// Reads and writes numpy's <c>.npy</c> format (versions 1.0, 2.0 and 3.0) for every type a
/// <see cref="Tensor"/> stores. Reading accepts little- and big-endian data and both C and Fortran
/// order (Fortran-ordered data is reordered to row-major). Writing produces version 1.0 (2.0 when
/// the header is too long for 1.0), little-endian, C order.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a tensor from an <c>.npy</c> file.</summary>
    /// <exception cref="NpyFormatException">The file is not a valid .npy of a supported type.</exception>
    public static Tensor ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NpyFormatException($"{path}: cannot read: {e.Message}");
        }
        return Read(bytes, path);
    }

    /// <summary>Writes <paramref name="tensor"/> to an <c>.npy</c> file.</summary>
    public static void WriteFile(string path, Tensor tensor)
    {
        using var stream = File.Create(path);
        Write(stream, tensor);
    }

    /// <summary>Parses <c>.npy</c> bytes; <paramref name="sourceName"/> names them in errors.</summary>
    public static Tensor Read(ReadOnlySpan<byte> bytes, string sourceName = "<npy>")
    {
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new NpyFormatException($"{sourceName}: not an .npy file (missing the \\x93NUMPY magic).");
        int major = bytes[6], minor = bytes[7];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw new NpyFormatException($"{sourceName}: truncated .npy header.");
                uint len = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                if (len > int.MaxValue) throw new NpyFormatException($"{sourceName}: header length {len} is too large.");
                headerLength = (int)len;
                headerStart = 12;
                break;
            default:
                throw new NpyFormatException($"{sourceName}: .npy version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are).");
        }
        if (minor != 0) throw new NpyFormatException($"{sourceName}: .npy version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are).");
        if (bytes.Length < headerStart + headerLength)
            throw new NpyFormatException($"{sourceName}: truncated .npy header ({headerLength} bytes announced, {bytes.Length - headerStart} present).");
        var headerBytes = bytes.Slice(headerStart, headerLength);
        string header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var (descr, fortran, shape) = ParseHeader(header, sourceName);
        var data = bytes[(headerStart + headerLength)..];
        return Decode(descr, fortran, shape, data, sourceName);
    }

    /// <summary>Writes <paramref name="tensor"/> as <c>.npy</c> to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        string descr;
        byte[] payload;
        if (tensor.DataType == DataType.String)
        {
            var strings = tensor.Strings();
            int width = 1;
            foreach (var s in strings) width = Math.Max(width, (s ?? "").EnumerateRunes().Count());
            descr = $"<U{width}";
            payload = new byte[checked(strings.Length * width * 4)];
            for (int k = 0; k < strings.Length; k++)
            {
                int r = 0;
                foreach (var rune in (strings[k] ?? "").EnumerateRunes())
                    BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan((k * width + r++) * 4), rune.Value);
            }
        }
        else
        {
            descr = DescrOf(tensor.DataType);
            payload = tensor.RawBytes.ToArray();
            if (!BitConverter.IsLittleEndian) ByteOrder.Reverse(payload, tensor.ElementSize);
        }
        var shape = tensor.Rank == 1 ? $"({tensor.Dims[0]},)" : "(" + string.Join(", ", tensor.Dims.ToArray()) + ")";
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int major = dict.Length + 11 > ushort.MaxValue ? 2 : 1;
        int prefix = major == 1 ? 10 : 12;
        // Pad with spaces so that the data starts on a 64-byte boundary; the header ends in '\n'.
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        stream.Write(Magic);
        stream.WriteByte((byte)major);
        stream.WriteByte(0);
        Span<byte> len = stackalloc byte[4];
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
            stream.Write(len[..2]);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
            stream.Write(len);
        }
        stream.Write(Encoding.Latin1.GetBytes(header));
        stream.Write(payload);
    }

    private static string DescrOf(DataType type) =>
        DataTypes.Find(type)?.NumpyDescr ?? throw new NpyFormatException($"Tensors of type {DataTypes.Name(type)} cannot be written as .npy.");

    private static Tensor Decode(string descr, bool fortran, long[] shape, ReadOnlySpan<byte> data, string source)
    {
        if (descr.Length < 3) throw new NpyFormatException($"{source}: unsupported descr '{descr}'.");
        char order = descr[0];
        if (order is not ('<' or '>' or '|' or '='))
            throw new NpyFormatException($"{source}: descr '{descr}' has no byte-order character (<, >, | or =).");
        bool bigEndian = order == '>' || order == '=' && !BitConverter.IsLittleEndian;
        string kind = descr[1..];
        long count = DataTypes.ElementCount(shape) is { } n && n <= Array.MaxLength
            ? n : throw new NpyFormatException($"{source}: shape ({string.Join(", ", shape)}) has too many elements to store.");

        if (kind[0] is 'U' or 'S')
        {
            if (!int.TryParse(kind.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int width) || width <= 0)
                throw new NpyFormatException($"{source}: descr '{descr}' has no valid width.");
            if (width > Array.MaxLength / 4)
                throw new NpyFormatException($"{source}: descr '{descr}' is too wide.");
            int unit = kind[0] == 'U' ? 4 : 1;
            CheckLength(data.Length, count * width * unit, source, descr, shape);
            var strings = new string[count];
            for (long k = 0; k < count; k++)
            {
                var item = data.Slice((int)(k * width * unit), width * unit);
                var sb = new StringBuilder();
                for (int c = 0; c < width; c++)
                {
                    int cp = unit == 4
                        ? (bigEndian ? BinaryPrimitives.ReadInt32BigEndian(item[(c * 4)..]) : BinaryPrimitives.ReadInt32LittleEndian(item[(c * 4)..]))
                        : item[c];
                    if (cp == 0) break;
                    if (!Rune.IsValid(cp)) throw new NpyFormatException($"{source}: element {k} holds invalid code point {cp}.");
                    sb.Append(new Rune(cp).ToString());
                }
                strings[k] = sb.ToString();
            }
            var st = Tensor.FromStrings(strings, shape);
            return fortran ? FromFortran(st, shape) : st;
        }

        DataType type = DataTypes.FromNumpyKind(kind)?.Type
            ?? throw new NpyFormatException($"{source}: numpy dtype '{descr}' is not supported (f2, f4, f8, i1, i2, i4, i8, u1, u2, b1, U, S are).");
        int size = DataTypes.ElementSize(type);
        CheckLength(data.Length, count * size, source, descr, shape);
        var t = new Tensor();
        t.Resize(type, shape);
        data[..(int)(count * size)].CopyTo(t.RawBytes);
        if (bigEndian != !BitConverter.IsLittleEndian && size > 1) ByteOrder.Reverse(t.RawBytes, size);
        if (type == DataType.Bool)
            foreach (var b in t.RawBytes)
                if (b > 1) throw new NpyFormatException($"{source}: bool data holds byte {b}; expected 0 or 1.");
        return fortran ? FromFortran(t, shape) : t;
    }

    private static void CheckLength(long actual, long expected, string source, string descr, long[] shape)
    {
        if (actual != expected)
            throw new NpyFormatException(
                $"{source}: shape ({string.Join(", ", shape)}) of '{descr}' needs {expected} data bytes, found {actual}" +
                (actual < expected ? " (truncated)." : " (trailing bytes)."));
    }

    /// <summary>Reorders column-major data to row-major.</summary>
    private static Tensor FromFortran(Tensor t, long[] shape)
    {
        if (shape.Length < 2) return t;
        var result = new Tensor();
        result.Resize(t.DataType, shape);
        int rank = shape.Length;
        var index = new long[rank];
        // Column-major strides of the source.
        var fStride = new long[rank];
        fStride[0] = 1;
        for (int d = 1; d < rank; d++) fStride[d] = fStride[d - 1] * shape[d - 1];
        int size = t.ElementSize;
        for (long c = 0; c < t.Size; c++)
        {
            long f = 0;
            for (int d = 0; d < rank; d++) f += index[d] * fStride[d];
            if (t.DataType == DataType.String) result.Strings()[(int)c] = t.Strings()[(int)f];
            else t.RawBytes.Slice((int)(f * size), size).CopyTo(result.RawBytes[(int)(c * size)..]);
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++index[d] < shape[d]) break;
                index[d] = 0;
            }
        }
        return result;
    }

    private static (string Descr, bool Fortran, long[] Shape) ParseHeader(string header, string source)
    {
        var p = new HeaderParser(header, source);
        var dict = p.ParseDict();
        if (!dict.TryGetValue("descr", out var d) || d is not string descr)
            throw new NpyFormatException($"{source}: .npy header has no 'descr' string: {header.Trim()}");
        if (!dict.TryGetValue("fortran_order", out var f) || f is not bool fortran)
            throw new NpyFormatException($"{source}: .npy header has no 'fortran_order' bool: {header.Trim()}");
        if (!dict.TryGetValue("shape", out var s) || s is not long[] shape)
            throw new NpyFormatException($"{source}: .npy header has no 'shape' tuple: {header.Trim()}");
        if (shape.Any(x => x < 0)) throw new NpyFormatException($"{source}: negative dim in shape ({string.Join(", ", shape)}).");
        return (descr, fortran, shape);
    }

    /// <summary>The small Python-literal subset an .npy header uses: a dict of str to str, bool or tuple of ints.</summary>
    private ref struct HeaderParser(string text, string source)
    {
        private int _pos;

        public Dictionary<string, object> ParseDict()
        {
            var result = new Dictionary<string, object>(StringComparer.Ordinal);
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (Peek() == '}') { _pos++; break; }
                string key = ParseString();
                Expect(':');
                result[key] = ParseValue();
                SkipSpace();
                if (Peek() == ',') { _pos++; continue; }
                Expect('}');
                break;
            }
            return result;
        }

        private object ParseValue()
        {
            SkipSpace();
            char c = Peek();
            if (c is '\'' or '"') return ParseString();
            if (c == '(') return ParseTuple();
            if (Match("True")) return true;
            if (Match("False")) return false;
            throw Fail("a string, tuple, True or False");
        }

        private long[] ParseTuple()
        {
            Expect('(');
            var items = new List<long>();
            while (true)
            {
                SkipSpace();
                if (Peek() == ')') { _pos++; break; }
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
                // Python 2 wrote long dims with an L suffix.
                if (!long.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
                    throw Fail("a non-negative integer dim");
                if (_pos < text.Length && text[_pos] == 'L') _pos++;
                items.Add(v);
                SkipSpace();
                if (Peek() == ',') { _pos++; continue; }
                Expect(')');
                break;
            }
            return [.. items];
        }

        private string ParseString()
        {
            SkipSpace();
            char q = Peek();
            if (q is not ('\'' or '"')) throw Fail("a quoted string");
            int end = text.IndexOf(q, _pos + 1);
            if (end < 0) throw Fail("a closing quote");
            var s = text.Substring(_pos + 1, end - _pos - 1);
            _pos = end + 1;
            return s;
        }

        private bool Match(string word)
        {
            if (string.CompareOrdinal(text, _pos, word, 0, word.Length) != 0) return false;
            _pos += word.Length;
            return true;
        }

        private void Expect(char c)
        {
            SkipSpace();
            if (Peek() != c) throw Fail($"'{c}'");
            _pos++;
        }

        private char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++;
        }

        private NpyFormatException Fail(string expected) =>
            new($"{source}: bad .npy header at offset {_pos}: expected {expected}, in {text.Trim()}");
    }

}
