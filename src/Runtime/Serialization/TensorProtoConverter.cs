// Hand-written.
using System.Buffers.Binary;
using Google.Protobuf;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// Converts between Caffe2's <see cref="TensorProto"/> and <see cref="Tensor"/> for every type
/// we store: FLOAT, DOUBLE, FLOAT16, INT32, INT64, INT8, UINT8, INT16, UINT16, BOOL, BYTE, STRING.
/// </summary>
/// <remarks>
/// Reading accepts the typed fields Caffe2 writes (FLOAT in <c>float_data</c>; DOUBLE in
/// <c>double_data</c>; INT64 in <c>int64_data</c>; the narrow integers, BOOL and FLOAT16's raw
/// 16 bits in <c>int32_data</c>; BYTE and, from some writers, the narrow types as raw bytes in
/// <c>byte_data</c>; STRING in <c>string_data</c>), and <c>raw_data</c> (little-endian) for every
/// numeric type, including <c>data_format</c> = 1 (bfloat16 in raw_data) for FLOAT. Every count
/// is checked against the dims; a value out of range for its type is an error, never a silent wrap.
/// </remarks>
public static class TensorProtoConverter
{
    /// <summary>Reads <paramref name="proto"/> into a new tensor.</summary>
    /// <exception cref="EnforceNotMetException">The proto is inconsistent; the message names the tensor and field.</exception>
    public static Tensor ToTensor(this TensorProto proto)
    {
        var t = new Tensor();
        ReadInto(proto, t);
        return t;
    }

