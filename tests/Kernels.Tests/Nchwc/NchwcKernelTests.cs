using Caffe2Sharp.Kernels;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Kernels.Tests.Nchwc;

using Nchwc = Caffe2Sharp.Kernels.Nchwc;

/// <summary>
/// The NCHWc kernels against the NCHW ones: every output bit-identical to
/// <see cref="Convolution.Forward"/> (+ sum, then Relu) and to <see cref="PoolingKernels"/>.
/// </summary>
public class NchwcKernelTests
{
    // A geometry from explicit begin and end pads (OH/OW from the end pads, as Caffe2 computes them).
    private static ConvGeometry Geo(int c, int h, int w, int m, int k, int s = 1, int p = 0, int group = 1, int dil = 1,
        int? kw = null, int? padBottom = null, int? padRight = null, int? padLeft = null, int? strideW = null)
    {
        int kwv = kw ?? k, sw = strideW ?? s, pl = padLeft ?? p, pb = padBottom ?? p, pr = padRight ?? p;
        int oh = (h + p + pb - ((k - 1) * dil + 1)) / s + 1;
        int ow = (w + pl + pr - ((kwv - 1) * dil + 1)) / sw + 1;
        return new ConvGeometry(c, h, w, m, group, k, kwv, s, sw, p, pl, dil, dil, oh, ow);
    }

