using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Proto;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>
/// The inference passes that remove what an ONNX round trip adds: a Copy (ONNX's Identity) whose
/// copy nothing needs, and a Flatten at axis 1 before an FC (which flattens at axis 1 itself);
/// each when it applies and when it must not, against the unoptimised net.
/// </summary>
public class FoldFlattenIntoFCAndDropCopyTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    private static NetDef Init()
    {
        var init = new NetDef { Name = "init" };
        init.Op.Add(OperatorDef.Create("GivenTensorFill", "", [], ["w"]).SetRepeatedArgument("shape", new long[] { 5, 12 })
            .SetRepeatedArgument("values", Enumerable.Range(0, 60).Select(i => MathF.Sin(i * 0.3f)).ToArray()));
        init.Op.Add(OperatorDef.Create("GivenTensorFill", "", [], ["b"]).SetRepeatedArgument("shape", new long[] { 5 })
            .SetRepeatedArgument("values", Enumerable.Range(0, 5).Select(i => 0.1f * i).ToArray()));
        return init;
    }

    private static NetDef Net(string[] outputs, params OperatorDef[] ops)
    {
        var net = new NetDef { Name = "net" };
        net.ExternalInput.AddRange(["x", "w", "b"]);
        net.ExternalOutput.AddRange(outputs);
        net.Op.AddRange(ops);
        return net;
    }

    // Runs the net optimised and not; every output must agree bit for bit. Returns the optimised op types.
    private static string[] RunBothWays(NetDef net)
    {
        var x = Tensor.From<float>([.. Enumerable.Range(0, 24).Select(i => MathF.Cos(i * 0.9f))], 2, 3, 2, 2);
        var plain = new Predictor(Catalog, Init(), net, new PredictorOptions { Optimize = false });
        var optimised = new Predictor(Catalog, Init(), net);
        var a = plain.Run(new Dictionary<string, Tensor> { ["x"] = x });
        var b = optimised.Run(new Dictionary<string, Tensor> { ["x"] = x });
        foreach (var name in net.ExternalOutput)
        {
            Assert.Equal(a[name].Describe(), b[name].Describe());
            Assert.Equal(a[name].ToArray<float>(), b[name].ToArray<float>());
        }
        return [.. optimised.RunNetDef.Op.Select(o => o.Type)];
    }

    [Fact]
    public void FlattenAtAxis1BeforeFC_IsFolded()
    {
        var types = RunBothWays(Net(["y"],
            OperatorDef.Create("Copy", "", ["x"], ["c"]),
            OperatorDef.Create("Flatten", "", ["c"], ["f"]),
            OperatorDef.Create("FC", "", ["f", "w", "b"], ["y"])));
        Assert.Equal(["FCTransposed"], types);
    }

    [Fact]
    public void FlattenAtAnotherAxis_OrReadTwice_OrAnOutput_IsKept()
    {
        // At axis 2 the FC's output dims would differ ([6, 5] against [2, 3, 5]) : kept.
        var axis2 = Net(["y"],
            OperatorDef.Create("Flatten", "", ["x"], ["f"]).SetArgument("axis", 2),
            OperatorDef.Create("Reshape", "", ["f"], ["g", "old"]).SetRepeatedArgument("shape", new long[] { 2, 12 }),
            OperatorDef.Create("FC", "", ["g", "w", "b"], ["y"]));
        Assert.Contains("Flatten", RunBothWays(axis2));
        var readTwice = Net(["y", "z"],
            OperatorDef.Create("Flatten", "", ["x"], ["f"]),
            OperatorDef.Create("FC", "", ["f", "w", "b"], ["y"]),
            OperatorDef.Create("Relu", "", ["f"], ["z"]));
        Assert.Contains("Flatten", RunBothWays(readTwice));
        var output = Net(["y", "f"],
            OperatorDef.Create("Flatten", "", ["x"], ["f"]),
            OperatorDef.Create("FC", "", ["f", "w", "b"], ["y"]));
        Assert.Contains("Flatten", RunBothWays(output));
    }

    [Fact]
    public void ACopyThatIsAnOutput_OrWhoseSourceIsRewritten_IsKept()
    {
        // y is the net's output: its Copy stays.
        Assert.Contains("Copy", RunBothWays(Net(["y"], OperatorDef.Create("Relu", "", ["x"], ["r"]), OperatorDef.Create("Copy", "", ["r"], ["y"]))));
        // r is written again after the Copy, so c must keep r's old value.
        var rewritten = Net(["s"],
            OperatorDef.Create("Relu", "", ["x"], ["r"]),
            OperatorDef.Create("Copy", "", ["r"], ["c"]),
            OperatorDef.Create("Sigmoid", "", ["r"], ["r"]),
            OperatorDef.Create("Sum", "", ["c", "r"], ["s"]));
        Assert.Contains("Copy", RunBothWays(rewritten));
    }

    [Fact]
    public void ADroppedCopy_IsNamedWhenItsBlobIsFetched()
    {
        var net = Net(["y"], OperatorDef.Create("Copy", "", ["x"], ["c"]), OperatorDef.Create("Relu", "", ["c"], ["y"]));
        var p = new Predictor(Catalog, Init(), net);
        Assert.Contains(p.AppliedOptimizations, a => a.Pass == "drop Copy");
        Assert.Contains("Copy #0 was dropped", p.RemovedBlobs["c"]);
    }
}
