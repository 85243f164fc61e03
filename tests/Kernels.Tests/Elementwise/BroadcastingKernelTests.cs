namespace Caffe2Sharp.Kernels.Tests.Elementwise;

/// <summary>The broadcasting kernel and its shape rules, directly. Named "Kernel" so CI reruns it per SIMD tier.</summary>
public class BroadcastingKernelTests
{
    [Theory]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 2, 3, 4 }, new long[] { 2, 3, 4 })]
    [InlineData(new long[] { 2, 3 }, new long[0], new long[] { 2, 3 })]
    [InlineData(new long[0], new long[] { 5 }, new long[] { 5 })]
    [InlineData(new long[] { 3, 1 }, new long[] { 1, 4 }, new long[] { 3, 4 })]
    [InlineData(new long[] { 2, 3, 4, 5 }, new long[] { 3, 1, 1 }, new long[] { 2, 3, 4, 5 })]
    [InlineData(new long[] { 0, 3 }, new long[] { 3 }, new long[] { 0, 3 })]
    [InlineData(new long[] { 1 }, new long[] { 0 }, new long[] { 0 })]
    public void TryBroadcast_FollowsNumpy(long[] a, long[] b, long[] expected)
    {
        var result = new long[8];
        int rank = Broadcasting.TryBroadcast(a, b, result);
        Assert.Equal(expected, result[..rank]);
        rank = Broadcasting.TryBroadcast(b, a, result);
        Assert.Equal(expected, result[..rank]);
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, new long[] { 4 })]
    [InlineData(new long[] { 2, 3 }, new long[] { 3, 3 })]
    [InlineData(new long[] { 0 }, new long[] { 2 })]
    public void TryBroadcast_ConflictingDims_ReturnsMinusOne(long[] a, long[] b) =>
        Assert.Equal(-1, Broadcasting.TryBroadcast(a, b, new long[8]));

    [Fact]
    public void TryBroadcast_TooSmallResult_Throws() =>
        Assert.Throws<ArgumentException>(() => Broadcasting.TryBroadcast([2, 3], [3], new long[1]));

    [Theory]
    [InlineData(new long[] { 1, 20, 24, 24 }, new long[] { 20 }, 1, new long[] { 1, 20, 1, 1 })]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 4 }, -1, new long[] { 1, 1, 4 })]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 3, 4 }, -1, new long[] { 1, 3, 4 })]
    [InlineData(new long[] { 2, 3, 5, 4 }, new long[] { 1, 5, 1 }, 1, new long[] { 1, 1, 5, 1 })] // 1s dropped, alignment kept
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 1, 1 }, -1, new long[] { 1, 1, 1 })]         // one element: scalar
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 1, 7, 1 }, 0, null)]                         // 7 vs A's dim 1 (3)
    [InlineData(new long[] { 2, 3 }, new long[0], -1, new long[] { 1, 1 })]
    public void TryAlignLegacy_PadsBToARank(long[] a, long[] b, int axis, long[]? expected)
    {
        var aligned = new long[a.Length];
        string? why = Broadcasting.TryAlignLegacy(a, b, axis, aligned);
        if (expected is null)
        {
            Assert.Equal("B's dim 1 (7) does not match A's dim 1 (3) with axis 0", why);
            return;
        }
        Assert.Null(why);
        Assert.Equal(expected, aligned);
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, new long[] { 3 }, 2, "axis 2 is out of range for A of rank 2 and B of rank 1 (0 to 1, or -1)")]
    [InlineData(new long[] { 2, 3 }, new long[] { 3 }, -3, "axis -3 is out of range for A of rank 2 and B of rank 1 (0 to 1, or -1)")]
    [InlineData(new long[] { 3 }, new long[] { 1, 3 }, -1, "B has 2 dims, more than A's 1")]
    [InlineData(new long[] { 2, 3, 4 }, new long[] { 3 }, -1, "B's dim 0 (3) does not match A's dim 2 (4) with axis 2")]
    public void TryAlignLegacy_Failures_SayWhy(long[] a, long[] b, int axis, string why) =>
        Assert.Equal(why, Broadcasting.TryAlignLegacy(a, b, axis, new long[a.Length]));

    private static float[] Iota(int n, float scale) => [.. Enumerable.Range(0, n).Select(k => (k + 1) * scale)];

    /// <summary>Plain numpy reference of x - y.</summary>
    private static float[] Reference(float[] x, long[] xDims, float[] y, long[] yDims, long[] outDims)
    {
        int rank = outDims.Length;
        long[] px = [.. Enumerable.Repeat(1L, rank - xDims.Length), .. xDims], py = [.. Enumerable.Repeat(1L, rank - yDims.Length), .. yDims];
        var result = new float[outDims.Aggregate(1L, (p, d) => p * d)];
        for (long k = 0; k < result.Length; k++)
        {
            long r = k, ix = 0, iy = 0, mx = 1, my = 1;
            for (int d = rank - 1; d >= 0; d--)
            {
                long i = r % outDims[d];
                r /= outDims[d];
                if (px[d] != 1) ix += i * mx;
                if (py[d] != 1) iy += i * my;
                mx *= px[d];
                my *= py[d];
            }
            result[k] = x[ix] - y[iy];
        }
        return result;
    }

    public static TheoryData<long[], long[], int> Shapes()
    {
        var data = new TheoryData<long[], long[], int>();
        foreach (int threads in new[] { 1, 3 })
        {
            data.Add([3, 1], [1, 4], threads);
            data.Add([2, 3, 65], [3, 1], threads);
            data.Add([129], [], threads);
            data.Add([], [129], threads);
            data.Add([4, 1, 33], [1, 17, 1], threads);
            data.Add([2, 1, 1, 2048], [1, 1, 1, 1], threads);
            data.Add([5, 7, 9], [5, 7, 9], threads);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Binary_MatchesNumpyReference_OperandOrderKept(long[] xDims, long[] yDims, int threads)
    {
        using var pool = TestPools.Eager(threads);
        var outDims = new long[8];
        int rank = Broadcasting.TryBroadcast(xDims, yDims, outDims);
        var dims = outDims[..rank];
        var x = Iota((int)xDims.Aggregate(1L, (p, d) => p * d), 1f);
        var y = Iota((int)yDims.Aggregate(1L, (p, d) => p * d), 0.5f);
        var expected = Reference(x, xDims, y, yDims, dims);
        var destination = new float[expected.Length];
        Broadcasting.Binary(new SubOp(), x, xDims, y, yDims, destination, dims, pool);
        Assert.Equal(expected, destination);
    }

    [Fact]
    public void Binary_InPlaceOnEitherOperand_WithTheOutputsShape_IsRight()
    {
        long[] big = [3, 40], small = [40];
        var x = Iota(120, 1f);
        var y = Iota(40, 0.25f);
        var expected = Reference(x, big, y, small, big);
        var inPlace = (float[])x.Clone();
        Broadcasting.Binary(new SubOp(), inPlace, big, y, small, inPlace, big, TestPools.Serial);
        Assert.Equal(expected, inPlace);

        var expectedSwapped = Reference(y, small, x, big, big);
        inPlace = (float[])x.Clone();
        Broadcasting.Binary(new SubOp(), y, small, inPlace, big, inPlace, big, TestPools.Serial);
        Assert.Equal(expectedSwapped, inPlace);
    }

    [Fact]
    public void Binary_RankZeroAndEmpty()
    {
        var d = new float[1];
        Broadcasting.Binary(new SubOp(), [5f], [], [2f], [], d, [], TestPools.Serial);
        Assert.Equal([3f], d);
        Broadcasting.Binary(new SubOp(), [], [0, 3], [1f, 2f, 3f], [3], Span<float>.Empty, [0, 3], TestPools.Serial);
    }

    [Fact]
    public void Binary_BadShapesOrLengths_Throw()
    {
        var d = new float[6];
        Assert.Throws<ArgumentException>(() => Broadcasting.Binary(new SubOp(), new float[6], [2, 3], new float[4], [4], d, [2, 3], TestPools.Serial));
        Assert.Throws<ArgumentException>(() => Broadcasting.Binary(new SubOp(), new float[5], [2, 3], new float[3], [3], d, [2, 3], TestPools.Serial));
        Assert.Throws<ArgumentException>(() => Broadcasting.Binary(new SubOp(), new float[6], [2, 3], new float[3], [3], new float[5], [2, 3], TestPools.Serial));
        Assert.Throws<ArgumentException>(() => Broadcasting.Binary(new SubOp(), new float[6], [1, 2, 3], new float[3], [3], d, [2, 3], TestPools.Serial));
    }

    /// <summary>x * y + 0.1, the constant converted per element type: in half it would round twice.</summary>
    private readonly struct MulAddTenth : IBinaryFunctor
    {
        public T Invoke<T>(T x, T y) where T : unmanaged, System.Numerics.INumber<T> => x * y + T.CreateTruncating(0.1);
    }

    [Fact]
    public void OneElementShapes_GiveTheSameFloat16Bits_AsEveryOtherShape()
    {
        var r = new Random(3);
        var x = Enumerable.Range(0, 2048).Select(_ => (Half)(r.NextDouble() * 16 - 8)).ToArray();
        var y = Enumerable.Range(0, 2048).Select(_ => (Half)(r.NextDouble() * 4 - 2)).ToArray();
        var flat = new Half[x.Length];
        ElementwiseDriver.Binary(new MulAddTenth(), x, y, flat, ComputePool.Serial);
        var one = new Half[1];
        foreach (var dims in new long[][] { [], [1], [1, 1] })
            for (int i = 0; i < x.Length; i++)
            {
                Broadcasting.Binary(new MulAddTenth(), x.AsSpan(i, 1), dims, y.AsSpan(i, 1), dims, one, dims, ComputePool.Serial);
                Assert.Equal(BitConverter.HalfToUInt16Bits(flat[i]), BitConverter.HalfToUInt16Bits(one[0]));
            }
    }

    [Fact]
    public void OutputLargerThanBothOperands_IsAClearError()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Broadcasting.Binary(new MulAddTenth(), new float[1], [1], new float[1], [1], new float[4], [4], ComputePool.Serial));
        Assert.Contains("do not broadcast to [4]", e.Message);
    }
}
