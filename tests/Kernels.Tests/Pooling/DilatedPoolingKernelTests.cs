// Hand-written.
using System.Numerics;
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Kernels.Tests.Pooling;

using Nchwc = Caffe2Sharp.Kernels.Nchwc;

/// <summary>
/// <see cref="PoolingKernels"/> with dilated windows (and dilation 1, the dense paths, through the
/// same reference): every output bit for bit against a plain loop over the window's taps.
/// </summary>
public class DilatedPoolingKernelTests
{
    // The plain reference: tap (i, j) of the window of (oh, ow) is row oh * sh - pt + i * dh and column
    // ow * sw - pl + j * dw; taps outside the image are skipped. Max: NaN if any tap is NaN (the
    // canonical one), +0 over -0, -infinity when no tap is in the image. Average: the taps summed in
    // double in row-major order, divided in double by the taps in the image (at least 1), or by
    // kh * kw with countIncludePad, rounded once; a NaN mean is the canonical NaN.
    private static T[] Reference<T>(T[] x, int planes, PoolGeometry2D g, bool average, bool countIncludePad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[planes * g.OutH * g.OutW];
        for (int p = 0; p < planes; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    T max = T.NegativeInfinity;
                    bool nan = false;
                    double sum = 0;
                    int count = 0;
                    for (int i = 0; i < g.KernelH; i++)
                        for (int j = 0; j < g.KernelW; j++)
                        {
                            int h = oh * g.StrideH - g.PadTop + i * g.DilationH, w = ow * g.StrideW - g.PadLeft + j * g.DilationW;
                            if (h < 0 || h >= g.InH || w < 0 || w >= g.InW) continue;
                            T v = x[(p * g.InH + h) * g.InW + w];
                            sum += double.CreateTruncating(v);
                            count++;
                            if (T.IsNaN(v)) nan = true;
                            else if (v > max || (v == max && !T.IsNegative(v))) max = v;
                        }
                    T r;
                    if (average)
                    {
                        double mean = sum / (countIncludePad ? (double)g.KernelH * g.KernelW : Math.Max(count, 1));
                        r = double.IsNaN(mean) ? T.NaN : T.CreateTruncating(mean);
                    }
                    else r = nan ? T.NaN : max;
                    y[(p * g.OutH + oh) * g.OutW + ow] = r;
                }
        return y;
    }

