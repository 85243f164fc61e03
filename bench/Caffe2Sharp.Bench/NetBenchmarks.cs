// Hand-written.
using BenchmarkDotNet.Attributes;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Microsoft.ML.OnnxRuntime;

namespace Caffe2Sharp.Bench;

/// <summary>
/// Whole real nets (issue 9), ours against ONNX Runtime: SqueezeNet 1.0 batch 1, ResNet-50 batch 1
/// (the zoo's predict net, the builder's seeded init net) and MNIST LeNet batch 64, each at 1 and
/// 2 threads. "vs ORT" is ONNX Runtime's time over ours: at least 1 means we are at least as fast.
/// </summary>
/// <remarks>
/// <para><b>Ours</b>: a <see cref="Predictor"/> with the default optimisation (SpatialBN folded,
/// Dropout dropped, buffers reused) on the 1- or 2-thread pool; setup feeds the input once, and
/// the timed call is <see cref="NetBase.Run"/>: the net over the fed input, no copies in or out.
/// <b>ORT</b>: an InferenceSession on the exported model (<see cref="Onnx.Export.OnnxExporter"/>),
/// <c>ORT_ENABLE_ALL</c>, <c>IntraOpNumThreads</c> = threads, one inter-op thread, input and
/// output bound once over pinned managed arrays, so its timed call has no copies either.</para>
/// <para><b>Ours from ONNX</b>: the exported model imported back (<see cref="Onnx.Import.OnnxImporter"/>)
/// and run by a Predictor the same way: literally the file ONNX Runtime runs.</para>
/// <para>Setup checks our output against ONNX Runtime's within the tests' tolerance
/// (<see cref="RealNetModels.RequireClose"/>), so a broken net fails the smoke run.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class NetBenchmarks
{
    private Predictor _predictor = null!, _imported = null!;
    private SessionOptions _options = null!;
    private InferenceSession _session = null!;
    private OrtValue _ortInput = null!, _ortOutput = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;

    /// <summary>The net: LeNet (batch 64), SqueezeNet (batch 1) or ResNet50 (batch 1).</summary>
    [ParamsSource(nameof(NetValues))]
    public string Net { get; set; } = "";

    /// <summary>Intra-op threads, ours and ONNX Runtime's alike.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The nets of this suite (<see cref="RealNetModels.Names"/>).</summary>
    public static IEnumerable<string> NetValues => RealNetModels.Names;

    [GlobalSetup]
    public void Setup()
    {
        var net = RealNetModels.Load(Net);
        var catalog = new OperatorCatalog().AddStandardOperators();
        // SqueezeNet's weights expect pixel-scale inputs; the others take [-1, 1).
        var x = net.MakeInput(Net == "SqueezeNet" ? 60f : 1f);

        _predictor = new Predictor(catalog, net.Init, net.Predict, pool: BenchPools.For(Threads));
        var ours = _predictor.Run(new Dictionary<string, Tensor> { [net.Input] = x })[net.Output];

        _options = new SessionOptions
        {
            IntraOpNumThreads = Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        var model = net.ExportOnnx(catalog);
        _session = new InferenceSession(model, _options);
        var y = new float[ours.Size];
        _ortInput = OrtValue.CreateTensorValueFromMemory(x.ToArray<float>(), net.InputShape);
        _ortOutput = OrtValue.CreateTensorValueFromMemory(y, ours.Shape);
        _binding = _session.CreateIoBinding();
        _binding.BindInput(net.Input, _ortInput);
        _binding.BindOutput(net.Output, _ortOutput);
        _runOptions = new RunOptions();
        Ort();
        RealNetModels.RequireClose(ours.Data<float>(), y, $"{Net}: ONNX Runtime, {Threads} thread(s), against ours");

        // The same model through our importer: the nets it gives, optimised the same way.
        _imported = Onnx.Import.OnnxImporter.Import(Onnx.Proto.ModelProto.Parser.ParseFrom(model), source: Net)
            .CreatePredictor(catalog, pool: BenchPools.For(Threads));
        var viaOnnx = _imported.Run(new Dictionary<string, Tensor> { [net.Input] = x })[net.Output];
        RealNetModels.RequireClose(ours.Data<float>(), viaOnnx.Data<float>(), $"{Net}: imported from ONNX, {Threads} thread(s)");

        // The timed paths (Net.Run over the fed input) leave the same output as Predictor.Run.
        Ours();
        RealNetModels.RequireClose(ours.Data<float>(), _predictor.Workspace.GetBlob(net.Output)!.GetTensor().Data<float>(), $"{Net}: Net.Run, {Threads} thread(s)");
        OursFromOnnx();
        RealNetModels.RequireClose(ours.Data<float>(), _imported.Workspace.GetBlob(net.Output)!.GetTensor().Data<float>(), $"{Net}: imported, Net.Run, {Threads} thread(s)");
    }

    /// <summary>Our optimised predict net, run over the fed input.</summary>
    // No byte count (a whole net); the attribute names the ORT row that "vs ORT" divides by.
    [Benchmark]
    [Traffic(0, Ort = nameof(Ort))]
    public void Ours() => _predictor.Net.Run();

    /// <summary>Our runtime on the exported model read back through <see cref="Onnx.Import.OnnxImporter"/>: the same file ONNX Runtime runs.</summary>
    [Benchmark]
    [Traffic(0, Ort = nameof(Ort))]
    public void OursFromOnnx() => _imported.Net.Run();

    /// <summary>ONNX Runtime on the exported model, input and output bound.</summary>
    [Benchmark]
    public void Ort() => _session.RunWithBinding(_runOptions, _binding);

    [GlobalCleanup]
    public void Cleanup()
    {
        _runOptions?.Dispose();
        _binding?.Dispose();
        _ortOutput?.Dispose();
        _ortInput?.Dispose();
        _session?.Dispose();
        _options?.Dispose();
    }
}
