using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.EndToEnd;

/// <summary>Real init nets written by Caffe2 tools run through a Workspace built by DI.</summary>
public class RealNetTests
{
    private static Workspace NewWorkspace()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddFillOperators();
        return services.BuildServiceProvider().GetRequiredService<Workspace>();
    }

    [SkippableFact]
    public void MnistInitNet_RunsAndProducesEveryWeight()
    {
        var init = NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path("mnist-lenet", "init_net.pb")));
        var ws = NewWorkspace();
        ws.RunNetOnce(init);
        Assert.Equal([20L, 1, 5, 5], ws.FetchBlob("2").Shape);
        Assert.Equal([500L, 800], ws.FetchBlob("6").Shape);
        Assert.Equal([10L], ws.FetchBlob("9").Shape);
        long total = new[] { "2", "3", "4", "5", "6", "7", "8", "9" }.Sum(b => ws.FetchBlob(b).Size);
        Assert.Equal(431_080, total);
        // Bit-exact against the values in the file.
        Assert.Equal(init.Op[0].GetRepeatedArgument<float>("values"), ws.FetchBlob<float>("2"));
    }

    [SkippableFact]
    public void SqueezenetInitNet_RunsIncludingConstantFill()
    {
        var init = NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path("squeezenet", "init_net.pb")));
        var ws = NewWorkspace();
        ws.RunNetOnce(init);
        Assert.Equal(53, ws.Blobs.Count);
        var constant = init.Op.Single(o => o.Type == "ConstantFill");
        var t = ws.FetchBlob(constant.Output[0]);
        Assert.Equal(constant.GetRepeatedArgument<long>("shape"), t.Shape);
        Assert.All(t.ToArray<float>(), v => Assert.Equal(constant.GetSingleArgument("value", 0f), v));
    }

    [SkippableFact]
    public void MnistPredictNet_NeedsOperatorsWeLack_AndSaysWhich()
    {
        var ws = NewWorkspace();
        ws.RunNetOnce(NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path("mnist-lenet", "init_net.pb"))));
        ws.FeedBlob<float>("1", new float[28 * 28], 1, 1, 28, 28);
        var predict = NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path("mnist-lenet", "predict_net.pb")));
        var blobsBefore = ws.Blobs;
        var e = Assert.Throws<OperatorException>(() => ws.CreateNet(predict));
        Assert.Equal(0, e.OpIndex);
        Assert.Contains("Unknown operator type 'Conv'", e.Message);
        Assert.Equal(blobsBefore, ws.Blobs);
    }

    public static TheoryData<string> InitNets() => TestData.Caffe2NetFiles("*init_net.pb*");

    [SkippableTheory]
    [MemberData(nameof(InitNets))]
    public void RealInitNets_FillOperators_HaveNoUndeclaredArguments(string relative)
    {
        // Every argument real Caffe2 init nets put on fill operators is one the fills read.
        var net = ProtoFile.ReadNetDef(TestData.Path(relative));
        var schemas = new OperatorCatalog().Add(FillOperators.Register).Schemas;
        foreach (var op in net.Op)
        {
            var schema = schemas.Find(op.Type);
            if (schema is null) continue;
            var result = schema.VerifyWithWarnings(op);
            Assert.Null(result.Error);
            Assert.Empty(result.Warnings);
        }
    }
}
