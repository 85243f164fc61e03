using Caffe2Sharp.Schema;
using Google.Protobuf;
using OnnxTensor = Caffe2Sharp.Onnx.Proto.TensorProto;
using OnnxType = Caffe2Sharp.Onnx.Proto.TensorProto.Types.DataType;

namespace Caffe2Sharp.Onnx.Tests;

public class OnnxTensorsTests
{
    private static OnnxTensor Proto(OnnxType type, params long[] dims)
    {
        var p = new OnnxTensor { DataType = (int)type, Name = "t" };
        p.Dims.Add(dims);
        return p;
    }

    [Fact]
    public void RawData_IsLittleEndian_RowMajor()
    {
        var p = Proto(OnnxType.Float, 2, 2);
        p.RawData = ByteString.CopyFrom(new[] { 1f, -2f, 3.5f, float.NaN }.SelectMany(BitConverter.GetBytes).ToArray());
        var t = OnnxTensors.ToTensor(p);
        Assert.Equal("FLOAT[2, 2]", t.Describe());
        Assert.Equal([1f, -2f, 3.5f, float.NaN], t.ToArray<float>());
    }

    [Fact]
    public void TypedFields_AndOnnxsOwnTypeNumbers()
    {
        var i32 = Proto(OnnxType.Int32, 3);      // ONNX 6 is INT32 (Caffe2's 6 is UINT8)
        i32.Int32Data.Add([1, -2, int.MaxValue]);
        Assert.Equal("INT32[3]", OnnxTensors.ToTensor(i32).Describe());
        Assert.Equal([1, -2, int.MaxValue], OnnxTensors.ToTensor(i32).ToArray<int>());
        var i64 = Proto(OnnxType.Int64, 2);
        i64.Int64Data.Add([long.MinValue, 5]);
        Assert.Equal([long.MinValue, 5], OnnxTensors.ToTensor(i64).ToArray<long>());
        var h = Proto(OnnxType.Float16, 2);
        h.Int32Data.Add([BitConverter.HalfToUInt16Bits((Half)1.5f), BitConverter.HalfToUInt16Bits((Half)(-2f))]);
        Assert.Equal([(Half)1.5f, (Half)(-2f)], OnnxTensors.ToTensor(h).ToArray<Half>());
        var u8 = Proto(OnnxType.Uint8, 2);
        u8.Int32Data.Add([0, 255]);
        Assert.Equal([(byte)0, (byte)255], OnnxTensors.ToTensor(u8).ToArray<byte>());
        Assert.Equal(6, OnnxTensors.OnnxTypeOf(Caffe2Sharp.Schema.Proto.TensorProto.Types.DataType.Int32));
    }

    [Fact]
    public void BadTensors_AreClearErrors()
    {
        var few = Proto(OnnxType.Float, 3);
        few.FloatData.Add(1f);
        Assert.Contains("t': FLOAT[3] needs 3 float_data, found 1", Assert.Throws<EnforceNotMetException>(() => OnnxTensors.ToTensor(few)).Message);
        var range = Proto(OnnxType.Int8, 1);
        range.Int32Data.Add(300);
        Assert.Contains("int32_data[0] = 300 is out of range for INT8", Assert.Throws<EnforceNotMetException>(() => OnnxTensors.ToTensor(range)).Message);
        var complex = Proto(OnnxType.Complex64, 1);
        Assert.Contains("element type Complex64 (14) has no Caffe2Sharp equivalent", Assert.Throws<EnforceNotMetException>(() => OnnxTensors.ToTensor(complex)).Message);
        var external = Proto(OnnxType.Float, 1);
        external.DataLocation = OnnxTensor.Types.DataLocation.External;
        Assert.Contains("external file", Assert.Throws<EnforceNotMetException>(() => OnnxTensors.ToTensor(external)).Message);
        var raw = Proto(OnnxType.Bool, 2);
        raw.RawData = ByteString.CopyFrom(1, 2);
        Assert.Contains("BOOL raw_data holds byte 2", Assert.Throws<EnforceNotMetException>(() => OnnxTensors.ToTensor(raw)).Message);
    }

    public static TheoryData<string> RoundTripTypes() =>
        ["FLOAT", "DOUBLE", "FLOAT16", "INT32", "INT64", "INT16", "UINT16", "INT8", "UINT8", "BOOL", "STRING"];

    [Theory]
    [MemberData(nameof(RoundTripTypes))]
    public void FromTensor_RoundTripsThroughToTensor_WithOnnxsTypeNumber(string typeName)
    {
        var type = DataTypes.FromName(typeName)!.Type;
        var tensor = new Caffe2Sharp.Runtime.Tensor(type, 2, 3);
        if (type == DataType.String) for (int k = 0; k < 6; k++) tensor.Strings()[k] = $"s{k}";
        else for (int k = 0; k < tensor.ByteLength; k++) tensor.RawBytes[k] = (byte)(type == DataType.Bool ? k % 2 : 37 * k + 1);
        var proto = OnnxTensors.FromTensor(tensor, "w");
        Assert.Equal("w", proto.Name);
        Assert.Equal([2L, 3], proto.Dims);
        Assert.Equal(OnnxTensors.OnnxTypeOf(type), proto.DataType);
        Assert.Equal(type == DataType.String ? 0 : tensor.ByteLength, proto.RawData.Length);
        var back = OnnxTensors.ToTensor(OnnxTensor.Parser.ParseFrom(proto.ToByteArray()));
        Assert.Equal(tensor.Describe(), back.Describe());
        if (type == DataType.String) Assert.Equal(tensor.Strings().ToArray(), back.Strings().ToArray());
        else Assert.Equal(tensor.RawBytes.ToArray(), back.RawBytes.ToArray());
    }

    [Fact]
    public void FromTensor_WritesRawDataLittleEndian()
    {
        var proto = OnnxTensors.FromTensor(Caffe2Sharp.Runtime.Tensor.From<int>([0x01020304, -1], 2), "t");
        Assert.Equal([4, 3, 2, 1, 255, 255, 255, 255], proto.RawData.ToByteArray());
        Assert.Equal((int)OnnxType.Int32, proto.DataType);
    }
}
