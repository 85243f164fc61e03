using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Schema.Tests.Schemas;

public class NetAnalysisTests
{
    private static OpSchemaRegistry Registry()
    {
        var r = new OpSchemaRegistry();
        r.Schema("Pointwise").NumInputs(1).NumOutputs(1).IdenticalTypeAndShape().CostInferenceFunction(CostFunctions.Pointwise(2));
        r.Schema("Concat2").NumInputs(2).NumOutputs(1).TensorInferenceFunction((_, ins) =>
            [TensorShape.Create([ins[0].Dims[0] + ins[1].Dims[0]], ins[0].DataType)]);
        return r;
    }

    private static NetDef Net(params OperatorDef[] ops)
    {
        var n = new NetDef { Name = "n" };
        n.Op.AddRange(ops);
        return n;
    }

    [Fact]
    public void Analyze_PropagatesShapesThroughOps_AndSumsCost()
    {
        var net = Net(
            OperatorDef.Create("Pointwise", "", ["X"], ["A"]),
            OperatorDef.Create("Pointwise", "", ["A"], ["B"]),
            OperatorDef.Create("Concat2", "", ["A", "B"], ["C"]));
        var result = NetAnalysis.Analyze(net, new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([5]) }, Registry());
        Assert.Equal([10L], result.Shapes["C"].Dims);
        Assert.Equal([5L], result.Shapes["B"].Dims);
        Assert.Equal(new Cost(10, 20, 20), result.OpCosts[0]);
        Assert.Null(result.OpCosts[2]);
        Assert.Equal(new Cost(20, 40, 40), result.TotalCost);
        Assert.Empty(result.Problems);
    }

    [Fact]
    public void Analyze_UnknownOp_IsReportedAndGivesUnknownShapes()
    {
        var net = Net(OperatorDef.Create("Mystery", "", ["X"], ["A"]), OperatorDef.Create("Pointwise", "", ["A"], ["B"]));
        var result = NetAnalysis.Analyze(net, new Dictionary<string, TensorShape> { ["X"] = TensorShape.Create([5]) }, Registry());
        Assert.True(result.Shapes["B"].UnknownShape);
        Assert.Equal(0, result.Problems.Single().OpIndex);
        Assert.Contains("Mystery", result.Problems[0].Reason);
    }

    [Fact]
    public void Analyze_OpFailingVerify_IsReported()
    {
        var net = Net(OperatorDef.Create("Pointwise", "bad", ["X", "Y"], ["A"]));
        var result = NetAnalysis.Analyze(net, new Dictionary<string, TensorShape>(), Registry());
        Assert.Contains("has 2 input(s); expected 1", result.Problems.Single().Reason);
    }
}
