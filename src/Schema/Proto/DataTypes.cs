// Hand-written.
using System.Collections.Frozen;
using System.Numerics;

namespace Caffe2Sharp.Schema.Proto;

/// <summary>What one Caffe2 element type is: the one table every type-dependent decision reads.</summary>
/// <param name="Type">The Caffe2 enum value.</param>
/// <param name="Name">The upper-case name Caffe2 uses (FLOAT, INT64, ...).</param>
/// <param name="ElementSize">Bytes per element as stored in a tensor; 0 for STRING and types without storage.</param>
/// <param name="ClrType">The .NET element type (byte for UINT8 and BYTE, string for STRING), or null when it has none.</param>
/// <param name="NumpyDescr">The little-endian numpy dtype (<c>&lt;f4</c>, <c>|u1</c>, ...), or null when numpy has no equivalent.</param>
/// <param name="IsFloatingPoint">FLOAT, DOUBLE and FLOAT16.</param>
/// <param name="IsInteger">The signed and unsigned integer types (and BYTE).</param>
/// <param name="ShortNames">Lower-case names accepted on command lines (<c>float</c>, <c>int64</c>, ...).</param>
/// <param name="ProtoField">The <c>TensorProto</c> field Caffe2 writes this type's values to.</param>
public sealed record DataTypeInfo(DataType Type, string Name, int ElementSize, Type? ClrType, string? NumpyDescr,
    bool IsFloatingPoint, bool IsInteger, IReadOnlyList<string> ShortNames, TensorProtoField ProtoField = TensorProtoField.None)
{
    /// <summary>True when tensors of this type hold numeric storage (every type with a fixed element size).</summary>
    public bool HasStorage => ElementSize > 0;

    /// <summary>True for the types <see cref="DataTypes.Dispatch{TVisitor}(DataType, ref TVisitor)"/> handles: floating point and integers (not BOOL).</summary>
    public bool IsNumeric => IsFloatingPoint || IsInteger;

    /// <summary>The smallest and largest value an integer type holds exactly in a <see cref="long"/> (null for other types).</summary>
    public (long Min, long Max)? IntegerRange { get; init; }
}

/// <summary>The <c>TensorProto</c> field that holds a type's values (Caffe2's convention: narrow types go to int32_data).</summary>
public enum TensorProtoField
{
    /// <summary>No field: the type cannot be written as a tensor.</summary>
    None,
    /// <summary><c>float_data</c>.</summary>
    FloatData,
    /// <summary><c>double_data</c>.</summary>
    DoubleData,
    /// <summary><c>int32_data</c> (also INT8/16, UINT8/16, BOOL, and FLOAT16 as its 16 bits).</summary>
    Int32Data,
    /// <summary><c>int64_data</c>.</summary>
    Int64Data,
    /// <summary><c>byte_data</c>.</summary>
    ByteData,
    /// <summary><c>string_data</c>.</summary>
    StringData,
}

/// <summary>
/// Receives a generic call for the CLR element type of a numeric <see cref="DataType"/>; see
/// <see cref="DataTypes.Dispatch{TVisitor}(DataType, ref TVisitor)"/>. Implement it on a struct so
/// the call is specialised per element type.
/// </summary>
public interface INumericTypeVisitor
{
    /// <summary>Called with <typeparamref name="T"/> the element type.</summary>
    void Visit<T>() where T : unmanaged, INumber<T>;
}

/// <summary>Facts about Caffe2's <see cref="DataType"/> values, from one table.</summary>
public static class DataTypes
{
    private static readonly DataTypeInfo[] Table =
    [
        new(DataType.Float, "FLOAT", 4, typeof(float), "<f4", true, false, ["float", "float32", "f4"], TensorProtoField.FloatData),
        new(DataType.Double, "DOUBLE", 8, typeof(double), "<f8", true, false, ["double", "float64", "f8"], TensorProtoField.DoubleData),
        new(DataType.Float16, "FLOAT16", 2, typeof(Half), "<f2", true, false, ["float16", "half", "f2"], TensorProtoField.Int32Data),
        new(DataType.Int32, "INT32", 4, typeof(int), "<i4", false, true, ["int32", "int", "i4"], TensorProtoField.Int32Data) { IntegerRange = (int.MinValue, int.MaxValue) },
        new(DataType.Int64, "INT64", 8, typeof(long), "<i8", false, true, ["int64", "long", "i8"], TensorProtoField.Int64Data) { IntegerRange = (long.MinValue, long.MaxValue) },
        new(DataType.Int16, "INT16", 2, typeof(short), "<i2", false, true, ["int16", "short", "i2"], TensorProtoField.Int32Data) { IntegerRange = (short.MinValue, short.MaxValue) },
        new(DataType.Uint16, "UINT16", 2, typeof(ushort), "<u2", false, true, ["uint16", "ushort", "u2"], TensorProtoField.Int32Data) { IntegerRange = (ushort.MinValue, ushort.MaxValue) },
        new(DataType.Int8, "INT8", 1, typeof(sbyte), "|i1", false, true, ["int8", "sbyte", "i1"], TensorProtoField.Int32Data) { IntegerRange = (sbyte.MinValue, sbyte.MaxValue) },
        new(DataType.Uint8, "UINT8", 1, typeof(byte), "|u1", false, true, ["uint8", "u1"], TensorProtoField.Int32Data) { IntegerRange = (byte.MinValue, byte.MaxValue) },
        // BYTE writes as numpy u1 too; reading u1 gives UINT8 (listed first).
        new(DataType.Byte, "BYTE", 1, typeof(byte), "|u1", false, true, ["byte"], TensorProtoField.ByteData) { IntegerRange = (byte.MinValue, byte.MaxValue) },
        new(DataType.Bool, "BOOL", 1, typeof(bool), "|b1", false, false, ["bool", "b1"], TensorProtoField.Int32Data) { IntegerRange = (0, 1) },
        new(DataType.String, "STRING", 0, typeof(string), null, false, false, ["string"], TensorProtoField.StringData),
        new(DataType.Undefined, "UNDEFINED", 0, null, null, false, false, []),
        new(DataType.ZeroCollisionHash, "ZERO_COLLISION_HASH", 0, null, null, false, false, []),
        new(DataType.RebatchingBuffer, "REBATCHING_BUFFER", 0, null, null, false, false, []),
    ];

