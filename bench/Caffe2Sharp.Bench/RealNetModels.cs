// Hand-written.
using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Proto;
using Google.Protobuf;

namespace Caffe2Sharp.Bench;

/// <summary>A whole net the net benchmarks run: init and predict nets, the data input and its shape, the output.</summary>
internal sealed record BenchNet(string Name, NetDef Init, NetDef Predict, string Input, long[] InputShape, string Output)
{
    /// <summary>A deterministic input in [-scale, scale) (a fixed-seed LCG).</summary>
    public Tensor MakeInput(float scale = 1f)
    {
        var t = new Tensor(DataType.Float, InputShape);
        var data = t.Data<float>();
        ulong state = 0x9E3779B97F4A7C15UL;
        for (int k = 0; k < data.Length; k++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            data[k] = (float)((state >> 40) / (double)(1UL << 24) * 2 - 1) * scale;
        }
        return t;
    }

    /// <summary>The ONNX model of this net at <see cref="InputShape"/>, serialised.</summary>
    public byte[] ExportOnnx(OperatorCatalog catalog) =>
        OnnxExporter.Export(Init, Predict, new Dictionary<string, TensorShape> { [Input] = TensorShape.Create(InputShape) },
            new OnnxExportOptions { Catalog = catalog }).ToByteArray();
}

/// <summary>
/// The real nets of <c>../shared/testdata/caffe2-nets</c> (beside the repository) at the
/// benchmarks' batch sizes: SqueezeNet 1.0 and MNIST LeNet with their own init nets, the zoo's
/// ResNet-50 predict net with the <see cref="Models.Zoo.ResNet50"/> builder's seeded init net.
/// </summary>
internal static class RealNetModels
{
    /// <summary>The names <see cref="Load"/> takes.</summary>
    public static readonly string[] Names = ["LeNet", "SqueezeNet", "ResNet50"];

    /// <summary>The net called <paramref name="name"/> (one of <see cref="Names"/>, case-insensitive) at its benchmark batch.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="FileNotFoundException">The shared test data is not beside the repository.</exception>
    public static BenchNet Load(string name) => name.ToLowerInvariant() switch
    {
        "lenet" => Binary("LeNet", "mnist-lenet", "1", [64, 1, 28, 28], "26"),
        "squeezenet" => Binary("SqueezeNet", "squeezenet", "data", [1, 3, 227, 227], "prob"),
        "resnet50" => ResNet50(),
        _ => throw new ArgumentException($"unknown net '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };

    private static BenchNet Binary(string name, string folder, string input, long[] shape, string output)
    {
        var predict = NetDef.Parser.ParseFrom(File.ReadAllBytes(DataFile(folder, "predict_net.pb")));
        if (string.IsNullOrEmpty(predict.Name)) predict.Name = name;
        return new BenchNet(name, NetDef.Parser.ParseFrom(File.ReadAllBytes(DataFile(folder, "init_net.pb"))), predict, input, shape, output);
    }

    // The zoo's predict net declares an unread input (a leftover of its training reader) that
    // nothing could feed: dropped.
    private static BenchNet ResNet50()
    {
        var predict = ProtoFile.ReadNetDef(DataFile("caffe2-models", "resnet50", "predict_net.pbtxt"));
        var read = predict.Op.SelectMany(op => op.Input).ToHashSet(StringComparer.Ordinal);
        foreach (var unread in predict.ExternalInput.Where(n => !read.Contains(n)).ToList()) predict.ExternalInput.Remove(unread);
        return new BenchNet("ResNet50", Models.Zoo.ResNet50.Create(seed: 7).InitNet, predict, "gpu_0/data", [1, 3, 224, 224], "gpu_0/softmax");
    }

    private static string DataFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Caffe2Sharp.sln"))) continue;
            string path = Path.Combine([dir.FullName, "..", "shared", "testdata", "caffe2-nets", .. parts]);
            return File.Exists(path) ? Path.GetFullPath(path) : throw new FileNotFoundException($"the shared test data is not beside the repository: {Path.GetFullPath(path)}", path);
        }
        throw new FileNotFoundException($"Caffe2Sharp.sln not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>
    /// Throws unless every element of <paramref name="actual"/> is within
    /// <c>|a - r| &lt;= 1e-4 |r| + 1e-5 max|r|</c> of <paramref name="expected"/> (r), the tests' tolerance.
    /// </summary>
    public static void RequireClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        if (expected.Length != actual.Length)
            throw new InvalidOperationException($"{what}: {actual.Length} values, expected {expected.Length}.");
        float max = 0;
        foreach (float v in expected) max = Math.Max(max, Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-4 * Math.Abs(expected[i]) + 1e-5 * max;
            if (!(Math.Abs(actual[i] - expected[i]) <= tolerance))
                throw new InvalidOperationException($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R} (tolerance {tolerance:E2}).");
        }
    }
}
