// Hand-written.
using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Caffe2Sharp.Runtime;

/// <summary>Byte-order conversion of packed elements, for formats that store little-endian values (TensorProto raw data, .npy).</summary>
public static class ByteOrder
{
    /// <summary>Reverses the bytes of every <paramref name="elementSize"/>-byte element of <paramref name="data"/>, in place.</summary>
    public static void Reverse(Span<byte> data, int elementSize)
    {
        switch (elementSize)
        {
            case <= 1: return;
            case 2: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ushort>(data), MemoryMarshal.Cast<byte, ushort>(data)); return;
            case 4: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, uint>(data), MemoryMarshal.Cast<byte, uint>(data)); return;
            case 8: BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, ulong>(data), MemoryMarshal.Cast<byte, ulong>(data)); return;
            default:
                for (int k = 0; k + elementSize <= data.Length; k += elementSize) data.Slice(k, elementSize).Reverse();
                return;
        }
    }
}
