using Caffe2Sharp.Tests;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels.Tests.Elementwise;

/// <summary>x * 3 + 1: not idempotent, so applying it twice to an element shows.</summary>
internal readonly struct AffineOp : IVectorUnaryFunctor
{
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x * T.CreateTruncating(3) + T.One;
    public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> => x * Vector128.Create(T.CreateTruncating(3)) + Vector128<T>.One;
    public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> => x * Vector256.Create(T.CreateTruncating(3)) + Vector256<T>.One;
    public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> => x * Vector512.Create(T.CreateTruncating(3)) + Vector512<T>.One;
}

/// <summary>The same function with only the scalar form: the driver must run it scalar.</summary>
internal readonly struct ScalarAffineOp : IUnaryFunctor
{
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x * T.CreateTruncating(3) + T.One;
}

/// <summary>x - y, vectorised.</summary>
internal readonly struct SubOp : IVectorBinaryFunctor
{
    public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => x - y;
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> => x - y;
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> => x - y;
}

/// <summary>Pools for tests: thresholds are options, so tests need no shared state and run in parallel.</summary>
internal static class TestPools
{
    public static readonly ComputePool Serial = ComputePool.Serial;

    /// <summary>A pool of <paramref name="threads"/> that splits from 64 elements of work.</summary>
    public static ComputePool Eager(int threads, long nonTemporalBytes = long.MaxValue) =>
        new(new ComputePoolOptions { ThreadCount = threads, ParallelWorkThreshold = 64, NonTemporalThresholdBytes = nonTemporalBytes });
}

/// <summary>The driver with throwaway functors. Named "Kernel" so CI reruns it per SIMD tier.</summary>
public class ElementwiseKernelDriverTests
{
    private static readonly ComputePool Serial = TestPools.Serial;

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
        ElementwiseDriver.Unary(new AffineOp(), x, y, Serial);
        Assert.Equal(expected, y);
        ElementwiseDriver.Unary(new AffineOp(), x, x, Serial);
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
        ElementwiseDriver.Binary(new SubOp(), x, y, d, Serial);
        Assert.Equal(expected, d);
        var x2 = (double[])x.Clone();
        ElementwiseDriver.Binary(new SubOp(), x2, y, x2, Serial);
        Assert.Equal(expected, x2);
        var y2 = (double[])y.Clone();
        ElementwiseDriver.Binary(new SubOp(), x, y2, y2, Serial);
        Assert.Equal(expected, y2);
    }

    [Fact]
    public void LengthMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ElementwiseDriver.Unary(new AffineOp(), new float[3], new float[4], Serial));
        Assert.Contains("x has 3 elements but destination has 4", e.Message);
        var b = Assert.Throws<ArgumentException>(() => ElementwiseDriver.Binary(new SubOp(), new double[3], new double[2], new double[3], Serial));
        Assert.Contains("x has 3 elements but y has 2", b.Message);
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
        var e = Assert.Throws<ArgumentException>(() => ElementwiseDriver.Unary(new AffineOp(), buffer.AsSpan(xs, 100), buffer.AsSpan(ds, 100), Serial));
        Assert.Contains("shifted", e.Message);
        var d = new double[300];
        Assert.Throws<ArgumentException>(() => ElementwiseDriver.Binary(new SubOp(), new double[100], d.AsSpan(xs, 100), d.AsSpan(ds, 100), Serial));
    }

    [Fact]
    public void EmptySpans_AreFine()
    {
        ElementwiseDriver.Unary(new AffineOp(), ReadOnlySpan<float>.Empty, Span<float>.Empty, Serial);
        ElementwiseDriver.Binary(new SubOp(), ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty, Span<double>.Empty, Serial, 4);
    }

    [Fact]
    public void ChunkBounds_AreWholeCacheLines_AndCoverEverything()
    {
        foreach (var (length, chunks) in new[] { (1000, 3), (64 * 10 + 5, 4), (1 << 20, 8), (130, 8) })
        {
            long covered = 0;
            for (int c = 0; c < chunks; c++)
            {
                var (start, end) = ParallelRegion.ChunkBounds(length, chunks, c, 64);
                Assert.Equal(covered, start);
                Assert.True(start % 64 == 0 || start == length);
                covered = end;
            }
            Assert.Equal(length, covered);
        }
    }
}

