// Hand-written.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// A dense, contiguous, row-major tensor of one Caffe2 <see cref="DataType"/>.
/// </summary>
/// <remarks>
/// Numeric storage is a pinned byte buffer aligned to 64 bytes (a cache line, and one
/// <c>Vector512</c>), so kernels never split a vector load across lines at the start. Resizing
/// keeps the buffer whenever the new contents fit: a blob rewritten with the same size by every
/// run of a net allocates only on the first run. STRING tensors hold a managed string array.
/// </remarks>
public sealed class Tensor
{
    private const int Alignment = 64;
    private byte[] _buffer = [];
    private int _offset;
    private int _byteLength;
    private string[] _strings = [];
    // The dims are the first _rank entries of _dims, which only grows: a tensor whose rank changes
    // between runs (a buffer the memory planner shares between blobs) allocates nothing.
    private long[] _dims = [0];
    private int _rank = 1;

    /// <summary>An empty FLOAT tensor of shape [0].</summary>
    public Tensor() => DataType = DataType.Float;

    /// <summary>A tensor of <paramref name="dataType"/> and <paramref name="dims"/>; contents are zero.</summary>
    public Tensor(DataType dataType, params ReadOnlySpan<long> dims)
    {
        Resize(dataType, dims);
        RawBytes.Clear();
        if (dataType == DataType.String) _strings.AsSpan().Fill("");
    }

    /// <summary>The element type.</summary>
    public DataType DataType { get; private set; }

    /// <summary>The dims, outermost first. Empty for a scalar.</summary>
    public ReadOnlySpan<long> Dims => _dims.AsSpan(0, _rank);

    /// <summary>A copy of the dims.</summary>
    public long[] Shape => Dims.ToArray();

    /// <summary>Number of dims.</summary>
    public int Rank => _rank;

    /// <summary>Number of elements (product of the dims; 1 for a scalar).</summary>
    public long Size { get; private set; }

    /// <summary>Bytes per element (0 for STRING).</summary>
    public int ElementSize => DataTypes.ElementSize(DataType);

    /// <summary>Bytes of numeric storage in use.</summary>
    public int ByteLength => _byteLength;

    /// <summary>Bytes of numeric storage available before a resize must allocate.</summary>
    public int Capacity => Math.Max(0, _buffer.Length - _offset);

    /// <summary>
    /// Makes this tensor <paramref name="dataType"/> with <paramref name="dims"/>, keeping the
    /// storage when it is large enough. Contents are unspecified afterwards (kept when the type and
    /// size did not change, which is what makes in-place operators work).
    /// </summary>
    /// <exception cref="EnforceNotMetException">A dim is negative, the type has no storage, or the tensor would exceed 2 GiB.</exception>
    public void Resize(DataType dataType, params ReadOnlySpan<long> dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new EnforceNotMetException($"Tensor dims must be non-negative; got [{string.Join(", ", dims.ToArray())}].");
        // Null only on overflow here (negatives were rejected above): too large either way.
        long size = DataTypes.ElementCount(dims) ?? long.MaxValue;
        int elementSize = DataTypes.ElementSize(dataType);
        if (elementSize == 0 && dataType != DataType.String)
            throw new EnforceNotMetException($"Tensor element type {DataTypes.Name(dataType)} cannot be stored.");
        long bytes = dataType == DataType.String ? 0 : size * elementSize;
        if (bytes > Array.MaxLength - Alignment || size > Array.MaxLength)
            throw new EnforceNotMetException($"Tensor of {DataTypes.Name(dataType)}[{string.Join(", ", dims.ToArray())}] is too large ({size} elements).");

        if (_dims.Length < dims.Length) _dims = new long[dims.Length];
        dims.CopyTo(_dims);
        _rank = dims.Length;
        DataType = dataType;
        Size = size;
        if (dataType == DataType.String)
        {
            _byteLength = 0;
            if (_strings.Length != size) _strings = new string[size];
            return;
        }
        _strings = [];
        if (bytes > Capacity) Allocate((int)bytes);
        _byteLength = (int)bytes;
    }

    /// <summary>Makes this tensor the type and shape of <paramref name="other"/>.</summary>
    public void ResizeLike(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Resize(other.DataType, other.Dims);
    }

