using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Proto;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>FC on the harness, against a plain reference in double.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class FullyConnectedTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(FullyConnected.Register);

    private static float[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }

    // Y[m, n] = sum_k X[m, k] * W[n, k] + b[n], in double.
    private static float[] Reference(float[] x, float[] w, float[] b, int m, int n, int k)
    {
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = b[j];
                for (int p = 0; p < k; p++) s += (double)x[i * k + p] * w[j * k + p];
                y[i * n + j] = (float)s;
            }
        return y;
    }

    private static OperatorTester Fc(float[] x, long[] xDims, float[] w, long[] wDims, float[] b, long[] bDims) =>
        new OperatorTester(Catalog, "FC").Input("X", x, xDims).Input("W", w, wDims).Input("b", b, bDims);

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(2, 3, 4)]
    [InlineData(5, 10, 7)]
    [InlineData(13, 33, 40)]
    [InlineData(64, 17, 100)]
    [InlineData(1, 1000, 512)]
    public void TwoDimensional_MatchesTheReference(int m, int n, int k)
    {
        var x = Random(m * k, 1);
        var w = Random(n * k, 2);
        var b = Random(n, 3);
        Fc(x, [m, k], w, [n, k], b, [n]).Output("Y", Reference(x, w, b, m, n, k), m, n).Tolerance(1e-5, 1e-5).Run();
    }

    [Fact]
    public void A1x512x1x1Input_WithAxis1_IsFlattened()
    {
        var x = Random(512, 4);
        var w = Random(10 * 512, 5);
        var b = Random(10, 6);
        Fc(x, [1, 512, 1, 1], w, [10, 512], b, [10]).Output("Y", Reference(x, w, b, 1, 10, 512), 1, 10).Tolerance(1e-5, 1e-5).Run();
    }

    [Fact]
    public void AxisAndAxisW_FlattenBothSides()
    {
        // X [2, 3, 4, 5] at axis 2 is [6, 20]; W [2, 2, 4, 5] at axis_w 2 is [4, 20]; Y is [2, 3, 4].
        var x = Random(120, 7);
        var w = Random(80, 8);
        var b = Random(4, 9);
        Fc(x, [2, 3, 4, 5], w, [2, 2, 4, 5], b, [4]).Arg("axis", 2).Arg("axis_w", 2)
            .Output("Y", Reference(x, w, b, 6, 4, 20), 2, 3, 4).Tolerance(1e-5, 1e-5).Run();
        // Negative axes count from the end: axis -2 of rank 4 is 2, axis_w -1 of W [4, 20] is 1.
        Fc(x, [2, 3, 4, 5], w, [4, 20], b, [4]).Arg("axis", -2).Arg("axis_w", -1)
            .Output("Y", Reference(x, w, b, 6, 4, 20), 2, 3, 4).Tolerance(1e-5, 1e-5).Run();
        // axis 0: the whole of X is one row.
        Fc(x, [2, 3, 4, 5], Random(3 * 120, 10), [3, 120], b[..3], [3]).Arg("axis", 0)
            .Output("Y", Reference(x, Random(3 * 120, 10), b[..3], 1, 3, 120), 3).Tolerance(1e-5, 1e-5).Run();
    }

    [Theory]
    [InlineData(1, 1000, 512, false)]
    [InlineData(13, 33, 40, true)]
    [InlineData(64, 500, 800, true)]
    public void FCTransposed_IsFCWithTheWeightsStoredTransposed_BitForBit_AndFusesRelu(int m, int n, int k, bool relu)
    {
        var x = Random(m * k, 11);
        var w = Random(n * k, 12);
        var b = Random(n, 13);
        var wt = new float[k * n];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < k; c++) wt[c * n + r] = w[r * k + c];
        var reference = Reference(x, w, b, m, n, k);
        if (relu)
            for (int i = 0; i < reference.Length; i++) reference[i] = reference[i] < 0 ? 0 : reference[i];
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", x, m, k);
        ws.FeedBlob<float>("W", w, n, k);
        ws.FeedBlob<float>("WT", wt, k, n);
        ws.FeedBlob<float>("b", b, n);
        var fc = OperatorDef.Create("FC", "", ["X", "W", "b"], ["Y"]);
        var fct = OperatorDef.Create("FCTransposed", "", ["X", "WT", "b"], ["YT"]);
        if (relu)
        {
            fc.SetArgument(Conv.ActivationArg, Conv.ReluActivation);
            fct.SetArgument(Conv.ActivationArg, Conv.ReluActivation);
        }
        ws.RunOperatorOnce(fc);
        ws.RunOperatorOnce(fct);
        Assert.Equal(ws.FetchBlob<float>("Y"), ws.FetchBlob<float>("YT")); // the same sums in the same order
        new OperatorTester(Catalog, "FCTransposed").Input("X", x, m, k).Input("W", wt, k, n).Input("b", b, n)
            .Arg(Conv.ActivationArg, relu ? Conv.ReluActivation : "").Output("Y", reference, m, n).Tolerance(1e-5, 1e-4).Run(); // sums of up to 800 products
    }

    [Fact]
    public void FCTransposed_FlattensWAtAxisW_AndNamesBothShapesWhenKDiffers()
    {
        // W [4, 5, 3] at axis_w 2 is [K, N] = [20, 3].
        var x = Random(2 * 20, 14);
        var w = Random(20 * 3, 15);
        var wn = new float[3 * 20];
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 20; c++) wn[r * 20 + c] = w[c * 3 + r];
        var b = Random(3, 16);
        new OperatorTester(Catalog, "FCTransposed").Input("X", x, 2, 20).Input("W", w, 4, 5, 3).Input("b", b, 3).Arg("axis_w", 2)
            .Output("Y", Reference(x, wn, b, 2, 3, 20), 2, 3).Tolerance(1e-5, 1e-5).Run();
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("X", x, 2, 20);
        ws.FeedBlob<float>("W", Random(21 * 3, 1), 21, 3);
        ws.FeedBlob<float>("b", b, 3);
        var e = Assert.ThrowsAny<EnforceNotMetException>(() => ws.RunOperatorOnce(OperatorDef.Create("FCTransposed", "", ["X", "W", "b"], ["Y"])));
        Assert.Contains("[2, 20]", e.Message);
        Assert.Contains("[21, 3] (K, N: FCTransposed)", e.Message);
    }

    [Fact]
    public void BiasIsAddedOnce_AndExactForExactProducts()
    {
        // Small integers: every product and sum is exact, so the result is exact.
        float[] x = [1, 2, 3, 4, 5, 6];
        float[] w = [1, 0, -1, 2, 2, 2];
        float[] b = [10, -10];
        new OperatorTester(Catalog, "FC").Input("X", x, 2, 3).Input("W", w, 2, 3).Input("b", b, 2)
            .Output("Y", new float[] { 8, 2, 8, 20 }, 2, 2).Run();
    }

    [Fact]
    public void EmptyBatch_GivesAnEmptyOutput() =>
        Fc([], [0, 4], Random(12, 1), [3, 4], [1, 2, 3], [3]).Output("Y", Array.Empty<float>(), 0, 3).Run();

    [Fact]
    public void Errors_NameBothShapes()
    {
        Fc(new float[6], [2, 3], new float[8], [2, 4], new float[2], [2]).Output("Y")
            .ExpectError("X [2, 3] flattened at axis 1 is [2, 3] but W [2, 4] flattened at axis_w 1 is [2, 4]").Run();
        Fc(new float[6], [2, 3], new float[6], [2, 3], new float[3], [3]).Output("Y")
            .ExpectError("the bias 'b' is FLOAT[3] but W FLOAT[2, 3] flattened at axis_w 1 has N = 2").Run();
        Fc(new float[6], [2, 3], new float[6], [2, 3], new float[2], [1, 2]).Output("Y").ExpectError("b must have N elements").Run();
        Fc(new float[6], [2, 3], new float[6], [2, 3], new float[2], [2]).Arg("axis", 2).Output("Y").ExpectError("argument 'axis' = 2 is out of range").Run();
        new OperatorTester(Catalog, "FC").Input("X", new double[6], 2, 3).Input("W", new float[6], 2, 3).Input("b", new float[2], 2).Output("Y")
            .ExpectError("must be FLOAT").Run();
    }

    [Fact]
    public void Schema_InfersShapeAndCost()
    {
        var schema = Catalog.Schemas.Find("FC")!;
        var def = OperatorDef.Create("FC", "", ["X", "W", "b"], ["Y"]);
        TensorShape[] inputs = [TensorShape.Create([1, 512, 1, 1]), TensorShape.Create([10, 512]), TensorShape.Create([10])];
        var shapes = schema.InferTensor(def, inputs);
        Assert.Equal([1L, 10], shapes[0].Dims);
        var cost = schema.InferCost(def, inputs);
        Assert.Equal((ulong)(10 * (2 * 512 + 1)), cost.Flops);
    }
}