public class ElementwiseKernelParallelTests
{
    private readonly struct ThrowingOp : IVectorUnaryFunctor
    {
        public T Invoke<T>(T x) where T : unmanaged, INumber<T> => throw new InvalidOperationException("boom");
        public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> => throw new InvalidOperationException("boom");
        public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> => throw new InvalidOperationException("boom");
        public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> => throw new InvalidOperationException("boom");
    }

    [Theory]
    [InlineData(63)]
    [InlineData(4096)]
    [InlineData(4097)]
    [InlineData(100_003)]
    public void Parallel_EqualsSerial_AtEveryThreadCount(int n)
    {
        using var pool = TestPools.Eager(8);
        var r = new Random(n);
        var x = Enumerable.Range(0, n).Select(_ => (float)r.NextDouble()).ToArray();
        var serial = new float[n];
        ElementwiseDriver.Unary(new AffineOp(), x, serial, pool, 1);
        foreach (var threads in new[] { 2, 3, 4, 8 })
        {
            var parallel = new float[n];
            ElementwiseDriver.Unary(new AffineOp(), x, parallel, pool, threads);
            Assert.Equal(serial, parallel);
            var inPlace = (float[])x.Clone();
            ElementwiseDriver.Unary(new AffineOp(), inPlace, inPlace, pool, threads);
            Assert.Equal(serial, inPlace);
        }
    }