    // Values in [-4, 4) on a grid of 1/8 (repeats, so ties and exact zeros of both signs occur), with
    // NaNs and signed zeros sprinkled in when asked.
    private static T[] Input<T>(int count, int seed, bool specials) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(seed);
        var x = new T[count];
        for (int k = 0; k < count; k++)
        {
            int r = rng.Next(64);
            x[k] = r == 32 ? -T.Zero : T.CreateTruncating((r - 32) / 8.0);
            if (!specials) continue;
            int s = rng.Next(40);
            if (s == 0) x[k] = T.NaN;
            else if (s < 4) x[k] = T.Zero;
            else if (s < 7) x[k] = -T.Zero;
        }
        return x;
    }

    private static int Size(int input, int padBegin, int padEnd, int kernel, int stride, int dilation, bool ceil)
    {
        int dk = dilation * (kernel - 1) + 1;
        int span = input + padBegin + padEnd - dk;
        return span < 0 ? 0 : (ceil ? (span + stride - 1) / stride : span / stride) + 1;
    }

    private static void AssertBits<T>(T[] expected, T[] actual, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int k = 0; k < expected.Length; k++)
        {
            bool same = typeof(T) == typeof(float)
                ? BitConverter.SingleToInt32Bits(float.CreateTruncating(expected[k])) == BitConverter.SingleToInt32Bits(float.CreateTruncating(actual[k]))
                : BitConverter.DoubleToInt64Bits(double.CreateTruncating(expected[k])) == BitConverter.DoubleToInt64Bits(double.CreateTruncating(actual[k]));
            Assert.True(same, $"{what}: element {k}: expected {expected[k]}, got {actual[k]}");
        }
    }

    private static void Check<T>(int planes, PoolGeometry2D g, int seed, bool specials, ComputePool pool) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = Input<T>(planes * g.InH * g.InW, seed, specials);
        var y = new T[planes * g.OutH * g.OutW];
        PoolingKernels.MaxPool2D<T>(x, y, planes, g, pool);
        AssertBits(Reference(x, planes, g, average: false, countIncludePad: false), y, $"max {typeof(T).Name} {g}");
        foreach (bool include in (ReadOnlySpan<bool>)[false, true])
        {
            PoolingKernels.AveragePool2D<T>(x, y, planes, g, include, pool);
            AssertBits(Reference(x, planes, g, average: true, include), y, $"average (countIncludePad {include}) {typeof(T).Name} {g}");
        }
    }

    // in H, in W, kernel H, kernel W, stride H, stride W, pad top, pad left, pad bottom, pad right
    private static readonly int[][] Shapes =
    [
        [4, 4, 2, 2, 1, 1, 0, 0, 0, 0],
        [7, 9, 3, 3, 1, 1, 1, 1, 1, 1],
        [8, 8, 2, 2, 2, 2, 0, 0, 0, 0],
        [9, 11, 3, 2, 2, 3, 1, 0, 2, 1],
        [13, 5, 2, 3, 3, 2, 1, 2, 0, 1],
        [1, 17, 1, 3, 1, 2, 0, 1, 0, 1],
        [11, 13, 3, 3, 2, 1, 2, 2, 2, 2],
        [6, 19, 4, 2, 1, 2, 0, 1, 3, 1],
    ];

    public static TheoryData<int, int> Dilations()
    {
        var data = new TheoryData<int, int>();
        for (int dh = 1; dh <= 3; dh++)
            for (int dw = 1; dw <= 3; dw++) data.Add(dh, dw);
        return data;
    }

    [Theory]
    [MemberData(nameof(Dilations))]
    public void FloorAndCeilSizes_FloatAndDouble_MatchTheReferenceBitForBit(int dh, int dw)
    {
        int seed = 0;
        foreach (var s in Shapes)
            foreach (bool ceil in (ReadOnlySpan<bool>)[false, true])
            {
                int oh = Size(s[0], s[6], s[8], s[2], s[4], dh, ceil), ow = Size(s[1], s[7], s[9], s[3], s[5], dw, ceil);
                if (oh == 0 || ow == 0) continue;
                var g = new PoolGeometry2D(s[0], s[1], oh, ow, s[2], s[3], s[4], s[5], s[6], s[7], dh, dw);
                Check<float>(3, g, ++seed, specials: false, ComputePool.Serial);
                Check<double>(2, g, ++seed, specials: false, ComputePool.Serial);
            }
    }

    [Theory]
    [MemberData(nameof(Dilations))]
    public void NaNsAndSignedZeros_FollowTheDocumentedRules(int dh, int dw)
    {
        int seed = 100;
        foreach (var s in Shapes)
        {
            int oh = Size(s[0], s[6], s[8], s[2], s[4], dh, ceil: false), ow = Size(s[1], s[7], s[9], s[3], s[5], dw, ceil: false);
            if (oh == 0 || ow == 0) continue;
            var g = new PoolGeometry2D(s[0], s[1], oh, ow, s[2], s[3], s[4], s[5], s[6], s[7], dh, dw);
            Check<float>(4, g, ++seed, specials: true, ComputePool.Serial);
            Check<double>(4, g, ++seed, specials: true, ComputePool.Serial);
        }
    }

    [Fact]
    public void DilatedMax_OfZerosAndNaNPayloads_IsPlusZeroOrTheCanonicalNaN()
    {
        // 1 x 5, kernel 3 taps 2 apart: the window is columns 0, 2, 4.
        var g = new PoolGeometry2D(1, 5, 1, 1, 1, 3, 1, 1, 0, 0, 1, 2);
        var y = new float[1];
        PoolingKernels.MaxPool2D<float>([-0f, 9f, 0f, 9f, -0f], y, 1, g, ComputePool.Serial);
        Assert.Equal(BitConverter.SingleToInt32Bits(0f), BitConverter.SingleToInt32Bits(y[0]));
        PoolingKernels.MaxPool2D<float>([-0f, 9f, -0f, 9f, -0f], y, 1, g, ComputePool.Serial);
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(y[0]));
        // The NaN between the taps is not in the window; the one on a tap gives the canonical NaN.
        float payload = BitConverter.Int32BitsToSingle(0x7FC01234);
        PoolingKernels.MaxPool2D<float>([1f, float.NaN, 2f, float.NaN, 3f], y, 1, g, ComputePool.Serial);
        Assert.Equal(3f, y[0]);
        PoolingKernels.MaxPool2D<float>([1f, 5f, payload, 5f, 3f], y, 1, g, ComputePool.Serial);
        Assert.Equal(BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(y[0]));
        PoolingKernels.AveragePool2D<float>([1f, 5f, payload, 5f, 3f], y, 1, g, countIncludePad: false, ComputePool.Serial);
        Assert.Equal(BitConverter.SingleToInt32Bits(float.NaN), BitConverter.SingleToInt32Bits(y[0]));
    }

    [Fact]
    public void AWindowWithNoImageTap_IsMinusInfinityForMax_AndZeroForAverage()
    {
        // Width 2, pads 1 and 1, kernel 2 taps 3 apart: the only window's taps are columns -1 and 2.
        var g = new PoolGeometry2D(1, 2, 1, 1, 1, 2, 1, 1, 0, 1, 1, 3);
        var y = new double[1];
        PoolingKernels.MaxPool2D<double>([5.0, 6.0], y, 1, g, ComputePool.Serial);
        Assert.Equal(double.NegativeInfinity, y[0]);
        PoolingKernels.AveragePool2D<double>([5.0, 6.0], y, 1, g, countIncludePad: false, ComputePool.Serial);
        Assert.Equal(0.0, y[0]);
        PoolingKernels.AveragePool2D<double>([5.0, 6.0], y, 1, g, countIncludePad: true, ComputePool.Serial);
        Assert.Equal(0.0, y[0]);
    }

    [Fact]
    public void CountIncludePad_DividesByTheTaps_NotTheDilatedExtent()
    {
        // 3 x 3 of ones, pad 1, kernel 2 x 2 taps 2 apart, stride 2: the 2 x 2 output's windows
        // each hold one image tap of four (the top left one, at (-1, -1), (-1, 1), (1, -1), (1, 1), holds (1, 1)).
        var g = new PoolGeometry2D(3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 2, 2);
        var x = Enumerable.Repeat(1f, 9).ToArray();
        var y = new float[4];
        PoolingKernels.AveragePool2D<float>(x, y, 1, g, countIncludePad: true, ComputePool.Serial);
        Assert.Equal([0.25f, 0.25f, 0.25f, 0.25f], y);
        PoolingKernels.AveragePool2D<float>(x, y, 1, g, countIncludePad: false, ComputePool.Serial);
        Assert.Equal([1f, 1f, 1f, 1f], y);
    }

    [Fact]
    public void Threaded_IsBitIdenticalToSerial()
    {
        using var pool2 = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1 });
        foreach (var (dh, dw) in new[] { (1, 1), (2, 3), (3, 1) })
        {
            int oh = Size(23, 1, 1, 3, 2, dh, ceil: true), ow = Size(29, 2, 0, 3, 1, dw, ceil: false);
            var g = new PoolGeometry2D(23, 29, oh, ow, 3, 3, 2, 1, 1, 2, dh, dw);
            Check<float>(7, g, dh * 10 + dw, specials: true, pool2);
            Check<double>(5, g, dh * 10 + dw, specials: true, pool2);
        }
    }

    [Fact]
    public void DilationOne_IsTheDenseGeometry_BitForBit()
    {
        // The ten-argument constructor (the API before dilation) and an explicit dilation of 1 are
        // the same geometry, and run the same dense paths (vectorised max, 2x2/2 float max, average).
        foreach (var s in Shapes)
        {
            int oh = Size(s[0], s[6], s[8], s[2], s[4], 1, ceil: false), ow = Size(s[1], s[7], s[9], s[3], s[5], 1, ceil: false);
            var dense = new PoolGeometry2D(s[0], s[1], oh, ow, s[2], s[3], s[4], s[5], s[6], s[7]);
            var explicitOne = new PoolGeometry2D(s[0], s[1], oh, ow, s[2], s[3], s[4], s[5], s[6], s[7], 1, 1);
            Assert.Equal(dense, explicitOne);
            Assert.Equal((1, 1, false), (dense.DilationH, dense.DilationW, dense.IsDilated));
            Check<float>(3, dense, oh * 100 + ow, specials: true, ComputePool.Serial);
        }
        var lenet = new PoolGeometry2D(24, 24, 12, 12, 2, 2, 2, 2, 0, 0);
        Check<float>(5, lenet, 7, specials: true, ComputePool.Serial);
        Check<float>(5, lenet with { DilationW = 2, OutW = 11 }, 7, specials: true, ComputePool.Serial);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 0)]
    [InlineData(-2, 1)]
    public void DilationBelowOne_IsRefused(int dh, int dw)
    {
        var g = new PoolGeometry2D(4, 4, 2, 2, 2, 2, 1, 1, 0, 0, dh, dw);
        var ex = Assert.Throws<ArgumentException>(() => PoolingKernels.MaxPool2D<float>(new float[16], new float[4], 1, g, ComputePool.Serial));
        Assert.Contains("dilation", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PoolingKernels.AveragePool2D<float>(new float[16], new float[4], 1, g, false, ComputePool.Serial));
    }

    [Fact]
    public void NchwcPooling_RefusesADilatedGeometry()
    {
        var g = new PoolGeometry2D(4, 4, 2, 2, 2, 2, 1, 1, 0, 0, 2, 2);
        var x = new float[16 * Nchwc.BlockSize];
        var y = new float[4 * Nchwc.BlockSize];
        var ex = Assert.Throws<ArgumentException>(() => Nchwc.MaxPool(x, y, 1, Nchwc.BlockSize, g, ComputePool.Serial));
        Assert.Contains("dilat", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Nchwc.AveragePool(x, y, 1, Nchwc.BlockSize, g, false, ComputePool.Serial));
    }
}