    /// <summary>Reads <paramref name="proto"/> into <paramref name="tensor"/>, reusing its storage.</summary>
    public static void ReadInto(TensorProto proto, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(proto);
        ArgumentNullException.ThrowIfNull(tensor);
        string what = string.IsNullOrEmpty(proto.Name) ? "TensorProto" : $"TensorProto '{proto.Name}'";
        if (proto.Segment is not null) throw new EnforceNotMetException($"{what}: segmented (chunked) tensors are not supported.");
        var type = proto.DataType;
        if (type is DataType.Undefined or DataType.ZeroCollisionHash or DataType.RebatchingBuffer || DataTypes.ElementSize(type) == 0 && type != DataType.String)
            throw new EnforceNotMetException($"{what}: data type {DataTypes.Name(type)} cannot be stored in a tensor.");
        var dims = proto.Dims.ToArray();
        if (dims.Any(d => d < 0)) throw new EnforceNotMetException($"{what}: negative dim in [{string.Join(", ", dims)}].");
        // Validate fully before touching the destination tensor.
        string shape = $"{DataTypes.Name(type)}[{string.Join(", ", dims)}]";
        long count = DataTypes.ElementCount(dims) is { } c && c <= Array.MaxLength
            ? c : throw new EnforceNotMetException($"{what}: {shape} has too many elements to store.");

        if (type == DataType.String)
        {
            Check(proto.StringData.Count == count, what, shape, count, "string_data", proto.StringData.Count);
            tensor.Resize(type, dims);
            var s = tensor.Strings();
            for (int k = 0; k < s.Length; k++) s[k] = proto.StringData[k].ToStringUtf8();
            return;
        }

        int size = DataTypes.ElementSize(type);
        if (proto.DataFormat == 1)
        {
            if (type != DataType.Float) throw new EnforceNotMetException($"{what}: data_format 1 (bfloat16) is only defined for FLOAT, not {DataTypes.Name(type)}.");
            var raw = proto.RawData.Span;
            Check(raw.Length == count * 2, what, shape, count * 2, "raw_data bytes (bfloat16)", raw.Length);
            tensor.Resize(type, dims);
            var dst = tensor.Data<float>();
            for (int k = 0; k < dst.Length; k++)
                dst[k] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(2 * k)..]) << 16);
            return;
        }
        if (proto.DataFormat != 0) throw new EnforceNotMetException($"{what}: unknown data_format {proto.DataFormat}.");

        if (proto.HasRawData)
        {
            var raw = proto.RawData.Span;
            Check(raw.Length == count * size, what, shape, count * size, "raw_data bytes", raw.Length);
            if (type == DataType.Bool)
                foreach (var b in raw)
                    if (b > 1) throw new EnforceNotMetException($"{what}: BOOL raw_data holds byte {b}; expected 0 or 1.");
            tensor.Resize(type, dims);
            raw.CopyTo(tensor.RawBytes);
            if (!BitConverter.IsLittleEndian) ByteOrder.Reverse(tensor.RawBytes, tensor.ElementSize);
            return;
        }

        switch (DataTypes.Find(type)?.ProtoField)
        {
            case TensorProtoField.FloatData:
                ReadTyped(proto.FloatData, "float_data");
                return;
            case TensorProtoField.DoubleData:
                ReadTyped(proto.DoubleData, "double_data");
                return;
            case TensorProtoField.Int64Data:
                ReadTyped(proto.Int64Data, "int64_data");
                return;
            case TensorProtoField.ByteData:
                Check(proto.ByteData.Length == count, what, shape, count, "byte_data bytes", proto.ByteData.Length);
                tensor.Resize(type, dims);
                proto.ByteData.Span.CopyTo(tensor.RawBytes);
                return;
            case TensorProtoField.Int32Data:
                break;
            default:
                throw new EnforceNotMetException($"{what}: data type {DataTypes.Name(type)} is not supported.");
        }

        // Narrow types: int32_data (Caffe2's classic form), or raw bytes in byte_data from some writers.
        if (proto.Int32Data.Count == 0 && proto.ByteData.Length == count * size && count > 0 && type != DataType.Int32)
        {
            if (type == DataType.Bool)
                foreach (var b in proto.ByteData.Span)
                    if (b > 1) throw new EnforceNotMetException($"{what}: BOOL byte_data holds byte {b}; expected 0 or 1.");
            tensor.Resize(type, dims);
            proto.ByteData.Span.CopyTo(tensor.RawBytes);
            return;
        }
        Check(proto.Int32Data.Count == count, what, shape, count, "int32_data", proto.Int32Data.Count);
        // FLOAT16 travels as its 16 bits.
        (long min, long max) = type == DataType.Float16 ? (0, ushort.MaxValue) : DataTypes.IntegerRange(type);
        for (int k = 0; k < proto.Int32Data.Count; k++)
        {
            int v = proto.Int32Data[k];
            // FLOAT16 bits may have been written sign-extended by some writers; accept -32768..-1 as the same 16 bits.
            if (type == DataType.Float16 && v is < 0 and >= short.MinValue) continue;
            if (v < min || v > max)
                throw new EnforceNotMetException($"{what}: int32_data[{k}] = {v} is out of range for {DataTypes.Name(type)} ({min}..{max}).");
        }
        tensor.Resize(type, dims);
        var src = proto.Int32Data;
        if (type == DataType.Float16) Narrow(src, tensor.Data<Half>(), v => BitConverter.UInt16BitsToHalf((ushort)v));
        else if (type == DataType.Bool) Narrow(src, tensor.Data<bool>(), v => v != 0);
        else
        {
            var narrow = new Int32Field(src, tensor);
            DataTypes.Dispatch(type, ref narrow);
        }

        // One typed field whose count must match the dims, copied into the tensor.
        void ReadTyped<T>(Google.Protobuf.Collections.RepeatedField<T> field, string fieldName) where T : unmanaged
        {
            Check(field.Count == count, what, shape, count, fieldName, field.Count);
            tensor.Resize(type, dims);
            CopyRepeated(field, tensor.Data<T>());
        }
    }

    /// <summary>
    /// Writes <paramref name="tensor"/> as a TensorProto. By default the typed fields Caffe2 itself
    /// writes are used; with <paramref name="useRawData"/> numeric contents go to <c>raw_data</c>.
    /// </summary>
    public static TensorProto ToProto(this Tensor tensor, string? name = null, bool useRawData = false)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var p = new TensorProto { DataType = tensor.DataType };
        if (!string.IsNullOrEmpty(name)) p.Name = name;
        p.Dims.AddRange(tensor.Dims.ToArray());
        if (tensor.DataType == DataType.String)
        {
            foreach (var s in tensor.Strings()) p.StringData.Add(ByteString.CopyFromUtf8(s ?? ""));
            return p;
        }
        if (useRawData)
        {
            var copy = tensor.Clone();
            if (!BitConverter.IsLittleEndian) ByteOrder.Reverse(copy.RawBytes, copy.ElementSize);
            p.RawData = ByteString.CopyFrom(copy.RawBytes);
            return p;
        }
        switch (DataTypes.Find(tensor.DataType)?.ProtoField)
        {
            case TensorProtoField.FloatData: p.FloatData.AddRange(tensor.ToArray<float>()); break;
            case TensorProtoField.DoubleData: p.DoubleData.AddRange(tensor.ToArray<double>()); break;
            case TensorProtoField.Int64Data: p.Int64Data.AddRange(tensor.ToArray<long>()); break;
            case TensorProtoField.ByteData: p.ByteData = ByteString.CopyFrom(tensor.RawBytes); break;
            case TensorProtoField.Int32Data when tensor.DataType == DataType.Float16:
                foreach (var v in tensor.Data<Half>()) p.Int32Data.Add(BitConverter.HalfToUInt16Bits(v));
                break;
            case TensorProtoField.Int32Data when tensor.DataType == DataType.Bool:
                foreach (var v in tensor.Data<bool>()) p.Int32Data.Add(v ? 1 : 0);
                break;
            case TensorProtoField.Int32Data:
                var widen = new Int32Field(p.Int32Data, tensor);
                widen.ToField = true;
                DataTypes.Dispatch(tensor.DataType, ref widen);
                break;
            default: throw new EnforceNotMetException($"Tensor type {DataTypes.Name(tensor.DataType)} cannot be written.");
        }
        return p;
    }

    private static void Check(bool ok, string what, string shape, long expected, string field, long actual)
    {
        if (!ok) throw new EnforceNotMetException($"{what}: {shape} needs {expected} {field}, found {actual}.");
    }

    private static void CopyRepeated<T>(Google.Protobuf.Collections.RepeatedField<T> src, Span<T> dst)
    {
        for (int k = 0; k < dst.Length; k++) dst[k] = src[k];
    }

    private static void Narrow<T>(Google.Protobuf.Collections.RepeatedField<int> src, Span<T> dst, Func<int, T> convert)
    {
        for (int k = 0; k < dst.Length; k++) dst[k] = convert(src[k]);
    }

    // Integer tensors and int32_data: values already range-checked when reading, exact when writing.
    private struct Int32Field(Google.Protobuf.Collections.RepeatedField<int> field, Tensor tensor) : INumericTypeVisitor
    {
        public bool ToField;

        public readonly void Visit<T>() where T : unmanaged, System.Numerics.INumber<T>
        {
            var data = tensor.Data<T>();
            if (ToField)
                foreach (var v in data) field.Add(int.CreateTruncating(v));
            else
                for (int k = 0; k < data.Length; k++) data[k] = T.CreateTruncating(field[k]);
        }
    }
}
