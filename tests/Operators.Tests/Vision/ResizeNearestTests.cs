using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>ResizeNearest on the harness against a plain reference.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ResizeNearestTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(ResizeNearest.Register);

    private static float[] Reference(float[] x, long[] d, float hs, float ws, out long[] outDims)
    {
        int h = (int)d[2], w = (int)d[3], oh = (int)(h * hs), ow = (int)(w * ws), planes = (int)(d[0] * d[1]);
        outDims = [d[0], d[1], oh, ow];
        var y = new float[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    y[(p * oh + i) * ow + j] = x[(p * h + Math.Min((int)Math.Floor(i / hs), h - 1)) * w + Math.Min((int)Math.Floor(j / ws), w - 1)];
        return y;
    }

    [Theory]
    [InlineData(2f, 2f)]
    [InlineData(1f, 1f)]
    [InlineData(0.5f, 0.5f)]
    [InlineData(1.5f, 3f)]
    [InlineData(0.6f, 1.7f)]
    public void Values_MatchTheReference(float hs, float ws)
    {
        long[] dims = [2, 3, 5, 4];
        var x = Enumerable.Range(0, 120).Select(k => (float)k).ToArray();
        var expected = Reference(x, dims, hs, ws, out var outDims);
        new OperatorTester(Catalog, "ResizeNearest").Arg("height_scale", hs).Arg("width_scale", ws)
            .Input("X", x, dims).Output("Y", expected, outDims).Run();
    }

    [Fact]
    public void Upsample2x_RepeatsEachPixel()
    {
        new OperatorTester(Catalog, "ResizeNearest").Arg("height_scale", 2f).Arg("width_scale", 2f)
            .Input("X", new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2)
            .Output("Y", new[] { 1f, 1f, 2f, 2f, 1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f, 3f, 3f, 4f, 4f }, 1, 1, 4, 4).Run();
    }

    [Fact]
    public void DefaultScales_AreOne_AndShapesAreFloored()
    {
        var x = new double[] { 1, 2, 3, 4, 5, 6 };
        new OperatorTester(Catalog, "ResizeNearest").Input("X", x, 1, 1, 2, 3).Output("Y", x, 1, 1, 2, 3).Run();
        // floor(3 * 0.5) = 1, floor(2 * 0.5) = 1.
        new OperatorTester(Catalog, "ResizeNearest").Arg("height_scale", 0.5f).Arg("width_scale", 0.5f)
            .Input("X", x, 1, 1, 2, 3).Output("Y", new double[] { 1 }, 1, 1, 1, 1).Run();
    }

    [Fact]
    public void ScalesInput_OverridesTheArguments()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", [1f, 2f, 3f, 4f], 1, 1, 2, 2);
        ws.FeedBlob<float>("S", [1f, 2f], 2);
        ws.RunOperatorOnce(OperatorDef.Create("ResizeNearest", "", ["X", "S"], ["Y"]).SetArgument("height_scale", 3f));
        var y = ws.FetchBlob("Y");
        Assert.Equal("FLOAT[1, 1, 2, 4]", y.Describe());
        Assert.Equal([1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f], y.ToArray<float>());
    }

    [Fact]
    public void Schema_InfersTheOutputShape()
    {
        var schema = Catalog.Schemas.Find("ResizeNearest")!;
        var def = OperatorDef.Create("ResizeNearest", "", ["X"], ["Y"]).SetArgument("height_scale", 2f).SetArgument("width_scale", 0.5f);
        Assert.Equal("FLOAT[1, 3, 10, 3]", schema.InferTensor(def, [TensorShape.Create([1, 3, 5, 7])]).Single().Describe());
        Assert.Equal(new Cost(0, 105 * 4, 90 * 4), schema.InferCost(def, [TensorShape.Create([1, 3, 5, 7])]));
    }

    [Theory]
    [InlineData("height_scale", 0f)]
    [InlineData("width_scale", -1f)]
    public void NonPositiveScale_IsAnErrorNamingTheArgument(string name, float value) =>
        new OperatorTester(Catalog, "ResizeNearest").Arg(name, value).Input("X", new float[4], 1, 1, 2, 2).Output("Y")
            .ExpectError($"argument '{name}'").Run();

    [Fact]
    public void Not4D_IsAnErrorNamingTheBlob() =>
        new OperatorTester(Catalog, "ResizeNearest").Input("X", new float[4], 2, 2).Output("Y")
            .ExpectError("input 'X' must be 4-D (NCHW)").Run();
}
