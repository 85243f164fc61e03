using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Nets;

public class NetRegistryTests
{
    private static NetDef Net(string name, string type, params OperatorDef[] ops)
    {
        var n = new NetDef { Name = name, Type = type };
        n.Op.AddRange(ops);
        return n;
    }

    /// <summary>An executor that counts its runs and then runs the ops like simple.</summary>
    private sealed class CountingNet(NetDef def, IReadOnlyList<OperatorBase> ops, Workspace ws) : NetBase(def, ops)
    {
        public Workspace Workspace { get; } = ws;
        public int Runs { get; private set; }

        public override void Run()
        {
            Runs++;
            for (int k = 0; k < Operators.Count; k++) RunOperator(Operators[k], k);
        }
    }

    [Fact]
    public void NewRegistry_HasSimpleAndCaffe2TypesAsAliases()
    {
        var r = new NetRegistry();
        Assert.Equal([.. NetRegistry.CaffeNetTypes.Append("simple").Order(StringComparer.Ordinal)], r.Types);
        Assert.Null(r.AliasTarget("simple"));
        foreach (var t in NetRegistry.CaffeNetTypes) Assert.Equal("simple", r.AliasTarget(t));
    }

    [Theory]
    [InlineData("")]
    [InlineData("simple")]
    [InlineData("dag")]
    [InlineData("async_scheduling")]
    public void CreateNet_EmptySimpleAndAliases_RunAsSimpleNet(string type)
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 3 });
        var net = ws.CreateNet(Net("n", type, TestOps.Scale("X", "Y")));
        Assert.IsType<SimpleNet>(net);
        net.Run();
        Assert.Equal([6f], ws.FetchBlob<float>("Y"));
    }

    [Fact]
    public void UnknownType_NamesTheNet_AndListsKnownTypes()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.FeedBlob("X", new float[] { 1 });
        var e = Assert.Throws<EnforceNotMetException>(() => ws.CreateNet(Net("n", "dagg", TestOps.Scale("X", "Y"))));
        Assert.StartsWith("net 'n': unknown net type 'dagg'. Did you mean: dag", e.Message);
        Assert.Contains("Known types: async_dag (runs as simple), ", e.Message);
        Assert.Contains(", simple, singlethread_async (runs as simple).", e.Message);
        Assert.Empty(ws.Nets);
        Assert.Equal(["X"], ws.Blobs); // nothing created: the type is resolved before any op
    }

    [Fact]
    public void RegisteringARealExecutor_ReplacesTheAlias_AndGetsOpsAndWorkspace()
    {
        var ws = new Workspace(TestOps.Catalog());
        ws.Catalog.Nets.Register("dag", (def, ops, w) => new CountingNet(def, ops, w));
        Assert.Null(ws.Catalog.Nets.AliasTarget("dag"));
        ws.FeedBlob("X", new float[] { 1 });
        var net = Assert.IsType<CountingNet>(ws.CreateNet(Net("n", "dag", TestOps.Scale("X", "Y"), TestOps.Scale("Y", "Z"))));
        Assert.Same(ws, net.Workspace);
        Assert.Equal(["Scale", "Scale"], net.Operators.Select(o => o.Type));
        ws.RunNet("n");
        Assert.Equal(1, net.Runs);
        Assert.Equal([4f], ws.FetchBlob<float>("Z"));
        Assert.IsType<SimpleNet>(ws.CreateNet(Net("m", "prof_dag", TestOps.Scale("X", "Y")))); // other aliases unchanged
    }

    [Fact]
    public void DuplicateRegistration_NamesBothSites()
    {
        var r = new NetRegistry();
        r.Register("mine", (d, o, w) => new SimpleNet(d, o));
        var e = Assert.Throws<InvalidOperationException>(() => r.Register("mine", (d, o, w) => new SimpleNet(d, o)));
        Assert.Matches(@"^Net type 'mine' is registered twice: first at .*NetRegistryTests\.cs:\d+, again at .*NetRegistryTests\.cs:\d+\.$", e.Message);
        var simple = Assert.Throws<InvalidOperationException>(() => r.Register("simple", (d, o, w) => new SimpleNet(d, o)));
        Assert.Contains("NetRegistry.cs:", simple.Message); // the built-in registration site
        r.Register("dag", (d, o, w) => new SimpleNet(d, o));
        Assert.Throws<InvalidOperationException>(() => r.Register("dag", (d, o, w) => new SimpleNet(d, o)));
    }

    [Fact]
    public void Alias_OfUnknownTarget_OrDuplicate_IsRejected()
    {
        var r = new NetRegistry();
        Assert.Contains("'nothing' is not a registered executor", Assert.Throws<InvalidOperationException>(() => r.RegisterAlias("x", "nothing")).Message);
        Assert.Contains("'dag' is not a registered executor", Assert.Throws<InvalidOperationException>(() => r.RegisterAlias("x", "dag")).Message);
        Assert.Contains("registered twice", Assert.Throws<InvalidOperationException>(() => r.RegisterAlias("dag", "simple")).Message);
        r.RegisterAlias("x", "simple");
        Assert.True(r.Contains("x"));
    }
}