    // Indexed by the enum's value (small and dense): a lookup on every Tensor.Resize must not
    // allocate, in any build (a dictionary keyed by an enum boxed it in unoptimised code).
    private static readonly DataTypeInfo?[] ByType = BuildIndex();

    private static DataTypeInfo?[] BuildIndex()
    {
        var index = new DataTypeInfo?[Table.Max(i => (int)i.Type) + 1];
        foreach (var info in Table) index[(int)info.Type] = info;
        return index;
    }
    private static readonly FrozenDictionary<string, DataTypeInfo> ByShortName =
        Table.SelectMany(i => i.ShortNames.Select(n => (n, i))).ToFrozenDictionary(p => p.n, p => p.i, StringComparer.OrdinalIgnoreCase);
    // UINT8, not BYTE, is byte's type; the table lists UINT8 first.
    private static readonly FrozenDictionary<Type, DataTypeInfo> ByClrType =
        Table.Where(i => i.ClrType is not null).GroupBy(i => i.ClrType!).ToFrozenDictionary(g => g.Key, g => g.First());
    private static readonly FrozenDictionary<string, DataTypeInfo> ByNumpy =
        Table.Where(i => i.NumpyDescr is not null).GroupBy(i => i.NumpyDescr![1..]).ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

    /// <summary>Every known type, in a stable order.</summary>
    public static IReadOnlyList<DataTypeInfo> All => Table;

    /// <summary>The entry of <paramref name="type"/>, or null for a value this table does not know.</summary>
    public static DataTypeInfo? Find(DataType type) => (uint)type < (uint)ByType.Length ? ByType[(int)type] : null;

    /// <summary>The entry of <paramref name="type"/>.</summary>
    /// <exception cref="EnforceNotMetException">The value is not a known data type.</exception>
    public static DataTypeInfo Info(DataType type) =>
        Find(type) ?? throw new EnforceNotMetException($"Unknown data type {(int)type}.");

    /// <summary>The entry whose CLR type is <paramref name="clrType"/> (byte gives UINT8), or null.</summary>
    public static DataTypeInfo? FromClrType(Type clrType) => ByClrType.GetValueOrDefault(clrType);

    /// <summary>The entry named <paramref name="name"/> (<c>float</c>, <c>int64</c>, <c>FLOAT</c>, ...; any case), or null.</summary>
    public static DataTypeInfo? FromName(string name) =>
        ByShortName.GetValueOrDefault(name) ?? Table.FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The entry of a numpy dtype without its byte-order character (<c>f4</c>, <c>u1</c>, ...), or null.</summary>
    public static DataTypeInfo? FromNumpyKind(string kind) => ByNumpy.GetValueOrDefault(kind);

    /// <summary>Bytes per element as stored in a tensor; 0 for STRING, UNDEFINED and unknown values.</summary>
    public static int ElementSize(DataType type) => Find(type)?.ElementSize ?? 0;

    /// <summary>True for FLOAT, DOUBLE and FLOAT16.</summary>
    public static bool IsFloatingPoint(DataType type) => Find(type)?.IsFloatingPoint ?? false;

    /// <summary>The integer range a value of <paramref name="type"/> must lie in (BOOL: 0..1); the whole long range for other types.</summary>
    public static (long Min, long Max) IntegerRange(DataType type) => Find(type)?.IntegerRange ?? (long.MinValue, long.MaxValue);

    /// <summary>The upper-case name Caffe2 uses (FLOAT, INT64, ...), or the number when it is not a known value.</summary>
    public static string Name(DataType type) =>
        Find(type)?.Name ?? ((int)type).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when <typeparamref name="T"/> is the CLR element type of <paramref name="type"/>.</summary>
    public static bool Matches<T>(DataType type) => Find(type)?.ClrType == typeof(T);

    /// <summary>
    /// Calls <paramref name="visitor"/>'s <c>Visit&lt;T&gt;</c> with the element type of a numeric
    /// <paramref name="type"/> (FLOAT, DOUBLE, FLOAT16, INT8/16/32/64, UINT8/16, BYTE). The one
    /// place a data type becomes a generic argument.
    /// </summary>
    /// <returns>False when the type is not numeric (BOOL, STRING, ...); the visitor is not called then.</returns>
    public static bool Dispatch<TVisitor>(DataType type, ref TVisitor visitor) where TVisitor : struct, INumericTypeVisitor, allows ref struct
    {
        switch (type)
        {
            case DataType.Float: visitor.Visit<float>(); return true;
            case DataType.Double: visitor.Visit<double>(); return true;
            case DataType.Float16: visitor.Visit<Half>(); return true;
            case DataType.Int32: visitor.Visit<int>(); return true;
            case DataType.Int64: visitor.Visit<long>(); return true;
            case DataType.Int16: visitor.Visit<short>(); return true;
            case DataType.Uint16: visitor.Visit<ushort>(); return true;
            case DataType.Int8: visitor.Visit<sbyte>(); return true;
            case DataType.Uint8 or DataType.Byte: visitor.Visit<byte>(); return true;
            default: return false;
        }
    }

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
}
