using Caffe2Sharp.Models.Zoo;
using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Proto;
using Caffe2Sharp.Tests;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.RealNets;

/// <summary>
/// One real net of the shared test data with the init net it runs with: the net's own (LeNet,
/// SqueezeNet) or the zoo builder's, seeded (ResNet-50, AlexNet, whose weights the test data lacks).
/// </summary>
/// <param name="Name">What the messages call it.</param>
/// <param name="Init">The init net.</param>
/// <param name="Predict">The real predict net.</param>
/// <param name="Input">The data input.</param>
/// <param name="Image">The input shape of one item, without the batch dim.</param>
/// <param name="InputScale">What the [-1, 1) test input is multiplied by (pixel-like scale where the weights expect it).</param>
/// <param name="Output">The net's output.</param>
/// <param name="Logits">The blob before the final Softmax (an intermediate), or null when the output is the logits.</param>
internal sealed record RealNet(string Name, NetDef Init, NetDef Predict, string Input, long[] Image, float InputScale, string Output, string? Logits)
{
    /// <summary>A deterministic input of <paramref name="batch"/> items.</summary>
    public Caffe2Tensor MakeInput(int batch, int seed)
    {
        var x = Random(seed, [batch, .. Image]);
        if (InputScale != 1)
            foreach (ref var v in x.Data<float>()) v *= InputScale;
        return x;
    }

    /// <summary>The ONNX model of this net for <paramref name="batch"/> items, with <see cref="Logits"/> also a graph output.</summary>
    public ModelProto Export(int batch)
    {
        var predict = Predict.Clone();
        if (Logits is not null) predict.ExternalOutput.Add(Logits);
        var shapes = new Dictionary<string, TensorShape> { [Input] = TensorShape.Create([batch, .. Image]) };
        return OnnxExporter.Export(Init, predict, shapes, new OnnxExportOptions { Catalog = Catalog });
    }
}

/// <summary>The real nets of ../shared/testdata/caffe2-nets that the RealNets tests run.</summary>
internal static class RealNetCatalog
{
    /// <summary>The builders' init-net seed: gives ResNet-50 and AlexNet top-5 scores that are far apart.</summary>
    public const uint Seed = 7;

    /// <summary>Caffe2's MNIST LeNet with its trained weights: input "1" [N, 1, 28, 28], output "26" (logits).</summary>
    public static RealNet LeNet()
    {
        var (init, predict) = LoadBinary("mnist-lenet");
        return new RealNet("LeNet", init, predict, "1", [1, 28, 28], 1f, "26", null);
    }

    /// <summary>
    /// SqueezeNet 1.0 (3 classes) with its own weights: input "data" [N, 3, 227, 227] (an optional
    /// input: the init net fills it with a placeholder), output "prob" after Softmax of pool10.
    /// </summary>
    public static RealNet SqueezeNet()
    {
        var (init, predict) = LoadBinary("squeezenet");
        return new RealNet("SqueezeNet", init, predict, "data", [3, 227, 227], 60f, "prob", "pool10");
    }

    /// <summary>
    /// The zoo's ResNet-50 predict net with <see cref="ResNet50"/>'s init net: input "gpu_0/data"
    /// [N, 3, 224, 224], output "gpu_0/softmax", logits "gpu_0/pred". The zoo net's unread
    /// external input (a leftover of its training reader) is dropped: nothing could feed it.
    /// </summary>
    public static RealNet ResNet50()
    {
        var predict = ProtoFile.ReadNetDef(TestData.Path("caffe2-models", "resnet50", "predict_net.pbtxt"));
        var read = predict.Op.SelectMany(op => op.Input).ToHashSet(StringComparer.Ordinal);
        var unread = predict.ExternalInput.Where(n => !read.Contains(n)).ToList();
        Assert.Single(unread, n => n.StartsWith("gpu_0/imagenet1k_blobs_queue_", StringComparison.Ordinal));
        foreach (var name in unread) predict.ExternalInput.Remove(name);
        return new RealNet("ResNet-50", WithTrainedLikeBatchNorm(Models.Zoo.ResNet50.Create(seed: Seed).InitNet), predict, "gpu_0/data", [3, 224, 224], 1f, "gpu_0/softmax", "gpu_0/pred");
    }

