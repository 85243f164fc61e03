using Google.Protobuf;

namespace Caffe2Sharp.Schema.Tests.Proto;

public class ArgumentHelperTests
{
    private static OperatorDef Op() => OperatorDef.Create("T", "t", [], []);

    [Fact]
    public void GetSingleArgument_Absent_ReturnsDefault()
    {
        Assert.Equal(0.01f, Op().GetSingleArgument("alpha", 0.01f));
        Assert.False(Op().HasArgument("alpha"));
    }

    [Fact]
    public void MakeArgument_UsesCaffe2Fields()
    {
        Assert.True(ArgumentHelper.MakeArgument("f", 1.5f).HasF);
        Assert.True(ArgumentHelper.MakeArgument("d", 1.5).HasF);
        Assert.Equal(7, ArgumentHelper.MakeArgument("i", 7).I);
        Assert.Equal(1, ArgumentHelper.MakeArgument("b", true).I);
        Assert.Equal("s", ArgumentHelper.MakeArgument("s", "s").S.ToStringUtf8());
        Assert.Equal([1f, 2f], ArgumentHelper.MakeRepeatedArgument("fs", new[] { 1f, 2f }).Floats);
        Assert.Equal([3L], ArgumentHelper.MakeRepeatedArgument("is", new[] { 3 }).Ints);
        Assert.Throws<ArgumentException>(() => ArgumentHelper.MakeArgument("x", DateTime.Now));
    }

    [Fact]
    public void GetSingleArgument_ReadsEachType()
    {
        var op = Op().SetArgument("f", 0.25f).SetArgument("i", 42L).SetArgument("s", "hello").SetArgument("b", true)
            .SetArgument("n", new NetDef { Name = "inner" });
        Assert.Equal(0.25f, op.GetSingleArgument("f", 0f));
        Assert.Equal(0.25, op.GetSingleArgument("f", 0.0));
        Assert.Equal(42, op.GetSingleArgument("i", 0));
        Assert.Equal(42L, op.GetSingleArgument("i", 0L));
        Assert.Equal((byte)42, op.GetSingleArgument("i", (byte)0));
        Assert.Equal("hello", op.GetSingleArgument("s", ""));
        Assert.True(op.GetSingleArgument("b", false));
        Assert.Equal("inner", op.GetSingleArgument<NetDef>("n", null!).Name);
    }

    [Fact]
    public void GetSingleArgument_WrongField_NamesArgumentOperatorAndFields()
    {
        var op = Op().SetArgument("alpha", "x");
        var e = Assert.Throws<EnforceNotMetException>(() => op.GetSingleArgument("alpha", 0f));
        Assert.Equal("Argument 'alpha' of operator 'T' \"t\" does not have the right field: expected field f (float), found s.", e.Message);
    }

    [Fact]
    public void GetSingleArgument_IntegerForFloat_AcceptedWhenExact()
    {
        Assert.Equal(2f, Op().SetArgument("alpha", 2).GetSingleArgument("alpha", 0f));
        var e = Assert.Throws<EnforceNotMetException>(() => Op().SetArgument("alpha", (1L << 40) + 1).GetSingleArgument("alpha", 0f));
        Assert.Contains("no exact Single value", e.Message);
        Assert.Throws<EnforceNotMetException>(() => Op().SetArgument("alpha", long.MinValue).GetSingleArgument("alpha", 0f));
    }

    [Fact]
    public void GetSingleArgument_FloatForInt_IsRejected()
    {
        Assert.Throws<EnforceNotMetException>(() => Op().SetArgument("axis", 1.0f).GetSingleArgument("axis", 0));
    }

    [Fact]
    public void GetSingleArgument_OutOfRange_IsRejectedNotTruncated()
    {
        var op = Op().SetArgument("v", 300);
        var e = Assert.Throws<EnforceNotMetException>(() => op.GetSingleArgument("v", (byte)0));
        Assert.Contains("value 300 does not fit Byte", e.Message);
        Assert.Throws<EnforceNotMetException>(() => Op().SetArgument("v", 2).GetSingleArgument("v", false));
        Assert.Throws<EnforceNotMetException>(() => Op().SetArgument("v", long.MaxValue).GetSingleArgument("v", 0));
    }

    [Fact]
    public void GetRepeatedArgument_ReadsLists()
    {
        var op = Op().SetRepeatedArgument("shape", new long[] { 2, 3 }).SetRepeatedArgument("values", new[] { 1f, 2f })
            .SetRepeatedArgument("names", new[] { "a", "b" });
        Assert.Equal([2, 3], op.GetRepeatedArgument<int>("shape"));
        Assert.Equal([1.0, 2.0], op.GetRepeatedArgument<double>("values"));
        Assert.Equal(["a", "b"], op.GetRepeatedArgument<string>("names"));
        Assert.Empty(op.GetRepeatedArgument<long>("absent"));
        Assert.Equal([9L], op.GetRepeatedArgument<long>("absent", [9L]));
    }

    [Fact]
    public void SetArgument_ReplacesExisting()
    {
        var op = Op().SetArgument("a", 1).SetArgument("a", 2);
        Assert.Single(op.Arg);
        Assert.Equal(2, op.GetSingleArgument("a", 0));
    }

    [Fact]
    public void Describe_IsReadable()
    {
        var op = OperatorDef.Create("LeakyRelu", "relu", ["X"], ["Y"]).SetArgument("alpha", 0.2f);
        Assert.Equal("LeakyRelu \"relu\" (X) -> (Y) [alpha=0.2]", op.Describe());
        var net = new NetDef { Name = "n" };
        net.Op.Add(op);
        Assert.Contains("#0 LeakyRelu", net.Describe());
    }

    [Fact]
    public void NetDefArguments_Work()
    {
        var net = new NetDef { Name = "n" };
        net.Arg.Add(ArgumentHelper.MakeArgument("threads", 2));
        Assert.True(net.HasArgument("threads"));
        Assert.Equal(2, net.GetSingleArgument("threads", 1));
        var e = Assert.Throws<EnforceNotMetException>(() => net.GetSingleArgument("threads", ""));
        Assert.Contains("of net 'n'", e.Message);
    }

    [Fact]
    public void Bytes_RoundTrip()
    {
        var op = Op().SetArgument("raw", ByteString.CopyFrom(0, 255));
        Assert.Equal(new byte[] { 0, 255 }, op.GetSingleArgument<ByteString>("raw", ByteString.Empty).ToByteArray());
    }
}
