using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Proto;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>
/// The inference pass that folds a test-mode SpatialBN into the Conv before it, through the
/// <see cref="Predictor"/>: when it applies (ops after the SpatialBN may write its output in
/// place, as ResNet's Relu and residual Sum do) and when it must not (an op between the two
/// writes that output), each against the unoptimised net.
/// </summary>
public class FoldSpatialBNIntoConvTests
{
    private const string Pass = "fold SpatialBN into Conv";
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    [Fact]
    public void Fold_LaterOpsWriteTheOutputInPlace_FoldsAndMatchesTheUnoptimisedNet()
    {
        var net = Net(
            OperatorDef.Create("Conv", "", ["x", "w", "b"], ["c"]).SetArgument("kernel", 3).SetArgument("pad", 1),
            OperatorDef.Create("SpatialBN", "", ["c", "s", "bias", "mean", "var"], ["y"]).SetArgument("is_test", 1),
            OperatorDef.Create("Relu", "", ["y"], ["y"]),
            OperatorDef.Create("Sum", "", ["y", "z"], ["y"]));
        var applied = RunBothWays(net);
        Assert.Contains((Pass, 1), applied);
    }

    [Fact]
    public void Fold_AnOpBetweenWritesTheOutput_DoesNotFold()
    {
        var net = Net(
            OperatorDef.Create("Conv", "", ["x", "w", "b"], ["c"]).SetArgument("kernel", 3).SetArgument("pad", 1),
            OperatorDef.Create("Copy", "", ["z"], ["y"]),
            OperatorDef.Create("SpatialBN", "", ["c", "s", "bias", "mean", "var"], ["y"]).SetArgument("is_test", 1));
        var applied = RunBothWays(net);
        Assert.DoesNotContain(applied, a => a.Pass == Pass);
    }

    private static NetDef Net(params OperatorDef[] ops)
    {
        var net = new NetDef { Name = "fold" };
        net.ExternalInput.AddRange(["x", "z", "w", "b", "s", "bias", "mean", "var"]);
        net.ExternalOutput.Add("y");
        net.Op.AddRange(ops);
        return net;
    }

    // Non-trivial statistics, so a wrong fold shows: x [1, 3, 5, 5], 4 filters 3x3.
    private static NetDef Init()
    {
        var init = new NetDef { Name = "init" };
        void Fill(string name, long[] shape, Func<int, float> value)
        {
            int n = (int)shape.Aggregate(1L, (a, b) => a * b);
            init.Op.Add(OperatorDef.Create("GivenTensorFill", "", [], [name])
                .SetRepeatedArgument("shape", shape).SetRepeatedArgument("values", Enumerable.Range(0, n).Select(value).ToArray()));
        }
        Fill("w", [4, 3, 3, 3], i => MathF.Sin(i * 0.7f));
        Fill("b", [4], i => 0.1f * i - 0.2f);
        Fill("s", [4], i => 0.5f + 0.3f * i);
        Fill("bias", [4], i => 0.25f - 0.15f * i);
        Fill("mean", [4], i => -0.3f + 0.2f * i);
        Fill("var", [4], i => 0.4f + 0.5f * i);
        return init;
    }

    private static IReadOnlyList<(string Pass, int Rewrites)> RunBothWays(NetDef net)
    {
        var feeds = new Dictionary<string, Tensor>
        {
            ["x"] = Tensor.From<float>([.. Enumerable.Range(0, 75).Select(i => MathF.Cos(i * 0.3f) * 2)], 1, 3, 5, 5),
            ["z"] = Tensor.From<float>([.. Enumerable.Range(0, 100).Select(i => 0.05f * (i % 13) - 0.3f)], 1, 4, 5, 5),
        };
        var expected = new Predictor(Catalog, Init(), net, new PredictorOptions { Optimize = false }).Run(feeds)["y"].ToArray<float>();
        var optimised = new Predictor(Catalog, Init(), net);
        var actual = optimised.Run(feeds)["y"].ToArray<float>();
        float max = expected.Max(MathF.Abs);
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= 1e-4 * Math.Abs(expected[k]) + 1e-5 * max, $"element {k}: {actual[k]} optimised, {expected[k]} not");
        return optimised.AppliedOptimizations;
    }
}
