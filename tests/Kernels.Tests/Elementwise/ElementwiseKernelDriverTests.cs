using Caffe2Sharp.Tests;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Runtime.Tests.Elementwise;

/// <summary>x * 3 + 1: not idempotent, so applying it twice to an element shows.</summary>
internal readonly struct AffineOp : IUnaryOperator<float>
{
    public float Invoke(float x) => x * 3f + 1f;
    public Vector128<float> Invoke(Vector128<float> x) => x * 3f + Vector128.Create(1f);
    public Vector256<float> Invoke(Vector256<float> x) => x * 3f + Vector256.Create(1f);
    public Vector512<float> Invoke(Vector512<float> x) => x * 3f + Vector512.Create(1f);
}

/// <summary>The driver with throwaway operators. Named "Kernel" so CI reruns it per SIMD tier.</summary>
[Collection(nameof(ParallelThresholdCollection))]
public class ElementwiseKernelDriverTests
{
    private readonly struct SubOp : IBinaryOperator<double>
    {
        public double Invoke(double x, double y) => x - y;
        public Vector128<double> Invoke(Vector128<double> x, Vector128<double> y) => x - y;
        public Vector256<double> Invoke(Vector256<double> x, Vector256<double> y) => x - y;
        public Vector512<double> Invoke(Vector512<double> x, Vector512<double> y) => x - y;
    }

    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 20 - 10)).ToArray();
    }

    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        foreach (var n in Enumerable.Range(0, 257).Concat([2048, 4099])) data.Add(n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Unary_MatchesScalar_OutOfPlaceAndInPlace(int n)
    {
        var x = Random(n, n);
        var expected = x.Select(v => v * 3f + 1f).ToArray();
        var y = new float[n];
        ElementwiseDriver.Unary(new AffineOp(), x, y);
        Assert.Equal(expected, y);
        ElementwiseDriver.Unary(new AffineOp(), x, x);
        Assert.Equal(expected, x); // in place: every element exactly once, even in the tail
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Binary_MatchesScalar_InPlaceOnEitherInput(int n)
    {
        var r = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => r.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => r.NextDouble()).ToArray();
        var expected = x.Zip(y, (a, b) => a - b).ToArray();
        var d = new double[n];
        ElementwiseDriver.Binary(new SubOp(), x, y, d);
        Assert.Equal(expected, d);
        var x2 = (double[])x.Clone();
        ElementwiseDriver.Binary(new SubOp(), x2, y, x2);
        Assert.Equal(expected, x2);
        var y2 = (double[])y.Clone();
        ElementwiseDriver.Binary(new SubOp(), x, y2, y2);
        Assert.Equal(expected, y2);
    }

    [Fact]
    public void LengthMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ElementwiseDriver.Unary(new AffineOp(), new float[3], new float[4]));
        Assert.Contains("x has 3 elements but the other operand has 4", e.Message);
        Assert.Throws<ArgumentException>(() => ElementwiseDriver.Binary(new SubOp(), new double[3], new double[2], new double[3]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    [InlineData(16)]
    [InlineData(-17)]
    public void ShiftedOverlap_IsRejected(int shift)
    {
        var buffer = new float[200];
        int xs = shift > 0 ? 0 : -shift, ds = shift > 0 ? shift : 0;
        var e = Assert.Throws<ArgumentException>(() => ElementwiseDriver.Unary(new AffineOp(), buffer.AsSpan(xs, 100), buffer.AsSpan(ds, 100)));
        Assert.Contains("shifted", e.Message);
        var d = new double[300];
        Assert.Throws<ArgumentException>(() => ElementwiseDriver.Binary(new SubOp(), new double[100], d.AsSpan(xs, 100), d.AsSpan(ds, 100)));
    }

    [Fact]
    public void EmptySpans_AreFine()
    {
        ElementwiseDriver.Unary(new AffineOp(), ReadOnlySpan<float>.Empty, Span<float>.Empty);
        ElementwiseDriver.Binary(new SubOp(), ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, Span<double>.Empty, 4);
    }

    [Fact]
    public void ChunkBounds_AreWholeCacheLines_AndCoverEverything()
    {
        foreach (var (length, chunks) in new[] { (1000, 3), (64 * 10 + 5, 4), (1 << 20, 8), (130, 8) })
        {
            int covered = 0;
            for (int c = 0; c < chunks; c++)
            {
                var (start, end) = ElementwiseDriver.ChunkBounds(length, chunks, c);
                Assert.Equal(covered, start);
                Assert.True(start % 64 == 0 || start == length);
                covered = end;
            }
            Assert.Equal(length, covered);
        }
    }
}

/// <summary>Tests that change <see cref="ElementwiseDriver.ParallelThreshold"/> run one at a time.</summary>
[CollectionDefinition(nameof(ParallelThresholdCollection), DisableParallelization = true)]
public sealed class ParallelThresholdCollection;

[Collection(nameof(ParallelThresholdCollection))]
public class ElementwiseKernelParallelTests
{
    private readonly struct ThrowingOp : IUnaryOperator<float>
    {
        public float Invoke(float x) => throw new InvalidOperationException("boom");
        public Vector128<float> Invoke(Vector128<float> x) => throw new InvalidOperationException("boom");
        public Vector256<float> Invoke(Vector256<float> x) => throw new InvalidOperationException("boom");
        public Vector512<float> Invoke(Vector512<float> x) => throw new InvalidOperationException("boom");
    }

    [Theory]
    [InlineData(63)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(100_003)]
    public void Parallel_EqualsSerial_AtEveryThreadCount(int n)
    {
        using var settings = new DriverSettings { ParallelThreshold = 64 };
        var r = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble()).ToArray();
        var serial = new float[n];
        ElementwiseDriver.Unary(new AffineOp(), x, serial, 1);
        foreach (var threads in new[] { 2, 3, 4, 8 })
        {
            var parallel = new float[n];
            ElementwiseDriver.Unary(new AffineOp(), x, parallel, threads);
            Assert.Equal(serial, parallel);
            var inPlace = (float[])x.Clone();
            ElementwiseDriver.Unary(new AffineOp(), inPlace, inPlace, threads);
            Assert.Equal(serial, inPlace);
        }
    }

    [Fact]
    public void WorkerException_PropagatesToTheCaller()
    {
        using var settings = new DriverSettings { ParallelThreshold = 64 };
        var x = new float[1 << 16];
        var e = Assert.Throws<InvalidOperationException>(() => ElementwiseDriver.Unary(new ThrowingOp(), x, x, 4));
        Assert.Equal("boom", e.Message);
        // The driver is reusable afterwards.
        ElementwiseDriver.Unary(new AffineOp(), x, x, 4);
        Assert.All(x, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Parallel_SteadyState_DoesNotAllocate()
    {
        var x = new float[1 << 19];
        ElementwiseDriver.Unary(new AffineOp(), x, x, 2);
        ElementwiseDriver.Unary(new AffineOp(), x, x, 2);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 20; k++) ElementwiseDriver.Unary(new AffineOp(), x, x, 2);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ConcurrentCallers_EachGetTheRightResult()
    {
        using var settings = new DriverSettings { ParallelThreshold = 64 };
        var inputs = Enumerable.Range(0, 8).Select(k => Enumerable.Range(0, 50_000 + k).Select(i => (float)(i % 97) - k).ToArray()).ToArray();
        var outputs = inputs.Select(x => new float[x.Length]).ToArray();
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            for (int rep = 0; rep < 20; rep++) ElementwiseDriver.Unary(new AffineOp(), inputs[k], outputs[k], 2);
        });
        for (int k = 0; k < inputs.Length; k++) Assert.Equal(inputs[k].Select(v => v * 3f + 1f), outputs[k]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void Streaming_IsBitIdentical_ToOrdinaryStores_AtAnyAlignment(int offset)
    {
        using var settings = new DriverSettings();
        var r = new Random(offset);
        var x = Enumerable.Range(0, 20_000).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        var expected = new float[x.Length];
        settings.NonTemporalThresholdBytes = long.MaxValue;
        ElementwiseDriver.Unary(new AffineOp(), x, expected);
        settings.NonTemporalThresholdBytes = 0;
        foreach (var threads in new[] { 1, 2 })
        {
            ElementwiseDriver.ParallelThreshold = threads == 1 ? int.MaxValue : 64;
            var buffer = new float[x.Length + 5000];
            var d = buffer.AsSpan(offset % 5000, x.Length - offset);
            ElementwiseDriver.Unary(new AffineOp(), x.AsSpan(0, x.Length - offset), d, threads);
            Assert.True(d.SequenceEqual(expected.AsSpan(0, x.Length - offset)));
            var inPlace = (float[])x.Clone();
            ElementwiseDriver.Unary(new AffineOp(), inPlace, inPlace, threads); // in place never streams, still right
            Assert.Equal(expected, inPlace);
        }
    }

    [Fact]
    public void Threshold_RejectsZero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ElementwiseDriver.ParallelThreshold = 0);
    }
}
