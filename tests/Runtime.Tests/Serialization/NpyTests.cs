using System.Text;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Serialization;

public class NpyTests
{
    /// <summary>Builds .npy bytes the way numpy lays them out.</summary>
    private static byte[] Npy(string dict, byte[] data, int major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        if (major == 1) bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        else bytes.AddRange(BitConverter.GetBytes((uint)header.Length));
        bytes.AddRange(major == 3 ? Encoding.UTF8.GetBytes(header) : Encoding.Latin1.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Fact]
    public void Reads_Version1_LittleEndianFloat()
    {
        var t = Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Floats(1, 2, 3, 4, 5, 6)));
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray<float>());
    }

    [Fact]
    public void Reads_BigEndian()
    {
        var data = new byte[] { 0, 0, 0, 1, 0, 0, 1, 0 };
        var t = Runtime.Npy.Read(Npy("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", data));
        Assert.Equal([1, 256], t.ToArray<int>());
    }

    [Fact]
    public void Reads_FortranOrder_AsRowMajor()
    {
        // Column-major [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
        var t = Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", Floats(1, 4, 2, 5, 3, 6)));
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray<float>());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Reads_Versions2And3(int major)
    {
        var t = Runtime.Npy.Read(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", BitConverter.GetBytes(2.5), major));
        Assert.Equal([2.5], t.ToArray<double>());
    }

    [Fact]
    public void Reads_ScalarAndUnicodeStrings()
    {
        var scalar = Runtime.Npy.Read(Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(7L)));
        Assert.Equal(0, scalar.Rank);
        Assert.Equal([7L], scalar.ToArray<long>());
        var u = new byte[16];
        BitConverter.GetBytes((int)'h').CopyTo(u, 0);
        BitConverter.GetBytes((int)'i').CopyTo(u, 4);
        BitConverter.GetBytes(0x1F600).CopyTo(u, 8);
        var s = Runtime.Npy.Read(Npy("{'descr': '<U2', 'fortran_order': False, 'shape': (2,), }", u));
        Assert.Equal(["hi", "\U0001F600"], s.Strings().ToArray());
    }

    [Theory]
    [MemberData(nameof(TensorProtoConverterTests.EveryStoredType), MemberType = typeof(TensorProtoConverterTests))]
    public void WriteThenRead_IsLossless(Tensor t)
    {
        using var ms = new MemoryStream();
        Runtime.Npy.Write(ms, t);
        var bytes = ms.ToArray();
        Assert.Equal(0, (bytes[8] | bytes[9] << 8) + 10 & 63); // data starts 64-byte aligned
        Assert.True(t.ContentEquals(Runtime.Npy.Read(bytes)));
    }

    [Fact]
    public void Write_EmitsNumpysHeader()
    {
        using var ms = new MemoryStream();
        Runtime.Npy.Write(ms, Tensor.From<float>([1, 2, 3], 3));
        var bytes = ms.ToArray();
        var header = Encoding.Latin1.GetString(bytes, 10, bytes[8] | bytes[9] << 8);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", header);
        Assert.EndsWith("\n", header);
    }

    [Fact]
    public void BadMagic_IsRejected()
    {
        var e = Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read("not numpy at all"u8, "x.npy"));
        Assert.Equal("x.npy: not an .npy file (missing the \\x93NUMPY magic).", e.Message);
    }

    [Fact]
    public void BadHeader_IsRejectedWithOffset()
    {
        var e = Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", Floats(1)), "h.npy"));
        Assert.Contains("h.npy: bad .npy header at offset", e.Message);
        Assert.Contains("expected a string, tuple, True or False", e.Message);
    }

    [Fact]
    public void MissingKey_IsRejected()
    {
        var e = Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(Npy("{'descr': '<f4', 'shape': (1,), }", Floats(1)), "k.npy"));
        Assert.Contains("no 'fortran_order' bool", e.Message);
    }

    [Fact]
    public void WrongDataLength_IsRejected_BothWays()
    {
        var shortData = Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", Floats(1, 2)), "s.npy"));
        Assert.Equal("s.npy: shape (3) of '<f4' needs 12 data bytes, found 8 (truncated).", shortData.Message);
        var longData = Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Floats(1, 2)), "l.npy"));
        Assert.Contains("(trailing bytes)", longData.Message);
    }

    [Fact]
    public void UnsupportedDtypeAndVersion_AreRejected()
    {
        Assert.Contains("'<c8' is not supported", Assert.Throws<NpyFormatException>(() =>
            Runtime.Npy.Read(Npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", new byte[8]))).Message);
        var v4 = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Floats(1), 2);
        v4[6] = 4;
        Assert.Contains("version 4.0 is not supported", Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(v4)).Message);
    }

    [Fact]
    public void HugeShapes_AreRejected_ButAZeroDimIsAnEmptyArray()
    {
        var empty = Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4611686018427387904, 0), }", []));
        Assert.Equal(0, empty.Size);
        var e = Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", []), "big.npy"));
        Assert.Contains("big.npy: shape (4611686018427387904, 4) has too many elements", e.Message);
    }

    [Fact]
    public void TruncatedHeader_IsRejected()
    {
        var bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Floats(1));
        Assert.Contains("truncated .npy header", Assert.Throws<NpyFormatException>(() => Runtime.Npy.Read(bytes.AsSpan(0, 30))).Message);
    }
}
