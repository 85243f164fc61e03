// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Bench;

/// <summary>A GEMM shape: <c>Y[M, N] = A[M, K] * B[K, N]</c>.</summary>
/// <param name="Name">The row label.</param>
public sealed record GemmShape(string Name, int M, int N, int K)
{
    /// <summary>Floating-point operations of one product: 2 M N K.</summary>
    public double Flops => 2.0 * M * N * K;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A convolution shape at batch 1 (square kernel, equal strides and symmetric padding).</summary>
/// <param name="Name">The row label.</param>
public sealed record ConvShape(string Name, int C, int H, int W, int M, int Kernel, int Stride, int Pad, int Group = 1)
{
    /// <summary>Output height.</summary>
    public int OH => (H + 2 * Pad - Kernel) / Stride + 1;

    /// <summary>Output width.</summary>
    public int OW => (W + 2 * Pad - Kernel) / Stride + 1;

    /// <summary>Floating-point operations: 2 per filter tap per output (the bias not counted).</summary>
    public double Flops => 2.0 * M * OH * OW * (C / Group) * Kernel * Kernel;

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// The shapes of issue 9 (docs/performance.md, "Convolution engine"): square GEMMs, ResNet-50
/// layers as GEMMs (M = Cout, N = OH * OW, K = Cin * kh * kw), and SqueezeNet 1.0 / ResNet-50
/// convolutions. <see cref="Smoke"/> are the few the CI smoke run uses.
/// </summary>
internal static class GemmConvShapes
{
    public static readonly GemmShape[] Gemm =
    [
        new("256^3", 256, 256, 256),
        new("512^3", 512, 512, 512),
        new("1024^3", 1024, 1024, 1024),
        new("r50 3x3 64@56", 64, 3136, 576),
        new("r50 1x1 64-256@56", 256, 3136, 64),
        new("r50 3x3 128@28", 128, 784, 1152),
        new("r50 1x1 512-128@28", 128, 784, 512),
        new("r50 3x3 256@14", 256, 196, 2304),
        new("r50 1x1 256-1024@14", 1024, 196, 256),
        new("r50 3x3 512@7", 512, 49, 4608),
        new("r50 fc 1x2048x1000", 1, 1000, 2048),
    ];

    public static readonly ConvShape[] Conv =
    [
        new("sq conv1 7x7s2 3-96@227", 3, 227, 227, 96, 7, 2, 0),
        new("sq fire2 sq 1x1 96-16@55", 96, 55, 55, 16, 1, 1, 0),
        new("sq fire2 e1x1 16-64@55", 16, 55, 55, 64, 1, 1, 0),
        new("sq fire2 e3x3 16-64@55", 16, 55, 55, 64, 3, 1, 1),
        new("sq fire8 e3x3 64-256@13", 64, 13, 13, 256, 3, 1, 1),
        new("r50 3x3 64@56", 64, 56, 56, 64, 3, 1, 1),
        new("dw 3x3 32@56", 32, 56, 56, 32, 3, 1, 1, 32),
    ];

    /// <summary>
    /// The NCHWc rows (<see cref="NchwcCase"/>): every <see cref="Conv"/> shape plus more SqueezeNet
    /// fire and ResNet-50 layers.
    /// </summary>
    public static readonly ConvShape[] Nchwc =
    [
        .. Conv,
        new("sq fire3 sq 1x1 128-16@55", 128, 55, 55, 16, 1, 1, 0),
        new("sq fire5 sq 1x1 256-32@27", 256, 27, 27, 32, 1, 1, 0),
        new("sq fire5 e3x3 32-128@27", 32, 27, 27, 128, 3, 1, 1),
        new("sq fire7 e3x3 48-192@13", 48, 13, 13, 192, 3, 1, 1),
        new("sq conv10 1x1 512-1000@13", 512, 13, 13, 1000, 1, 1, 0),
        new("r50 1x1 256-64@56", 256, 56, 56, 64, 1, 1, 0),
        new("r50 1x1 64-256@56", 64, 56, 56, 256, 1, 1, 0),
        new("r50 1x1 64-64@56", 64, 56, 56, 64, 1, 1, 0),
        new("r50 3x3 s2 128@56", 128, 56, 56, 128, 3, 2, 1),
        new("r50 1x1 1024-256@14", 1024, 14, 14, 256, 1, 1, 0),
        new("r50 3x3 512@7", 512, 7, 7, 512, 3, 1, 1),
    ];

