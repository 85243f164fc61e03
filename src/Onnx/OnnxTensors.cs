// Hand-written.
using System.Buffers.Binary;
using System.Collections.Frozen;
using Caffe2Sharp.Runtime;
using OnnxTensor = Caffe2Sharp.Onnx.Proto.TensorProto;
using OnnxElementType = Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType;

namespace Caffe2Sharp.Onnx;

/// <summary>
/// ONNX <c>TensorProto</c> &lt;-&gt; <see cref="Tensor"/>. ONNX numbers its element types differently
/// from Caffe2 (ONNX 6 is INT32, Caffe2 6 is UINT8), so the two meet only through the table here.
/// </summary>
public static class OnnxTensors
{
    // ONNX element type -> Caffe2 element type, for the types a Caffe2Sharp tensor can hold.
    private static readonly FrozenDictionary<OnnxElementType, DataType> ToCaffe2 = new Dictionary<OnnxElementType, DataType>
    {
        [OnnxElementType.Float] = DataType.Float,
        [OnnxElementType.Double] = DataType.Double,
        [OnnxElementType.Float16] = DataType.Float16,
        [OnnxElementType.Int32] = DataType.Int32,
        [OnnxElementType.Int64] = DataType.Int64,
        [OnnxElementType.Int16] = DataType.Int16,
        [OnnxElementType.Uint16] = DataType.Uint16,
        [OnnxElementType.Int8] = DataType.Int8,
        [OnnxElementType.Uint8] = DataType.Uint8,
        [OnnxElementType.Bool] = DataType.Bool,
        [OnnxElementType.String] = DataType.String,
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<DataType, OnnxElementType> ToOnnx = ToCaffe2.ToFrozenDictionary(p => p.Value, p => p.Key);

    /// <summary>The Caffe2 element type of ONNX element type <paramref name="onnxType"/> (a <c>TensorProto.DataType</c> number), or null.</summary>
    public static DataType? Caffe2Type(int onnxType) => ToCaffe2.TryGetValue((OnnxElementType)onnxType, out var t) ? t : null;

    /// <summary>The ONNX element type number of <paramref name="type"/>, or null when ONNX has none.</summary>
    public static int? OnnxTypeOf(DataType type) => ToOnnx.TryGetValue(type, out var t) ? (int)t : null;

    /// <summary>Reads an ONNX tensor: <c>raw_data</c> (little-endian) or the typed field its type uses.</summary>
    /// <param name="proto">The tensor.</param>
    /// <param name="what">Names the tensor in errors (a file, an initializer).</param>
    /// <exception cref="EnforceNotMetException">
    /// The type has no Caffe2Sharp equivalent, the values are stored outside the message
    /// (external data), or their count does not match the dims.
    /// </exception>
    public static Tensor ToTensor(OnnxTensor proto, string? what = null)
    {
        ArgumentNullException.ThrowIfNull(proto);
        what ??= string.IsNullOrEmpty(proto.Name) ? "ONNX tensor" : $"ONNX tensor '{proto.Name}'";
        if (Caffe2Type(proto.DataType) is not { } type)
            throw new EnforceNotMetException($"{what}: element type {(OnnxElementType)proto.DataType} ({proto.DataType}) has no Caffe2Sharp equivalent.");
        if (proto.DataLocation == OnnxTensor.Types.DataLocation.External)
            throw new EnforceNotMetException($"{what}: its values are in an external file; read it with the model, which knows the folder.");
        foreach (var d in proto.Dims)
            if (d < 0) throw new EnforceNotMetException($"{what}: dims [{string.Join(", ", proto.Dims)}] hold a negative value.");
        long count = DataTypes.ElementCount([.. proto.Dims]) ?? throw new EnforceNotMetException($"{what}: dims [{string.Join(", ", proto.Dims)}] are too large.");
        var tensor = new Tensor();
        string shape = $"{DataTypes.Name(type)}[{string.Join(", ", proto.Dims)}]";

        if (type == DataType.String)
        {
            Check(proto.StringData.Count, count, what, shape, "string_data");
            tensor.Resize(type, [.. proto.Dims]);
            for (int k = 0; k < count; k++) tensor.Strings()[k] = proto.StringData[k].ToStringUtf8();
            return tensor;
        }
        tensor.Resize(type, [.. proto.Dims]);
        if (proto.HasRawData)
        {
            Check(proto.RawData.Length, count * tensor.ElementSize, what, shape, "raw_data bytes");
            proto.RawData.Span.CopyTo(tensor.RawBytes);
            if (!BitConverter.IsLittleEndian) ByteOrder.Reverse(tensor.RawBytes, tensor.ElementSize);
            if (type == DataType.Bool)
                foreach (var b in tensor.RawBytes)
                    if (b > 1) throw new EnforceNotMetException($"{what}: BOOL raw_data holds byte {b}; expected 0 or 1.");
            return tensor;
        }
        // The typed field each ONNX element type uses (onnx-wire.md).
        switch ((OnnxElementType)proto.DataType)
        {
            case OnnxElementType.Float:
                Check(proto.FloatData.Count, count, what, shape, "float_data");
                for (int k = 0; k < count; k++) tensor.Data<float>()[k] = proto.FloatData[k];
                return tensor;
            case OnnxElementType.Double:
                Check(proto.DoubleData.Count, count, what, shape, "double_data");
                for (int k = 0; k < count; k++) tensor.Data<double>()[k] = proto.DoubleData[k];
                return tensor;
            case OnnxElementType.Int64:
                Check(proto.Int64Data.Count, count, what, shape, "int64_data");
                for (int k = 0; k < count; k++) tensor.Data<long>()[k] = proto.Int64Data[k];
                return tensor;
        }
        // Everything else travels in int32_data: the value, or for FLOAT16 its 16 bits.
        Check(proto.Int32Data.Count, count, what, shape, "int32_data");
        (long min, long max) = type == DataType.Float16 ? (0, ushort.MaxValue) : DataTypes.IntegerRange(type);
        var bytes = tensor.RawBytes;
        int size = tensor.ElementSize;
        for (int k = 0; k < count; k++)
        {
            int v = proto.Int32Data[k];
            if (v < min || v > max)
                throw new EnforceNotMetException($"{what}: int32_data[{k}] = {v} is out of range for {DataTypes.Name(type)} ({min}..{max}).");
            var slot = bytes.Slice(k * size, size);
            if (size == 1) slot[0] = (byte)v;
            else if (size == 2) BinaryPrimitives.WriteUInt16LittleEndian(slot, (ushort)v);
            else BinaryPrimitives.WriteInt32LittleEndian(slot, v);
        }
        if (!BitConverter.IsLittleEndian) ByteOrder.Reverse(tensor.RawBytes, tensor.ElementSize);
        return tensor;
    }

    /// <summary>
    /// Writes <paramref name="tensor"/> as an ONNX tensor named <paramref name="name"/>: the dims, the
    /// ONNX element type, and the values in <c>raw_data</c> (little-endian, row-major, no padding);
    /// STRING tensors in <c>string_data</c>, which has no raw form.
    /// </summary>
    /// <param name="tensor">The tensor.</param>
    /// <param name="name">The ONNX tensor's name (an initializer's value name).</param>
    /// <exception cref="EnforceNotMetException">The element type has no ONNX equivalent.</exception>
    public static OnnxTensor FromTensor(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(name);
        if (OnnxTypeOf(tensor.DataType) is not { } onnxType)
            throw new EnforceNotMetException($"tensor '{name}' {tensor.Describe()}: element type {DataTypes.Name(tensor.DataType)} has no ONNX equivalent.");
        var proto = new OnnxTensor { Name = name, DataType = onnxType };
        proto.Dims.AddRange(tensor.Shape);
        if (tensor.DataType == DataType.String)
        {
            foreach (var s in tensor.Strings()) proto.StringData.Add(Google.Protobuf.ByteString.CopyFromUtf8(s ?? ""));
            return proto;
        }
        var bytes = tensor.RawBytes.ToArray();
        if (!BitConverter.IsLittleEndian) ByteOrder.Reverse(bytes, tensor.ElementSize);
        proto.RawData = Google.Protobuf.ByteString.CopyFrom(bytes);
        return proto;
    }

    private static void Check(long actual, long expected, string what, string shape, string field)
    {
        if (actual != expected) throw new EnforceNotMetException($"{what}: {shape} needs {expected} {field}, found {actual}.");
    }
}
