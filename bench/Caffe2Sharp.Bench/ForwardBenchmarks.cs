// Hand-written.
using BenchmarkDotNet.Attributes;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Bench.Baseline;

namespace Caffe2Sharp.Bench;

/// <summary>
/// LeakyRelu forward (alpha 0.01) on N floats: the kernel, the frozen pre-port kernel (issue #8's
/// baseline, <see cref="BaselineLeakyReluKernels"/>), a one-op net, ONNX Runtime, a naive loop,
/// and the limit, a plain copy of the same bytes. Every forward moves 8N bytes (read 4N,
/// write 4N), in place or not.
/// </summary>
/// <remarks>
/// <para>All buffers, workspaces, nets and ONNX Runtime sessions are made in <see cref="Setup"/>,
/// and every path is checked bit for bit against the scalar reference there, so the timed
/// methods are one call each.</para>
/// <para>In place: applying LeakyRelu again and again to the same buffer scales each negative by
/// 0.01 per call, through denormals (slow on x86 when they are multiplied) to -0.0 after at most
/// 24 calls. Setup therefore runs the in-place paths 32 times first, so every timed call sees the
/// same steady state: non-negative values and -0.0, no denormals. The vector kernel is
/// branch-free, so its cost does not depend on the signs.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class ForwardBenchmarks : SizedBenchmarks
{
    private const int Seed = 20240517;
    private const int InPlaceSettleCalls = 32;
    private const float Alpha = Reference.Alpha;

    private AlignedBuffer _x = null!, _y = null!, _z = null!, _zb = null!;
    private Workspace _ws1 = null!, _ws2 = null!;
    private OrtOneNode _ort1 = null!, _ort2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _x = AlignedBuffer.Random(N, Seed);
        _y = new AlignedBuffer(N);
        _z = new AlignedBuffer(N);
        var expected = new float[N];
        Reference.Forward(_x.Span, expected, Alpha);

        // Kernel, out of place and in place, 1 and 2 threads.
        foreach (int threads in (int[])[1, 2])
        {
            _y.Span.Clear();
            LeakyReluKernels.Forward(_x.Span, _y.Span, Alpha, BenchPools.For(threads));
            Reference.RequireEqual(expected, _y.Span, $"kernel forward, {threads} thread(s)");
            _x.Span.CopyTo(_z.Span);
            LeakyReluKernels.Forward(_z.Span, _z.Span, Alpha, BenchPools.For(threads));
            Reference.RequireEqual(expected, _z.Span, $"kernel forward in place, {threads} thread(s)");
        }
        _x.Span.CopyTo(_z.Span);
        for (int i = 0; i < InPlaceSettleCalls; i++) LeakyReluKernels.Forward(_z.Span, _z.Span, Alpha);
        RequireSettled(_z.Span, "kernel in place");

        // The pre-port kernel (issue #8's baseline) on its own process-wide helper threads: the
        // same checks, and its own settled in-place buffer.
        _zb = new AlignedBuffer(N);
        foreach (int threads in (int[])[1, 2])
        {
            _y.Span.Clear();
            BaselineLeakyReluKernels.Forward(_x.Span, _y.Span, Alpha, threads);
            Reference.RequireEqual(expected, _y.Span, $"baseline kernel forward, {threads} thread(s)");
            _x.Span.CopyTo(_zb.Span);
            BaselineLeakyReluKernels.Forward(_zb.Span, _zb.Span, Alpha, threads);
            Reference.RequireEqual(expected, _zb.Span, $"baseline kernel forward in place, {threads} thread(s)");
        }
        _x.Span.CopyTo(_zb.Span);
        for (int i = 0; i < InPlaceSettleCalls; i++) BaselineLeakyReluKernels.Forward(_zb.Span, _zb.Span, Alpha);
        RequireSettled(_zb.Span, "baseline kernel in place");

        _ws1 = CreateWorkspace(1, expected);
        _ws2 = CreateWorkspace(2, expected);

        _ort1 = NewOrt(intraOpThreads: 1);
        _ort2 = NewOrt(intraOpThreads: 2);
        foreach (var (ort, threads) in (ReadOnlySpan<(OrtOneNode, int)>)[(_ort1, 1), (_ort2, 2)])
        {
            _y.Span.Clear();
            ort.Run();
            Reference.RequireEqual(expected, _y.Span, $"ONNX Runtime, {threads} intra-op thread(s)");
        }
    }

    // ONNX Runtime running the one-node LeakyRelu model over our buffers, bound once (no copies).
    private OrtOneNode NewOrt(int intraOpThreads) =>
        new(OnnxModels.LeakyRelu(_x.Length, Alpha), "X", _x, [_x.Length], _y, [_y.Length], intraOpThreads);

    private Workspace CreateWorkspace(int threads, float[] expected)
    {
        var catalog = new OperatorCatalog().Add(LeakyRelu.Register);
        var ws = new Workspace(catalog, BenchPools.For(threads));
        ws.FeedBlob<float>("X", _x.Span, N);
        ws.FeedBlob<float>("Z", _x.Span, N);
        ws.CreateNet(new NetBuilder("fwd").ExternalInput("X").LeakyRelu("X", "Y", alpha: Alpha).ExternalOutput("Y").Build());
        ws.CreateNet(new NetBuilder("fwd_inplace").ExternalInput("Z").LeakyRelu("Z", "Z", alpha: Alpha).ExternalOutput("Z").Build());
        ws.RunNet("fwd");
        Reference.RequireEqual(expected, ws.GetBlob("Y")!.GetTensor().Data<float>(), $"net forward, {threads} thread(s)");
        ws.RunNet("fwd_inplace");
        Reference.RequireEqual(expected, ws.GetBlob("Z")!.GetTensor().Data<float>(), $"net forward in place, {threads} thread(s)");
        for (int i = 1; i < InPlaceSettleCalls; i++) ws.RunNet("fwd_inplace");
        RequireSettled(ws.GetBlob("Z")!.GetTensor().Data<float>(), $"net in place, {threads} thread(s)");
        return ws;
    }

    private static void RequireSettled(ReadOnlySpan<float> values, string what)
    {
        foreach (float v in values)
        {
            if (!(v >= 0)) throw new InvalidOperationException($"{what}: {v:R} left after settling; expected only non-negative values and -0.0.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ort1?.Dispose();
        _ort2?.Dispose();
    }

    // ---- the limit and the peer -----------------------------------------------------------------

    /// <summary>The limit: copy N floats (read 4N bytes, write 4N), as fast as the memory system allows.</summary>
    [Benchmark]
    [Traffic(8)]
    public void Copy() => _x.Span.CopyTo(_y.Span);

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy))]
    public void Ort_1T() => _ort1.Run();

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy))]
    public void Ort_2T() => _ort2.Run();

    // ---- the kernel ---------------------------------------------------------------------------

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T), Baseline = nameof(Baseline_1T))]
    public void Kernel_1T() => LeakyReluKernels.Forward(_x.Span, _y.Span, Alpha, BenchPools.For(1));

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_2T), Baseline = nameof(Baseline_2T))]
    public void Kernel_2T() => LeakyReluKernels.Forward(_x.Span, _y.Span, Alpha, BenchPools.For(2));

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T), Baseline = nameof(BaselineInPlace_1T))]
    public void KernelInPlace_1T() => LeakyReluKernels.Forward(_z.Span, _z.Span, Alpha, BenchPools.For(1));

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_2T), Baseline = nameof(BaselineInPlace_2T))]
    public void KernelInPlace_2T() => LeakyReluKernels.Forward(_z.Span, _z.Span, Alpha, BenchPools.For(2));

    // ---- issue #8's baseline: the pre-port kernel, frozen in Baseline/ -----------------------------

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T))]
    public void Baseline_1T() => BaselineLeakyReluKernels.Forward(_x.Span, _y.Span, Alpha, 1);

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_2T))]
    public void Baseline_2T() => BaselineLeakyReluKernels.Forward(_x.Span, _y.Span, Alpha, 2);

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T))]
    public void BaselineInPlace_1T() => BaselineLeakyReluKernels.Forward(_zb.Span, _zb.Span, Alpha, 1);

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_2T))]
    public void BaselineInPlace_2T() => BaselineLeakyReluKernels.Forward(_zb.Span, _zb.Span, Alpha, 2);

    // ---- a one-op net run by a Workspace (the kernel plus per-run overhead) ----------------------

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T))]
    public void Net_1T() => _ws1.RunNet("fwd");

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_2T))]
    public void Net_2T() => _ws2.RunNet("fwd");

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T))]
    public void NetInPlace_1T() => _ws1.RunNet("fwd_inplace");

    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_2T))]
    public void NetInPlace_2T() => _ws2.RunNet("fwd_inplace");

    // ---- what vectorisation buys ----------------------------------------------------------------

    /// <summary>The scalar loop with a branch per element, on data with about half negatives.</summary>
    [Benchmark]
    [Traffic(8, Copy = nameof(Copy), Ort = nameof(Ort_1T))]
    public void Naive() => Reference.Forward(_x.Span, _y.Span, Alpha);
}
