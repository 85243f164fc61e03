namespace Caffe2Sharp.Kernels.Tests.Resampling;

/// <summary>
/// The resample kernels: the taps an axis plans (identity, gathers, weights that sum to one, cells
/// on the grid read alone), results bit-identical at every thread count through one, two and three
/// passes, and the argument checks.
/// </summary>
public class ResampleKernelTests
{
    private static readonly ResampleOptions Linear = new() { Mode = ResampleMode.Linear };
    private static readonly ResampleOptions Cubic = new() { Mode = ResampleMode.Cubic };

    [Fact]
    public void AnAxisNotResized_IsAnIdentity_AndNearestIsAGather()
    {
        Assert.True(ResampleAxis.Create(5, 5, 1f, Linear).IsIdentity);
        Assert.True(ResampleAxis.Create(5, 5, 1f, Cubic with { Coordinates = ResampleCoordinates.AlignCorners }).IsIdentity);
        var nearest = ResampleAxis.Create(5, 10, 2f, new ResampleOptions());
        Assert.False(nearest.IsIdentity);
        Assert.True(nearest.IsGather);
        Assert.False(ResampleAxis.Create(5, 10, 2f, Linear).IsGather);
    }

    [Theory]
    [InlineData(ResampleMode.Linear, false, 0.5f)]
    [InlineData(ResampleMode.Linear, true, 0.3f)]
    [InlineData(ResampleMode.Cubic, false, 1.7f)]
    [InlineData(ResampleMode.Cubic, true, 0.25f)]
    public void Weights_SumToOne_AndCellsStayInside(ResampleMode mode, bool antialias, float scale)
    {
        int inSize = 13, outSize = (int)(inSize * scale);
        var axis = ResampleAxis.Create(inSize, outSize, scale, new ResampleOptions { Mode = mode, Antialias = antialias });
        for (int o = 0; o < outSize; o++)
        {
            Assert.Equal(1.0, axis.Weights(o).ToArray().Sum(), 12);
            Assert.All(axis.Indices(o).ToArray(), c => Assert.InRange(c, 0, inSize - 1));
            // Cells are merged when they clamp together, so each appears once.
            Assert.Equal(axis.Indices(o).Length, axis.Indices(o).ToArray().Distinct().Count());
        }
        if (antialias) Assert.True(axis.MaxTaps > (mode == ResampleMode.Linear ? 2 : 4), "antialias widens the kernel when down-sampling");
    }

    [Fact]
    public void ACoordinateOnACell_ReadsThatCellAlone()
    {
        // Align corners, 4 -> 7: outputs 0, 2, 4, 6 fall on cells 0, 1, 2, 3.
        var axis = ResampleAxis.Create(4, 7, 7f / 4, Cubic with { Coordinates = ResampleCoordinates.AlignCorners });
        for (int o = 0; o < 7; o += 2)
        {
            Assert.Equal([o / 2], axis.Indices(o).ToArray());
            Assert.Equal([1.0], axis.Weights(o).ToArray());
        }
        Assert.Equal(4, axis.Indices(3).Length); // source 1.5: cells 0 to 3
        Assert.Equal(3, axis.Indices(1).Length); // source 0.5: cell -1 clamps onto cell 0 and merges with it
    }

    [Fact]
    public void TfCropAndResize_MarksPositionsOutsideTheInput()
    {
        var axis = ResampleAxis.Create(6, 5, 1f, Linear with { Coordinates = ResampleCoordinates.TfCropAndResize }, -0.25f, 1.15f);
        Assert.True(axis.IsOutside(0));
        Assert.False(axis.IsOutside(2));
        Assert.True(axis.IsOutside(4));
        Assert.True(axis.Indices(0).IsEmpty);
    }

    private static float[] Data(int n) => [.. Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.37f) * 10)];

    [Theory]
    [InlineData(ResampleMode.Nearest)]
    [InlineData(ResampleMode.Linear)]
    [InlineData(ResampleMode.Cubic)]
    public void ThreePasses_AreBitIdenticalAtEveryThreadCount(ResampleMode mode)
    {
        long[] dims = [2, 9, 11, 13];
        var options = new ResampleOptions { Mode = mode };
        ResampleAxis?[] axes = [null, ResampleAxis.Create(9, 14, 1.6f, options), ResampleAxis.Create(11, 5, 0.5f, options), ResampleAxis.Create(13, 26, 2f, options)];
        var x = Data(2 * 9 * 11 * 13);
        var serial = new float[2 * 14 * 5 * 26];
        ResampleKernels.Resample<float>(x, serial, dims, axes, 0f, ComputePool.Serial);
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 3, ParallelWorkThreshold = 1 });
        foreach (int threads in new[] { 2, 3 })
        {
            var y = new float[serial.Length];
            ResampleKernels.Resample<float>(x, y, dims, axes, 0f, pool, threads);
            Assert.Equal(serial, y);
        }
        Assert.Contains(serial, v => v != 0);
    }

    [Fact]
    public void NoAxisResized_CopiesTheInput()
    {
        var x = Data(12);
        var y = new float[12];
        ResampleKernels.Resample<float>(x, y, [3, 4], [null, ResampleAxis.Create(4, 4, 1f, Linear)], 0f, ComputePool.Serial);
        Assert.Equal(x, y);
    }

    [Fact]
    public void BadArguments_AreRefusedWithTheReason()
    {
        var axis = ResampleAxis.Create(4, 8, 2f, Linear);
        var e = Assert.Throws<ArgumentException>(() => ResampleKernels.Resample<float>(new float[8], new float[16], [2, 4], [axis], 0f, ComputePool.Serial));
        Assert.Contains("1 axes for a tensor of rank 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => ResampleKernels.Resample<float>(new float[10], new float[16], [2, 5], [null, axis], 0f, ComputePool.Serial));
        Assert.Contains("planned for length 4", e.Message);
        e = Assert.Throws<ArgumentException>(() => ResampleKernels.Resample<int>(new int[8], new int[16], [2, 4], [null, axis], 0, ComputePool.Serial));
        Assert.Contains("FLOAT or DOUBLE", e.Message);
        e = Assert.Throws<ArgumentException>(() => ResampleKernels.Resample<float>(new float[8], new float[15], [2, 4], [null, axis], 0f, ComputePool.Serial));
        Assert.Contains("y has 15 elements", e.Message);
        var buffer = new float[24];
        e = Assert.Throws<ArgumentException>(() => ResampleKernels.Resample<float>(buffer.AsSpan(0, 8), buffer.AsSpan(4, 16), [2, 4], [null, axis], 0f, ComputePool.Serial));
        Assert.Contains("overlaps", e.Message);
        Assert.Throws<ArgumentException>(() => ResampleAxis.Create(0, 3, 1f, Linear));
        Assert.Throws<ArgumentException>(() => ResampleAxis.Create(3, 3, float.NaN, Linear));
    }
}