    private unsafe void Allocate(int bytes)
    {
        // Pinned, so the aligned offset stays aligned for the buffer's lifetime.
        _buffer = GC.AllocateUninitializedArray<byte>(bytes + Alignment - 1, pinned: true);
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _offset = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1));
    }

    /// <summary>The numeric contents as bytes.</summary>
    public Span<byte> RawBytes => _buffer.AsSpan(_offset, _byteLength);

    /// <summary>The contents as <typeparamref name="T"/>, which must match <see cref="DataType"/>.</summary>
    /// <exception cref="EnforceNotMetException">The element type is not <typeparamref name="T"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Data<T>() where T : unmanaged
    {
        if (!Matches<T>(DataType)) ThrowTypeMismatch(typeof(T));
        return MemoryMarshal.CreateSpan(
            ref Unsafe.As<byte, T>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_buffer), _offset)),
            (int)Size);
    }

    /// <summary>The contents of a STRING tensor.</summary>
    public Span<string> Strings()
    {
        if (DataType != DataType.String) ThrowTypeMismatch(typeof(string));
        return _strings;
    }

    /// <summary>True when <typeparamref name="T"/> is the CLR type of <paramref name="type"/> (byte: UINT8 and BYTE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Matches<T>(DataType type) where T : unmanaged =>
        (uint)type < 64 && (ClrTypeOf<T>.Mask >> (int)type & 1) != 0;

    /// <summary>The Caffe2 data type of CLR type <typeparamref name="T"/> (byte maps to UINT8).</summary>
    public static DataType DataTypeOf<T>() => DataTypeOf(typeof(T));

    /// <summary>The Caffe2 data type of a CLR type (byte maps to UINT8, string to STRING).</summary>
    /// <exception cref="ArgumentException">The type has no Caffe2 data type.</exception>
    public static DataType DataTypeOf(Type type) =>
        DataTypes.FromClrType(type)?.Type ?? throw new ArgumentException($"Type {type.Name} has no Caffe2 data type.", nameof(type));

    // The data types whose CLR type is T, as a bit mask read from the type table once per T.
    private static class ClrTypeOf<T>
    {
        public static readonly ulong Mask = DataTypes.All
            .Where(i => i.ClrType == typeof(T) && (int)i.Type < 64)
            .Aggregate(0UL, (m, i) => m | 1UL << (int)i.Type);
    }

    /// <summary>Creates a tensor holding a copy of <paramref name="data"/> with <paramref name="dims"/>.</summary>
    /// <exception cref="ArgumentException">The number of values does not match the dims.</exception>
    public static Tensor From<T>(ReadOnlySpan<T> data, params ReadOnlySpan<long> dims) where T : unmanaged
    {
        var t = new Tensor();
        t.Resize(DataTypeOf<T>(), dims);
        if (t.Size != data.Length)
            throw new ArgumentException($"{data.Length} values do not fill a tensor of shape [{string.Join(", ", dims.ToArray())}] ({t.Size} elements).", nameof(data));
        data.CopyTo(t.Data<T>());
        return t;
    }

    /// <summary>Creates a 1-D tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor From<T>(T[] data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return From<T>(data, data.LongLength);
    }

    /// <summary>Creates a STRING tensor.</summary>
    public static Tensor FromStrings(IReadOnlyList<string> data, params ReadOnlySpan<long> dims)
    {
        var t = new Tensor();
        t.Resize(DataType.String, dims);
        if (t.Size != data.Count)
            throw new ArgumentException($"{data.Count} strings do not fill a tensor of shape [{string.Join(", ", dims.ToArray())}].", nameof(data));
        for (int k = 0; k < data.Count; k++) t._strings[k] = data[k];
        return t;
    }

    /// <summary>Makes this tensor a copy of <paramref name="source"/> (type, shape and contents), reusing storage.</summary>
    public void CopyFrom(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (ReferenceEquals(source, this)) return;
        ResizeLike(source);
        if (DataType == DataType.String) source._strings.AsSpan().CopyTo(_strings);
        else source.RawBytes.CopyTo(RawBytes);
    }

    /// <summary>A deep copy.</summary>
    public Tensor Clone()
    {
        var t = new Tensor();
        t.CopyFrom(this);
        return t;
    }

    /// <summary>The contents copied to a new array.</summary>
    public T[] ToArray<T>() where T : unmanaged => Data<T>().ToArray();

    /// <summary>The contents of a numeric tensor (floating point or integer, not BOOL or STRING) widened to double, in a new array.</summary>
    /// <exception cref="EnforceNotMetException">The tensor is not numeric.</exception>
    public double[] ToDoubleArray()
    {
        var values = new double[Size];
        var reader = new DoubleReader(this, values);
        if (!DataTypes.Dispatch(DataType, ref reader))
            throw new EnforceNotMetException($"{Describe()}: only numeric tensors convert to double.");
        return values;
    }

    private readonly struct DoubleReader(Tensor tensor, double[] values) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, System.Numerics.INumber<T>
        {
            var data = tensor.Data<T>();
            for (int k = 0; k < values.Length; k++) values[k] = double.CreateTruncating(data[k]);
        }
    }

    /// <summary>True when both tensors have the same type, shape and bitwise-equal contents.</summary>
    public bool ContentEquals(Tensor other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.DataType != DataType || !other.Dims.SequenceEqual(Dims)) return false;
        return DataType == DataType.String ? _strings.AsSpan().SequenceEqual(other._strings) : RawBytes.SequenceEqual(other.RawBytes);
    }

    /// <summary>Type and shape, e.g. <c>FLOAT[2, 3]</c>.</summary>
    public string Describe() => $"{DataTypes.Name(DataType)}[{string.Join(", ", Dims.ToArray())}]";

    /// <summary>Type, shape and the first values.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Describe());
        const int Max = 10;
        sb.Append(" {");
        int n = (int)Math.Min(Size, Max);
        for (int k = 0; k < n; k++)
        {
            if (k > 0) sb.Append(", ");
            sb.Append(FormatElement(k));
        }
        if (Size > Max) sb.Append(", ...");
        return sb.Append('}').ToString();
    }

    /// <summary>Element <paramref name="index"/> formatted with invariant culture (shortest round-trip for floats).</summary>
    public string FormatElement(long index)
    {
        int k = checked((int)index);
        if (DataType == DataType.String) return "\"" + _strings[k] + "\"";
        if (DataType == DataType.Bool) return Data<bool>()[k] ? "true" : "false";
        var formatter = new ElementFormatter(this, k);
        return DataTypes.Dispatch(DataType, ref formatter) ? formatter.Text : "?";
    }

    private struct ElementFormatter(Tensor tensor, int index) : INumericTypeVisitor
    {
        public string Text = "";

        // float, double and Half print their shortest round-trip form by default.
        public void Visit<T>() where T : unmanaged, System.Numerics.INumber<T> =>
            Text = tensor.Data<T>()[index].ToString(null, System.Globalization.CultureInfo.InvariantCulture);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowTypeMismatch(Type requested) =>
        throw new EnforceNotMetException($"Tensor holds {DataTypes.Name(DataType)}, not {requested.Name}.");
}
