// Hand-written.
using BenchmarkDotNet.Attributes;
using Caffe2Sharp.Bench.Baseline;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Bench;

/// <summary>
/// Sum of two float tensors of N elements, out of place (<c>Y = X0 + X1</c>): reads 2N floats and
/// writes N, 12N bytes, like the LeakyRelu gradient. The ported kernel (the driver with
/// <see cref="Sum.AddFunctor"/>) and a one-op <c>Sum</c> net against the frozen pre-port kernel
/// (issue #8's baseline), and against plain copies of N and 2N floats.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class SumBenchmarks : SizedBenchmarks
{
    private const int Seed = 20240519;

    private AlignedBuffer _x0 = null!, _x1 = null!, _y = null!, _copySource = null!, _copyDestination = null!;
    private Workspace _ws1 = null!, _ws2 = null!;

    [GlobalSetup]
    public void Setup()
    {
        _x0 = AlignedBuffer.Random(N, Seed);
        _x1 = AlignedBuffer.Random(N, Seed + 1);
        _y = new AlignedBuffer(N);
        _copySource = AlignedBuffer.Random(2 * N, Seed + 2);
        _copyDestination = new AlignedBuffer(2 * N);
        var expected = new float[N];
        ReadOnlySpan<float> x0 = _x0.Span, x1 = _x1.Span;
        for (int i = 0; i < expected.Length; i++) expected[i] = x0[i] + x1[i];

        foreach (int threads in (int[])[1, 2])
        {
            _y.Span.Clear();
            ElementwiseDriver.Binary(new Sum.AddFunctor(), _x0.Span, _x1.Span, _y.Span, BenchPools.For(threads));
            Reference.RequireEqual(expected, _y.Span, $"kernel sum, {threads} thread(s)");
            _y.Span.Clear();
            BaselineSumKernels.Add(_x0.Span, _x1.Span, _y.Span, threads);
            Reference.RequireEqual(expected, _y.Span, $"baseline kernel sum, {threads} thread(s)");
            _y.Span.Clear();
            BaselineSumKernels.SumOp(_x0.Span, _x1.Span, _y.Span, threads);
            Reference.RequireEqual(expected, _y.Span, $"baseline SumOp (copy, then add in place), {threads} thread(s)");
        }
        _ws1 = CreateWorkspace(1, expected);
        _ws2 = CreateWorkspace(2, expected);
    }

    private Workspace CreateWorkspace(int threads, float[] expected)
    {
        var catalog = new OperatorCatalog().Add(Sum.Register);
        var ws = new Workspace(catalog, BenchPools.For(threads));
        ws.FeedBlob<float>("X0", _x0.Span, N);
        ws.FeedBlob<float>("X1", _x1.Span, N);
        ws.CreateNet(new NetBuilder("sum").ExternalInput("X0", "X1").Op("Sum", ["X0", "X1"], ["Y"]).ExternalOutput("Y").Build());
        ws.RunNet("sum");
        Reference.RequireEqual(expected, ws.GetBlob("Y")!.GetTensor().Data<float>(), $"net sum, {threads} thread(s)");
        return ws;
    }

    // ---- the limits ---------------------------------------------------------------------------

    /// <summary>Copy N floats: 8N bytes, less than the sum moves.</summary>
    [Benchmark]
    [Traffic(8)]
    public void CopyN() => _x0.Span.CopyTo(_y.Span);

    /// <summary>Copy 2N floats: 16N bytes; reads all the sum reads, and writes twice as much.</summary>
    [Benchmark]
    [Traffic(16)]
    public void Copy2N() => _copySource.Span.CopyTo(_copyDestination.Span);

    // ---- the ported kernel and the net ----------------------------------------------------------

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N), Baseline = nameof(Baseline_1T))]
    public void Kernel_1T() => ElementwiseDriver.Binary(new Sum.AddFunctor(), _x0.Span, _x1.Span, _y.Span, BenchPools.For(1));

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N), Baseline = nameof(Baseline_2T))]
    public void Kernel_2T() => ElementwiseDriver.Binary(new Sum.AddFunctor(), _x0.Span, _x1.Span, _y.Span, BenchPools.For(2));

    /// <summary>The ported <c>Sum</c> operator in a one-op net; compared with what the pre-port <c>SumOp</c> ran.</summary>
    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N), Baseline = nameof(BaselineOp_1T))]
    public void Net_1T() => _ws1.RunNet("sum");

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N), Baseline = nameof(BaselineOp_2T))]
    public void Net_2T() => _ws2.RunNet("sum");

    // ---- issue #8's baseline: the pre-port kernel, frozen in Baseline/ -----------------------------

    /// <summary>The pre-port <c>AddOperator&lt;float&gt;</c> on the pre-port driver, out of place.</summary>
    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Baseline_1T() => BaselineSumKernels.Add(_x0.Span, _x1.Span, _y.Span, 1);

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void Baseline_2T() => BaselineSumKernels.Add(_x0.Span, _x1.Span, _y.Span, 2);

    /// <summary>What the pre-port <c>SumOp</c> ran for two inputs: copy X0 to Y, then Y += X1 in place (no net around it).</summary>
    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void BaselineOp_1T() => BaselineSumKernels.SumOp(_x0.Span, _x1.Span, _y.Span, 1);

    [Benchmark]
    [Traffic(12, Copy = nameof(Copy2N))]
    public void BaselineOp_2T() => BaselineSumKernels.SumOp(_x0.Span, _x1.Span, _y.Span, 2);
}
