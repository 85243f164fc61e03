using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Runtime.Tests.Optimization;

/// <summary>The optimiser's framework (pass registry, protected names) and the memory planner, on the test ops.</summary>
public class InferenceOptimizerTests
{
    // X -> A -> B -> C -> Y, each a Scale by 2: A lives over ops 0-1, B 1-2, C 2-3, so A and C
    // can share a buffer and B cannot share with either.
    private static NetDef Chain()
    {
        var n = new NetDef { Name = "chain" };
        n.Op.Add(TestOps.Scale("X", "A"));
        n.Op.Add(TestOps.Scale("A", "B"));
        n.Op.Add(TestOps.Scale("B", "C"));
        n.Op.Add(TestOps.Scale("C", "Y"));
        n.ExternalInput.Add("X");
        n.ExternalOutput.Add("Y");
        return n;
    }

    private static Tensor F(params float[] values) => Tensor.From(values);

    private static Runtime.Predictor NewPredictor(NetDef net, PredictorOptions? options = null) =>
        new(TestOps.Catalog(), new NetDef { Name = "init" }, net, options);

    [Fact]
    public void MemoryPlanner_SharesBuffersOfBlobsWhoseLifetimesDoNotOverlap()
    {
        var p = NewPredictor(Chain());
        var run = p.RunNetDef;
        string shared = MemoryPlanner.SharedPrefix + "0";
        Assert.Equal(["X"], run.Op[0].Input);
        Assert.Equal([shared], run.Op[0].Output);
        Assert.Equal(["B"], run.Op[1].Output); // alone on its buffer: keeps its name
        Assert.Equal([shared], run.Op[2].Output);
        Assert.Equal(["Y"], run.Op[3].Output);
        // No op reads the buffer it writes (inputs and outputs never share).
        foreach (var op in run.Op) Assert.Empty(op.Input.Intersect(op.Output));
        Assert.Equal([(MemoryPlanner.Name, 2)], p.AppliedOptimizations);
        Assert.Equal([16f, 32f], Assert.Single(p.Run(F(1f, 2f))).ToArray<float>());
        Assert.Equal([4f, 8f], p.Fetch("B").ToArray<float>());
    }

    [Fact]
    public void FetchingAReusedBlob_IsAnError_NeverStaleData_AndKeepBlobsKeepsIt()
    {
        var p = NewPredictor(Chain());
        p.Run(F(1f));
        var e = Assert.Throws<EnforceNotMetException>(() => p.Fetch("A"));
        Assert.Equal("Predictor of net 'chain': blob 'A' is not kept by the optimised net: its buffer is reused (__shared_0) once its last reader has run. " +
            "Name it in PredictorOptions.KeepBlobs (the CLI's --output does) or set PredictorOptions.Optimize = false.", e.Message);
        Assert.Contains("C", p.RemovedBlobs.Keys);

        var kept = NewPredictor(Chain(), new PredictorOptions { KeepBlobs = ["A"] });
        kept.Run(F(1f, 3f));
        Assert.Equal([2f, 6f], kept.Fetch("A").ToArray<float>());
        Assert.DoesNotContain("A", kept.RemovedBlobs.Keys);

        var plain = NewPredictor(Chain(), new PredictorOptions { Optimize = false });
        plain.Run(F(1f));
        Assert.Equal([2f], plain.Fetch("A").ToArray<float>());
        Assert.Empty(plain.AppliedOptimizations);
        Assert.Equal(Chain().Op, plain.RunNetDef.Op);
    }

    [Fact]
    public void KeepBlobs_NamingABlobTheNetDoesNotHave_IsAnError()
    {
        var e = Assert.Throws<EnforceNotMetException>(() => NewPredictor(Chain(), new PredictorOptions { KeepBlobs = ["Q"] }));
        Assert.Equal("Predictor of net 'chain': PredictorOptions.KeepBlobs names 'Q', which the net neither reads nor writes.", e.Message);
    }

