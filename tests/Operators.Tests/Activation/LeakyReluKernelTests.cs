using Caffe2Sharp.Tests;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Activation;

namespace Caffe2Sharp.Operators.Tests.Activation;

/// <summary>
/// Kernels against a scalar reference, bitwise. CI reruns these ("Kernel" in the name) with
/// DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0 so the 128-bit and scalar paths run too.
/// </summary>
public class LeakyReluKernelTests
{
    private static readonly int[] Lengths = [0, 1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 2048];
    private static readonly float[] Alphas = [0.01f, 0.2f, 1f, 2f, 0f, -0.5f];

    private static readonly float[] SpecialFloats =
    [
        0f, -0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -float.NaN,
        float.Epsilon, -float.Epsilon, 1.17549435e-38f, -1.17549435e-38f, float.MaxValue, float.MinValue, 1f, -1f,
    ];

    private static readonly double[] SpecialDoubles =
    [
        0.0, -0.0, double.PositiveInfinity, double.NegativeInfinity, double.NaN,
        double.Epsilon, -double.Epsilon, 2.2250738585072014e-308, -2.2250738585072014e-308, double.MaxValue, double.MinValue,
    ];

    // The definition, written the plain way.
    private static float Reference(float x, float alpha) => x >= 0 ? x : alpha * x;
    private static double Reference(double x, double alpha) => x >= 0 ? x : alpha * x;

