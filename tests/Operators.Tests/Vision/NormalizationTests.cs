using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>SpatialBN (inference) and LRN on the harness, against plain references in double.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class NormalizationTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Normalization.Register);

    private static float[] Values(int n, int seed) => OperatorTesterReference.SpecialAndRandom<float>(n, seed).Select(v => float.IsFinite(v) ? Math.Clamp(v, -50f, 50f) : 0.5f).ToArray();

    private static float[] Positive(int n, int seed) => Values(n, seed).Select(v => Math.Abs(v) + 0.1f).ToArray();

    // (X - mean) / sqrt(var + eps) * scale + bias, in double, with the channel at dim 1 (NCHW) or last (NHWC).
    private static Tensor BnReference(IReadOnlyList<Tensor> t, double eps, bool nhwc)
    {
        var x = t[0];
        var (s, b, m, v) = (t[1].ToArray<float>(), t[2].ToArray<float>(), t[3].ToArray<float>(), t[4].ToArray<float>());
        int c = s.Length;
        long inner = nhwc ? 1 : x.Dims[2..].ToArray().Aggregate(1L, (p, q) => p * q);
        var xs = x.ToArray<float>();
        var y = new float[xs.Length];
        for (long k = 0; k < xs.Length; k++)
        {
            long ch = (k / inner) % c;
            y[k] = (float)((xs[k] - (double)m[ch]) / Math.Sqrt(v[ch] + eps) * s[ch] + b[ch]);
        }
        return Tensor.From<float>(y, x.Dims.ToArray());
    }

    private static OperatorTester Bn(long[] dims, int c, float? eps = null, string order = "NCHW")
    {
        int n = (int)dims.Aggregate(1L, (p, q) => p * q);
        var t = new OperatorTester(Catalog, "SpatialBN").Arg("is_test", 1).Arg("order", order)
            .Input("X", Values(n, 1), dims).Input("scale", Values(c, 2), c).Input("bias", Values(c, 3), c)
            .Input("mean", Values(c, 4), c).Input("var", Positive(c, 5), c);
        if (eps is { } e) t.Arg("epsilon", e);
        return t;
    }

    [Theory]
    [InlineData(new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 1, 5, 7, 9 })]
    [InlineData(new long[] { 4, 7 })]
    [InlineData(new long[] { 2, 3, 33 })]
    [InlineData(new long[] { 0, 3, 2, 2 })]
    public void SpatialBN_Nchw_MatchesTheReference(long[] dims)
    {
        int c = (int)dims[1];
        Bn(dims, c).Output("Y", t => BnReference(t, 1e-5, false)).Tolerance(1e-5, 1e-5).Run();
        Bn(dims, c, 0.25f).Output("Y", t => BnReference(t, 0.25, false)).Tolerance(1e-5, 1e-5).Run();
    }

    [Theory]
    [InlineData(new long[] { 2, 4, 5, 19 })]
    [InlineData(new long[] { 3, 3 })]
    [InlineData(new long[] { 1, 2, 2, 40 })]
    public void SpatialBN_Nhwc_MatchesTheReference(long[] dims) =>
        Bn(dims, (int)dims[^1], order: "NHWC").Output("Y", t => BnReference(t, 1e-5, true)).Tolerance(1e-5, 1e-5).Run();

    [Fact]
    public void SpatialBN_ExactlyXTimesAPlusB_WithAAndBInDouble()
    {
        // scale 2, var 3, eps 1: a = 1 exactly; bias 0.5, mean 0.25: b = 0.25.
        new OperatorTester(Catalog, "SpatialBN").Arg("is_test", 1).Arg("epsilon", 1f)
            .Input("X", new float[] { 1, -2, 3, 4 }, 1, 1, 2, 2).Input("scale", new float[] { 2 }).Input("bias", new float[] { 0.5f })
            .Input("mean", new float[] { 0.25f }).Input("var", new float[] { 3 })
            .Output("Y", new float[] { 1.25f, -1.75f, 3.25f, 4.25f }, 1, 1, 2, 2).Run();
    }

    [Fact]
    public void SpatialBN_TrainingMode_SaysOnlyInferenceIsSupported() =>
        new OperatorTester(Catalog, "SpatialBN").Input("X", new float[4], 1, 1, 2, 2).Input("scale", new float[1]).Input("bias", new float[1])
            .Input("mean", new float[1]).Input("var", new float[1]).Output("Y").ExpectError("only inference is supported yet").Run();

    [Fact]
    public void SpatialBN_ParametersMustBeOnePerChannel() =>
        new OperatorTester(Catalog, "SpatialBN").Arg("is_test", 1).Input("X", new float[12], 1, 3, 2, 2).Input("scale", new float[3]).Input("bias", new float[3])
            .Input("mean", new float[3]).Input("var", new float[2]).Output("Y").ExpectError("input 'var' must be FLOAT [3]").Run();

    [Fact]
    public void SpatialBN_Errors()
    {
        Bn([2, 3], 3, order: "NCWH").Output("Y").ExpectError("'order' = 'NCWH' must be NCHW or NHWC").Run();
        Bn([2, 3], 3).Output("Y").Output("rm").ExpectError("one output").Run();
        new OperatorTester(Catalog, "SpatialBN").Arg("is_test", 1).Input("X", new float[3], 3).Input("scale", new float[1]).Input("bias", new float[1])
            .Input("mean", new float[1]).Input("var", new float[1]).Output("Y").ExpectError("rank 2 or more").Run();
    }

    [Fact]
    public void SpatialBN_Schema_InheritsOnnxBatchNormalization_AndCosts()
    {
        var schema = Catalog.Schemas.Find("SpatialBN")!;
        Assert.Equal("BatchNormalization", schema.OnnxSchema);
        Assert.Equal("LRN", Catalog.Schemas.Find("LRN")!.OnnxSchema);
        var def = OperatorDef.Create("SpatialBN", "", ["X", "s", "b", "m", "v"], ["Y"]).SetArgument("is_test", 1);
        var c = TensorShape.Create([3]);
        var cost = schema.InferCost(def, [TensorShape.Create([2, 3, 4, 4]), c, c, c, c]);
        Assert.Equal(2UL * 96 + 12, cost.Flops);
        Assert.Equal(96UL * 4, cost.BytesWritten);
    }

    [Fact]
    public void BatchNormKernel_RejectsMismatchedLengths_AndShiftedOverlap()
    {
        var a = new float[2];
        Assert.Throws<ArgumentException>(() => BatchNormKernel.ApplyNchw(new float[8], new float[7], 2, 2, a, a));
        var buf = new float[9];
        Assert.Throws<ArgumentException>(() => BatchNormKernel.ApplyNchw(buf.AsSpan(0, 8), buf.AsSpan(1, 8), 2, 2, a, a));
        Assert.Throws<ArgumentException>(() => BatchNormKernel.Affine(new float[2], new float[2], new float[2], new float[3], 0, a, a));
    }

    // scale = bias + alpha / size * sum of x^2 over channels c - (size-1)/2 .. c - (size-1)/2 + size - 1; Y = X * scale^-beta.
    private static (Tensor Y, Tensor Scale) LrnReference(Tensor xt, int size, double alpha, double beta, double bias, bool nhwc)
    {
        var d = xt.Dims.ToArray();
        int cAxis = nhwc ? d.Length - 1 : 1;
        long outer = d[..cAxis].Aggregate(1L, (p, q) => p * q), c = d[cAxis], inner = d[(cAxis + 1)..].Aggregate(1L, (p, q) => p * q);
        var x = xt.ToArray<float>();
        var y = new float[x.Length];
        var s = new float[x.Length];
        for (long o = 0; o < outer; o++)
            for (long ch = 0; ch < c; ch++)
                for (long p = 0; p < inner; p++)
                {
                    double sum = 0;
                    for (long w = ch - (size - 1) / 2; w <= ch - (size - 1) / 2 + size - 1; w++)
                        if (w >= 0 && w < c) sum += (double)x[(o * c + w) * inner + p] * x[(o * c + w) * inner + p];
                    double scale = bias + alpha / size * sum;
                    long k = (o * c + ch) * inner + p;
                    y[k] = (float)(x[k] * Math.Pow(scale, -beta));
                    s[k] = (float)scale;
                }
        return (Tensor.From<float>(y, d), Tensor.From<float>(s, d));
    }

    [Theory]
    [InlineData(new long[] { 2, 5, 3, 4 }, 3, false)]
    [InlineData(new long[] { 1, 7, 2, 2 }, 5, false)]
    [InlineData(new long[] { 1, 4, 3 }, 2, false)]
    [InlineData(new long[] { 2, 3, 5, 6 }, 1, false)]
    [InlineData(new long[] { 2, 3, 3, 6 }, 3, true)]
    [InlineData(new long[] { 1, 2, 9 }, 7, false)]
    public void Lrn_MatchesTheReference_WithAndWithoutScale(long[] dims, int size, bool nhwc)
    {
        int n = (int)dims.Aggregate(1L, (p, q) => p * q);
        var x = Values(n, 8).Select(v => v / 10).ToArray();
        string order = nhwc ? "NHWC" : "NCHW";
        new OperatorTester(Catalog, "LRN").Arg("size", size).Arg("alpha", 0.01f).Arg("beta", 0.75f).Arg("bias", 2f).Arg("order", order)
            .Input("X", x, dims)
            .Output("Y", t => LrnReference(t[0], size, 0.01f, 0.75f, 2, nhwc).Y)
            .Output("scale", t => LrnReference(t[0], size, 0.01f, 0.75f, 2, nhwc).Scale).Tolerance(1e-6, 1e-7).Run();
        new OperatorTester(Catalog, "LRN").Arg("size", size).Arg("alpha", 1e-4f).Arg("beta", 0.5f).Arg("order", order)
            .Input("X", x, dims).Output("Y", t => LrnReference(t[0], size, 1e-4f, 0.5f, 1, nhwc).Y).Tolerance(1e-6, 1e-7).Run();
    }

    [Fact]
    public void Lrn_Defaults_AlphaAndBetaZero_IsTheIdentity()
    {
        var x = Values(24, 3);
        new OperatorTester(Catalog, "LRN").Arg("size", 3).Input("X", x, 2, 3, 4).Output("Y", x, 2, 3, 4)
            .Output("scale", Enumerable.Repeat(1f, 24).ToArray(), 2, 3, 4).Run();
    }

    [Fact]
    public void Lrn_Errors()
    {
        new OperatorTester(Catalog, "LRN").Input("X", new float[4], 1, 4).Output("Y").ExpectError("required argument 'size'").Run();
        new OperatorTester(Catalog, "LRN").Arg("size", 0).Input("X", new float[4], 1, 4).Output("Y").ExpectError("must be 1 or more").Run();
        new OperatorTester(Catalog, "LRN").Arg("size", 3).Input("X", new float[4], 4).Output("Y").ExpectError("rank 2 or more").Run();
        new OperatorTester(Catalog, "LRN").Arg("size", 3).Input("X", new float[4], 1, 4).Output("X").ExpectError("in-place pair the schema does not allow").Run();
    }
}