    [Fact]
    public void InPlaceChains_ShareAsOneBlob_AndAreNotSplit()
    {
        // A is written by op 0 and in place by op 1, read by op 2: one lifetime 0-2.
        var n = new NetDef { Name = "inplace" };
        n.Op.Add(TestOps.Scale("X", "A"));
        n.Op.Add(TestOps.Scale("A", "A"));
        n.Op.Add(TestOps.Scale("A", "B"));
        n.Op.Add(TestOps.Scale("B", "C"));
        n.Op.Add(TestOps.Scale("C", "Y"));
        n.ExternalInput.Add("X");
        n.ExternalOutput.Add("Y");
        var p = NewPredictor(n);
        var run = p.RunNetDef;
        Assert.Equal(run.Op[0].Output, run.Op[1].Input);
        Assert.Equal(run.Op[1].Input, run.Op[1].Output);
        // A (ops 0-2) overlaps B (2-3) but not C (3-4): A, its in-place write and C share one buffer.
        Assert.Equal(MemoryPlanner.SharedPrefix + "0", run.Op[2].Input[0]);
        Assert.Equal(run.Op[2].Input[0], run.Op[3].Output[0]);
        Assert.Equal("B", run.Op[2].Output[0]);
        Assert.Equal([64f], Assert.Single(p.Run(F(2f))).ToArray<float>());
    }

    [Fact]
    public void NetsWithSubNets_AreNotPlanned()
    {
        var n = Chain();
        n.Op[1].Arg.Add(new Argument { Name = "net", N = new NetDef { Name = "sub" } });
        var context = new NetPassContext(n, new Workspace(TestOps.Catalog()), ["X", "Y"]);
        Assert.Equal(0, MemoryPlanner.Plan(context));
        Assert.Equal("A", context.Net.Op[0].Output[0]);
    }

    private sealed class RemoveFirst(string type, string name) : INetPass
    {
        public string Name => name;
        public List<int> Calls { get; } = [];

        public int Apply(NetPassContext context)
        {
            int k = context.Net.Op.ToList().FindIndex(op => op.Type == type);
            Calls.Add(context.Net.Op.Count);
            if (k < 0) return 0;
            context.Net.Op.RemoveAt(k);
            return 1;
        }
    }

    [Fact]
    public void Passes_RunUntilNoneFindsAnything_AndADuplicateNameNamesBothSites()
    {
        var catalog = TestOps.Catalog();
        var dropFail = new RemoveFirst("Fail", "drop Fail");
        catalog.Passes.Add(dropFail);
        var net = Chain();
        net.Op.Insert(1, OperatorDef.Create("Fail", "", ["A"], []));
        net.Op.Insert(3, OperatorDef.Create("Fail", "", ["B"], []));
        var result = InferenceOptimizer.Optimize(catalog, net, new Workspace(catalog), ["X", "Y"], planMemory: false);
        Assert.Equal([6, 5, 4, 4], dropFail.Calls); // two rewrites, a miss, then a whole round of misses
        Assert.Equal([("drop Fail", 2)], result.Applied);
        Assert.Equal(6, net.Op.Count); // the caller's net is not changed
        Assert.Equal(4, result.Net.Op.Count);

        var e = Assert.Throws<InvalidOperationException>(() => catalog.Passes.Add(new RemoveFirst("Scale", "drop Fail")));
        Assert.Matches(@"^Net pass 'drop Fail' is registered twice: first at .*InferenceOptimizerTests\.cs:\d+, again at .*InferenceOptimizerTests\.cs:\d+\.$", e.Message);
    }

    [Fact]
    public void AddConstant_PicksAFreshName_AndNeverWritesTheWeights()
    {
        var weights = new Workspace(TestOps.Catalog());
        weights.FeedBlob("W_fold", new float[] { 1 });
        var constants = new Workspace(weights);
        var context = new NetPassContext(Chain(), constants, ["X", "Y"]);
        string name = context.AddConstant("W_fold", F(5f));
        Assert.Equal("W_fold_1", name);
        Assert.Equal([1f], weights.FetchBlob<float>("W_fold"));
        Assert.Equal([5f], constants.FetchBlob<float>(name));
        Assert.Contains(name, context.Net.ExternalInput);
        Assert.False(context.IsConstant("X")); // protected
        Assert.True(context.IsConstant("W_fold"));
    }
}