    public static readonly string[] Smoke = ["256^3", "r50 3x3 128@28", "sq conv1 7x7s2 3-96@227", "sq fire2 e3x3 16-64@55", "dw 3x3 32@56"];

    public static GemmShape GemmNamed(string name) => Gemm.First(s => s.Name == name);

    public static ConvShape ConvNamed(string name) => Conv.First(s => s.Name == name);
}

/// <summary>
/// One GEMM shape at one thread count: our <see cref="Gemm.Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, ComputePool, int)"/>
/// and ONNX Runtime's MatMul (B a constant initializer) on the same aligned buffers. The
/// constructor checks our result against ORT's (<see cref="Check"/>).
/// </summary>
internal sealed class GemmCase : IOrtCase
{
    private readonly GemmShape _s;
    private readonly AlignedBuffer _a, _b, _y, _yOrt;
    private readonly ComputePool _pool;
    private readonly OrtOneNode _ort;

    public GemmCase(GemmShape shape, int threads)
    {
        _s = shape;
        _a = AlignedBuffer.Random(shape.M * shape.K, 11);
        _b = AlignedBuffer.Random(shape.K * shape.N, 12);
        _y = new AlignedBuffer(shape.M * shape.N);
        _yOrt = new AlignedBuffer(shape.M * shape.N);
        _pool = BenchPools.For(threads);
        _ort = new OrtOneNode(OnnxModels.MatMul(shape.M, shape.K, shape.N, _b.Span.ToArray()), "A", _a, [shape.M, shape.K], _yOrt, [shape.M, shape.N], threads);
        Ours();
        Ort();
        Check(_y.Span, _yOrt.Span, $"GEMM {shape.Name}, {threads} thread(s)");
    }

    public double Flops => _s.Flops;

    public void Ours() => Gemm.Multiply(false, false, _s.M, _s.N, _s.K, 1f, _a.Span, _s.K, _b.Span, _s.N, 0f, _y.Span, _s.N, _pool);

    public void Ort() => _ort.Run();

    public void Dispose() => _ort.Dispose();

    /// <summary>
    /// Our output against ORT's: every element within 1e-4 relative, the scale being the larger of
    /// the element's magnitude and the output's RMS (sums of products of random signs can land near
    /// 0, where a pure per-element relative bound would only measure cancellation). Throws so a
    /// smoke run fails when a path breaks.
    /// </summary>
    public static void Check(ReadOnlySpan<float> ours, ReadOnlySpan<float> ort, string what)
    {
        double sq = 0;
        foreach (float v in ort) sq += (double)v * v;
        double rms = Math.Sqrt(sq / Math.Max(1, ort.Length));
        for (int i = 0; i < ort.Length; i++)
        {
            double tol = 1e-4 * Math.Max(Math.Abs(ort[i]), rms);
            if (!(Math.Abs(ours[i] - ort[i]) <= tol))
                throw new InvalidOperationException($"{what}: element {i} is {ours[i]:R}, ONNX Runtime gives {ort[i]:R} (tolerance {tol:R}).");
        }
    }
}

/// <summary>
/// One convolution shape at one thread count: our Conv operator (X, W, bias) in a one-op net and
/// an ONNX Runtime Conv node (W and bias initializers), on the same input; the constructor checks
/// our output against ORT's.
/// </summary>
internal sealed class ConvCase : IOrtCase
{
    private readonly Workspace _ws;
    private readonly OrtOneNode _ort;
    private readonly AlignedBuffer _yOrt;

