using Caffe2Sharp.Runtime;
using Google.Protobuf;

namespace Caffe2Sharp.Runtime.Tests.Serialization;

public class TensorProtoConverterTests
{
    public static TheoryData<Tensor> EveryStoredType() =>
    [
        Tensor.From<float>([1.5f, -0f, float.NaN, float.NegativeInfinity], 2, 2),
        Tensor.From<double>([Math.PI, -1e-300], 2),
        Tensor.From<Half>([(Half)1.5f, Half.NegativeZero, Half.MaxValue], 3),
        Tensor.From<int>([int.MinValue, int.MaxValue], 2),
        Tensor.From<long>([long.MinValue, long.MaxValue, 0], 3),
        Tensor.From<sbyte>([-128, 127], 2),
        Tensor.From<byte>([0, 255], 2),
        Tensor.From<short>([short.MinValue, short.MaxValue], 2),
        Tensor.From<ushort>([0, ushort.MaxValue], 2),
        Tensor.From<bool>([true, false, true], 3),
        Tensor.FromStrings(["x", "", "ünï"], 3),
        new Tensor(DataType.Float, 0, 3),
        Tensor.From<float>([7f]),
    ];

    [Theory]
    [MemberData(nameof(EveryStoredType))]
    public void TypedFields_RoundTripBitExact(Tensor t)
    {
        var proto = TensorProto.Parser.ParseFrom(t.ToProto("w").ToByteArray());
        Assert.Equal("w", proto.Name);
        Assert.True(t.ContentEquals(proto.ToTensor()));
    }

    [Theory]
    [MemberData(nameof(EveryStoredType))]
    public void RawData_RoundTripsBitExact(Tensor t)
    {
        var proto = t.ToProto(useRawData: true);
        if (t.DataType != DataType.String) Assert.True(proto.HasRawData);
        Assert.True(t.ContentEquals(TensorProto.Parser.ParseFrom(proto.ToByteArray()).ToTensor()));
    }

    [Fact]
    public void Float16_IsWrittenAsItsBitsInInt32Data()
    {
        var proto = Tensor.From<Half>([(Half)1.0f], 1).ToProto();
        Assert.Equal(0x3C00, proto.Int32Data[0]);
    }

    [Fact]
    public void Byte_UsesByteData()
    {
        var proto = new TensorProto { DataType = DataType.Byte, ByteData = ByteString.CopyFrom(1, 2, 3) };
        proto.Dims.Add(3);
        Assert.Equal(new byte[] { 1, 2, 3 }, proto.ToTensor().ToArray<byte>());
    }

    [Fact]
    public void Bfloat16Format_IsReadForFloat()
    {
        // 1.0f = 0x3F800000 -> bfloat16 0x3F80; -2.0f = 0xC0000000 -> 0xC000
        var proto = new TensorProto { DataType = DataType.Float, DataFormat = 1, RawData = ByteString.CopyFrom(0x80, 0x3F, 0x00, 0xC0) };
        proto.Dims.Add(2);
        Assert.Equal([1f, -2f], proto.ToTensor().ToArray<float>());
    }

    [Fact]
    public void CountMismatch_NamesTensorShapeAndField()
    {
        var proto = new TensorProto { Name = "w", DataType = DataType.Float };
        proto.Dims.Add(2);
        proto.Dims.Add(3);
        proto.FloatData.Add([1, 2, 3, 4, 5]);
        var e = Assert.Throws<EnforceNotMetException>(() => proto.ToTensor());
        Assert.Equal("TensorProto 'w': FLOAT[2, 3] needs 6 float_data, found 5.", e.Message);
    }

    [Fact]
    public void RawDataLengthMismatch_IsRejected()
    {
        var proto = new TensorProto { DataType = DataType.Int32, RawData = ByteString.CopyFrom(1, 2, 3) };
        proto.Dims.Add(1);
        Assert.Contains("needs 4 raw_data bytes, found 3", Assert.Throws<EnforceNotMetException>(() => proto.ToTensor()).Message);
    }

    [Fact]
    public void OutOfRangeNarrowValue_IsRejectedNotWrapped()
    {
        var proto = new TensorProto { DataType = DataType.Uint8 };
        proto.Dims.Add(1);
        proto.Int32Data.Add(256);
        Assert.Contains("int32_data[0] = 256 is out of range for UINT8", Assert.Throws<EnforceNotMetException>(() => proto.ToTensor()).Message);
    }

    [Fact]
    public void HugeDims_AreRejected_NotOverflowed()
    {
        var proto = new TensorProto { Name = "big", DataType = DataType.Float };
        proto.Dims.Add([4611686018427387904L, 4]);
        Assert.Contains("TensorProto 'big': FLOAT[4611686018427387904, 4] has too many elements", Assert.Throws<EnforceNotMetException>(() => proto.ToTensor()).Message);
    }

    [Fact]
    public void UndefinedType_And_Segments_AreRejected()
    {
        Assert.Throws<EnforceNotMetException>(() => new TensorProto { DataType = DataType.Undefined }.ToTensor());
        Assert.Throws<EnforceNotMetException>(() => new TensorProto { Segment = new TensorProto.Types.Segment { Begin = 0, End = 1 } }.ToTensor());
    }

    [Fact]
    public void ReadInto_FailureLeavesTheTensorUnchanged()
    {
        var t = Tensor.From<float>([1, 2], 2);
        var bad = new TensorProto { DataType = DataType.Float };
        bad.Dims.Add(3);
        Assert.Throws<EnforceNotMetException>(() => TensorProtoConverter.ReadInto(bad, t));
        Assert.Equal([1f, 2f], t.ToArray<float>());
    }

    [Fact]
    public void Bool_InByteData_OutOfRange_IsAnError()
    {
        var proto = new TensorProto { DataType = DataType.Bool, ByteData = Google.Protobuf.ByteString.CopyFrom(2, 7) };
        proto.Dims.Add(2);
        var e = Assert.Throws<EnforceNotMetException>(() => proto.ToTensor());
        Assert.Contains("BOOL byte_data holds byte 2", e.Message);
    }
}
