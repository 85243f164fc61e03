using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Vision;

/// <summary>MaxPool and AveragePool on the harness, against a plain nested-loop reference.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class PoolingTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Pooling.Register);

    // The plain reference over [N, C, H, W] (1-D: H = 1, kernel height 1): for every output cell, every
    // cell of the full window, skipping those outside the image. Sums in double in row-major window
    // order; the divisor is the image cells counted, or kh * kw with countIncludePad. A NaN wins a max
    // (and a max of zeros is +0 when the window holds a +0);
    // an empty window gives -infinity (max) or 0 (average). With dilations dh, dw, window cell (a, b)
    // is a * dh rows and b * dw columns after the window's first.
    private static double[] Reference(double[] x, int n, int c, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl,
        bool average, bool countIncludePad, int dh = 1, int dw = 1)
    {
        var y = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    double max = double.NegativeInfinity, sum = 0;
                    int count = 0;
                    for (int a = 0; a < kh; a++)
                        for (int b = 0; b < kw; b++)
                        {
                            int ih = i * sh - pt + a * dh, iw = j * sw - pl + b * dw;
                            if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                            double v = x[p * h * w + ih * w + iw];
                            sum += v;
                            count++;
                            if (double.IsNaN(v) || double.IsNaN(max)) max = double.NaN;
                            else if (v > max || (v == max && !double.IsNegative(v))) max = v; // +0 over -0
                        }
                    double divisor = countIncludePad ? kh * kw : Math.Max(count, 1);
                    y[p * oh * ow + i * ow + j] = average ? sum / divisor : max;
                }
        return y;
    }

    private static double[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Math.Round((rng.NextDouble() * 2 - 1) * 8, 3))];
    }

    private static float[] F(double[] x) => [.. x.Select(v => (float)v)];

    private static double[] D(float[] x) => [.. x.Select(v => (double)v)];

    private static int Floor(int input, int padBegin, int padEnd, int k, int s, int dilation = 1) => (input + padBegin + padEnd - (dilation * (k - 1) + 1)) / s + 1;

    // N, C, H, W, kh, kw, sh, sw, pt, pl, pb, pr
    public static IEnumerable<object[]> Shapes() => new int[][]
    {
        [1, 1, 4, 4, 2, 2, 1, 1, 0, 0, 0, 0],
        [2, 3, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1],
        [1, 2, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0],
        [2, 2, 7, 9, 3, 2, 2, 3, 1, 0, 2, 1],
        [1, 3, 6, 5, 5, 3, 3, 2, 2, 1, 0, 2],
        [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0],
        [3, 1, 10, 3, 4, 1, 3, 1, 3, 0, 3, 0],
        [1, 4, 13, 13, 3, 3, 2, 2, 0, 0, 0, 0],
        [2, 1, 6, 6, 6, 6, 1, 1, 0, 0, 0, 0],
        [1, 2, 3, 11, 2, 4, 1, 4, 1, 3, 0, 3],
        [1, 1, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1],
        [4, 5, 9, 9, 3, 3, 3, 3, 1, 1, 1, 1],
    }.Select(row => row.Cast<object>().ToArray());

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float2D_RepeatedForms_MatchTheReference(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr)
    {
        int oh = Floor(h, pt, pb, kh, sh), ow = Floor(w, pl, pr, kw, sw);
        var x = F(Random(n * c * h * w, h * 31 + w));
        foreach (var (op, average, include) in new[] { ("MaxPool", false, false), ("AveragePool", true, false), ("AveragePool", true, true) })
        {
            var t = new OperatorTester(Catalog, op).Ints("kernels", new long[] { kh, kw }).Ints("strides", new long[] { sh, sw }).Ints("pads", new long[] { pt, pl, pb, pr });
            if (include) t.Arg("count_include_pad", 1);
            t.Input("X", x, n, c, h, w)
                .Output("Y", F(Reference(D(x), n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, average, include)), n, c, oh, ow).Run();
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double2D_PairForms_MatchTheReference(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr)
    {
        int oh = Floor(h, pt, pb, kh, sh), ow = Floor(w, pl, pr, kw, sw);
        var x = Random(n * c * h * w, h * 7 + w);
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
            new OperatorTester(Catalog, op).Arg("kernel_h", kh).Arg("kernel_w", kw).Arg("stride_h", sh).Arg("stride_w", sw)
                .Arg("pad_t", pt).Arg("pad_l", pl).Arg("pad_b", pb).Arg("pad_r", pr)
                .Input("X", x, n, c, h, w)
                .Output("Y", Reference(x, n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, average, false), n, c, oh, ow).Run();
    }

    [Theory]
    [InlineData(3, 1, 0)]
    [InlineData(2, 2, 1)]
    [InlineData(3, 2, 1)]
    [InlineData(5, 3, 2)]
    public void SingleForms_GiveEveryDimTheSameValue(int k, int s, int p)
    {
        const int n = 2, c = 3, h = 9, w = 7;
        int oh = Floor(h, p, p, k, s), ow = Floor(w, p, p, k, s);
        var x = F(Random(n * c * h * w, k * 10 + s));
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
            new OperatorTester(Catalog, op).Arg("kernel", k).Arg("stride", s).Arg("pad", p).Input("X", x, n, c, h, w)
                .Output("Y", F(Reference(D(x), n, c, h, w, oh, ow, k, k, s, s, p, p, average, false)), n, c, oh, ow).Run();
    }

    [Theory]
    [InlineData(1, 1, 10, 3, 1, 0, 0)]
    [InlineData(2, 3, 32, 2, 1, 0, 0)]
    [InlineData(1, 2, 9, 4, 3, 2, 1)]
    [InlineData(3, 1, 5, 5, 2, 2, 2)]
    public void OneD_MatchesTheReference(int n, int c, int w, int k, int s, int pb, int pe)
    {
        int ow = Floor(w, pb, pe, k, s);
        var x = F(Random(n * c * w, w + k));
        foreach (var (op, average, include) in new[] { ("MaxPool", false, false), ("AveragePool", true, false), ("AveragePool", true, true) })
        {
            var t = new OperatorTester(Catalog, op).Ints("kernels", new long[] { k }).Ints("strides", new long[] { s }).Ints("pads", new long[] { pb, pe });
            if (include) t.Arg("count_include_pad", 1);
            t.Input("X", x, n, c, w).Output("Y", F(Reference(D(x), n, c, 1, w, 1, ow, 1, k, 1, s, 0, pb, average, include)), n, c, ow).Run();
        }
        // The single forms serve a 1-D input too.
        if (pb == pe)
            new OperatorTester(Catalog, "MaxPool").Arg("kernel", k).Arg("stride", s).Arg("pad", pb).Input("X", x, n, c, w)
                .Output("Y", F(Reference(D(x), n, c, 1, w, 1, ow, 1, k, 1, s, 0, pb, false, false)), n, c, ow).Run();
    }

    // Dilation (a Caffe2Sharp extension; Caffe2 refuses it in pooling): dh, dw over the shapes above.
    public static IEnumerable<object[]> DilatedShapes() =>
        from row in Shapes()
        from d in new[] { (2, 2), (2, 3), (3, 1), (1, 3) }
        let r = row.Cast<int>().ToArray()
        where r[2] + r[8] + r[10] >= d.Item1 * (r[4] - 1) + 1 && r[3] + r[9] + r[11] >= d.Item2 * (r[5] - 1) + 1
        select r.Cast<object>().Append(d.Item1).Append(d.Item2).ToArray();

    [Theory]
    [MemberData(nameof(DilatedShapes))]
    public void Dilated2D_EveryForm_MatchesTheReference(int n, int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw)
    {
        int oh = Floor(h, pt, pb, kh, sh, dh), ow = Floor(w, pl, pr, kw, sw, dw);
        var x = F(Random(n * c * h * w, h * 13 + w + dh));
        foreach (var (op, average, include) in new[] { ("MaxPool", false, false), ("AveragePool", true, false), ("AveragePool", true, true) })
        {
            var expected = F(Reference(D(x), n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, average, include, dh, dw));
            var t = new OperatorTester(Catalog, op).Ints("kernels", new long[] { kh, kw }).Ints("strides", new long[] { sh, sw }).Ints("pads", new long[] { pt, pl, pb, pr })
                .Ints("dilations", new long[] { dh, dw });
            if (include) t.Arg("count_include_pad", 1);
            t.Input("X", x, n, c, h, w).Output("Y", expected, n, c, oh, ow).Run();
            // The pair form, and the single form where both dims share the dilation.
            new OperatorTester(Catalog, op).Ints("kernels", new long[] { kh, kw }).Ints("strides", new long[] { sh, sw }).Ints("pads", new long[] { pt, pl, pb, pr })
                .Arg("dilation_h", dh).Arg("dilation_w", dw).Arg("count_include_pad", include ? 1 : 0)
                .Input("X", x, n, c, h, w).Output("Y", expected, n, c, oh, ow).Run();
            if (dh == dw)
                new OperatorTester(Catalog, op).Ints("kernels", new long[] { kh, kw }).Ints("strides", new long[] { sh, sw }).Ints("pads", new long[] { pt, pl, pb, pr })
                    .Arg("dilation", dh).Arg("count_include_pad", include ? 1 : 0)
                    .Input("X", x, n, c, h, w).Output("Y", expected, n, c, oh, ow).Run();
        }
        var xd = Random(n * c * h * w, h * 5 + w + dw);
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
            new OperatorTester(Catalog, op).Ints("kernels", new long[] { kh, kw }).Ints("strides", new long[] { sh, sw }).Ints("pads", new long[] { pt, pl, pb, pr })
                .Ints("dilations", new long[] { dh, dw }).Input("X", xd, n, c, h, w)
                .Output("Y", Reference(xd, n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, average, false, dh, dw), n, c, oh, ow).Run();
    }

    [Theory]
    [InlineData(1, 2, 11, 3, 1, 2, 0, 0)]
    [InlineData(2, 1, 17, 2, 2, 3, 2, 1)]
    [InlineData(1, 3, 9, 4, 3, 2, 5, 0)]
    public void Dilated1D_MatchesTheReference(int n, int c, int w, int k, int s, int d, int pb, int pe)
    {
        int ow = Floor(w, pb, pe, k, s, d);
        var x = F(Random(n * c * w, w + k + d));
        foreach (var (op, average, include) in new[] { ("MaxPool", false, false), ("AveragePool", true, false), ("AveragePool", true, true) })
            new OperatorTester(Catalog, op).Ints("kernels", new long[] { k }).Ints("strides", new long[] { s }).Ints("pads", new long[] { pb, pe })
                .Ints("dilations", new long[] { d }).Arg("count_include_pad", include ? 1 : 0)
                .Input("X", x, n, c, w).Output("Y", F(Reference(D(x), n, c, 1, w, 1, ow, 1, k, 1, s, 0, pb, average, include, 1, d)), n, c, ow).Run();
    }

    [Fact]
    public void Dilated_LegacyValidAndCaffeCeilMode_UseTheDilatedKernel()
    {
        // 9 x 9, kernel 2 with taps 3 apart (extent 4), stride 2. VALID: (9 - 4) / 2 + 1 = 3.
        // Caffe's ceil mode: ceil(5 / 2) + 1 = 4; its last window, at 6, has one tap in the image (6).
        const int size = 9;
        var x = F(Random(2 * size * size, 91));
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
        {
            new OperatorTester(Catalog, op).Arg("legacy_pad", 1).Arg("kernel", 2).Arg("stride", 2).Arg("dilation", 3).Input("X", x, 1, 2, size, size)
                .Output("Y", F(Reference(D(x), 1, 2, size, size, 3, 3, 2, 2, 2, 2, 0, 0, average, false, 3, 3)), 1, 2, 3, 3).Run();
            new OperatorTester(Catalog, op).Arg("legacy_pad", 3).Arg("kernel", 2).Arg("stride", 2).Arg("dilation", 3).Input("X", x, 1, 2, size, size)
                .Output("Y", F(Reference(D(x), 1, 2, size, size, 4, 4, 2, 2, 2, 2, 0, 0, average, false, 3, 3)), 1, 2, 4, 4).Run();
        }
    }

    [Fact]
    public void Dilated_PadsMayReachTheDilatedKernel_AndAWindowWithoutImageTapsIsMinusInfinityOrZero()
    {
        // Width 2, kernel 2 with taps 3 apart (extent 4), pads 1 and 1: 1 output, whose taps -1 and 2
        // both miss the image. Pads of 2 (not smaller than the kernel 2) are allowed: they are below 4;
        // the windows' taps are (-2, 1), (-1, 2) and (0, 3).
        float[] x = [5, 6];
        new OperatorTester(Catalog, "MaxPool").Ints("kernels", new long[] { 2 }).Ints("pads", new long[] { 1, 1 }).Ints("dilations", new long[] { 3 })
            .Input("X", x, 1, 1, 2).Output("Y", new[] { float.NegativeInfinity }, 1, 1, 1).Run();
        new OperatorTester(Catalog, "AveragePool").Ints("kernels", new long[] { 2 }).Ints("pads", new long[] { 1, 1 }).Ints("dilations", new long[] { 3 })
            .Input("X", x, 1, 1, 2).Output("Y", new[] { 0f }, 1, 1, 1).Run();
        new OperatorTester(Catalog, "MaxPool").Ints("kernels", new long[] { 2 }).Ints("pads", new long[] { 2, 2 }).Ints("dilations", new long[] { 3 })
            .Input("X", x, 1, 1, 2).Output("Y", new[] { 6f, float.NegativeInfinity, 5f }, 1, 1, 3).Run();
    }

    [Fact]
    public void Dilated_Schema_InfersTheShapeWithTheDilatedKernel_AndCostsOneOpPerTap()
    {
        var max = Catalog.Schemas.Find("MaxPool")!;
        // 20 x 21, kernel 3 with taps 2 apart (extent 5), stride 2, pad 1: (20 + 2 - 5) / 2 + 1 = 9, (21 + 2 - 5) / 2 + 1 = 10.
        var def = OperatorDef.Create("MaxPool", "", ["X"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("pad", 1).SetArgument("dilation", 2);
        Assert.Equal("FLOAT[2, 8, 9, 10]", max.InferTensor(def, [TensorShape.Create([2, 8, 20, 21])]).Single().Describe());
        Assert.Equal(new Cost(2UL * 8 * 9 * 10 * 9, 2UL * 8 * 20 * 21 * 4, 2UL * 8 * 9 * 10 * 4), max.InferCost(def, [TensorShape.Create([2, 8, 20, 21])]));
        var oneD = OperatorDef.Create("AveragePool", "", ["X"], ["Y"]).SetRepeatedArgument("kernels", new long[] { 4 }).SetRepeatedArgument("dilations", new long[] { 3 });
        Assert.Equal("DOUBLE[1, 2, 3]", Catalog.Schemas.Find("AveragePool")!.InferTensor(oneD, [TensorShape.Create([1, 2, 12], DataType.Double)]).Single().Describe());
        Assert.Empty(max.VerifyWithWarnings(def).Warnings);
        Assert.Contains("Caffe2Sharp extension", max.Args.Single(a => a.Name == "dilations").Description, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(10, 3, 2, 2, LegacyPadding.NotSet, 0, 3, 0, 0)]
    [InlineData(10, 3, 2, 2, LegacyPadding.Valid, 0, 3, 0, 0)]
    [InlineData(10, 3, 2, 2, LegacyPadding.CaffeLegacyPooling, 0, 4, 0, 2)]  // ceil(5 / 2) + 1
    [InlineData(9, 2, 2, 3, LegacyPadding.CaffeLegacyPooling, 0, 4, 0, 2)]
    [InlineData(10, 2, 3, 3, LegacyPadding.CaffeLegacyPooling, 2, 4, 2, 2)]  // ceil(10 / 3) + 1 = 5, the last window would start at 12 >= 10 + 2: 4
    public void ComputeSizeAndPad_UsesTheDilatedKernel(int input, int k, int s, int d, LegacyPadding mode, int pad, int expectedOut, int expectedBegin, int expectedEnd) =>
        Assert.Equal((expectedOut, expectedBegin, expectedEnd), ConvPoolArgs.ComputeSizeAndPad(input, k, s, d, mode, pad, pad));

    [Fact]
    public void ManyPlanes_SplitAcrossThreads_MatchTheReference()
    {
        const int n = 4, c = 16, h = 15, w = 17;
        var x = F(Random(n * c * h * w, 99));
        int oh = Floor(h, 1, 1, 3, 2), ow = Floor(w, 1, 1, 3, 2);
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
            new OperatorTester(Catalog, op).Arg("kernel", 3).Arg("stride", 2).Arg("pad", 1).Input("X", x, n, c, h, w)
                .Output("Y", F(Reference(D(x), n, c, h, w, oh, ow, 3, 3, 2, 2, 1, 1, average, false)), n, c, oh, ow).Run();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GlobalPooling_PoolsTheWholeImage_AndIgnoresTheKernel(bool twoD)
    {
        long[] dims = twoD ? [2, 3, 5, 4] : [2, 3, 7];
        long[] outDims = twoD ? [2, 3, 1, 1] : [2, 3, 1];
        int plane = (int)(twoD ? 20 : 7);
        var x = F(Random(6 * plane, 5));
        var max = new float[6];
        var mean = new float[6];
        for (int p = 0; p < 6; p++)
        {
            var cells = x.Skip(p * plane).Take(plane).ToArray();
            max[p] = cells.Max();
            double sum = 0;
            foreach (var v in cells) sum += v;
            mean[p] = (float)(sum / plane);
        }
        // SqueezeNet writes kernel: 0 with global_pooling.
        new OperatorTester(Catalog, "MaxPool").Arg("global_pooling", 1).Arg("kernel", 0).Input("X", x, dims).Output("Y", max, outDims).Run();
        new OperatorTester(Catalog, "AveragePool").Arg("global_pooling", 1).Input("X", x, dims).Output("Y", mean, outDims).Run();
        new OperatorTester(Catalog, "AveragePool").Arg("global_pooling", 1).Arg("count_include_pad", 1).Input("X", x, dims).Output("Y", mean, outDims).Run();
    }

    [Theory]
    [InlineData(7, 3, 1)]
    [InlineData(8, 2, 2)]
    [InlineData(9, 4, 3)]
    public void LegacyValid_IgnoresNoPadsAndFloors(int size, int k, int s)
    {
        int o = (size - k) / s + 1;
        var x = F(Random(2 * size * size, size));
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
            new OperatorTester(Catalog, op).Arg("legacy_pad", 1).Arg("kernel", k).Arg("stride", s).Input("X", x, 1, 2, size, size)
                .Output("Y", F(Reference(D(x), 1, 2, size, size, o, o, k, k, s, s, 0, 0, average, false)), 1, 2, o, o).Run();
    }

    [Theory]
    [InlineData(32, 2, 1)] // need 1: the odd pixel goes at the end (head 0, tail 1)
    [InlineData(5, 3, 2)]  // need 2: 1 and 1
    [InlineData(6, 3, 2)]  // need 1
    [InlineData(7, 4, 1)]  // need 3: 1 and 2
    [InlineData(5, 1, 3)]  // need -1: head 0 (truncated), tail -1
    public void LegacySame_OutIsCeilOfInOverStride_OddPadAtTheEnd(int size, int k, int s)
    {
        int o = (size + s - 1) / s;
        int need = (o - 1) * s + k - size, head = need / 2;
        var x = F(Random(3 * size * size, size * k));
        foreach (var (op, average, include) in new[] { ("MaxPool", false, false), ("AveragePool", true, false), ("AveragePool", true, true) })
            new OperatorTester(Catalog, op).Arg("legacy_pad", 2).Arg("kernel", k).Arg("stride", s).Arg("count_include_pad", include ? 1 : 0)
                .Input("X", x, 1, 3, size, size)
                .Output("Y", F(Reference(D(x), 1, 3, size, size, o, o, k, k, s, s, head, head, average, include)), 1, 3, o, o).Run();
    }

    [Fact]
    public void LegacyCaffePooling_SqueezeNet54_Gives27_WhereFloorGives26()
    {
        const int size = 54;
        var x = F(Random(2 * size * size, 54));
        Assert.Equal(26, Floor(size, 0, 0, 3, 2));
        foreach (var (op, average) in new[] { ("MaxPool", false), ("AveragePool", true) })
        {
            new OperatorTester(Catalog, op).Arg("legacy_pad", 3).Arg("kernel", 3).Arg("stride", 2).Input("X", x, 1, 2, size, size)
                .Output("Y", F(Reference(D(x), 1, 2, size, size, 27, 27, 3, 3, 2, 2, 0, 0, average, false)), 1, 2, 27, 27).Run();
            new OperatorTester(Catalog, op).Arg("kernel", 3).Arg("stride", 2).Input("X", x, 1, 2, size, size)
                .Output("Y", F(Reference(D(x), 1, 2, size, size, 26, 26, 3, 3, 2, 2, 0, 0, average, false)), 1, 2, 26, 26).Run();
        }
    }

    [Theory]
    [InlineData(5, 3, 2, 1, 3)]  // ceil((5 + 2 - 3) / 2) + 1 = 3, the last window starts at 3 < 6: kept
    [InlineData(4, 2, 3, 1, 2)]  // ceil(4 / 3) + 1 = 3, but the last window would start at 6 >= 4 + 1: 2
    [InlineData(6, 3, 2, 1, 4)]  // ceil(5 / 2) + 1 = 4, starts at 6 < 7
    [InlineData(2, 3, 3, 1, 1)]  // ceil(1 / 3) + 1 = 2, starts at 3 >= 3: 1 (ONNX's last_window_starts_on_pad)
    public void LegacyCaffePooling_WithPad_ShrinksWhenTheLastWindowStartsInThePad(int size, int k, int s, int p, int expectedOut)
    {
        var x = F(Random(2 * size * size, size * 3 + k));
        foreach (var (op, average, include) in new[] { ("MaxPool", false, false), ("AveragePool", true, false), ("AveragePool", true, true) })
            new OperatorTester(Catalog, op).Arg("legacy_pad", 3).Arg("kernel", k).Arg("stride", s).Arg("pad", p).Arg("count_include_pad", include ? 1 : 0)
                .Input("X", x, 2, 1, size, size)
                .Output("Y", F(Reference(D(x), 2, 1, size, size, expectedOut, expectedOut, k, k, s, s, p, p, average, include)), 2, 1, expectedOut, expectedOut).Run();
    }

    [Fact]
    public void LegacyCaffePooling_WithoutPad_KeepsAWindowPastTheImage_MaxIsMinusInfinity_AverageIsZero()
    {
        // in 2, kernel 1, stride 2: ceil(1 / 2) + 1 = 2 and no shrink without padding (Caffe's rule), so the
        // second window starts at 2, outside the image. ONNX's ceil mode gives 1 here.
        float[] x = [1, 2, 3, 4];
        float ni = float.NegativeInfinity;
        new OperatorTester(Catalog, "MaxPool").Arg("legacy_pad", 3).Arg("kernel", 1).Arg("stride", 2).Input("X", x, 1, 1, 2, 2)
            .Output("Y", new[] { 1, ni, ni, ni }, 1, 1, 2, 2).Run();
        new OperatorTester(Catalog, "AveragePool").Arg("legacy_pad", 3).Arg("kernel", 1).Arg("stride", 2).Input("X", x, 1, 1, 2, 2)
            .Output("Y", new[] { 1f, 0, 0, 0 }, 1, 1, 2, 2).Run();
    }

    [Fact]
    public void CountIncludePad_DividesByTheKernelSize_OtherwiseByTheImageCells()
    {
        // 2x2 ones, kernel 3, pad 1: every window holds all 4 cells.
        float[] x = [1, 1, 1, 1];
        new OperatorTester(Catalog, "AveragePool").Arg("kernel", 3).Arg("pad", 1).Input("X", x, 1, 1, 2, 2)
            .Output("Y", new[] { 1f, 1, 1, 1 }, 1, 1, 2, 2).Run();
        new OperatorTester(Catalog, "AveragePool").Arg("kernel", 3).Arg("pad", 1).Arg("count_include_pad", 1).Input("X", x, 1, 1, 2, 2)
            .Output("Y", new[] { 4f / 9, 4f / 9, 4f / 9, 4f / 9 }, 1, 1, 2, 2).Run();
    }

    [Fact]
    public void MaxPool_PaddingNeverWins_AndNaNPropagates()
    {
        // All negative: a zero pad must not win.
        float[] neg = [-5, -4, -3, -2];
        new OperatorTester(Catalog, "MaxPool").Arg("kernel", 2).Arg("pad", 1).Input("X", neg, 1, 1, 2, 2)
            .Output("Y", new[] { -5f, -4, -4, -3, -2, -2, -3, -2, -2 }, 1, 1, 3, 3).Run();
        // A NaN wins wherever it sits in the window, before or after the maximum; -infinity and +infinity are ordinary.
        float nan = float.NaN, inf = float.PositiveInfinity;
        float[] x = [nan, 9, 1, 2, 3, inf, 4, 5, float.NegativeInfinity, 6, nan, 7];
        new OperatorTester(Catalog, "MaxPool").Ints("kernels", new long[] { 1, 2 }).Ints("strides", new long[] { 1, 2 }).Input("X", x, 1, 1, 3, 4)
            .Output("Y", new[] { nan, 2, inf, 5, 6, nan }, 1, 1, 3, 2).Run();
        new OperatorTester(Catalog, "AveragePool").Ints("kernels", new long[] { 1, 2 }).Ints("strides", new long[] { 1, 2 }).Input("X", x, 1, 1, 3, 4)
            .Output("Y", new[] { nan, 1.5f, inf, 4.5f, float.NegativeInfinity, nan }, 1, 1, 3, 2).Run();
    }

    // Widths around every vector width (4, 8, 16 floats; 2, 4, 8 doubles) so each path and tail
    // runs, with NaNs of other payloads and signed zeros placed at random.
    public static TheoryData<int> Widths() => [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 65];

    [Theory]
    [MemberData(nameof(Widths))]
    public void MaxPool_EveryWidth_NaNPayloadsAndSignedZeros_MatchTheReference(int w)
    {
        var rng = new Random(w);
        int h = 5;
        var x = new float[2 * h * w];
        for (int k = 0; k < x.Length; k++)
        {
            int pick = rng.Next(10);
            x[k] = pick switch
            {
                0 => 0f,
                1 => -0f,
                2 when rng.Next(4) == 0 => BitConverter.Int32BitsToSingle(0x7FC00000 | rng.Next(1, 1 << 22)), // a NaN with a payload
                _ => (float)Math.Round(rng.NextDouble() * 2 - 1, 1), // many ties, some of them zeros
            };
        }
        // 3x3 windows at stride (2, 1), and 2x2 at stride 2 (the float path for windows 2 wide at stride 2).
        foreach (var (kh2, kw2, sh2, sw2) in new[] { (3, Math.Min(3, w), 2, 1), (2, Math.Min(2, w), 2, 2) })
        {
            int oh2 = Floor(h, 1, 1, kh2, sh2), ow2 = Floor(w, 0, 0, kw2, sw2);
            var expected = F(Reference(D(x), 1, 2, h, w, oh2, ow2, kh2, kw2, sh2, sw2, 1, 0, average: false, countIncludePad: false));
            new OperatorTester(Catalog, "MaxPool").Ints("kernels", new long[] { kh2, kw2 }).Ints("strides", new long[] { sh2, sw2 })
                .Ints("pads", new long[] { 1, 0, 1, 0 }).Input("X", x, 1, 2, h, w).Output("Y", expected, 1, 2, oh2, ow2).Run();
        }
        int kh = 3, kw = Math.Min(3, w), sh = 2, sw = 1, oh = Floor(h, 1, 1, kh, sh), ow = Floor(w, 0, 0, kw, sw);
        var xd = D(x);
        var expectedD = Reference(xd, 1, 2, h, w, oh, ow, kh, kw, sh, sw, 1, 0, average: false, countIncludePad: false);
        new OperatorTester(Catalog, "MaxPool").Ints("kernels", new long[] { kh, kw }).Ints("strides", new long[] { sh, sw })
            .Ints("pads", new long[] { 1, 0, 1, 0 }).Input("X", xd, 1, 2, h, w).Output("Y", expectedD, 1, 2, oh, ow).Run();
    }

    [Fact]
    public void MaxPool_OfSignedZeros_IsPlusZeroWhereverItSits_AndNaNIsCanonical()
    {
        // Windows of two rows: -0 above +0, +0 above -0, -0 and -0.
        float[] x = [-0f, 0f, -0f, 0f, -0f, -0f];
        new OperatorTester(Catalog, "MaxPool").Ints("kernels", new long[] { 2, 1 }).Input("X", x, 1, 1, 2, 3)
            .Output("Y", new[] { 0f, 0f, -0f }, 1, 1, 1, 3).Run();
        float payload = BitConverter.Int32BitsToSingle(0x7FC01234);
        new OperatorTester(Catalog, "MaxPool").Arg("kernel", 2).Input("X", new[] { 1f, payload, 3f, 4f }, 1, 1, 2, 2)
            .Output("Y", new[] { float.NaN }, 1, 1, 1, 1).Run();
    }

    [Fact]
    public void EmptyBatch_GivesAnEmptyOutput() =>
        new OperatorTester(Catalog, "MaxPool").Arg("kernel", 2).Input("X", Array.Empty<float>(), 0, 3, 4, 4)
            .Output("Y", Array.Empty<float>(), 0, 3, 3, 3).Run();

    public static TheoryData<string, object[], long[], string> Errors() => new()
    {
        { "MaxPool", ["kernel", 5], [1, 1, 4, 4], "the padded size 4 + 0 + 0 = 4 is smaller than the kernel 5" },
        { "AveragePool", ["kernels", new long[] { 3, 6 }, "pads", new long[] { 0, 1, 0, 1 }], [1, 1, 4, 3], "the padded size 3 + 1 + 1 = 5 is smaller than the kernel 6" },
        { "MaxPool", ["kernel", 5, "legacy_pad", 1], [1, 1, 4, 4], "the size 4 is smaller than the kernel 5 (legacy_pad VALID)" },
        { "MaxPool", ["kernel", 2, "pads", new long[] { 1, 1, 1 }], [1, 1, 4, 4], "argument 'pads' has 3 value(s); a 2-D input 'X' needs 4 (all begins, then all ends: t, l, b, r)" },
        { "MaxPool", ["kernel", 2, "pads", new long[] { 1, 1, 1, 1 }], [1, 1, 4], "argument 'pads' has 4 value(s); a 1-D input 'X' needs 2" },
        { "MaxPool", ["kernels", new long[] { 2, 2 }], [1, 1, 4], "argument 'kernels' has 2 value(s); the 1-D input 'X' needs 1" },
        { "MaxPool", ["kernel", 2, "order", "NHWC"], [1, 4, 4, 1], "argument 'order' = \"NHWC\" is not supported; only NCHW is" },
        { "AveragePool", ["kernel", 2, "dilation", 0], [1, 1, 4, 4], "every dilation must be at least 1; got [0]" },
        { "MaxPool", ["kernels", new long[] { 2, 2 }, "dilations", new long[] { 1, -1 }], [1, 1, 4, 4], "every dilation must be at least 1; got [1, -1]" },
        { "MaxPool", ["kernels", new long[] { 2, 2 }, "dilations", new long[] { 2, 2, 2 }], [1, 1, 4, 4], "argument 'dilations' has 3 value(s); the 2-D input 'X' needs 2" },
        { "MaxPool", ["kernel", 2, "dilation", 2, "dilations", new long[] { 2, 2 }], [1, 1, 4, 4], "give only one of 'dilation', 'dilations' and 'dilation_h'/'dilation_w'" },
        { "MaxPool", ["kernel", 3, "dilation", 3], [1, 1, 6, 6], "the padded size 6 + 0 + 0 = 6 is smaller than the kernel 7" },
        { "MaxPool", ["kernel", 2, "dilation", 2, "pad", 3], [1, 1, 4, 4], "the pads 3 and 3 must be smaller than the dilated kernel 3 (kernel 2, dilation 2)" },
        { "MaxPool", ["kernel", 2, "dilation", 2, "legacy_pad", 2], [1, 1, 4, 4], "legacy_pad SAME does not support dilation" },
        { "MaxPool", ["global_pooling", 1, "dilation", 2], [1, 1, 4, 4], "with global_pooling, pad, stride and dilation must not be set" },
        { "AveragePool", ["global_pooling", 1, "dilations", new long[] { 1, 2 }], [1, 1, 4, 4], "with global_pooling, pad, stride and dilation must not be set" },
        { "MaxPool", ["kernel", 2, "pad", 2], [1, 1, 4, 4], "the pads 2 and 2 must be smaller than the kernel 2" },
        { "MaxPool", ["kernels", new long[] { 3, 2 }, "pads", new long[] { 0, 0, 0, 2 }], [1, 1, 4, 4], "spatial dim 1: the pads 0 and 2 must be smaller than the kernel 2" },
        { "MaxPool", ["kernel", 2, "pad", 1, "legacy_pad", 2], [1, 1, 4, 4], "explicit pads must not be given with it" },
        { "MaxPool", ["kernel", 2, "legacy_pad", 4], [1, 1, 4, 4], "argument 'legacy_pad' = 4 is not one of" },
        { "MaxPool", ["kernel", 3, "pads", new long[] { 1, 1, 0, 0 }, "legacy_pad", 3], [1, 1, 4, 4], "pads both sides by the begin pad; the pads 1 and 0 differ" },
        { "MaxPool", ["stride", 2], [1, 1, 4, 4], "the kernel size must be given" },
        { "MaxPool", ["kernel", 0], [1, 1, 4, 4], "every kernel size must be at least 1" },
        { "MaxPool", ["kernel", 2, "stride", 0], [1, 1, 4, 4], "every stride must be at least 1" },
        { "MaxPool", ["kernel", 2, "pad", -1], [1, 1, 4, 4], "pads must not be negative" },
        { "MaxPool", ["kernel", 2, "kernels", new long[] { 2, 2 }], [1, 1, 4, 4], "give only one of 'kernel', 'kernels' and 'kernel_h'/'kernel_w'" },
        { "MaxPool", ["kernel_h", 2], [1, 1, 4, 4], "'kernel_h' and 'kernel_w' must be given together" },
        { "MaxPool", ["kernel", 2, "pad_t", 1], [1, 1, 4, 4], "'pad_t', 'pad_l', 'pad_b' and 'pad_r' must be given together" },
        { "MaxPool", ["kernel", 2, "pad", 1, "pads", new long[] { 1, 1, 1, 1 }], [1, 1, 4, 4], "give only one of 'pad', 'pads'" },
        { "AveragePool", ["global_pooling", 1, "stride", 2], [1, 1, 4, 4], "with global_pooling, pad, stride and dilation must not be set" },
        { "MaxPool", ["kernel", 2], [1, 1, 2, 4, 4], "must be [N, C, W] or [N, C, H, W]" },
        { "MaxPool", ["kernel", 2], [4, 4], "must be [N, C, W] or [N, C, H, W]" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void InvalidArgumentsOrInputs_AreErrorsNamingTheProblem(string op, object[] args, long[] dims, string message)
    {
        var t = new OperatorTester(Catalog, op);
        for (int k = 0; k < args.Length; k += 2)
        {
            string name = (string)args[k];
            _ = args[k + 1] switch
            {
                int v => t.Arg(name, v),
                long[] v => t.Ints(name, v),
                string v => t.Arg(name, v),
                _ => throw new ArgumentException(name),
            };
        }
        t.Input("X", new float[dims.Aggregate(1L, (a, b) => a * b)], dims).Output("Y").ExpectError(message).Run();
    }

    [Fact]
    public void IntegerInput_IsAnErrorNamingTheBlob() =>
        new OperatorTester(Catalog, "MaxPool").Arg("kernel", 2).Input("X", new int[16], 1, 1, 4, 4).Output("Y")
            .ExpectError("input 'X' must be FLOAT or DOUBLE").Run();

    [Fact]
    public void Schema_InfersTheRealOutputShape_AndTheCost_AndMapsToOnnx()
    {
        var max = Catalog.Schemas.Find("MaxPool")!;
        var avg = Catalog.Schemas.Find("AveragePool")!;
        Assert.Equal("MaxPool", max.OnnxSchema);
        Assert.Equal("AveragePool", avg.OnnxSchema);
        var def = OperatorDef.Create("MaxPool", "", ["X"], ["Y"]).SetArgument("kernel", 3).SetArgument("stride", 2).SetArgument("legacy_pad", 3);
        Assert.Equal("DOUBLE[2, 8, 27, 27]", max.InferTensor(def, [TensorShape.Create([2, 8, 54, 54], DataType.Double)]).Single().Describe());
        var cost = max.InferCost(def, [TensorShape.Create([2, 8, 54, 54])]);
        Assert.Equal(new Cost(2UL * 8 * 27 * 27 * 9, 2UL * 8 * 54 * 54 * 4, 2UL * 8 * 27 * 27 * 4), cost);
        var global = OperatorDef.Create("AveragePool", "", ["X"], ["Y"]).SetArgument("global_pooling", 1);
        Assert.Equal("FLOAT[1, 3, 1]", avg.InferTensor(global, [TensorShape.Create([1, 3, 7])]).Single().Describe());
        Assert.True(avg.InferTensor(global, [TensorShape.Unknown(DataType.Float)]).Single().UnknownShape);
        Assert.False(max.InplaceAllowed(0, 0));
        Assert.Empty(max.VerifyWithWarnings(OperatorDef.Create("MaxPool", "", ["X"], ["Y"]).SetArgument("kernel_h", 2).SetArgument("kernel_w", 2)
            .SetArgument("pad_t", 0).SetArgument("pad_l", 0).SetArgument("pad_b", 0).SetArgument("pad_r", 0).SetArgument("order", "NCHW")
            .SetArgument("legacy_pad", 0).SetArgument("global_pooling", 0)).Warnings);
    }

    [Fact]
    public void StandardOperators_IncludePooling()
    {
        var catalog = new OperatorCatalog().AddStandardOperators();
        Assert.NotNull(catalog.Schemas.Find("MaxPool"));
        Assert.NotNull(catalog.Schemas.Find("AveragePool"));
    }

    [Theory]
    [InlineData(10, 3, 2, 0, LegacyPadding.NotSet, 4, 0, 0)]
    [InlineData(10, 3, 2, 0, LegacyPadding.CaffeLegacyPooling, 5, 0, 2)]
    [InlineData(54, 3, 2, 0, LegacyPadding.CaffeLegacyPooling, 27, 0, 2)]
    [InlineData(4, 2, 3, 1, LegacyPadding.CaffeLegacyPooling, 2, 1, 1)]
    [InlineData(32, 2, 1, 0, LegacyPadding.Same, 32, 0, 1)]
    [InlineData(5, 1, 3, 0, LegacyPadding.Same, 2, 0, -1)]
    [InlineData(9, 4, 2, 0, LegacyPadding.Valid, 3, 0, 0)]
    public void ComputeSizeAndPad_FollowsCaffe2(int input, int k, int s, int pad, LegacyPadding mode, int expectedOut, int expectedBegin, int expectedEnd) =>
        Assert.Equal((expectedOut, expectedBegin, expectedEnd), ConvPoolArgs.ComputeSizeAndPad(input, k, s, 1, mode, pad, pad));

    [Fact]
    public void Kernel_RejectsOverlapAndWrongLengths()
    {
        var g = new PoolGeometry2D(2, 2, 1, 1, 2, 2, 1, 1, 0, 0);
        var buffer = new float[8];
        Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2D<float>(buffer.AsSpan(0, 4), buffer.AsSpan(3, 1), 1, g, ComputePool.Serial));
        Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2D<float>(buffer.AsSpan(0, 3), new float[1], 1, g, ComputePool.Serial));
        Assert.Throws<ArgumentException>(() => PoolingKernels.AveragePool2D<float>(buffer.AsSpan(0, 4), new float[2], 1, g, false, ComputePool.Serial));
        Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2D<float>(buffer.AsSpan(0, 4), new float[1], 1, g with { StrideH = 0 }, ComputePool.Serial));
        var y = new float[1];
        PoolingKernels.AveragePool2D<float>(new float[] { 1, 2, 3, 4 }, y, 1, g, false, ComputePool.Serial);
        Assert.Equal(2.5f, y[0]);
    }
}

internal static class PoolingTesterExtensions
{
    // A repeated INT argument (OperatorTester.Arg takes single values).
    public static OperatorTester Ints(this OperatorTester t, string name, long[] values)
    {
        t.Def.SetRepeatedArgument(name, values);
        return t;
    }
}