    public ConvCase(ConvShape s, int threads)
    {
        Flops = s.Flops;
        long[] xDims = [1, s.C, s.H, s.W], wDims = [s.M, s.C / s.Group, s.Kernel, s.Kernel], yDims = [1, s.M, s.OH, s.OW];
        var x = AlignedBuffer.Random(s.C * s.H * s.W, 21);
        var w = AlignedBuffer.Random((int)(wDims[0] * wDims[1] * wDims[2] * wDims[3]), 22);
        var bias = AlignedBuffer.Random(s.M, 23);
        _yOrt = new AlignedBuffer(s.M * s.OH * s.OW);
        _ort = new OrtOneNode(OnnxModels.Conv(xDims, wDims, w.Span.ToArray(), bias.Span.ToArray(), s.Stride, s.Pad, s.Group, yDims), "X", x, xDims, _yOrt, yDims, threads);
        _ws = new Workspace(new OperatorCatalog().Add(Caffe2Sharp.Operators.Vision.Conv.Register), BenchPools.For(threads));
        _ws.FeedBlob<float>("X", x.Span, xDims);
        _ws.FeedBlob<float>("W", w.Span, wDims);
        _ws.FeedBlob<float>("B", bias.Span, s.M);
        _ws.CreateNet(new NetBuilder("conv").ExternalInput("X", "W", "B").Conv("X", "W", "B", "Y", s.Kernel, s.Stride, s.Pad, s.Group).ExternalOutput("Y").Build());
        Ours();
        Ort();
        GemmCase.Check(_ws.GetBlob("Y")!.GetTensor().Data<float>(), _yOrt.Span, $"Conv {s.Name}, {threads} thread(s)");
    }

    public double Flops { get; }

    public void Ours() => _ws.RunNet("conv");

    public void Ort() => _ort.Run();

    public void Dispose() => _ort.Dispose();
}

/// <summary>
/// One convolution shape at one thread count: <see cref="Caffe2Sharp.Kernels.Nchwc.Convolution"/>
/// with the filters packed and the input already reordered to NCHWc (as inside a net; plain NCHW
/// for the 3-channel stem), bias fused, against an ONNX Runtime Conv node on the same input. ORT's
/// one-node model also runs its own reorders in and out around its NCHWc kernel (its graph pass
/// inserts them), which a whole net amortises. The constructor checks our output (reordered back)
/// against ORT's.
/// </summary>
internal sealed class NchwcCase : IOrtCase
{
    private readonly ConvGeometry _g;
    private readonly NchwcFilter _filter;
    private readonly AlignedBuffer _x, _bias, _y, _yOrt;
    private readonly ComputePool _pool;
    private readonly OrtOneNode _ort;

    public NchwcCase(ConvShape s, int threads)
    {
        Flops = s.Flops;
        long[] xDims = [1, s.C, s.H, s.W], wDims = [s.M, s.C / s.Group, s.Kernel, s.Kernel], yDims = [1, s.M, s.OH, s.OW];
        var x = AlignedBuffer.Random(s.C * s.H * s.W, 21);
        var w = AlignedBuffer.Random((int)(wDims[0] * wDims[1] * wDims[2] * wDims[3]), 22);
        _bias = AlignedBuffer.Random(s.M, 23);
        _yOrt = new AlignedBuffer(s.M * s.OH * s.OW);
        _ort = new OrtOneNode(OnnxModels.Conv(xDims, wDims, w.Span.ToArray(), _bias.Span.ToArray(), s.Stride, s.Pad, s.Group, yDims), "X", x, xDims, _yOrt, yDims, threads);
        _pool = BenchPools.For(threads);
        _g = new ConvGeometry(s.C, s.H, s.W, s.M, s.Group, s.Kernel, s.Kernel, s.Stride, s.Stride, s.Pad, s.Pad, 1, 1, s.OH, s.OW);
        _filter = Caffe2Sharp.Kernels.Nchwc.PackFilter(in _g, w.Span);
        if (_filter.Kind == NchwcConvKind.NchwInput) _x = x;
        else
        {
            _x = new AlignedBuffer(Caffe2Sharp.Kernels.Nchwc.PaddedChannels(s.C) * s.H * s.W);
            Caffe2Sharp.Kernels.Nchwc.ReorderInput(x.Span, 1, s.C, s.H, s.W, _x.Span, ComputePool.Serial);
        }
        _y = new AlignedBuffer(Caffe2Sharp.Kernels.Nchwc.PaddedChannels(s.M) * s.OH * s.OW);
        Ours();
        Ort();
        var y = new float[s.M * s.OH * s.OW];
        Caffe2Sharp.Kernels.Nchwc.ReorderOutput(_y.Span, 1, s.M, s.OH, s.OW, y, ComputePool.Serial);
        GemmCase.Check(y, _yOrt.Span, $"NCHWc conv {s.Name}, {threads} thread(s)");
    }

    public double Flops { get; }

    public void Ours() => Caffe2Sharp.Kernels.Nchwc.Convolution(in _g, 1, _filter, _x.Span, _bias.Span, [], false, _y.Span, _pool);

    public void Ort() => _ort.Run();

    public void Dispose() => _ort.Dispose();
}