    [Fact]
    public void WorkerException_PropagatesToTheCaller()
    {
        using var pool = TestPools.Eager(4);
        var x = new float[1 << 16];
        var e = Assert.Throws<InvalidOperationException>(() => ElementwiseDriver.Unary(new ThrowingOp(), x, x, pool));
        Assert.Equal("boom", e.Message);
        // The pool is reusable afterwards.
        ElementwiseDriver.Unary(new AffineOp(), x, x, pool);
        Assert.All(x, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Parallel_SteadyState_DoesNotAllocate()
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2 });
        var x = new float[1 << 19];
        ElementwiseDriver.Unary(new AffineOp(), x, x, pool);
        ElementwiseDriver.Unary(new AffineOp(), x, x, pool);
        SteadyState.AllocatesNothing(() => ElementwiseDriver.Unary(new AffineOp(), x, x, pool), runs: 20);
        Assert.True(pool.Statistics.HelpersGranted > 0, "the calls should have run in parallel");
    }

    [Fact]
    public void ConcurrentCallers_EachGetTheRightResult()
    {
        using var pool = TestPools.Eager(4);
        var inputs = Enumerable.Range(0, 8).Select(k => Enumerable.Range(0, 50_000 + k).Select(i => (float)(i % 97) - k).ToArray()).ToArray();
        var outputs = inputs.Select(x => new float[x.Length]).ToArray();
        Parallel.For(0, inputs.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, k =>
        {
            for (int rep = 0; rep < 20; rep++) ElementwiseDriver.Unary(new AffineOp(), inputs[k], outputs[k], pool, 2);
        });
        for (int k = 0; k < inputs.Length; k++) Assert.Equal(inputs[k].Select(v => v * 3f + 1f), outputs[k]);
    }

    [Fact]
    public void ConcurrentRegions_AreEachGrantedTheirHelpers()
    {
        // Three helpers; two callers each asking for one. However the two regions overlap, a
        // caller always finds an idle helper (the other region holds at most one), so no region
        // is ever short: the old process-wide driver admitted one region at a time.
        using var pool = TestPools.Eager(4);
        var x = Enumerable.Range(0, 1 << 16).Select(i => (float)i).ToArray();
        var outputs = new[] { new float[x.Length], new float[x.Length] };
        using var barrier = new Barrier(2);
        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            for (int rep = 0; rep < 50; rep++)
            {
                barrier.SignalAndWait();
                ElementwiseDriver.Unary(new AffineOp(), x, outputs[t], pool, 2);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        var stats = pool.Statistics;
        Assert.Equal(100, stats.Regions);
        Assert.Equal(100, stats.HelpersWanted);
        Assert.Equal(100, stats.HelpersGranted);
        Assert.Equal(0, stats.RegionsShortOfHelpers);
        Assert.All(outputs, o => Assert.Equal(x.Select(v => v * 3f + 1f), o));
    }

    [Fact]
    public void ScalarOnlyFunctor_GivesTheSameBits_SerialAndParallel()
    {
        using var pool = TestPools.Eager(3);
        var r = new Random(5);
        var x = Enumerable.Range(0, 10_001).Select(_ => (float)r.NextDouble()).ToArray();
        var vectorised = new float[x.Length];
        var scalar = new float[x.Length];
        ElementwiseDriver.Unary(new AffineOp(), x, vectorised, TestPools.Serial);
        ElementwiseDriver.Unary(new ScalarAffineOp(), x, scalar, pool);
        Assert.Equal(vectorised, scalar);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(1000)]
    [InlineData(4099)]
    public void Streaming_IsBitIdentical_ToOrdinaryStores_AtAnyAlignment(int offset)
    {
        var r = new Random(offset);
        var x = Enumerable.Range(0, 20_000).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        var expected = new float[x.Length];
        ElementwiseDriver.Unary(new AffineOp(), x, expected, TestPools.Serial);
        foreach (var threads in new[] { 1, 2 })
        {
            using var pool = threads == 1
                ? new ComputePool(new ComputePoolOptions { ThreadCount = 1, NonTemporalThresholdBytes = 0 })
                : TestPools.Eager(2, nonTemporalBytes: 0);
            var buffer = new float[x.Length + 5000];
            var d = buffer.AsSpan(offset % 5000, x.Length - offset);
            ElementwiseDriver.Unary(new AffineOp(), x.AsSpan(0, x.Length - offset), d, pool);
            Assert.True(d.SequenceEqual(expected.AsSpan(0, x.Length - offset)));
            var inPlace = (float[])x.Clone();
            ElementwiseDriver.Unary(new AffineOp(), inPlace, inPlace, pool); // in place never streams, still right
            Assert.Equal(expected, inPlace);
        }
    }

    [Fact]
    public void Options_RejectNonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(new ComputePoolOptions { ThreadCount = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(new ComputePoolOptions { ParallelWorkThreshold = 0 }));
    }

    [Fact]
    public void DisposedPool_StillRunsRegions_OnTheCaller()
    {
        var pool = TestPools.Eager(3);
        var x = Enumerable.Range(0, 10_000).Select(i => (float)i).ToArray();
        var y = new float[x.Length];
        ElementwiseDriver.Unary(new AffineOp(), x, y, pool);
        pool.Dispose();
        long granted = pool.Statistics.HelpersGranted;
        Array.Clear(y);
        ElementwiseDriver.Unary(new AffineOp(), x, y, pool);
        Assert.Equal(x.Select(v => v * 3f + 1f), y);
        Assert.Equal(granted, pool.Statistics.HelpersGranted);
    }

    [Fact]
    public void CostPerElement_SplitsCostlyFunctorsEarlier()
    {
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 1000 });
        Assert.Equal(1, ElementwiseDriver.ChunkCount(pool, 999, 1, int.MaxValue));
        Assert.True(ElementwiseDriver.ChunkCount(pool, 999, 2, int.MaxValue) > 1);
        Assert.Equal(1, ElementwiseDriver.ChunkCount(pool, 999, 2, 1));
    }
}
