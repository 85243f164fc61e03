using Google.Protobuf;

namespace Caffe2Sharp.Schema.Tests.Proto;

// Field numbers and wire types come from shared/docs/caffe2-wire.md.
public class WireFormatTests
{
    private static List<(int Field, WireFormat.WireType Type, object Value)> Fields(byte[] bytes)
    {
        var list = new List<(int, WireFormat.WireType, object)>();
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            int field = WireFormat.GetTagFieldNumber(tag);
            var type = WireFormat.GetTagWireType(tag);
            object value = type switch
            {
                WireFormat.WireType.Varint => input.ReadInt64(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes().ToByteArray(),
                WireFormat.WireType.Fixed32 => input.ReadFixed32(),
                WireFormat.WireType.Fixed64 => input.ReadFixed64(),
                _ => throw new InvalidOperationException("unexpected wire type"),
            };
            list.Add((field, type, value));
        }
        return list;
    }

    [Fact]
    public void NetDef_Serialises_WithCaffe2FieldNumbers()
    {
        var net = new NetDef { Name = "n", Type = "simple", DeviceOption = new DeviceOption { DeviceType = 1, DeviceId = 3 } };
        var op = OperatorDef.Create("LeakyRelu", "relu", ["X"], ["Y"]).SetArgument("alpha", 0.2f);
        op.Engine = "E";
        op.IsGradientOp = true;
        net.Op.Add(op);
        net.ExternalInput.Add("X");
        net.ExternalOutput.Add("Y");

        var fields = Fields(net.ToByteArray());
        Assert.Equal([1, 2, 3, 5, 7, 8], fields.Select(f => f.Field));
        Assert.Equal("n", System.Text.Encoding.UTF8.GetString((byte[])fields[0].Value));
        Assert.Equal("simple", System.Text.Encoding.UTF8.GetString((byte[])fields[2].Value));

        var opFields = Fields((byte[])fields[1].Value);
        Assert.Equal([1, 2, 3, 4, 5, 7, 9], opFields.Select(f => f.Field));
        Assert.Equal("X", System.Text.Encoding.UTF8.GetString((byte[])opFields[0].Value));
        Assert.Equal("LeakyRelu", System.Text.Encoding.UTF8.GetString((byte[])opFields[3].Value));
        Assert.Equal(1L, opFields[6].Value); // is_gradient_op = 9, varint 1

        var argFields = Fields((byte[])opFields[4].Value);
        Assert.Equal(1, argFields[0].Field);
        Assert.Equal((2, WireFormat.WireType.Fixed32), (argFields[1].Field, argFields[1].Type));
        Assert.Equal(BitConverter.SingleToUInt32Bits(0.2f), (uint)argFields[1].Value);

        var dev = Fields((byte[])fields[3].Value);
        Assert.Equal([(1, 1L), (2, 3L)], dev.Select(f => (f.Field, (long)f.Value)));
    }

    [Fact]
    public void TensorProto_FloatData_IsPacked_DimsAreUnpacked()
    {
        var t = new TensorProto { DataType = TensorProto.Types.DataType.Float, Name = "w" };
        t.Dims.Add(2);
        t.Dims.Add(1);
        t.FloatData.Add([1f, 2f]);
        var fields = Fields(t.ToByteArray());
        // dims=1 unpacked (two varint tags), data_type=2, float_data=3 packed (one length-delimited), name=7.
        Assert.Equal([(1, WireFormat.WireType.Varint), (1, WireFormat.WireType.Varint), (2, WireFormat.WireType.Varint),
                      (3, WireFormat.WireType.LengthDelimited), (7, WireFormat.WireType.LengthDelimited)],
                     fields.Select(f => (f.Field, f.Type)));
        Assert.Equal(8, ((byte[])fields[3].Value).Length);
    }

    [Fact]
    public void HandEncodedBytes_DecodeIntoTheRightNetDef()
    {
        // NetDef { name: "hand" op { input: "X" output: "Y" type: "Relu" arg { name: "a" ints: 1 ints: 2 } } external_input: "X" }
        byte[] arg = [0x0A, 0x01, (byte)'a', 0x30, 0x01, 0x30, 0x02];             // name=1, ints=6 unpacked x2
        byte[] op = [0x0A, 0x01, (byte)'X', 0x12, 0x01, (byte)'Y', 0x22, 0x04, (byte)'R', (byte)'e', (byte)'l', (byte)'u',
                     0x2A, (byte)arg.Length, .. arg];
        byte[] net = [0x0A, 0x04, (byte)'h', (byte)'a', (byte)'n', (byte)'d', 0x12, (byte)op.Length, .. op, 0x3A, 0x01, (byte)'X'];
        var def = NetDef.Parser.ParseFrom(net);
        Assert.Equal("hand", def.Name);
        Assert.Single(def.Op);
        Assert.Equal("Relu", def.Op[0].Type);
        Assert.Equal(["X"], def.Op[0].Input);
        Assert.Equal(["Y"], def.Op[0].Output);
        Assert.Equal([1L, 2L], def.Op[0].GetRepeatedArgument<long>("a"));
        Assert.Equal(["X"], def.ExternalInput);
        Assert.False(def.HasType);
    }

    [Fact]
    public void PackedInts_AreAcceptedToo()
    {
        byte[] arg = [0x0A, 0x01, (byte)'a', 0x32, 0x02, 0x05, 0x07]; // ints=6 packed [5, 7]
        var a = Argument.Parser.ParseFrom(arg);
        Assert.Equal([5L, 7L], a.Ints);
    }

    [Fact]
    public void RoundTrip_PreservesEveryField()
    {
        var net = new NetDef { Name = "rt", NumWorkers = 2 };
        var op = OperatorDef.Create("Op", "o", ["a"], ["b"]);
        op.ControlInput.Add("c");
        op.DebugInfo = "dbg";
        op.Domain = "caffe2";
        op.OpVersion = 7;
        op.DeviceOption = new DeviceOption { RandomSeed = 9, NodeName = "node", NumaNodeId = 1 };
        op.DeviceOption.ExtraInfo.Add("x:1");
        net.Op.Add(op);
        net.PartitionInfo.Add(new PartitionInfo { Name = "p", ExtraInfo = "e" });
        net.Arg.Add(ArgumentHelper.MakeArgument("k", "v"));
        var back = NetDef.Parser.ParseFrom(net.ToByteArray());
        Assert.Equal(net, back);
    }

    [Fact]
    public void TruncatedBytes_Throw()
    {
        var bytes = new NetDef { Name = "abcdef" }.ToByteArray();
        Assert.Throws<InvalidProtocolBufferException>(() => NetDef.Parser.ParseFrom(bytes.AsSpan(0, bytes.Length - 2).ToArray()));
    }
}
