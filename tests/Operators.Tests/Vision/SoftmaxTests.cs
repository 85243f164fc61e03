using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>Softmax and SoftmaxGradient on the harness, against a plain reference in double.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class SoftmaxTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Softmax.Register);
    private static readonly long[] Dims = [2, 3, 4, 5];

    // The plain reference: coerce to [prod(dims[:axis]), prod(dims[axis:])] and normalise each row, in double.
    private static double[] Reference(double[] x, long[] dims, int axis)
    {
        if (axis < 0) axis += dims.Length;
        int cols = (int)dims.Skip(axis).Aggregate(1L, (a, b) => a * b);
        var y = new double[x.Length];
        for (int r = 0; r < x.Length / Math.Max(1, cols); r++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < cols; j++) max = Math.Max(max, x[r * cols + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.Exp(x[r * cols + j] - max);
            for (int j = 0; j < cols; j++) y[r * cols + j] = Math.Exp(x[r * cols + j] - max) / sum;
        }
        return y;
    }

    private static double[] GradientReference(double[] y, double[] dy, long[] dims, int axis)
    {
        int cols = (int)dims.Skip(axis).Aggregate(1L, (a, b) => a * b);
        var dx = new double[y.Length];
        for (int r = 0; r < y.Length / cols; r++)
        {
            double dot = 0;
            for (int j = 0; j < cols; j++) dot += y[r * cols + j] * dy[r * cols + j];
            for (int j = 0; j < cols; j++) dx[r * cols + j] = y[r * cols + j] * (dy[r * cols + j] - dot);
        }
        return dx;
    }

    private static double[] Random(int n, int seed, double scale = 3)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (rng.NextDouble() * 2 - 1) * scale)];
    }

    private static float[] F(double[] x) => [.. x.Select(v => (float)v)];

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(-4)]
    public void Float_EveryAxisOfA4DInput_NormalisesTheCoerced2DRows(int axis)
    {
        var x = F(Random(120, axis + 10));
        var expected = F(Reference([.. x.Select(v => (double)v)], Dims, axis));
        new OperatorTester(Catalog, "Softmax").Arg("axis", axis).Input("X", x, Dims).Output("Y", expected, Dims)
            .Tolerance(1e-6, 1e-9).Run();
    }

    [Fact]
    public void DefaultAxis_IsOne_NormalisingOverCHW()
    {
        var x = F(Random(120, 3));
        var y = new OperatorTester(Catalog, "Softmax").Input("X", x, Dims)
            .Output("Y", F(Reference([.. x.Select(v => (double)v)], Dims, 1)), Dims).Tolerance(1e-6, 1e-9);
        y.Run();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void Double_MatchesTheReference(int axis)
    {
        var x = Random(120, axis);
        new OperatorTester(Catalog, "Softmax").Arg("axis", axis).Input("X", x, Dims).Output("Y", Reference(x, Dims, axis), Dims)
            .Tolerance(1e-14, 1e-300).Run();
    }

    [Fact]
    public void LargeMagnitudes_AreStable()
    {
        // exp(1e4) overflows float and double; subtracting the row max keeps every term in [0, 1].
        float[] x = [10000f, 10001f, 10002f, -10000f, -10001f, -10002f, 3e38f, -3e38f, 0f];
        double[] expected = Reference([.. x.Select(v => (double)v)], [3, 3], 1);
        Assert.All(expected, v => Assert.True(double.IsFinite(v)));
        new OperatorTester(Catalog, "Softmax").Input("X", x, 3, 3).Output("Y", F(expected), 3, 3).Tolerance(1e-6, 1e-9).Run();
        var xd = x.Select(v => (double)v * 1e270).ToArray();
        new OperatorTester(Catalog, "Softmax").Input("X", xd, 3, 3).Output("Y", Reference(xd, [3, 3], 1), 3, 3).Tolerance(1e-14, 1e-300).Run();
    }

    [Fact]
    public void RowsOfLengthOne_AreAllOne()
    {
        float[] x = [-5f, 0f, 7.5f, 1e30f];
        new OperatorTester(Catalog, "Softmax").Input("X", x, 4, 1).Output("Y", new[] { 1f, 1f, 1f, 1f }, 4, 1).Run();
        new OperatorTester(Catalog, "Softmax").Arg("axis", 3).Input("X", x, 1, 2, 2, 1).Output("Y", new[] { 1f, 1f, 1f, 1f }, 1, 2, 2, 1).Run();
    }

    [Fact]
    public void ManyRows_SplitAcrossThreads_AreBitIdenticalToSerial()
    {
        var x = F(Random(64 * 33, 5));
        new OperatorTester(Catalog, "Softmax").Input("X", x, 64, 33)
            .Output("Y", F(Reference([.. x.Select(v => (double)v)], [64, 33], 1)), 64, 33).Tolerance(1e-6, 1e-9).Run();
    }

    [Fact]
    public void EmptyInput_GivesAnEmptyOutput()
    {
        new OperatorTester(Catalog, "Softmax").Input("X", Array.Empty<float>(), 0, 4).Output("Y", Array.Empty<float>(), 0, 4).Run();
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-5)]
    public void AxisOutOfRange_IsAnErrorNamingTheArgument(int axis) =>
        new OperatorTester(Catalog, "Softmax").Arg("axis", axis).Input("X", new float[120], Dims).Output("Y")
            .ExpectError($"argument 'axis' = {axis} is out of range for input 'X' of rank 4").Run();

    [Fact]
    public void IntegerInput_IsAnErrorNamingTheBlob() =>
        new OperatorTester(Catalog, "Softmax").Input("X", new int[4], 2, 2).Output("Y")
            .ExpectError("input 'X' must be FLOAT or DOUBLE").Run();

    [Fact]
    public void Gradient_MatchesFiniteDifferences()
    {
        var x = F(Random(24, 9, 1.5));
        new OperatorTester(Catalog, "Softmax").Input("X", x, 2, 3, 4).Output("Y").GradientCheck(0).Run();
        new OperatorTester(Catalog, "Softmax").Arg("axis", 2).Input("X", x.Select(v => (double)v).ToArray(), 2, 3, 4).Output("Y").GradientCheck(0).Run();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void SoftmaxGradient_MatchesTheReference(int axis)
    {
        long[] dims = [2, 3, 4];
        var y = Reference(Random(24, 1), dims, axis);
        var dy = Random(24, 2);
        new OperatorTester(Catalog, "SoftmaxGradient").Arg("axis", axis).Input("Y", y, dims).Input("dY", dy, dims)
            .Output("dX", GradientReference(y, dy, dims, axis), dims).Tolerance(1e-13, 1e-15).Run();
    }

    [Fact]
    public void SoftmaxGradient_ShapeMismatch_IsAnErrorNamingBothBlobs() =>
        new OperatorTester(Catalog, "SoftmaxGradient").Input("Y", new float[6], 2, 3).Input("dY", new float[6], 3, 2).Output("dX")
            .ExpectError("'Y' is FLOAT[2, 3] but 'dY' is FLOAT[3, 2]").Run();

    [Fact]
    public void GradientMaker_IsSoftmaxGradientOfYAndDY_WithTheAxis()
    {
        var def = OperatorDef.Create("Softmax", "sm", ["X"], ["Y"]).SetArgument("axis", 2);
        var g = Catalog.GetGradientForOp(def).Ops.Single();
        Assert.Equal("SoftmaxGradient", g.Type);
        Assert.Equal(["Y", "Y_grad"], g.Input);
        Assert.Equal(["X_grad"], g.Output);
        Assert.Equal(2, g.GetSingleArgument("axis", 1));
    }

    [Fact]
    public void Schema_InfersTheInputShape_AndAPointwiseCost_AndMapsToOnnx()
    {
        var schema = Catalog.Schemas.Find("Softmax")!;
        var def = OperatorDef.Create("Softmax", "", ["X"], ["Y"]);
        var shape = schema.InferTensor(def, [TensorShape.Create(Dims, DataType.Double)]).Single();
        Assert.Equal("DOUBLE[2, 3, 4, 5]", shape.Describe());
        var cost = schema.InferCost(def, [TensorShape.Create(Dims)]);
        Assert.Equal(new Cost(480, 480, 480), cost);
        Assert.NotNull(schema.Verify(OperatorDef.Create("Softmax", "", ["X", "Z"], ["Y"])));
        Assert.False(schema.InplaceAllowed(0, 0));
        Assert.Equal("Softmax", schema.OnnxSchema);
    }

    [Fact]
    public void Kernel_RejectsAShiftedOverlap_AndAWrongLength()
    {
        var buffer = new float[8];
        Assert.Throws<ArgumentException>(() => SoftmaxKernel.Forward<float>(buffer.AsSpan(0, 6), buffer.AsSpan(1, 6), 2, 3, ComputePool.Serial));
        Assert.Throws<ArgumentException>(() => SoftmaxKernel.Forward<float>(buffer.AsSpan(0, 6), new float[5], 2, 3, ComputePool.Serial));
        SoftmaxKernel.Forward<float>(buffer.AsSpan(0, 6), buffer.AsSpan(0, 6), 2, 3, ComputePool.Serial);
        Assert.All(buffer.AsSpan(0, 6).ToArray(), v => Assert.Equal(1f / 3, v, 1e-7f));
    }
}