    public static TheoryData<string, ConvGeometry, int> Geometries => new()
    {
        { "pointwise 32-40 5x7", Geo(32, 5, 7, 40, 1), 1 },
        { "pointwise 64-16 13x13 (2 segments)", Geo(64, 13, 13, 16, 1), 1 },
        { "pointwise 256-20 3x5 (2 passes)", Geo(256, 3, 5, 20, 1), 2 },
        { "pointwise 512-24 2x3 (4 passes; the GEMM blocks k)", Geo(512, 2, 3, 24, 1), 1 },
        { "pointwise 16-1000 2x3", Geo(16, 2, 3, 1000, 1), 1 },
        { "1x1 s2 32-32 7x7", Geo(32, 7, 7, 32, 1, s: 2), 1 },
        { "1x1 padded end 16-17", Geo(16, 3, 4, 17, 1, padBottom: 1, padRight: 2), 1 },
        { "3x3 p1 32-48 7x13", Geo(32, 7, 13, 48, 3, p: 1), 2 },
        { "3x3 p1 s2 16-64 9x9", Geo(16, 9, 9, 64, 3, s: 2, p: 1), 1 },
        { "3x3 p1 16-64 3x55", Geo(16, 3, 55, 64, 3, p: 1), 1 },
        { "3x3 p1 16-32 4x1", Geo(16, 4, 1, 32, 3, p: 1), 1 },
        { "3x3 p1 16-16 5x5", Geo(16, 5, 5, 16, 3, p: 1), 1 },
        { "3x3 p0 48-80 6x12", Geo(48, 6, 12, 80, 3), 1 },
        { "7x7 s2 p3 16-16 11x11", Geo(16, 11, 11, 16, 7, s: 2, p: 3), 1 },
        { "3x3 dilation 2 32-24 9x9", Geo(32, 9, 9, 24, 3, p: 2, dil: 2), 1 },
        { "3x3 asymmetric pads 16-17", Geo(16, 6, 5, 17, 3, p: 0, padLeft: 2, padBottom: 2, padRight: 1), 1 },
        { "3x2 s(2,1) asymmetric 16-33", Geo(16, 7, 6, 33, 3, s: 2, kw: 2, p: 1, padLeft: 0, padBottom: 2, padRight: 3, strideW: 1), 2 },
        // 4+ sets of output blocks: items of several rows, edge columns tiled down the rows.
        { "3x3 p1 16-256 7x7 (multi-row items)", Geo(16, 7, 7, 256, 3, p: 1), 1 },
        { "5x5 p2 s2 32-250 9x10 (multi-row items)", Geo(32, 9, 10, 250, 5, s: 2, p: 2), 1 },
        { "nchw input C3 3x3 p1 3-256 6x8 (multi-row items)", Geo(3, 6, 8, 256, 3, p: 1), 1 },
        { "depthwise 128 3x3 p1 6x7 (multi-row items)", Geo(128, 6, 7, 128, 3, p: 1, group: 128), 1 },
        { "grouped 64-64 g2 3x3 p1", Geo(64, 5, 6, 64, 3, p: 1, group: 2), 1 },
        { "grouped 64-32 g2 1x1", Geo(64, 4, 6, 32, 1, group: 2), 1 },
        { "nchw input C1 3x3 p1", Geo(1, 8, 9, 16, 3, p: 1), 1 },
        { "nchw input C3 7x7 s2 p3", Geo(3, 15, 15, 40, 7, s: 2, p: 3), 2 },
        { "nchw input C3 1x1", Geo(3, 5, 7, 70, 1), 1 },
        { "depthwise 32 3x3 p1", Geo(32, 7, 9, 32, 3, p: 1, group: 32), 1 },
        { "depthwise 32 3x3 s2 p1", Geo(32, 9, 8, 32, 3, s: 2, p: 1, group: 32), 2 },
        { "depthwise 16 3x3 dilation 2 asymmetric pads", Geo(16, 6, 9, 16, 3, p: 1, dil: 2, padLeft: 3, padBottom: 2, padRight: 0, group: 16), 1 },
        { "depthwise 16 5x5 p2 13", Geo(16, 4, 13, 16, 5, p: 2, group: 16), 1 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ConvolutionKernel_IsBitIdenticalToNchw(string name, ConvGeometry g, int batch)
    {
        Assert.True(Nchwc.TryGetKind(in g, out _), name);
        using var pool2 = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        int seed = name.GetHashCode(StringComparison.Ordinal) & 0xffff;
        foreach (var pool in new[] { ComputePool.Serial, pool2 })
        {
            Check(g, batch, bias: false, sum: false, relu: false, inPlace: false, pool, seed);
            Check(g, batch, bias: true, sum: false, relu: true, inPlace: false, pool, seed + 1);
            Check(g, batch, bias: true, sum: true, relu: true, inPlace: false, pool, seed + 2);
            Check(g, batch, bias: false, sum: true, relu: false, inPlace: true, pool, seed + 3);
        }
    }

    private static float[] Random(Random rng, long n)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++)
        {
            int r = rng.Next(10);
            a[i] = r == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1);
        }
        return a;
    }

    private static float[] Blocked(float[] nchw, int batch, int c, int h, int w)
    {
        var y = new float[(long)batch * Nchwc.PaddedChannels(c) * h * w];
        Nchwc.ReorderInput(nchw, batch, c, h, w, y, ComputePool.Serial);
        return y;
    }

    private static void Check(ConvGeometry g, int batch, bool bias, bool sum, bool relu, bool inPlace, ComputePool pool, int seed)
    {
        var rng = new Random(seed);
        Assert.True(Nchwc.TryGetKind(in g, out var kind));
        var x = Random(rng, (long)batch * g.C * g.H * g.W);
        var w = Random(rng, (long)g.M * (g.C / g.Group) * g.KH * g.KW);
        var b = bias ? Random(rng, g.M) : [];
        long outLen = (long)batch * g.M * g.OH * g.OW;
        var s = sum ? Random(rng, outLen) : [];
        var expected = new float[outLen];
        Convolution.Forward(in g, batch, x, w, b, relu: false, expected, ComputePool.Serial);
        for (long i = 0; i < outLen; i++)
        {
            float v = expected[i];
            if (sum) v += s[i];
            if (relu) v = v < 0 ? 0 : v;
            expected[i] = v;
        }

        var filter = Nchwc.PackFilter(in g, w);
        Assert.Equal(kind, filter.Kind);
        var xin = kind == NchwcConvKind.NchwInput ? x : Blocked(x, batch, g.C, g.H, g.W);
        var sBlocked = sum ? Blocked(s, batch, g.M, g.OH, g.OW) : [];
        var y = new float[(long)batch * Nchwc.PaddedChannels(g.M) * g.OH * g.OW];
        if (inPlace)
        {
            sBlocked.CopyTo(y, 0);
            Nchwc.Convolution(in g, batch, filter, xin, b, y, relu, y, pool);
        }
        else
        {
            y.AsSpan().Fill(float.NaN); // every element must be written
            Nchwc.Convolution(in g, batch, filter, xin, b, sBlocked, relu, y, pool);
            // The same filters packed into a caller's span (as an optimised net keeps them): same bits.
            var packed = new float[Nchwc.PackedFilterLength(g.M, g.C, g.Group, g.KH, g.KW)];
            Nchwc.PackFilter(w, g.M, g.C, g.Group, g.KH, g.KW, packed);
            var y2 = new float[y.Length];
            y2.AsSpan().Fill(float.NaN);
            Nchwc.Convolution(in g, batch, packed, xin, b, sBlocked, relu, y2, 0, Nchwc.PaddedChannels(g.M) / Nchwc.BlockSize, pool);
            Assert.Equal(y.Select(BitConverter.SingleToInt32Bits), y2.Select(BitConverter.SingleToInt32Bits));
        }
        var actual = new float[outLen];
        Nchwc.ReorderOutput(y, batch, g.M, g.OH, g.OW, actual, ComputePool.Serial);
        for (long i = 0; i < outLen; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{g} batch {batch} bias {bias} sum {sum} relu {relu} inPlace {inPlace} threads {pool.MaxDegreeOfParallelism}: element {i} is {actual[i]:R}, expected {expected[i]:R}.");
        }
        // Padded output channels: zero filters and bias, so the sum's value (0 here) then Relu.
        for (int n = 0; n < batch; n++)
        {
            for (int m = g.M; m < Nchwc.PaddedChannels(g.M); m++)
            {
                for (long p = 0; p < (long)g.OH * g.OW; p++)
                {
                    float v = y[((long)(n * Nchwc.PaddedChannels(g.M) / 16 + m / 16) * g.OH * g.OW + p) * 16 + m % 16];
                    Assert.Equal(0f, v);
                }
            }
        }
    }

    // Random small geometries (fixed seed): kernels larger than the image, pads beyond the kernel,
    // strides and dilations together, every kind.
    [Fact]
    public void ConvolutionKernel_RandomGeometriesAreBitIdentical()
    {
        using var pool2 = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        var rng = new Random(2026);
        int checkedCount = 0;
        for (int trial = 0; trial < 60; trial++)
        {
            int kind = rng.Next(3);
            int c = kind == 0 ? 16 * rng.Next(1, 4) : kind == 1 ? rng.Next(1, 16) : 16 * rng.Next(1, 3);
            int group = kind == 2 ? c : kind == 0 && c == 32 && rng.Next(2) == 0 ? 2 : 1;
            int m = kind == 2 ? c : group == 2 ? 32 * rng.Next(1, 3) : rng.Next(1, 70);
            int kh = rng.Next(1, 6), kw = rng.Next(1, 6), sh = rng.Next(1, 4), sw = rng.Next(1, 4), dh = rng.Next(1, 3), dw = rng.Next(1, 3);
            int h = rng.Next(1, 13), w = rng.Next(1, 13);
            int pt = rng.Next(0, 4), pl = rng.Next(0, 4), pb = rng.Next(0, 4), pr = rng.Next(0, 4);
            int oh = (h + pt + pb - ((kh - 1) * dh + 1)) / sh + 1, ow = (w + pl + pr - ((kw - 1) * dw + 1)) / sw + 1;
            if (oh < 1 || ow < 1) continue;
            var g = new ConvGeometry(c, h, w, m, group, kh, kw, sh, sw, pt, pl, dh, dw, oh, ow);
            Assert.True(Nchwc.TryGetKind(in g, out _), g.ToString());
            var pool = trial % 2 == 0 ? ComputePool.Serial : pool2;
            Check(g, 1 + trial % 2, bias: trial % 3 != 0, sum: trial % 4 == 1, relu: trial % 2 == 1, inPlace: trial % 8 == 1, pool, trial);
            checkedCount++;
        }
        Assert.True(checkedCount > 30, $"only {checkedCount} geometries had an output");
    }

    [Theory]
    [InlineData(1, 3, 4, 5)]
    [InlineData(2, 17, 3, 3)]
    [InlineData(1, 1000, 2, 1)]
    [InlineData(2, 32, 7, 9)]
    [InlineData(1, 22, 5, 6)]
    public void ReorderKernel_RoundTripsAndZeroesPadding(int batch, int channels, int h, int w)
    {
        using var pool2 = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        foreach (var pool in new[] { ComputePool.Serial, pool2 })
        {
            var rng = new Random(channels);
            var x = Random(rng, (long)batch * channels * h * w);
            int pc = Nchwc.PaddedChannels(channels);
            var blocked = new float[(long)batch * pc * h * w];
            blocked.AsSpan().Fill(float.NaN);
            Nchwc.ReorderInput(x, batch, channels, h, w, blocked, pool);
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < pc; c++)
                    for (int p = 0; p < h * w; p++)
                    {
                        float v = blocked[((long)(n * pc / 16 + c / 16) * h * w + p) * 16 + c % 16];
                        float e = c < channels ? x[((long)n * channels + c) * h * w + p] : 0f;
                        Assert.Equal(BitConverter.SingleToInt32Bits(e), BitConverter.SingleToInt32Bits(v));
                    }
            var back = new float[x.Length];
            Nchwc.ReorderOutput(blocked, batch, channels, h, w, back, pool);
            Assert.Equal(x, back);
        }
    }

    [Fact]
    public void Kernel_PaddedChannelsAndKinds()
    {
        Assert.Equal(0, Nchwc.PaddedChannels(0));
        Assert.Equal(16, Nchwc.PaddedChannels(3));
        Assert.Equal(32, Nchwc.PaddedChannels(17));
        Assert.Equal(1008, Nchwc.PaddedChannels(1000));
        Assert.True(Nchwc.TryGetKind(Geo(64, 8, 8, 1000, 1), out var k) && k == NchwcConvKind.Direct);
        Assert.True(Nchwc.TryGetKind(Geo(3, 8, 8, 64, 3), out k) && k == NchwcConvKind.NchwInput);
        Assert.True(Nchwc.TryGetKind(Geo(32, 8, 8, 32, 3, group: 32), out k) && k == NchwcConvKind.Depthwise);
        Assert.False(Nchwc.TryGetKind(Geo(20, 8, 8, 50, 5), out _)); // LeNet conv2
        Assert.False(Nchwc.TryGetKind(Geo(8, 8, 8, 8, 3, group: 8), out _)); // depthwise, 8 channels
        Assert.False(Nchwc.TryGetKind(Geo(64, 8, 8, 40, 3, group: 2), out _)); // 20 outputs per group
        Assert.False(Nchwc.TryGetKind(Geo(48, 8, 8, 48, 3, group: 2), out _)); // 24 inputs per group
        Assert.False(Nchwc.TryGetKind(Geo(32, 8, 8, 32, 3, group: 3), out _)); // invalid
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void ConcatKernel_ConvolutionsWritingTheirBlocksOfOneOutput_EqualTheirOwnOutputsSideBySide(int batch)
    {
        // Two convolutions of one input (a fire module's expand 1x1 and 3x3) write blocks [0, 2)
        // and [2, 3) of one [batch, 3, H, W, 16] output: the channel Concat, without a copy.
        var rng = new Random(batch);
        float[] R(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var g1 = Geo(16, 5, 7, 32, 1);
        var g3 = Geo(16, 5, 7, 16, 3, p: 1);
        var x = R(batch * 16 * 35);
        var w1 = R(32 * 16);
        var w3 = R(16 * 16 * 9);
        var b1 = R(32);
        var y1 = new float[batch * 2 * 35 * 16];
        var y3 = new float[batch * 1 * 35 * 16];
        Nchwc.Convolution(g1, batch, Nchwc.PackFilter(g1, w1), x, b1, [], true, y1, ComputePool.Serial);
        Nchwc.Convolution(g3, batch, Nchwc.PackFilter(g3, w3), x, [], [], true, y3, ComputePool.Serial);
        var cat = new float[batch * 3 * 35 * 16];
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        Nchwc.Convolution(g3, batch, Nchwc.PackFilter(g3, w3), x, [], [], true, cat, 2, 3, pool);
        Nchwc.Convolution(g1, batch, Nchwc.PackFilter(g1, w1), x, b1, [], true, cat, 0, 3, pool);
        int image = 3 * 35 * 16;
        for (int n = 0; n < batch; n++)
        {
            Assert.Equal(y1.AsSpan(n * 2 * 560, 2 * 560).ToArray(), cat.AsSpan(n * image, 2 * 560).ToArray());
            Assert.Equal(y3.AsSpan(n * 560, 560).ToArray(), cat.AsSpan(n * image + 2 * 560, 560).ToArray());
        }
        // Blocks outside y, and a sum with a partial y, are errors.
        var f1 = Nchwc.PackFilter(g1, w1);
        var e = Assert.Throws<ArgumentException>(() => Nchwc.Convolution(g1, batch, f1, x, b1, [], true, cat, 2, 3, ComputePool.Serial));
        Assert.Contains("do not lie inside the 3 blocks", e.Message);
        Assert.Throws<ArgumentException>(() => Nchwc.Convolution(g1, batch, f1, x, b1, new float[cat.Length], true, cat, 0, 3, ComputePool.Serial));
    }

    [Fact]
    public void Kernel_RejectsBadInput()
    {
        var g = Geo(16, 4, 4, 20, 3, p: 1);
        var w = new float[20 * 16 * 9];
        var filter = Nchwc.PackFilter(in g, w);
        var x = new float[16 * 16];
        var y = new float[32 * 16];
        var pool = ComputePool.Serial;
        Nchwc.Convolution(in g, 1, filter, x, [], [], false, y, pool);
        var e = Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, filter, new float[100], [], [], false, y, pool));
        Assert.Contains("256", e.Message);
        e = Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, filter, x, [], [], false, new float[20 * 16], pool));
        Assert.Contains("512", e.Message);
        Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, filter, x, new float[16], [], false, y, pool));
        Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, filter, x, [], new float[10], false, y, pool));
        var big = new float[1024];
        Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, filter, big.AsSpan(0, 256), [], [], false, big.AsSpan(100, 512), pool));
        Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, filter, x, [], big.AsSpan(0, 512), false, big.AsSpan(16, 512), pool));
        var other = g with { StrideH = 2, StrideW = 2, OH = 2, OW = 2 };
        e = Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in other, 1, filter, x, [], [], false, new float[2 * 2 * 32], pool));
        Assert.Contains("packed for", e.Message);
        var lenet = Geo(20, 8, 8, 50, 5);
        e = Assert.Throws<ArgumentException>(() => Nchwc.PackFilter(in lenet, new float[50 * 20 * 25]));
        Assert.Contains(lenet.ToString(), e.Message);
        Assert.Throws<ArgumentException>(() => Nchwc.PackFilter(in g, new float[10]));
        // Packed spans: the length is checked against the filter shape, on both ends.
        long packedLength = Nchwc.PackedFilterLength(20, 16, 1, 3, 3);
        Assert.Equal(32L * 16 * 9, packedLength);
        e = Assert.Throws<ArgumentException>(() => Nchwc.PackFilter(w, 20, 16, 1, 3, 3, new float[packedLength - 1]));
        Assert.Contains($"pack into {packedLength}", e.Message);
        e = Assert.Throws<ArgumentException>(() => Nchwc.Convolution(in g, 1, new float[packedLength + 16], x, [], [], false, y, 0, 2, pool));
        Assert.Contains($"pack into {packedLength}", e.Message);
        Assert.Throws<ArgumentException>(() => Nchwc.PackFilter(new float[50 * 20 * 25], 50, 20, 1, 5, 5, new float[64 * 20 * 25]));
        Assert.Throws<ArgumentException>(() => Nchwc.ReorderInput(new float[10], 1, 3, 2, 2, new float[64], pool));
        Assert.Throws<ArgumentException>(() => Nchwc.ReorderInput(new float[12], 1, 3, 2, 2, new float[63], pool));
        Assert.Throws<ArgumentException>(() => Nchwc.ReorderOutput(new float[64], 1, 3, 2, 2, new float[13], pool));
        var pg = new PoolGeometry2D(4, 4, 2, 2, 2, 2, 2, 2, 0, 0);
        Assert.Throws<ArgumentException>(() => Nchwc.MaxPool(new float[255], new float[64], 1, 3, pg, pool));
        Assert.Throws<ArgumentException>(() => Nchwc.AveragePool(new float[256], new float[65], 1, 3, pg, false, pool));
    }

    public static TheoryData<string, PoolGeometry2D> PoolGeometries => new()
    {
        { "3x3 s2", new PoolGeometry2D(9, 9, 4, 4, 3, 3, 2, 2, 0, 0) },
        { "3x3 s2 ceil (clipped last window)", new PoolGeometry2D(8, 8, 4, 4, 3, 3, 2, 2, 0, 0) },
        { "1x1 s2 ceil (empty last window)", new PoolGeometry2D(5, 5, 4, 4, 1, 1, 2, 2, 0, 0) },
        { "3x3 s1 p1", new PoolGeometry2D(6, 7, 6, 7, 3, 3, 1, 1, 1, 1) },
        { "2x2 s2 p1 asymmetric", new PoolGeometry2D(5, 6, 3, 4, 2, 2, 2, 2, 1, 1) },
        { "global", new PoolGeometry2D(7, 7, 1, 1, 7, 7, 1, 1, 0, 0) },
    };

    [Theory]
    [MemberData(nameof(PoolGeometries))]
    public void PoolKernel_IsBitIdenticalToPoolingKernels(string name, PoolGeometry2D g)
    {
        using var pool2 = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        const int batch = 2, channels = 20;
        var rng = new Random(name.Length);
        var x = Random(rng, batch * channels * g.InPlane);
        for (int i = 0; i < x.Length; i += 7) x[i] = (i / 7 % 4) switch { 0 => -0f, 1 => 0f, 2 => float.NaN, _ => -1e-3f };
        x[3] = BitConverter.Int32BitsToSingle(0x7fc00123); // a NaN with a payload
        for (int p = 0; p < g.InPlane; p++) x[5 * g.InPlane + p] = -0f; // a channel of -0 only
        for (int p = 0; p < g.InPlane; p++) x[6 * g.InPlane + p] = (p % 2 == 0) ? -0f : 0f;
        var xb = Blocked(x, batch, channels, g.InH, g.InW);
        int pc = Nchwc.PaddedChannels(channels);
        foreach (var pool in new[] { ComputePool.Serial, pool2 })
        {
            for (int mode = 0; mode < 3; mode++)
            {
                var expected = new float[batch * channels * g.OutPlane];
                if (mode == 0) PoolingKernels.MaxPool2D<float>(x, expected, batch * channels, g, ComputePool.Serial);
                else PoolingKernels.AveragePool2D<float>(x, expected, batch * channels, g, countIncludePad: mode == 2, ComputePool.Serial);
                var yb = new float[batch * pc * g.OutPlane];
                if (mode == 0) Nchwc.MaxPool(xb, yb, batch, channels, g, pool);
                else Nchwc.AveragePool(xb, yb, batch, channels, g, countIncludePad: mode == 2, pool);
                var actual = new float[expected.Length];
                Nchwc.ReorderOutput(yb, batch, channels, g.OutH, g.OutW, actual, ComputePool.Serial);
                for (int i = 0; i < expected.Length; i++)
                    if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                        Assert.Fail($"{name} mode {mode} threads {pool.MaxDegreeOfParallelism}: element {i} is {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):x8}), expected {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):x8}).");
            }
        }
    }

    // A ResNet-like chain in NCHWc (stem, max pool, 1x1 + Relu, 3x3 + residual in place + Relu)
    // against the same chain in NCHW: only the first input is NCHW and only the last output is
    // reordered, as inside a net.
    [Fact]
    public void Kernel_ChainMatchesNchwPipeline()
    {
        using var pool2 = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        var rng = new Random(77);
        const int batch = 2, c = 32;
        var stem = Geo(3, 17, 19, c, 3, s: 2, p: 1);
        var mp = new PoolGeometry2D(stem.OH, stem.OW, 5, 5, 3, 3, 2, 2, 0, 0); // ceil mode: the last windows clipped
        var pw = Geo(c, 5, 5, c, 1);
        var k3 = Geo(c, 5, 5, c, 3, p: 1);
        var x = Random(rng, batch * 3 * 17 * 19);
        var w0 = Random(rng, c * 3 * 9);
        var w1 = Random(rng, c * c);
        var w2 = Random(rng, c * c * 9);
        var b = Random(rng, c);
        // NCHW reference.
        var r0 = new float[batch * c * stem.OH * stem.OW];
        Convolution.Forward(in stem, batch, x, w0, b, relu: true, r0, ComputePool.Serial);
        var r1 = new float[batch * c * 25];
        PoolingKernels.MaxPool2D<float>(r0, r1, batch * c, mp, ComputePool.Serial);
        var r2 = new float[r1.Length];
        Convolution.Forward(in pw, batch, r1, w1, b, relu: true, r2, ComputePool.Serial);
        var r3 = new float[r1.Length];
        Convolution.Forward(in k3, batch, r2, w2, [], relu: false, r3, ComputePool.Serial);
        for (int i = 0; i < r3.Length; i++)
        {
            float v = r3[i] + r1[i];
            r3[i] = v < 0 ? 0 : v;
        }
        var f0 = Nchwc.PackFilter(in stem, w0);
        var f1 = Nchwc.PackFilter(in pw, w1);
        var f2 = Nchwc.PackFilter(in k3, w2);
        foreach (var pool in new[] { ComputePool.Serial, pool2 })
        {
            var y0 = new float[r0.Length];
            Nchwc.Convolution(in stem, batch, f0, x, b, [], true, y0, pool);
            var y1 = new float[r1.Length];
            Nchwc.MaxPool(y0, y1, batch, c, mp, pool);
            var y2 = new float[r1.Length];
            Nchwc.Convolution(in pw, batch, f1, y1, b, [], true, y2, pool);
            Nchwc.Convolution(in k3, batch, f2, y2, [], y1, true, y1, pool); // the residual accumulated in place
            var back = new float[r3.Length];
            Nchwc.ReorderOutput(y1, batch, c, 5, 5, back, pool);
            Assert.Equal(r3.Select(BitConverter.SingleToInt32Bits), back.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Kernel_SteadyStateAllocatesNothing()
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        var g = Geo(32, 8, 9, 40, 3, p: 1);
        var rng = new Random(5);
        var filter = Nchwc.PackFilter(in g, Random(rng, 40 * 32 * 9));
        var x = Random(rng, 32 * 8 * 9);
        var xb = new float[32 * 8 * 9];
        var b = Random(rng, 40);
        var y = new float[48 * g.OH * g.OW];
        var back = new float[40 * g.OH * g.OW];
        var pw = Geo(32, 8, 9, 40, 1);
        var pwFilter = Nchwc.PackFilter(in pw, Random(rng, 40 * 32));
        var dw = Geo(32, 8, 9, 32, 3, p: 1, group: 32);
        var dwFilter = Nchwc.PackFilter(in dw, Random(rng, 32 * 9));
        var yd = new float[32 * 8 * 9];
        var pg = new PoolGeometry2D(8, 9, 4, 4, 3, 3, 2, 2, 0, 0);
        var yp = new float[32 * 16];
        SteadyState.AllocatesNothing(() =>
        {
            Nchwc.ReorderInput(x, 1, 32, 8, 9, xb, pool);
            Nchwc.Convolution(in g, 1, filter, xb, b, y, true, y, pool);
            Nchwc.Convolution(in pw, 1, pwFilter, xb, b, [], false, y, pool);
            Nchwc.Convolution(in dw, 1, dwFilter, xb, [], [], true, yd, pool);
            Nchwc.MaxPool(xb, yp, 1, 32, pg, pool);
            Nchwc.AveragePool(xb, yp, 1, 32, pg, false, pool);
            Nchwc.ReorderOutput(y, 1, 40, g.OH, g.OW, back, pool);
        }, runs: 20);
    }
}
