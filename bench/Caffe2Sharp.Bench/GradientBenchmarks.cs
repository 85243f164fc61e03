// Hand-written.
using BenchmarkDotNet.Attributes;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Bench.Baseline;

namespace Caffe2Sharp.Bench;

/// <summary>
/// LeakyReluGradient (alpha 0.01) on N floats, in Caffe2's form <c>dX = Y &gt;= 0 ? dY : alpha * dY</c>:
/// reads 2N floats and writes N, 12N bytes. The limits around it are two plain copies: N floats
/// (8N bytes) and 2N floats (16N bytes). ONNX Runtime's CPU build has no LeakyRelu gradient
/// kernel (that lives in its training build), so there is no peer here.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class GradientBenchmarks : SizedBenchmarks
{
    private const int Seed = 20240518;
    private const float Alpha = Reference.Alpha;

    private AlignedBuffer _y = null!, _dy = null!, _dx = null!, _copySource = null!, _copyDestination = null!;
    private Workspace _ws1 = null!, _ws2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        // Y is a forward output: about half of it is alpha times a negative.
        var x = AlignedBuffer.Random(N, Seed);
        _y = new AlignedBuffer(N);
        Reference.Forward(x.Span, _y.Span, Alpha);
        _dy = AlignedBuffer.Random(N, Seed + 1);
        _dx = new AlignedBuffer(N);
        _copySource = AlignedBuffer.Random(2 * N, Seed + 2);
        _copyDestination = new AlignedBuffer(2 * N);
        var expected = new float[N];
        Reference.Gradient(_y.Span, _dy.Span, expected, Alpha);

        foreach (int threads in (int[])[1, 2])
        {
            _dx.Span.Clear();
            LeakyReluKernels.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha, BenchPools.For(threads));
            Reference.RequireEqual(expected, _dx.Span, $"kernel gradient, {threads} thread(s)");
            _dx.Span.Clear();
            BaselineLeakyReluKernels.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha, threads);
            Reference.RequireEqual(expected, _dx.Span, $"baseline kernel gradient, {threads} thread(s)");
        }
        _ws1 = CreateWorkspace(1, expected);
        _ws2 = CreateWorkspace(2, expected);
    }

    private Workspace CreateWorkspace(int threads, float[] expected)
    {
        var catalog = new OperatorCatalog().Add(LeakyRelu.Register);
        var ws = new Workspace(catalog, BenchPools.For(threads));
        ws.FeedBlob<float>("Y", _y.Span, N);
        ws.FeedBlob<float>("dY", _dy.Span, N);
        ws.CreateNet(new NetBuilder("bwd").ExternalInput("Y", "dY").LeakyReluGradient("Y", "dY", "dX", alpha: Alpha).ExternalOutput("dX").Build());
        ws.RunNet("bwd");
        Reference.RequireEqual(expected, ws.GetBlob("dX")!.GetTensor().Data<float>(), $"net gradient, {threads} thread(s)");
        return ws;
    }

    // ---- the limits ---------------------------------------------------------------------------

    /// <summary>Copy N floats: 8N bytes, less than the gradient moves.</summary>
    [Benchmark]
    [Traffic(8)]
    public void CopyN() => _dy.Span.CopyTo(_dx.Span);

    /// <summary>Copy 2N floats: 16N bytes; reads all the gradient reads, and writes twice as much.</summary>
    [Benchmark]
    [Traffic(16)]
    public void Copy2N() => _copySource.Span.CopyTo(_copyDestination.Span);

    // ---- the kernel and the net ----------------------------------------------------------------

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N), Baseline = nameof(Baseline_1T))]
    public void Kernel_1T() => LeakyReluKernels.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha, BenchPools.For(1));

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N), Baseline = nameof(Baseline_2T))]
    public void Kernel_2T() => LeakyReluKernels.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha, BenchPools.For(2));

    // ---- issue #8's baseline: the pre-port kernel, frozen in Baseline/ -----------------------------

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Baseline_1T() => BaselineLeakyReluKernels.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha, 1);

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Baseline_2T() => BaselineLeakyReluKernels.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha, 2);

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Net_1T() => _ws1.RunNet("bwd");

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Net_2T() => _ws2.RunNet("bwd");

    /// <summary>The scalar loop with a branch per element.</summary>
    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Naive() => Reference.Gradient(_y.Span, _dy.Span, _dx.Span, Alpha);
}
