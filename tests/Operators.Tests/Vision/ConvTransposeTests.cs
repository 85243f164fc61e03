using Caffe2Sharp.Tests;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Proto;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>ConvTranspose on the harness, against a naive scatter in double.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ConvTransposeTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(ConvTranspose.Register);

    private static float[] Random(long n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }

    // Direct scatter: every x[n, c, iy, ix] adds x * w[c, om, ky, kx] to
    // y[n, g*mg + om, iy*sh - pt + ky*dh, ix*sw - pl + kx*dw] (g = c's group), dropping what falls
    // outside [0, out); then the bias. out = (in - 1) * s + d * (k - 1) + 1 + adj - pad_begin - pad_end.
    private static float[] Reference(float[] x, int n, int c, int h, int w, float[] f, int mg, int kh, int kw, float[]? b,
        int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw, int ah, int aw, int group, out int oh, out int ow)
    {
        oh = (h - 1) * sh + dh * (kh - 1) + 1 + ah - pt - pb;
        ow = (w - 1) * sw + dw * (kw - 1) + 1 + aw - pl - pr;
        int cg = c / group, m = mg * group;
        var acc = new double[n * m * oh * ow];
        for (int img = 0; img < n; img++)
            for (int ic = 0; ic < c; ic++)
            {
                int g = ic / cg;
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < w; ix++)
                    {
                        double xv = x[((img * c + ic) * h + iy) * w + ix];
                        for (int om = 0; om < mg; om++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int oy = iy * sh - pt + ky * dh, ox = ix * sw - pl + kx * dw;
                                    if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                                    acc[((img * m + g * mg + om) * oh + oy) * ow + ox] += xv * f[((ic * mg + om) * kh + ky) * kw + kx];
                                }
                    }
            }
        var y = new float[acc.Length];
        int plane = oh * ow;
        for (int k = 0; k < y.Length; k++) y[k] = (float)(acc[k] + (b?[k / plane % m] ?? 0));
        return y;
    }

    [Theory]
    // c, h, w, mg, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, ah, aw, group, bias
    [InlineData(3, 4, 5, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, true)]       // plain, stride 1
    [InlineData(3, 4, 5, 2, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, false)]      // no bias
    [InlineData(2, 5, 4, 3, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0, 1, true)]       // stride 2
    [InlineData(2, 5, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, true)]       // stride 2, pad 1
    [InlineData(2, 5, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, true)]       // stride 2, pad 1, adj 1 (doubles the size)
    [InlineData(2, 6, 7, 2, 4, 3, 3, 2, 2, 0, 1, 1, 1, 1, 2, 1, 1, true)]       // asymmetric t, l, b, r; adj 2 x 1
    [InlineData(2, 5, 5, 2, 3, 3, 1, 1, 3, 3, 1, 0, 1, 1, 0, 0, 1, false)]      // pads larger than the kernel extent
    [InlineData(2, 5, 6, 3, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2, 0, 0, 1, true)]       // dilation 2
    [InlineData(3, 4, 5, 2, 3, 2, 2, 3, 1, 0, 0, 2, 2, 1, 1, 0, 1, true)]       // dilation 2 x 1 with strides, pads, adj
    [InlineData(4, 5, 5, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, true)]       // groups 2
    [InlineData(6, 5, 4, 1, 3, 3, 2, 1, 1, 1, 0, 0, 1, 1, 0, 0, 6, true)]       // depthwise-like: group == C
    [InlineData(5, 4, 4, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 0, 0, 5, false)]      // group == C, two outputs per group
    [InlineData(3, 4, 6, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, true)]       // 1x1
    [InlineData(3, 4, 6, 2, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 1, true)]       // 1x1 strided: holes, adj rows of bias only
    [InlineData(2, 3, 3, 2, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 2, 2, 1, true)]       // adj == stride (Caffe2 allows it)
    [InlineData(16, 7, 7, 8, 4, 4, 2, 2, 1, 1, 1, 1, 1, 1, 0, 0, 1, true)]      // larger: a DCGAN-like up-sampling
    public void MatchesTheDirectScatter(int c, int h, int w, int mg, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
        int dh, int dw, int ah, int aw, int group, bool bias)
    {
        const int n = 2;
        var x = Random(n * c * h * w, 1);
        var f = Random(c * mg * kh * kw, 2);
        float[]? b = bias ? Random(mg * group, 3) : null;
        var y = Reference(x, n, c, h, w, f, mg, kh, kw, b, sh, sw, pt, pl, pb, pr, dh, dw, ah, aw, group, out int oh, out int ow);
        var t = new OperatorTester(Catalog, "ConvTranspose").Arg("kernel_h", kh).Arg("kernel_w", kw).Arg("stride_h", sh).Arg("stride_w", sw)
            .Arg("pad_t", pt).Arg("pad_l", pl).Arg("pad_b", pb).Arg("pad_r", pr).Arg("dilation_h", dh).Arg("dilation_w", dw)
            .Arg("adj_h", ah).Arg("adj_w", aw).Arg("group", group)
            .Input("X", x, n, c, h, w).Input("filter", f, c, mg, kh, kw);
        if (b is not null) t.Input("bias", b, mg * group);
        t.Output("Y", y, n, mg * group, oh, ow).Tolerance(1e-4, 1e-5).Run();
    }

    [Fact]
    public void RepeatedForms_PadsAreBeginsThenEnds()
    {
        // kernels, strides, pads [t, l, b, r], dilations, adjs.
        var x = Random(2 * 3 * 4 * 5, 4);
        var f = Random(3 * 2 * 3 * 2, 5);
        var b = Random(2, 6);
        var y = Reference(x, 2, 3, 4, 5, f, 2, 3, 2, b, 2, 3, 2, 0, 1, 1, 1, 2, 1, 2, 1, out int oh, out int ow);
        new OperatorTester(Catalog, "ConvTranspose").Args("kernels", 3, 2).Args("strides", 2, 3)
            .Args("pads", 2, 0, 1, 1).Args("dilations", 1, 2).Args("adjs", 1, 2)
            .Input("X", x, 2, 3, 4, 5).Input("filter", f, 3, 2, 3, 2).Input("bias", b, 2).Output("Y", y, 2, 2, oh, ow).Tolerance(1e-4, 1e-5).Run();
    }

    [Fact]
    public void SingleForms_ApplyToEveryDim()
    {
        var x = Random(1 * 2 * 3 * 4, 7);
        var f = Random(2 * 3 * 3 * 3, 8);
        var y = Reference(x, 1, 2, 3, 4, f, 3, 3, 3, null, 2, 2, 1, 1, 1, 1, 2, 2, 1, 1, 1, out int oh, out int ow);
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 3).Arg("stride", 2).Arg("pad", 1).Arg("dilation", 2).Arg("adj", 1)
            .Input("X", x, 1, 2, 3, 4).Input("filter", f, 2, 3, 3, 3).Output("Y", y, 1, 3, oh, ow).Tolerance(1e-4, 1e-5).Run();
    }

    [Fact]
    public void OneDimensional_IsHOf1()
    {
        var x = Random(3 * 4 * 7, 9);
        var f = Random(4 * 2 * 3, 10);
        var b = Random(4, 11);
        var y = Reference(x, 3, 4, 1, 7, f, 2, 1, 3, b, 1, 2, 0, 1, 0, 2, 1, 2, 0, 1, 2, out _, out int ow);
        new OperatorTester(Catalog, "ConvTranspose").Args("kernels", 3).Args("strides", 2).Args("pads", 1, 2)
            .Args("dilations", 2).Args("adjs", 1).Arg("group", 2)
            .Input("X", x, 3, 4, 7).Input("filter", f, 4, 2, 3).Input("bias", b, 4).Output("Y", y, 3, 4, ow).Tolerance(1e-4, 1e-5).Run();
        // The single forms serve a 1-D input too.
        var y2 = Reference(x, 3, 4, 1, 7, f, 2, 1, 3, null, 1, 3, 0, 1, 0, 1, 1, 1, 0, 2, 2, out _, out int ow2);
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 3).Arg("stride", 3).Arg("pad", 1).Arg("adj", 2).Arg("group", 2)
            .Input("X", x, 3, 4, 7).Input("filter", f, 4, 2, 3).Output("Y", y2, 3, 4, ow2).Tolerance(1e-4, 1e-5).Run();
    }

    [Theory]
    [InlineData(1)] // VALID
    [InlineData(2)] // SAME: Caffe2's ConvTranspose treats it as VALID (no padding)
    public void LegacyPadValidAndSame_MeanNoPadding(int legacyPad)
    {
        var x = Random(2 * 2 * 3 * 4, 12);
        var f = Random(2 * 3 * 3 * 3, 13);
        var y = Reference(x, 2, 2, 3, 4, f, 3, 3, 3, null, 2, 2, 0, 0, 0, 0, 1, 1, 1, 0, 1, out int oh, out int ow);
        Assert.Equal((8, 9), (oh, ow));
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 3).Arg("stride", 2).Args("adjs", 1, 0).Arg("legacy_pad", legacyPad)
            .Input("X", x, 2, 2, 3, 4).Input("filter", f, 2, 3, 3, 3).Output("Y", y, 2, 3, oh, ow).Tolerance(1e-4, 1e-5).Run();
    }

    [Fact]
    public void ExactForSmallIntegers()
    {
        // One 2x2 image [[1, 2], [3, 4]], a 2x2 filter of ones, stride 1, bias 10: each pixel adds
        // itself to a 2x2 block, so Y is 3x3 with overlaps summed.
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 2).Input("X", new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2)
            .Input("filter", new float[] { 1, 1, 1, 1 }, 1, 1, 2, 2).Input("bias", new float[] { 10 }, 1)
            .Output("Y", new float[] { 11, 13, 12, 14, 20, 16, 13, 17, 14 }, 1, 1, 3, 3).Run();
        // Stride 2 places the blocks side by side; adj 1 adds a bias-only row and column.
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 2).Arg("stride", 2).Arg("adj", 1).Input("X", new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2)
            .Input("filter", new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2)
            .Output("Y", new float[]
            {
                1, 2, 2, 4, 0,
                3, 4, 6, 8, 0,
                3, 6, 4, 8, 0,
                9, 12, 12, 16, 0,
                0, 0, 0, 0, 0,
            }, 1, 1, 5, 5).Run();
    }

    [Fact]
    public void EmptyBatch_GivesAnEmptyOutput() =>
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 3).Arg("stride", 2)
            .Input("X", Array.Empty<float>(), 0, 2, 5, 5).Input("filter", new float[2 * 3 * 9], 2, 3, 3, 3).Input("bias", new float[3], 3)
            .Output("Y", Array.Empty<float>(), 0, 3, 11, 11).Run();

    [Fact]
    public void NoInputChannels_GivesTheBias() =>
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 2)
            .Input("X", Array.Empty<float>(), 1, 0, 2, 2).Input("filter", Array.Empty<float>(), 0, 1, 2, 2).Input("bias", new float[] { 1.5f }, 1)
            .Output("Y", Enumerable.Repeat(1.5f, 9).ToArray(), 1, 1, 3, 3).Run();

    private static OperatorTester Deconv(long[] xDims, long[] wDims, long[]? bDims = null, int kernel = 3)
    {
        var t = new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", kernel)
            .Input("X", new float[xDims.Aggregate(1L, (a, b) => a * b)], xDims).Input("filter", new float[wDims.Aggregate(1L, (a, b) => a * b)], wDims);
        if (bDims is not null) t.Input("bias", new float[bDims.Aggregate(1L, (a, b) => a * b)], bDims);
        return t;
    }

    [Fact]
    public void Errors_AreClear_NamingTheShapes()
    {
        Deconv([2, 4, 5, 5], [3, 2, 3, 3]).Output("Y")
            .ExpectError("filter 'filter' [3, 2, 3, 3] has 3 input channels (dim 0) but X 'X' [2, 4, 5, 5] has C = 4; ConvTranspose's filter is [C, M / group, kernel...]").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3], [3]).Output("Y").ExpectError("bias 'bias' [3] must be [M] = [2]").Run();
    }

    [Fact]
    public void Errors_AreClear()
    {
        Deconv([2, 4, 5, 5], [4, 2, 3, 3], [1, 2]).Output("Y").ExpectError("bias 'bias' [1, 2] must be [M] = [2]").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3], [2]).Arg("group", 2).Output("Y").ExpectError("bias 'bias' [2] must be [M] = [4]").Run();
        Deconv([2, 3, 5, 5], [3, 2, 3, 3]).Arg("group", 2).Output("Y").ExpectError("group 2 must divide the input channels C = 3 of X 'X' [2, 3, 5, 5]").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("stride", 2).Arg("adj", 3).Output("Y")
            .ExpectError("spatial dim 0: adj 3 must not exceed the stride 2 (Caffe2 requires 0 <= adj <= stride)").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Args("adjs", 0, 2).Output("Y").ExpectError("spatial dim 1: adj 2 must not exceed the stride 1").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("adj", -1).Output("Y").ExpectError("adj must not be negative").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("order", "NHWC").Output("Y").ExpectError("argument 'order' = \"NHWC\" is not supported; only NCHW is").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3], kernel: 2).Output("Y").ExpectError("does not match filter 'filter' [4, 2, 3, 3]").Run();
        Deconv([4, 5, 5], [4, 2, 3, 3]).Output("Y").ExpectError("must have the rank of X 'X' [4, 5, 5]").Run();
        Deconv([2, 4, 5, 5, 5], [4, 2, 3, 3, 3]).Output("Y").ExpectError("must be [N, C, H, W] or [N, C, W]").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("group", 0).Output("Y").ExpectError("argument 'group' = 0 must be at least 1").Run();
        Deconv([2, 4, 2, 2], [4, 2, 3, 3]).Arg("pad", 3).Output("Y").ExpectError("the output size (2 - 1) * 1 + 3 + 0 - 3 - 3 = -2 is not positive").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("legacy_pad", 3).Output("Y").ExpectError("legacy_pad 3 (CAFFE_LEGACY_POOLING) is not supported by ConvTranspose").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("legacy_pad", 1).Arg("pad", 1).Output("Y").ExpectError("explicit pads must not be given").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Arg("adj", 0).Args("adjs", 0, 0).Output("Y").ExpectError("give only one of 'adj', 'adjs' and 'adj_h'/'adj_w'").Run();
        Deconv([2, 4, 5, 5], [4, 2, 3, 3]).Args("adjs", 0, 0, 0).Output("Y").ExpectError("argument 'adjs' has 3 value(s); the 2-D input 'X' needs 2").Run();
        new OperatorTester(Catalog, "ConvTranspose").Output("Y").Arg("global_pooling", 1).Arg("kernel", 1)
            .Input("X", new float[4], 1, 1, 2, 2).Input("filter", new float[1], 1, 1, 1, 1).ExpectError("'global_pooling' is not a ConvTranspose argument").Run();
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 1).Input("X", new double[4], 1, 1, 2, 2).Input("filter", new float[1], 1, 1, 1, 1).Output("Y")
            .ExpectError("must be FLOAT").Run();
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 1).Input("X", new float[4], 1, 1, 2, 2).Input("filter", new float[1], 1, 1, 1, 1).Output("X")
            .ExpectError("an in-place pair the schema does not allow").Run();
    }

    [Fact]
    public void Errors_NameTheOperator()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", Tensor.From<float>(new float[2 * 4 * 25], [2, 4, 5, 5]));
        ws.FeedBlob("W", Tensor.From<float>(new float[3 * 2 * 9], [3, 2, 3, 3]));
        var ex = Assert.ThrowsAny<EnforceNotMetException>(() =>
            ws.RunOperatorOnce(OperatorDef.Create("ConvTranspose", "up1", ["X", "W"], ["Y"]).SetArgument("kernel", 3)));
        Assert.Contains("ConvTranspose", ex.Message, StringComparison.Ordinal);
        Assert.Contains("up1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("filter 'W' [3, 2, 3, 3]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_InfersShapeAndCost_MapsToOnnx_AndIsNotInPlace()
    {
        var schema = Catalog.Schemas.Find("ConvTranspose")!;
        Assert.Equal("ConvTranspose", schema.OnnxSchema);
        Assert.False(schema.InplaceAllowed(0, 0));
        Assert.NotNull(schema.Verify(OperatorDef.Create("ConvTranspose", "", ["X"], ["Y"])));
        Assert.NotNull(schema.Verify(OperatorDef.Create("ConvTranspose", "", ["X", "W", "b", "extra"], ["Y"])));
        Assert.Null(schema.Verify(OperatorDef.Create("ConvTranspose", "", ["X", "W"], ["Y"]).SetArgument("kernel", 3)));

        // X [2, 4, 9, 8], filter [4, 3, 3, 3], group 2 -> M = 6; stride 2, pad 1, adj 1: out = (in - 1) * 2 + 3 + 1 - 2.
        var def = OperatorDef.Create("ConvTranspose", "", ["X", "filter", "bias"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2)
            .SetArgument("pad", 1).SetArgument("adj", 1).SetArgument("group", 2);
        TensorShape[] inputs = [TensorShape.Create([2, 4, 9, 8]), TensorShape.Create([4, 3, 3, 3]), TensorShape.Create([6])];
        var shapes = schema.InferTensor(def, inputs);
        Assert.Equal([2L, 6, 18, 16], shapes[0].Dims);
        var cost = schema.InferCost(def, inputs);
        Assert.Equal((ulong)(2L * 2 * 4 * 9 * 8 * 3 * 3 * 3), cost.Flops);
        Assert.Equal((ulong)(2 * 4 * 9 * 8 + 4 * 3 * 9 + 6) * 4, cost.BytesRead);
        Assert.Equal((ulong)(2 * 6 * 18 * 16) * 4, cost.BytesWritten);
        Assert.Equal((ulong)(4 * 3 * 9 + 6) * 4, cost.ParamsBytes);

        var noBias = OperatorDef.Create("ConvTranspose", "", ["X", "filter"], ["Y"]).SetArgument("kernel", 3);
        Assert.Equal([2L, 3, 11, 10], schema.InferTensor(noBias, [TensorShape.Create([2, 4, 9, 8]), TensorShape.Create([4, 3, 3, 3])])[0].Dims);
        var oneD = OperatorDef.Create("ConvTranspose", "", ["X", "filter"], ["Y"]).SetRepeatedArgument("kernels", new long[] { 4 })
            .SetRepeatedArgument("strides", new long[] { 3 }).SetRepeatedArgument("pads", new long[] { 1, 2 }).SetRepeatedArgument("dilations", new long[] { 2 });
        Assert.Equal([1L, 5, 19], schema.InferTensor(oneD, [TensorShape.Create([1, 2, 6]), TensorShape.Create([2, 5, 4])])[0].Dims);
        Assert.True(schema.InferTensor(noBias, [TensorShape.Unknown(DataType.Float), TensorShape.Create([4, 3, 3, 3])])[0].UnknownShape);
        Assert.Throws<EnforceNotMetException>(() => schema.InferTensor(noBias, [TensorShape.Create([2, 5, 9, 8]), TensorShape.Create([4, 3, 3, 3])]));
    }

    [Fact]
    public void GradientMaker_WritesCaffe2sDefs()
    {
        var withBias = OperatorDef.Create("ConvTranspose", "up", ["X", "W", "b"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2);
        var g = Assert.Single(Catalog.GetGradientForOp(withBias).Ops);
        Assert.Equal("ConvTransposeGradient", g.Type);
        Assert.Equal(["X", "W", "Y_grad"], g.Input);
        Assert.Equal(["W_grad", "b_grad", "X_grad"], g.Output);
        Assert.Equal(2, g.GetSingleArgument("stride", 0));
        Assert.False(g.HasArgument("no_bias"));

        var noBias = OperatorDef.Create("ConvTranspose", "", ["X", "W"], ["Y"]).SetArgument("kernel", 3);
        var meta = Catalog.GetGradientForOp(noBias);
        g = Assert.Single(meta.Ops);
        Assert.Equal(["W_grad", "X_grad"], g.Output);
        Assert.Equal(1, g.GetSingleArgument("no_bias", 0));
        Assert.Equal(["X_grad", "W_grad"], meta.InputGradients.Select(w => w.Dense));

        var noDx = OperatorDef.Create("ConvTranspose", "", ["X", "W", "b"], ["Y"]).SetArgument("kernel", 3).SetArgument("no_gradient_to_input", 1);
        Assert.Equal(["W_grad", "b_grad"], Assert.Single(Catalog.GetGradientForOp(noDx).Ops).Output);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Gradient_MatchesFiniteDifferences(int input)
    {
        // Stride 2, asymmetric pads, dilation 2 x 1, adj 1, two groups.
        var x = Random(2 * 4 * 3 * 4, 30);
        var f = Random(4 * 2 * 3 * 2, 31);
        var b = Random(4, 32);
        new OperatorTester(Catalog, "ConvTranspose").Args("kernels", 3, 2).Args("strides", 2, 2).Args("pads", 1, 0, 2, 1).Args("dilations", 2, 1)
            .Args("adjs", 1, 0).Arg("group", 2)
            .Input("X", x, 2, 4, 3, 4).Input("filter", f, 4, 2, 3, 2).Input("bias", b, 4).Output("Y").GradientCheck(input).Run();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void Gradient_WithoutBias_And1D_MatchesFiniteDifferences(int input)
    {
        var x = Random(2 * 3 * 5, 33);
        var f = Random(3 * 2 * 3, 34);
        new OperatorTester(Catalog, "ConvTranspose").Arg("kernel", 3).Arg("stride", 3).Arg("pad", 1).Arg("adj", 2)
            .Input("X", x, 2, 3, 5).Input("filter", f, 3, 2, 3).Output("Y").GradientCheck(input).Run();
    }

    [Fact]
    public void GradientOp_EmptyBatch_GivesZeroFilterAndBiasGradients()
    {
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", Tensor.From<float>([], [0, 2, 3, 3]));
        ws.FeedBlob("W", Tensor.From<float>(Random(2 * 3 * 4, 35), [2, 3, 2, 2]));
        ws.FeedBlob("dY", Tensor.From<float>([], [0, 3, 4, 4]));
        ws.RunOperatorOnce(OperatorDef.Create("ConvTransposeGradient", "", ["X", "W", "dY"], ["dW", "db", "dX"]).SetArgument("kernel", 2));
        Assert.Equal([2L, 3, 2, 2], ws.FetchBlob("dW").Shape);
        Assert.All(ws.FetchBlob("dW").ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(new float[3], ws.FetchBlob("db").ToArray<float>());
        Assert.Equal([0L, 2, 3, 3], ws.FetchBlob("dX").Shape);
        var ex = Assert.ThrowsAny<EnforceNotMetException>(() => ws.RunOperatorOnce(
            OperatorDef.Create("ConvTransposeGradient", "", ["X", "W", "dY"], ["dW", "db"]).SetArgument("kernel", 2).SetArgument("stride", 2)));
        Assert.Contains("must have the forward output's shape [0, 3, 6, 6]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StandardOperators_IncludeConvTranspose_AndTheBuilderWritesIt()
    {
        var catalog = new OperatorCatalog().AddStandardOperators();
        Assert.True(catalog.Operators.Contains("ConvTranspose"));
        var net = new NetBuilder("n").ExternalInput("X", "W", "b").ConvTranspose("X", "W", "b", "Y", kernel: 4, stride: 2, pad: 1, adj: 1, group: 1, name: "up")
            .ExternalOutput("Y").Build();
        var op = Assert.Single(net.Op);
        Assert.Equal("ConvTranspose", op.Type);
        Assert.Equal("up", op.Name);
        Assert.Equal(1, op.GetSingleArgument("adj", 0));
        var ws = new Workspace(catalog);
        ws.FeedBlob("X", Tensor.From<float>(Random(1 * 2 * 3 * 3, 14), [1, 2, 3, 3]));
        ws.FeedBlob("W", Tensor.From<float>(Random(2 * 3 * 16, 15), [2, 3, 4, 4]));
        ws.FeedBlob("b", Tensor.From<float>(Random(3, 16), [3]));
        ws.CreateNet(net);
        ws.RunNet("n");
        Assert.Equal([1L, 3, 7, 7], ws.FetchBlob("Y").Shape);
    }

    [Fact]
    public void SteadyStateRuns_AllocateNothing_AtSeveralThreads()
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var ws = new Workspace(Catalog, pool) { IntraOpThreads = 2 };
        ws.FeedBlob("X", Tensor.From<float>(Random(2 * 8 * 6 * 6, 17), [2, 8, 6, 6]));
        ws.FeedBlob("W", Tensor.From<float>(Random(8 * 2 * 9, 18), [8, 2, 3, 3]));
        ws.FeedBlob("b", Tensor.From<float>(Random(4, 19), [4]));
        var net = new NetDef { Name = "n" };
        net.Op.Add(OperatorDef.Create("ConvTranspose", "", ["X", "W", "b"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2)
            .SetArgument("pad", 1).SetArgument("adj", 1).SetArgument("group", 2));
        ws.CreateNet(net);
        ws.RunNet("n");
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
        Assert.Equal([2L, 4, 12, 12], ws.FetchBlob("Y").Shape);
    }
}

file static class RepeatedArguments
{
    // OperatorTester.Arg takes single values; repeated ones go straight into the def.
    public static OperatorTester Args(this OperatorTester t, string name, params long[] values)
    {
        t.Def.SetRepeatedArgument(name, values);
        return t;
    }
}
