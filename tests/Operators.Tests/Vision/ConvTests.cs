using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Proto;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>Conv on the harness, against a naive direct convolution in double.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ConvTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Conv.Register);

    private static float[] Random(long n, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
    }

    // Direct convolution: y[n, m, oy, ox] = b[m] + sum_{c, ky, kx} x[n, g*cg + c, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw] * w[m, c, ky, kx].
    private static float[] Reference(float[] x, int n, int c, int h, int w, float[] f, int m, int kh, int kw, float[]? b,
        int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw, int group, out int oh, out int ow)
    {
        oh = (h + pt + pb - (dh * (kh - 1) + 1)) / sh + 1;
        ow = (w + pl + pr - (dw * (kw - 1) + 1)) / sw + 1;
        int cg = c / group, mg = m / group;
        var y = new float[n * m * oh * ow];
        for (int img = 0; img < n; img++)
            for (int oc = 0; oc < m; oc++)
            {
                int g = oc / mg;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                    {
                        double s = b?[oc] ?? 0;
                        for (int ic = 0; ic < cg; ic++)
                            for (int ky = 0; ky < kh; ky++)
                                for (int kx = 0; kx < kw; kx++)
                                {
                                    int iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    s += (double)x[((img * c + g * cg + ic) * h + iy) * w + ix] * f[((oc * cg + ic) * kh + ky) * kw + kx];
                                }
                        y[((img * m + oc) * oh + oy) * ow + ox] = (float)s;
                    }
            }
        return y;
    }

    [Theory]
    // c, h, w, m, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw, group, bias
    [InlineData(3, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true)]      // 1x1 direct path
    [InlineData(3, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, false)]
    [InlineData(4, 6, 7, 6, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 2, true)]      // 1x1 strided, grouped
    [InlineData(3, 8, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true)]
    [InlineData(3, 8, 8, 5, 3, 3, 1, 1, 0, 0, 0, 0, 1, 1, 1, false)]
    [InlineData(2, 9, 7, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true)]
    [InlineData(2, 9, 10, 4, 3, 3, 2, 1, 0, 1, 2, 0, 1, 1, 1, true)]     // asymmetric t, l, b, r
    [InlineData(3, 11, 12, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, true)]
    [InlineData(3, 11, 12, 6, 5, 5, 2, 2, 1, 2, 0, 3, 1, 1, 3, false)]
    [InlineData(2, 10, 10, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1, true)]     // dilation 2
    [InlineData(4, 10, 11, 4, 3, 3, 2, 1, 1, 0, 1, 2, 2, 1, 2, true)]     // dilation 2 x 1, groups 2
    [InlineData(4, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, false)]     // groups 2
    [InlineData(6, 7, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, true)]      // depthwise
    [InlineData(5, 8, 8, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5, true)]     // depthwise, multiplier 2
    [InlineData(3, 4, 6, 2, 3, 5, 1, 1, 0, 0, 0, 0, 1, 1, 1, true)]      // rectangular kernel
    [InlineData(16, 14, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true)]  // larger
    [InlineData(6, 9, 10, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2, 1, 6, true)]     // depthwise, strided, dilated
    [InlineData(4, 5, 37, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, false)]    // depthwise, rows wider than a vector
    [InlineData(32, 9, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true)]    // K = 288: two k blocks
    [InlineData(3, 23, 25, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true)]   // N = 575: three column panels, runs across strips
    [InlineData(3, 31, 33, 13, 7, 7, 2, 2, 0, 0, 0, 0, 1, 1, 1, true)]   // stem-like 7x7 stride 2
    [InlineData(2, 9, 75, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, true)]     // stride 2, output rows of 38: vector strided unfold
    [InlineData(2, 9, 76, 5, 3, 3, 2, 2, 0, 0, 0, 0, 1, 1, 1, false)]    // stride 2 reaching the row's last element
    [InlineData(260, 4, 70, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, true)]   // 1x1 direct, K = 260, N = 280
    [InlineData(32, 6, 30, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true)]   // indirect (rows of 30), two channel blocks, 12 + 1 filters
    [InlineData(4, 7, 52, 6, 3, 3, 2, 1, 0, 2, 1, 0, 2, 2, 2, true)]     // indirect: stride_h 2, dilation 2, groups 2, rows of 50
    [InlineData(3, 5, 28, 20, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1, false)]   // indirect 5x5, rows of 28
    [InlineData(40, 6, 6, 60, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2, false)]   // 1x1 direct, grouped
    public void MatchesTheDirectConvolution(int c, int h, int w, int m, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw, int group, bool bias)
    {
        const int n = 2;
        var x = Random(n * c * h * w, 1);
        var f = Random(m * (c / group) * kh * kw, 2);
        float[]? b = bias ? Random(m, 3) : null;
        var y = Reference(x, n, c, h, w, f, m, kh, kw, b, sh, sw, pt, pl, pb, pr, dh, dw, group, out int oh, out int ow);
        var t = new OperatorTester(Catalog, "Conv").Arg("kernel_h", kh).Arg("kernel_w", kw).Arg("stride_h", sh).Arg("stride_w", sw)
            .Arg("pad_t", pt).Arg("pad_l", pl).Arg("pad_b", pb).Arg("pad_r", pr).Arg("dilation_h", dh).Arg("dilation_w", dw).Arg("group", group)
            .Input("X", x, n, c, h, w).Input("filter", f, m, c / group, kh, kw);
        if (b is not null) t.Input("bias", b, m);
        t.Output("Y", y, n, m, oh, ow).Tolerance(1e-4, 1e-5).Run();
    }

    // The internal "activation" argument: Relu fused into the store, bit-identical to Conv then Relu.
    [Theory]
    [InlineData(3, 8, 8, 5, 3, 1, 1, 1)]     // im2col GEMM
    [InlineData(24, 7, 7, 30, 1, 1, 0, 1)]   // 1x1 direct
    [InlineData(6, 9, 9, 6, 3, 2, 1, 6)]     // depthwise
    [InlineData(8, 6, 28, 14, 3, 1, 1, 1)]   // indirect
    public void ActivationRelu_IsConvThenRelu(int c, int h, int w, int m, int k, int stride, int pad, int group)
    {
        var x = Random(2 * c * h * w, 11);
        var f = Random(m * (c / group) * k * k, 12);
        var b = Random(m, 13);
        var plain = Reference(x, 2, c, h, w, f, m, k, k, b, stride, stride, pad, pad, pad, pad, 1, 1, group, out int oh, out int ow);
        var relu = plain.Select(v => v < 0 ? 0f : v).ToArray();
        new OperatorTester(Catalog, "Conv").Arg("kernel", k).Arg("stride", stride).Arg("pad", pad).Arg("group", group).Arg("activation", "Relu")
            .Input("X", x, 2, c, h, w).Input("filter", f, m, c / group, k, k).Input("bias", b, m)
            .Output("Y", relu, 2, m, oh, ow).Tolerance(1e-4, 1e-5).Run();

        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", Tensor.From<float>(x, [2, c, h, w]));
        ws.FeedBlob("filter", Tensor.From<float>(f, [m, c / group, k, k]));
        ws.FeedBlob("bias", Tensor.From<float>(b, [m]));
        OperatorDef Def(string y) => OperatorDef.Create("Conv", "", ["X", "filter", "bias"], [y]).SetArgument("kernel", k).SetArgument("stride", stride)
            .SetArgument("pad", pad).SetArgument("group", group);
        ws.RunOperatorOnce(Def("Y"));
        ws.RunOperatorOnce(Def("Yr").SetArgument("activation", "Relu"));
        var separate = ws.FetchBlob("Y").ToArray<float>();
        var fused = ws.FetchBlob("Yr").ToArray<float>();
        for (int i = 0; i < fused.Length; i++)
        {
            float expected = separate[i] < 0 ? 0f : separate[i];
            Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(fused[i]), $"element {i}: fused {fused[i]:R}, Conv then Relu {expected:R}");
        }
    }

    [Fact]
    public void Activation_OtherThanRelu_IsRejected() =>
        Conv2([1, 2, 5, 5], [3, 2, 3, 3]).Arg("activation", "Tanh").Output("Y").ExpectError("argument 'activation' = \"Tanh\" is not supported").Run();

    [Fact]
    public void PadsList_IsTopLeftBottomRight()
    {
        var x = Random(2 * 3 * 7 * 8, 4);
        var f = Random(4 * 3 * 3 * 3, 5);
        var y = Reference(x, 2, 3, 7, 8, f, 4, 3, 3, null, 1, 2, 2, 0, 1, 3, 1, 1, 1, out int oh, out int ow);
        new OperatorTester(Catalog, "Conv").Arg("kernel", 3).Arg("stride_h", 1).Arg("stride_w", 2)
            .Arg("pad_t", 2).Arg("pad_l", 0).Arg("pad_b", 1).Arg("pad_r", 3)
            .Input("X", x, 2, 3, 7, 8).Input("filter", f, 4, 3, 3, 3).Output("Y", y, 2, 4, oh, ow).Tolerance(1e-4, 1e-5).Run();
        var def = OperatorDef.Create("Conv", "", ["X", "filter"], ["Y"]).SetRepeatedArgument("kernels", new long[] { 3, 3 })
            .SetRepeatedArgument("strides", new long[] { 1, 2 }).SetRepeatedArgument("pads", new long[] { 2, 0, 1, 3 });
        var ws = new Workspace(Catalog);
        ws.FeedBlob("X", Tensor.From<float>(x, [2, 3, 7, 8]));
        ws.FeedBlob("filter", Tensor.From<float>(f, [4, 3, 3, 3]));
        ws.RunOperatorOnce(def);
        var actual = ws.FetchBlob("Y");
        Assert.Equal([2L, 4, oh, ow], actual.Shape);
        var a = actual.ToArray<float>();
        for (int i = 0; i < y.Length; i++) Assert.True(Math.Abs(a[i] - y[i]) <= 1e-5 + 1e-4 * Math.Abs(y[i]), $"element {i}: {a[i]} vs {y[i]}");
    }

    [Fact]
    public void OneDimensional_IsHOf1()
    {
        var x = Random(2 * 3 * 10, 6);
        var f = Random(4 * 3 * 3, 7);
        var b = Random(4, 8);
        var y = Reference(x, 2, 3, 1, 10, f, 4, 1, 3, b, 1, 2, 0, 1, 0, 1, 1, 1, 1, out _, out int ow);
        new OperatorTester(Catalog, "Conv").Arg("kernel", 3).Arg("stride", 2).Arg("pad", 1)
            .Input("X", x, 2, 3, 10).Input("filter", f, 4, 3, 3).Input("bias", b, 4).Output("Y", y, 2, 4, ow).Tolerance(1e-4, 1e-5).Run();
    }

    [Fact]
    public void LegacyPadSame_KeepsTheSize()
    {
        var x = Random(2 * 2 * 6 * 6, 9);
        var f = Random(3 * 2 * 3 * 3, 10);
        var y = Reference(x, 2, 2, 6, 6, f, 3, 3, 3, null, 1, 1, 1, 1, 1, 1, 1, 1, 1, out _, out _);
        new OperatorTester(Catalog, "Conv").Arg("kernel", 3).Arg("legacy_pad", 2)
            .Input("X", x, 2, 2, 6, 6).Input("filter", f, 3, 2, 3, 3).Output("Y", y, 2, 3, 6, 6).Tolerance(1e-4, 1e-5).Run();
    }

    [Fact]
    public void ExactForSmallIntegers()
    {
        // 1 image, 1 channel 3x3, one 2x2 filter of ones, bias 10: sums of 2x2 windows plus 10.
        float[] x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        new OperatorTester(Catalog, "Conv").Arg("kernel", 2).Input("X", x, 1, 1, 3, 3).Input("filter", new float[] { 1, 1, 1, 1 }, 1, 1, 2, 2)
            .Input("bias", new float[] { 10 }, 1).Output("Y", new float[] { 22, 26, 34, 38 }, 1, 1, 2, 2).Run();
    }

    [Fact]
    public void EmptyBatch_GivesAnEmptyOutput() =>
        new OperatorTester(Catalog, "Conv").Arg("kernel", 3).Input("X", Array.Empty<float>(), 0, 2, 5, 5).Input("filter", new float[3 * 2 * 9], 3, 2, 3, 3)
            .Output("Y", Array.Empty<float>(), 0, 3, 3, 3).Run();

    private static OperatorTester Conv2(long[] xDims, long[] wDims, long[]? bDims = null, int kernel = 3)
    {
        var t = new OperatorTester(Catalog, "Conv").Arg("kernel", kernel)
            .Input("X", new float[xDims.Aggregate(1L, (a, b) => a * b)], xDims).Input("filter", new float[wDims.Aggregate(1L, (a, b) => a * b)], wDims);
        if (bDims is not null) t.Input("bias", new float[bDims.Aggregate(1L, (a, b) => a * b)], bDims);
        return t;
    }

    [Fact]
    public void Errors_AreClear()
    {
        Conv2([2, 4, 5, 5], [3, 3, 3, 3]).Output("Y")
            .ExpectError("filter 'filter' [3, 3, 3, 3] has 3 channels per filter but X 'X' [2, 4, 5, 5] with group 1 needs C / group = 4").Run();
        Conv2([2, 4, 5, 5], [6, 4, 3, 3]).Arg("group", 2).Output("Y")
            .ExpectError("has 4 channels per filter but X 'X' [2, 4, 5, 5] with group 2 needs C / group = 2").Run();
        Conv2([2, 4, 5, 5], [3, 4, 3, 3], [4]).Output("Y").ExpectError("bias 'bias' [4] must be [M] = [3]").Run();
        Conv2([2, 4, 5, 5], [3, 4, 3, 3], [1, 3]).Output("Y").ExpectError("bias 'bias' [1, 3] must be [M] = [3]").Run();
        Conv2([2, 3, 5, 5], [4, 1, 3, 3]).Arg("group", 2).Output("Y").ExpectError("group 2 must divide both the input channels C = 3").Run();
        Conv2([2, 4, 5, 5], [3, 2, 3, 3]).Arg("group", 2).Output("Y").ExpectError("and the filters M = 3").Run();
        Conv2([2, 4, 5, 5], [3, 4, 3, 3]).Arg("order", "NHWC").Output("Y").ExpectError("argument 'order' = \"NHWC\" is not supported; only NCHW is").Run();
        Conv2([2, 4, 5, 5], [3, 4, 3, 3], kernel: 2).Output("Y").ExpectError("does not match filter 'filter' [3, 4, 3, 3]").Run();
        Conv2([2, 4, 2, 2], [3, 4, 3, 3]).Output("Y").ExpectError("is smaller than the kernel 3").Run();
        Conv2([4, 5, 5], [3, 4, 3, 3]).Output("Y").ExpectError("must have the rank of X 'X' [4, 5, 5]").Run();
        Conv2([2, 4, 5, 5], [3, 4, 3, 3]).Arg("group", 0).Output("Y").ExpectError("argument 'group' = 0 must be at least 1").Run();
        new OperatorTester(Catalog, "Conv").Arg("kernel", 1).Input("X", new double[4], 1, 1, 2, 2).Input("filter", new float[1], 1, 1, 1, 1).Output("Y")
            .ExpectError("must be FLOAT").Run();
    }

    [Fact]
    public void Schema_InfersShapeAndCost_AndMapsToOnnx()
    {
        var schema = Catalog.Schemas.Find("Conv")!;
        Assert.Equal("Conv", schema.OnnxSchema);
        var def = OperatorDef.Create("Conv", "", ["X", "filter", "bias"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("group", 2);
        TensorShape[] inputs = [TensorShape.Create([2, 4, 9, 8]), TensorShape.Create([6, 2, 3, 3]), TensorShape.Create([6])];
        var shapes = schema.InferTensor(def, inputs);
        Assert.Equal([2L, 6, 5, 4], shapes[0].Dims);
        var cost = schema.InferCost(def, inputs);
        Assert.Equal((ulong)(2L * 2 * 6 * 5 * 4 * 2 * 3 * 3), cost.Flops);
        var noBias = OperatorDef.Create("Conv", "", ["X", "filter"], ["Y"]).SetArgument("kernel", 3);
        Assert.Equal([2L, 6, 7, 6], schema.InferTensor(noBias, [TensorShape.Create([2, 4, 9, 8]), TensorShape.Create([6, 4, 3, 3])])[0].Dims);
    }
}