    // The builder fills SpatialBN's scale, bias, mean and variance with 1, 0, 0, 1 (an untrained
    // net), which folding into Conv barely changes; seeded uniform fills like trained statistics
    // make the fold's arithmetic matter. Fills of one shape draw the same values (one seed), so
    // each parameter gets its own range.
    private static NetDef WithTrainedLikeBatchNorm(NetDef init)
    {
        (string Suffix, float Min, float Max)[] ranges = [("_bn_s", 0.5f, 1.5f), ("_bn_b", -0.2f, 0.3f), ("_bn_rm", -0.3f, 0.2f), ("_bn_riv", 0.5f, 2f)];
        foreach (var op in init.Op)
        {
            if (op.Type != "ConstantFill" || ranges.FirstOrDefault(r => op.Output[0].EndsWith(r.Suffix, StringComparison.Ordinal)) is not { Suffix: not null } range) continue;
            var shape = op.Arg.Single(a => a.Name == "shape");
            op.Type = "UniformFill";
            op.Arg.Clear();
            op.Arg.Add(shape);
            op.SetArgument("min", range.Min).SetArgument("max", range.Max);
        }
        Assert.Equal(4 * 53, init.Op.Count(op => op.Type == "UniformFill"));
        return init;
    }

    /// <summary>The zoo's AlexNet predict net with <see cref="AlexNet"/>'s init net: input "data" [N, 3, 227, 227], output "prob", logits "fc8".</summary>
    public static RealNet AlexNet()
    {
        var predict = ProtoFile.ReadNetDef(TestData.Path("caffe2-models", "bvlc_alexnet", "predict_net.pbtxt"));
        return new RealNet("AlexNet", Models.Zoo.AlexNet.Create(seed: Seed).InitNet, predict, "data", [3, 227, 227], 1f, "prob", "fc8");
    }

    private static (NetDef Init, NetDef Predict) LoadBinary(string folder) =>
        (NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path(folder, "init_net.pb"))),
         NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path(folder, "predict_net.pb"))));

    /// <summary>The k = min(5, classes) largest entries of every row, in order, agree.</summary>
    public static void AssertSameTopClasses(Caffe2Tensor expected, Caffe2Tensor actual, string what)
    {
        long classes = expected.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        int rows = (int)expected.Dims[0], k = (int)Math.Min(5, classes);
        var r = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int row = 0; row < rows; row++)
        {
            int[] Top(float[] v) => [.. Enumerable.Range(0, (int)classes).OrderByDescending(c => v[row * classes + c]).Take(k)];
            Assert.True(Top(r).SequenceEqual(Top(a)), $"'{what}' row {row}: top-{k} [{string.Join(", ", Top(a))}] vs expected [{string.Join(", ", Top(r))}]");
        }
    }

    /// <summary>
    /// The smallest gap between consecutive scores of the top-5 of every row, relative to the
    /// largest |score|: a top-5 comparison is meaningful only when it is well above the tolerance.
    /// </summary>
    public static double SmallestTopGap(Caffe2Tensor scores)
    {
        long classes = scores.Shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var v = scores.ToArray<float>();
        double max = v.Max(x => Math.Abs(x)), gap = double.MaxValue;
        for (int row = 0; row < scores.Dims[0]; row++)
        {
            var top = v.Skip((int)(row * classes)).Take((int)classes).OrderDescending().Take(6).ToArray();
            for (int k = 1; k < top.Length; k++) gap = Math.Min(gap, (top[k - 1] - top[k]) / max);
        }
        return gap;
    }
}
