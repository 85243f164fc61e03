using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Schema.Tests.Builders;

public class NetBuilderTests
{
    [Fact]
    public void Build_ProducesTheDeclaredNet()
    {
        var net = new NetBuilder("n").ExternalInput("X").Type("dag")
            .Op("Relu", ["X"], ["Y"], "r", ArgumentHelper.MakeArgument("k", 1))
            .ExternalOutput("Y").Argument("intra_op_num_threads", 2).Build();
        Assert.Equal("n", net.Name);
        Assert.Equal("dag", net.Type);
        Assert.Equal(["X"], net.ExternalInput);
        Assert.Equal(["Y"], net.ExternalOutput);
        Assert.Equal("Relu \"r\" (X) -> (Y) [k=1]", net.Op.Single().Describe());
        Assert.Equal(2, net.GetSingleArgument("intra_op_num_threads", 0));
    }

    [Fact]
    public void Build_ReturnsACopy_BuilderKeepsGoing()
    {
        var b = new NetBuilder("n").Op("A", [], ["a"]);
        var first = b.Build();
        b.Op("B", ["a"], ["b"]);
        Assert.Single(first.Op);
        Assert.Equal(2, b.Build().Op.Count);
        Assert.Equal(2, b.OpCount);
    }

    [Fact]
    public void Op_WithoutType_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new NetBuilder().Op("", [], []));
    }
}
