// Hand-written.
namespace Caffe2Sharp.Schema.Proto;

/// <summary>Facts about Caffe2's <see cref="DataType"/> values: element size and names.</summary>
public static class DataTypes
{
    /// <summary>
    /// Size in bytes of one element of <paramref name="type"/> as stored in a tensor. STRING and
    /// the internal state types have no fixed size and give 0; UNDEFINED gives 0.
    /// </summary>
    public static int ElementSize(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 => 4,
        DataType.Double or DataType.Int64 => 8,
        DataType.Float16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Bool or DataType.Byte or DataType.Uint8 or DataType.Int8 => 1,
        _ => 0,
    };

    /// <summary>
    /// The number of elements of a tensor with <paramref name="dims"/>: 0 when any dim is 0 (even
    /// if the others would overflow), otherwise their product; null when a dim is negative or the
    /// product does not fit a <see cref="long"/>.
    /// </summary>
    public static long? ElementCount(ReadOnlySpan<long> dims)
    {
        foreach (var d in dims)
        {
            if (d < 0) return null;
            if (d == 0) return 0;
        }
        long n = 1;
        foreach (var d in dims)
        {
            if (n > long.MaxValue / d) return null;
            n *= d;
        }
        return n;
    }

    /// <summary>True for FLOAT, DOUBLE and FLOAT16.</summary>
    public static bool IsFloatingPoint(DataType type) =>
        type is DataType.Float or DataType.Double or DataType.Float16;

    /// <summary>The upper-case name Caffe2 uses (FLOAT, INT64, ...), or the number when it is not a known value.</summary>
    public static string Name(DataType type) => type switch
    {
        DataType.Undefined => "UNDEFINED",
        DataType.Float => "FLOAT",
        DataType.Int32 => "INT32",
        DataType.Byte => "BYTE",
        DataType.String => "STRING",
        DataType.Bool => "BOOL",
        DataType.Uint8 => "UINT8",
        DataType.Int8 => "INT8",
        DataType.Uint16 => "UINT16",
        DataType.Int16 => "INT16",
        DataType.Int64 => "INT64",
        DataType.Float16 => "FLOAT16",
        DataType.Double => "DOUBLE",
        DataType.ZeroCollisionHash => "ZERO_COLLISION_HASH",
        DataType.RebatchingBuffer => "REBATCHING_BUFFER",
        _ => ((int)type).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
