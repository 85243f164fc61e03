using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Arithmetic;

public class SumTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Sum.Register);

    [Fact]
    public void Sum_AddsLeftToRight_InPlaceOnInput0()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("A", [1f, 2f], 2);
        ws.FeedBlob<float>("B", [10f, 20f], 2);
        ws.FeedBlob<float>("C", [100f, 200f], 2);
        ws.RunOperatorOnce(OperatorDef.Create("Sum", "", ["A", "B", "C"], ["S"]));
        Assert.Equal([111f, 222f], ws.FetchBlob<float>("S"));
        ws.RunOperatorOnce(OperatorDef.Create("Sum", "", ["A", "B"], ["A"]));
        Assert.Equal([11f, 22f], ws.FetchBlob<float>("A"));
        ws.FeedBlob<long>("I", [1, 2], 2);
        ws.RunOperatorOnce(OperatorDef.Create("Sum", "", ["I", "I"], ["J"]));
        Assert.Equal([2L, 4L], ws.FetchBlob<long>("J"));
    }

    [Fact]
    public void Sum_MismatchedInputs_AndIllegalInPlace_AreClearErrors()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("A", [1f, 2f], 2);
        ws.FeedBlob<double>("B", [1.0, 2.0], 2);
        Assert.Contains("input 1 'B' is DOUBLE[2] but input 0 'A' is FLOAT[2]", Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("Sum", "", ["A", "B"], ["S"]))).Message);
        Assert.Contains("in-place pair the schema does not allow", Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("Sum", "", ["B", "A"], ["A"]))).Message);
    }

    [Fact]
    public void Sum_GradientPassesTheOutputGradientToEveryInput()
    {
        var meta = Catalog.GetGradientForOp(OperatorDef.Create("Sum", "", ["A", "B"], ["S"]));
        Assert.Empty(meta.Ops);
        Assert.Equal(["S_grad", "S_grad"], meta.InputGradients.Select(g => g.Dense));
        var cost = Catalog.Schemas.Find("Sum")!.InferCost(OperatorDef.Create("Sum", "", ["A", "B"], ["S"]), [TensorShape.Create([4]), TensorShape.Create([4])]);
        Assert.Equal(new Cost(4, 32, 16), cost);
    }
}