    private static float[] Data(int n, int seed)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = r.Next(4) == 0 ? SpecialFloats[r.Next(SpecialFloats.Length)] : (float)(r.NextDouble() * 8 - 4);
        return x;
    }

    private static void AssertBitwise(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"element {i}: expected {expected[i]} (0x{BitConverter.SingleToInt32Bits(expected[i]):X8}), got {actual[i]} (0x{BitConverter.SingleToInt32Bits(actual[i]):X8})");
    }

    [Fact]
    public void Forward_MatchesScalarReference_Bitwise_EveryLengthAndAlpha()
    {
        foreach (var alpha in Alphas)
            foreach (var n in Lengths)
            {
                var x = Data(n, n);
                var expected = x.Select(v => Reference(v, alpha)).ToArray();
                var y = new float[n];
                LeakyReluKernels.Forward(x, y, alpha);
                AssertBitwise(expected, y);
                LeakyReluKernels.Forward(x, x, alpha); // in place
                AssertBitwise(expected, x);
            }
    }

    [Fact]
    public void Forward_Double_MatchesScalarReference_Bitwise()
    {
        foreach (var alpha in Alphas.Select(a => (double)a))
            foreach (var n in Lengths)
            {
                var r = new Random(n);
                var x = Enumerable.Range(0, n).Select(_ => r.Next(4) == 0 ? SpecialDoubles[r.Next(SpecialDoubles.Length)] : r.NextDouble() * 8 - 4).ToArray();
                var expected = x.Select(v => Reference(v, alpha)).ToArray();
                var y = new double[n];
                LeakyReluKernels.Forward(x, y, (float)alpha);
                Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), y.Select(BitConverter.DoubleToInt64Bits));
                LeakyReluKernels.Forward(x, x, (float)alpha);
                Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), x.Select(BitConverter.DoubleToInt64Bits));
            }
    }

    [Fact]
    public void Forward_NegativeInputs_AreScaledByAlpha_PositivesPassThrough()
    {
        var y = new float[4];
        LeakyReluKernels.Forward([-2f, -0.5f, 3f, 0f], y, 0.1f);
        Assert.Equal([-2f * 0.1f, -0.5f * 0.1f, 3f, 0f], y);
    }

    [Fact]
    public void Forward_AlphaAboveOne_IsPiecewise_NotMax()
    {
        var y = new float[2];
        LeakyReluKernels.Forward([-1f, 1f], y, 2f);
        Assert.Equal([-2f, 1f], y); // max(x, 2x) would give -1 and 2
    }

    [Fact]
    public void Forward_NegativeZero_PassesThroughAsNegativeZero()
    {
        var x = Enumerable.Repeat(-0f, 37).ToArray();
        LeakyReluKernels.Forward(x, x, 0.5f);
        Assert.All(x, v => Assert.True(float.IsNegative(v) && v == 0));
    }

    [Fact]
    public void Forward_NaN_StaysNaN_Infinities_FollowTheFormula()
    {
        var x = new float[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.NegativeInfinity };
        var y = new float[4];
        LeakyReluKernels.Forward(x, y, 0.01f);
        Assert.True(float.IsNaN(y[0]));
        Assert.Equal(float.PositiveInfinity, y[1]);
        Assert.Equal(float.NegativeInfinity, y[2]);
        LeakyReluKernels.Forward(x, y, 0f);
        Assert.True(float.IsNaN(y[3])); // 0 * -inf is NaN, as the formula says
        LeakyReluKernels.Forward(x, y, -0.5f);
        Assert.Equal(float.PositiveInfinity, y[2]);
    }

    [Fact]
    public void Forward_Denormals_AreMultipliedExactly_NotFlushed()
    {
        var x = Enumerable.Repeat(-1.17549435e-38f, 33).ToArray(); // smallest normal
        var y = new float[33];
        LeakyReluKernels.Forward(x, y, 0.5f);
        Assert.All(y, v => Assert.Equal(-5.877472e-39f, v)); // a denormal result
        var tiny = Enumerable.Repeat(-float.Epsilon, 33).ToArray();
        LeakyReluKernels.Forward(tiny, y, 2f);
        Assert.All(y, v => Assert.Equal(-2 * float.Epsilon, v));
    }

    [Fact]
    public void Forward_Half_MatchesCorrectlyRoundedReference()
    {
        foreach (var alpha in Alphas)
            foreach (var n in Lengths)
            {
                var r = new Random(n);
                var x = Enumerable.Range(0, n).Select(_ => (Half)(r.NextDouble() * 8 - 4)).Concat([Half.NegativeZero, Half.NaN, Half.Epsilon, Half.NegativeInfinity]).ToArray();
                var expected = x.Select(v => v >= Half.Zero ? v : (Half)((double)v * alpha)).ToArray();
                var y = new Half[x.Length];
                LeakyReluKernels.Forward(x, y, alpha);
                Assert.Equal(expected.Select(BitConverter.HalfToUInt16Bits), y.Select(BitConverter.HalfToUInt16Bits));
                LeakyReluKernels.Forward(x, x, alpha);
                Assert.Equal(expected.Select(BitConverter.HalfToUInt16Bits), x.Select(BitConverter.HalfToUInt16Bits));
            }
    }

    [Fact]
    public void Gradient_MatchesScalarReference_Bitwise_InPlaceOnDy()
    {
        foreach (var alpha in Alphas)
            foreach (var n in Lengths)
            {
                var s = Data(n, n + 1);
                var dy = Data(n, n + 2);
                var expected = s.Zip(dy, (a, g) => a >= 0 ? g : alpha * g).ToArray();
                var dx = new float[n];
                LeakyReluKernels.Gradient(s, dy, dx, alpha);
                AssertBitwise(expected, dx);
                LeakyReluKernels.Gradient(s, dy, dy, alpha);
                AssertBitwise(expected, dy);
            }
    }

    [Fact]
    public void Operators_EveryVectorWidth_MatchScalarInvoke_Bitwise()
    {
        // Calls each width directly, so Vector512 lanes are checked even on machines where the
        // driver never uses them (software fallback there).
        foreach (var alpha in Alphas)
        {
            var x = Data(64 * 16, 99);
            var s = Data(64 * 16, 98);
            var forward = new LeakyReluFunctor(alpha);
            var gradient = new LeakyReluGradientFunctor(alpha);
            for (int i = 0; i < x.Length; i += 16)
            {
                var f = Enumerable.Range(i, 16).Select(j => forward.Invoke(x[j])).ToArray();
                var g = Enumerable.Range(i, 16).Select(j => gradient.Invoke(s[j], x[j])).ToArray();
                AssertBitwise(f[..4], Lanes(forward.Invoke(Vector128.Create(x.AsSpan(i, 4)))));
                AssertBitwise(f[..8], Lanes(forward.Invoke(Vector256.Create(x.AsSpan(i, 8)))));
                AssertBitwise(f, Lanes(forward.Invoke(Vector512.Create(x.AsSpan(i, 16)))));
                AssertBitwise(g[..4], Lanes(gradient.Invoke(Vector128.Create(s.AsSpan(i, 4)), Vector128.Create(x.AsSpan(i, 4)))));
                AssertBitwise(g[..8], Lanes(gradient.Invoke(Vector256.Create(s.AsSpan(i, 8)), Vector256.Create(x.AsSpan(i, 8)))));
                AssertBitwise(g, Lanes(gradient.Invoke(Vector512.Create(s.AsSpan(i, 16)), Vector512.Create(x.AsSpan(i, 16)))));
            }
        }
    }

    private static float[] Lanes(Vector128<float> v) => Enumerable.Range(0, 4).Select(i => v.GetElement(i)).ToArray();
    private static float[] Lanes(Vector256<float> v) => Enumerable.Range(0, 8).Select(i => v.GetElement(i)).ToArray();
    private static float[] Lanes(Vector512<float> v) => Enumerable.Range(0, 16).Select(i => v.GetElement(i)).ToArray();

    [Fact]
    public void Forward_Half_EveryBitPattern_IsTheExactProductRoundedOnce()
    {
        var all = Enumerable.Range(0, 1 << 16).Select(b => BitConverter.UInt16BitsToHalf((ushort)b)).ToArray();
        foreach (var alpha in Alphas)
        {
            var y = new Half[all.Length];
            LeakyReluKernels.Forward(all, y, alpha);
            for (int i = 0; i < all.Length; i++)
            {
                if (all[i] >= Half.Zero) Assert.Equal(BitConverter.HalfToUInt16Bits(all[i]), BitConverter.HalfToUInt16Bits(y[i]));
                else AssertIsNearestHalf((double)all[i] * alpha, y[i]);
            }
        }
    }

    [Fact]
    public void Forward_Half_RoundsOnce_NotThroughFloat()
    {
        // x = 0x8096 (about -8.94e-6), alpha = 0.01: the exact product is just under halfway between
        // the two smallest subnormals; rounded to float first, it lands on the halfway point and
        // then rounds (to even) the wrong way.
        Half x = BitConverter.UInt16BitsToHalf(0x8096);
        Half viaFloat = (Half)((float)x * 0.01f);
        var y = new Half[1];
        LeakyReluKernels.Forward([x], y, 0.01f);
        Assert.Equal(-Half.Epsilon, y[0]);
        Assert.NotEqual(BitConverter.HalfToUInt16Bits(viaFloat), BitConverter.HalfToUInt16Bits(y[0]));
    }

    /// <summary>Checks <paramref name="actual"/> is the Half nearest to <paramref name="product"/> (ties to even), without trusting a conversion routine.</summary>
    private static void AssertIsNearestHalf(double product, Half actual)
    {
        if (double.IsNaN(product))
        {
            Assert.True(Half.IsNaN(actual));
            return;
        }
        if (Math.Abs(product) >= 65520) // MaxValue + half an ulp rounds to infinity
        {
            Assert.Equal(product > 0 ? Half.PositiveInfinity : Half.NegativeInfinity, actual);
            return;
        }
        Assert.True(Half.IsFinite(actual), $"{product:R} gave {actual}");
        double distance = Math.Abs((double)actual - product);
        foreach (var neighbour in new[] { Half.BitIncrement(actual), Half.BitDecrement(actual) })
        {
            if (!Half.IsFinite(neighbour)) continue;
            double d = Math.Abs((double)neighbour - product);
            bool tieLostToEven = d == distance && (BitConverter.HalfToUInt16Bits(actual) & 1) == 1;
            Assert.False(d < distance || tieLostToEven, $"{product:R} rounded to {actual}, but {neighbour} is nearer (or even).");
        }
    }

    [Fact]
    public void Gradient_Double_And_Half()
    {
        double[] s = [-1, 0, -0.0, 2, double.NaN], dy = [1, 2, 3, 4, 5];
        var dx = new double[5];
        LeakyReluKernels.Gradient(s, dy, dx, 0.5f);
        Assert.Equal([0.5, 2, 3, 4, 2.5], dx);
        Half[] hs = [(Half)(-1f), (Half)1f], hdy = [(Half)3f, (Half)3f];
        var hdx = new Half[2];
        LeakyReluKernels.Gradient(hs, hdy, hdx, 0.5f);
        Assert.Equal([(Half)1.5f, (Half)3f], hdx);
    }

    [Fact]
    public void Kernels_RejectLengthMismatch_AndShiftedOverlap()
    {
        Assert.Throws<ArgumentException>(() => LeakyReluKernels.Forward(new float[3], new float[2], 0.1f));
        var buf = new float[10];
        Assert.Throws<ArgumentException>(() => LeakyReluKernels.Forward(buf.AsSpan(0, 9), buf.AsSpan(1, 9), 0.1f));
        Assert.Throws<ArgumentException>(() => LeakyReluKernels.Gradient(new float[3], new float[4], new float[3], 0.1f));
        var hb = new Half[10];
        Assert.Throws<ArgumentException>(() => LeakyReluKernels.Forward(hb.AsSpan(0, 9), hb.AsSpan(1, 9), 0.1f));
        Assert.Throws<ArgumentException>(() => LeakyReluKernels.Forward(new Half[2], new Half[3], 0.1f));
    }

    [Fact]
    public void StreamingStores_AreBitIdentical_ForwardAndGradient()
    {
        var x = Data(10_007, 11);
        var dy = Data(10_007, 12);
        var y1 = new float[x.Length];
        var g1 = new float[x.Length];
        LeakyReluKernels.Forward(x, y1, 0.3f);
        LeakyReluKernels.Gradient(x, dy, g1, 0.3f);
        using var streaming = new ComputePool(new ComputePoolOptions { ThreadCount = 1, NonTemporalThresholdBytes = 0 });
        var y2 = new float[x.Length + 3];
        var g2 = new float[x.Length + 3];
        LeakyReluKernels.Forward(x, y2.AsSpan(3), 0.3f, streaming); // misaligned destination: scalar head, then streamed vectors
        LeakyReluKernels.Gradient(x, dy, g2.AsSpan(3), 0.3f, streaming);
        AssertBitwise(y1, y2[3..]);
        AssertBitwise(g1, g2[3..]);
    }

    [Fact]
    public void Parallel_IsBitIdenticalToSerial()
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 8, ParallelWorkThreshold = 1024 });
        var x = Data(100_000, 7);
        var serial = new float[x.Length];
        LeakyReluKernels.Forward(x, serial, 0.2f, pool, 1);
        foreach (var threads in new[] { 2, 3, 8 })
        {
            var y = new float[x.Length];
            LeakyReluKernels.Forward(x, y, 0.2f, pool, threads);
            AssertBitwise(serial, y);
            var dy = Data(100_000, 8);
            var g1 = new float[x.Length];
            var g2 = new float[x.Length];
            LeakyReluKernels.Gradient(x, dy, g1, 0.2f, pool, 1);
            LeakyReluKernels.Gradient(x, dy, g2, 0.2f, pool, threads);
            AssertBitwise(g1, g2);
        }
    }
}

