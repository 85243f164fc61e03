// Hand-written.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Caffe2Sharp.Bench;

/// <summary>
/// Issue 9: our GEMM against ONNX Runtime's MatMul (B a constant initializer, MLAS) on square and
/// ResNet-50 layer shapes, 1 and 2 threads. "GFLOP/s" is 2 M N K over the median; "vs ORT" is
/// ORT's mean time over ours, i.e. our GFLOP/s over ORT's (above 1 = faster). Setup checks our
/// product against ORT's (1e-4 relative, see <see cref="GemmCase.Check"/>), so the smoke run
/// fails when either breaks. The smoke run keeps the shapes in <see cref="GemmConvShapes.Smoke"/>.
/// </summary>
[Config(typeof(GemmConvConfig))]
public class GemmBenchmarks : OrtCaseBenchmarks
{
    /// <summary>The shape's name (<see cref="GemmConvShapes.Gemm"/>).</summary>
    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The shapes of this run.</summary>
    public static IEnumerable<string> Shapes => GemmConvShapes.Gemm.Select(s => s.Name).Where(GemmConvConfig.InRun);

    private protected override IOrtCase Create(int threads) => new GemmCase(GemmConvShapes.GemmNamed(Shape), threads);
}

/// <summary>
/// Issue 9: our Conv operator (a one-op net, bias included) against an ONNX Runtime Conv node
/// (ORT_ENABLE_ALL: NCHWc kernels) on SqueezeNet 1.0 and ResNet-50 layers, 1 and 2 threads;
/// columns as <see cref="GemmBenchmarks"/>. Setup checks our output against ORT's.
/// </summary>
[Config(typeof(GemmConvConfig))]
public class ConvBenchmarks : OrtCaseBenchmarks
{
    /// <summary>The shape's name (<see cref="GemmConvShapes.Conv"/>).</summary>
    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The shapes of this run.</summary>
    public static IEnumerable<string> Shapes => GemmConvShapes.Conv.Select(s => s.Name).Where(GemmConvConfig.InRun);

    private protected override IOrtCase Create(int threads) => new ConvCase(GemmConvShapes.ConvNamed(Shape), threads);
}

/// <summary>
/// <see cref="Caffe2Sharp.Kernels.Nchwc.Convolution"/> on an input already in NCHWc (as inside a
/// net), filters packed once, bias fused, against an ONNX Runtime Conv node on SqueezeNet 1.0 and
/// ResNet-50 layers (<see cref="GemmConvShapes.Nchwc"/>), 1 and 2 threads; columns as
/// <see cref="GemmBenchmarks"/>. Setup checks our output against ORT's.
/// </summary>
[Config(typeof(GemmConvConfig))]
public class NchwcConvBenchmarks : OrtCaseBenchmarks
{
    /// <summary>The shape's name (<see cref="GemmConvShapes.Nchwc"/>).</summary>
    [ParamsSource(nameof(Shapes))]
    public string Shape { get; set; } = "";

    /// <summary>The shapes of this run.</summary>
    public static IEnumerable<string> Shapes => GemmConvShapes.Nchwc.Select(s => s.Name).Where(GemmConvConfig.InRun);

    private protected override IOrtCase Create(int threads) => new NchwcCase(GemmConvShapes.Nchwc.First(s => s.Name == Shape), threads);
}

/// <summary>One benchmark case, ours and ONNX Runtime on the same buffers, its check done when made.</summary>
internal interface IOrtCase : IDisposable
{
    /// <summary>Our side, once.</summary>
    void Ours();

    /// <summary>ONNX Runtime's side, once.</summary>
    void Ort();
}

/// <summary>
/// The body of <see cref="GemmBenchmarks"/>, <see cref="ConvBenchmarks"/> and <see cref="NchwcConvBenchmarks"/>: one case per
/// parameter set, made (and checked) in setup, at 1 and 2 threads for both sides.
/// </summary>
public abstract class OrtCaseBenchmarks
{
    private IOrtCase? _case;

    /// <summary>Threads for both sides (our pool's degree, ORT's IntraOpNumThreads).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    private protected abstract IOrtCase Create(int threads);

    [GlobalSetup]
    public void Setup() => _case = Create(Threads);

    [GlobalCleanup]
    public void Cleanup() => _case?.Dispose();

    [Benchmark]
    [Traffic(0, Ort = nameof(Ort))]
    public void Ours() => _case!.Ours();

    [Benchmark]
    public void Ort() => _case!.Ort();
}

/// <summary>The columns of the GEMM and Conv benchmarks: GFLOP/s and "vs ORT".</summary>
public sealed class GemmConvConfig : ManualConfig
{
    public GemmConvConfig()
    {
        AddColumn(new GflopsColumn(), RelativeColumn.VsOrt);
    }

    /// <summary>Whether a shape runs: all of them, or in the smoke run only <see cref="GemmConvShapes.Smoke"/>.</summary>
    internal static bool InRun(string name) => !ReferenceEquals(Sizes.Current, Sizes.Smoke) || GemmConvShapes.Smoke.Contains(name);
}

/// <summary>"GFLOP/s": the shape's floating-point operations over the median time.</summary>
internal sealed class GflopsColumn : CustomColumn
{
    public override string Id => "Caffe2Sharp.Gflops";
    public override string ColumnName => "GFLOP/s";
    public override string Legend => "2 M N K (GEMM) or 2 per filter tap per output (Conv) / median time, in 10^9 per second";
    public override int PriorityInCategory => 0;

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Parameters["Shape"] is not string name || MedianNanoseconds(summary, benchmarkCase) is not { } ns) return "-";
        double? flops = benchmarkCase.Descriptor.Type == typeof(GemmBenchmarks)
            ? GemmConvShapes.Gemm.FirstOrDefault(s => s.Name == name)?.Flops
            : benchmarkCase.Descriptor.Type == typeof(NchwcConvBenchmarks)
                ? GemmConvShapes.Nchwc.FirstOrDefault(s => s.Name == name)?.Flops
                : GemmConvShapes.Conv.FirstOrDefault(s => s.Name == name)?.Flops;
        return flops is { } f ? Format(f / ns) : "-";
    }
}
