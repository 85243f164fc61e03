// Hand-written.
using BenchmarkDotNet.Attributes;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Bench;

/// <summary>
/// Resize (issue 10) on a feature map of [1, 64, 56, 56], ours against ONNX Runtime's Resize on
/// the same input, at 1 and 2 threads: nearest and linear 2x up-sampling (an FPN or U-Net
/// decoder's), cubic 2x, and linear 0.5x down-sampling. "vs ORT" is ONNX Runtime's time over ours.
/// </summary>
/// <remarks>
/// <para><b>Ours</b>: a one-op net (the <c>Resize</c> operator with the scales as an argument) run
/// by a Workspace over the fed input, so a run includes the operator's per-run checks.
/// <b>ORT</b>: the one-node opset-19 model, input and output bound once to the same buffers
/// (<see cref="OrtOneNode"/>). Setup checks our output against ONNX Runtime's.</para>
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(BenchConfig))]
public class ResizeBenchmarks
{
    private static readonly long[] XDims = [1, 64, 56, 56];
    private Workspace _ws = null!;
    private OrtOneNode _ort = null!;
    private AlignedBuffer _x = null!, _y = null!;

    /// <summary>The resize: mode, coordinate mapping and scale.</summary>
    [Params("nearest 2x", "linear 2x", "cubic 2x", "linear 0.5x")]
    public string Case { get; set; } = "";

    /// <summary>Intra-op threads, ours and ONNX Runtime's alike.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var (mode, coordinates, scale) = Case switch
        {
            "nearest 2x" => ("nearest", "asymmetric", 2f),
            "linear 2x" => ("linear", "half_pixel", 2f),
            "cubic 2x" => ("cubic", "half_pixel", 2f),
            _ => ("linear", "align_corners", 0.5f),
        };
        float[] scales = [1f, 1f, scale, scale];
        long[] yDims = [1, 64, (long)(56 * scale), (long)(56 * scale)];
        _x = AlignedBuffer.Random((int)(64 * 56 * 56), 91);
        _y = new AlignedBuffer((int)(yDims[1] * yDims[2] * yDims[3]));

        var catalog = new OperatorCatalog().Add(Resize.Register);
        _ws = new Workspace(catalog, BenchPools.For(Threads));
        _ws.FeedBlob<float>("X", _x.Span, XDims);
        _ws.CreateNet(new NetBuilder("resize").ExternalInput("X").Resize("X", "Y", scales, mode, coordinates).ExternalOutput("Y").Build());
        _ws.RunNet("resize");

        _ort = new OrtOneNode(OnnxModels.Resize(XDims, scales, mode, coordinates, yDims), "X", _x, XDims, _y, yDims, Threads);
        _ort.Run();
        RealNetModels.RequireClose(_ws.GetBlob("Y")!.GetTensor().Data<float>(), _y.Span, $"Resize {Case}, {Threads} thread(s): ONNX Runtime against ours");
    }

    /// <summary>Our Resize operator in a one-op net.</summary>
    [Benchmark]
    [Traffic(0, Ort = nameof(Ort))]
    public void Ours() => _ws.RunNet("resize");

    /// <summary>ONNX Runtime's Resize, input and output bound.</summary>
    [Benchmark]
    public void Ort() => _ort.Run();

    [GlobalCleanup]
    public void Cleanup() => _ort?.Dispose();
}
