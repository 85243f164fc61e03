using Caffe2Sharp.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Runtime.Tests.DependencyInjection;

public class DependencyInjectionTests
{
    [Fact]
    public void AddCaffe2Sharp_WithPack_BuildsCatalogAndWorkspaces()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddOperatorPack("test", TestOps.Register);
        using var sp = services.BuildServiceProvider();
        var catalog = sp.GetRequiredService<OperatorCatalog>();
        Assert.Same(catalog, sp.GetRequiredService<OperatorCatalog>());
        Assert.NotNull(catalog.Schemas.Find("Scale"));
        var ws1 = sp.GetRequiredService<Workspace>();
        var ws2 = sp.GetRequiredService<Workspace>();
        Assert.NotSame(ws1, ws2);
        Assert.Same(catalog, ws1.Catalog);
        ws1.FeedBlob("X", new float[] { 4 });
        ws1.RunOperatorOnce(TestOps.Scale("X", "Y"));
        Assert.Equal([8f], ws1.FetchBlob<float>("Y"));
    }

    [Fact]
    public void AddCaffe2Sharp_IsIdempotent()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddOperatorPack("test", TestOps.Register);
        int count = services.Count;
        services.AddCaffe2Sharp();
        Assert.Equal(count, services.Count);
        using var sp = services.BuildServiceProvider();
        Assert.Single(sp.GetServices<OperatorCatalog>());
    }

    [Fact]
    public void SamePackTwice_IsANoOp()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddOperatorPack("test", TestOps.Register).AddOperatorPack("test", TestOps.Register);
        Assert.Single(services, d => d.ServiceType == typeof(OperatorPackRegistration));
        using var sp = services.BuildServiceProvider();
        Assert.NotNull(sp.GetRequiredService<OperatorCatalog>().Schemas.Find("Fill")); // registered once, no duplicate error
    }

    private sealed class TestPack : IOperatorPack
    {
        public string Name => "test-pack";
        public void Register(OperatorCatalog catalog) => TestOps.Register(catalog);
    }

    [Fact]
    public void SameOperatorPackType_AddedTwice_IsANoOp_EvenFromTwoInstances()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddOperatorPack(new TestPack()).AddOperatorPack(new TestPack());
        Assert.Single(services, d => d.ServiceType == typeof(OperatorPackRegistration));
        using var sp = services.BuildServiceProvider();
        Assert.True(sp.GetRequiredService<OperatorCatalog>().Operators.Contains("Fill"));
    }

    [Fact]
    public void DifferentPackUnderTheSameName_IsAnErrorNamingBothSites()
    {
        var services = new ServiceCollection();
        var builder = services.AddCaffe2Sharp().AddOperatorPack("test", TestOps.Register);
        var e = Assert.Throws<InvalidOperationException>(() => builder.AddOperatorPack("test", _ => { }));
        Assert.Contains("Operator pack 'test' is added twice with different registrations", e.Message);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(e.Message, "DependencyInjectionTests.cs:").Count);
    }

    [Fact]
    public void TheRuntimePool_IsOneSingleton_SizedByOptions_AndSharedByWorkspaces()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp(o => o with { ThreadCount = 3 }).AddOperatorPack("test", TestOps.Register);
        using var sp = services.BuildServiceProvider();
        var a = sp.GetRequiredService<Workspace>();
        var b = sp.GetRequiredService<Workspace>();
        Assert.NotSame(a, b);
        Assert.Same(a.Pool, b.Pool);
        Assert.Equal(3, a.Pool.MaxDegreeOfParallelism);
        Assert.Equal(3, a.IntraOpThreads);
    }

    [Fact]
    public void TwoPacksRegisteringTheSameOperator_FailWithBothSites()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddOperatorPack("a", TestOps.Register).AddOperatorPack("b", TestOps.Register);
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<OperatorCatalog>());
        Assert.Contains("Operator pack 'b'", e.Message);
        Assert.Contains("registered twice", e.Message);
        Assert.Contains("TestOps.cs:", e.Message);
    }

    [Fact]
    public void Registries_WorkWithoutAContainer()
    {
        var catalog = new OperatorCatalog().Add(TestOps.Register);
        var ws = new Workspace(catalog);
        ws.FeedBlob("X", new float[] { 1 });
        ws.RunOperatorOnce(TestOps.Scale("X", "Y", 5));
        Assert.Equal([5f], ws.FetchBlob<float>("Y"));
        Assert.Contains(catalog.Operators.Keys, k => k.Type == "Scale" && k.DeviceType == 0 && k.Engine == "");
    }

    [Fact]
    public void DuplicateKernelRegistration_NamesBothSites()
    {
        var reg = new OperatorRegistry();
        reg.Register("Op", (d, w) => null!, file: "a.cs", line: 1);
        var e = Assert.Throws<InvalidOperationException>(() => reg.Register("Op", (d, w) => null!, file: "b.cs", line: 2));
        Assert.Contains("a.cs:1", e.Message);
        Assert.Contains("b.cs:2", e.Message);
        reg.Register("Op", (d, w) => null!, engine: "FAST"); // another engine is a different key
    }
}
