using Caffe2Sharp.Models.Zoo;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Models.Tests.Zoo;

/// <summary>
/// The key end to end: the REAL zoo predict nets (shared test data), fed by the init nets our
/// builders write, run through a Workspace over the standard operators. Every blob's produced
/// shape must equal the shape inferred from the schemas, a few landmarks must have their known
/// shapes, and each output row must be a finite probability distribution.
/// </summary>
public class ZooEndToEndTests
{
    private const uint Seed = 7;

    [SkippableFact]
    public void RealResNet50_RunsWithTheBuildersInitNet()
    {
        var real = ProtoFile.ReadNetDef(TestData.Path("caffe2-models", "resnet50", "predict_net.pbtxt"));
        var ws = RunWithBuilderInit(ResNet50.Create(seed: Seed), real, "gpu_0/data", [2, 3, 224, 224]);
        AssertShape(ws, "gpu_0/conv1", 2, 64, 112, 112);
        AssertShape(ws, "gpu_0/pool1", 2, 64, 56, 56);
        AssertShape(ws, "gpu_0/res3_0_branch2c_bn", 2, 512, 28, 28);
        AssertShape(ws, "gpu_0/res5_2_branch2c_bn", 2, 2048, 7, 7);
        AssertShape(ws, "gpu_0/pool5", 2, 2048, 1, 1);
        AssertShape(ws, "gpu_0/pred", 2, 1000);
        AssertProbabilityRows(ws.FetchBlob("gpu_0/softmax"), 2, 1000);
    }

    [SkippableFact]
    public void RealAlexNet_RunsWithTheBuildersInitNet()
    {
        var real = ProtoFile.ReadNetDef(TestData.Path("caffe2-models", "bvlc_alexnet", "predict_net.pbtxt"));
        var ws = RunWithBuilderInit(AlexNet.Create(seed: Seed), real, "data", [2, 3, 227, 227]);
        AssertShape(ws, "conv1", 2, 96, 55, 55);
        AssertShape(ws, "pool1", 2, 96, 27, 27);
        AssertShape(ws, "pool2", 2, 256, 13, 13);
        AssertShape(ws, "pool5", 2, 256, 6, 6);
        AssertShape(ws, "fc7", 2, 4096);
        AssertProbabilityRows(ws.FetchBlob("prob"), 2, 1000);
    }

    [SkippableFact]
    public void RealSqueezeNet10_RunsWithTheBuildersInitNet()
    {
        var real = ProtoFile.ReadNetDef(TestData.Path("squeezenet", "predict_net.pb"));
        real.Name = "squeezenet"; // the translated net has none; a workspace needs one
        var ws = RunWithBuilderInit(SqueezeNet.Create(classes: 3, seed: Seed), real, "data", [2, 3, 227, 227]);
        AssertShape(ws, "pool1", 2, 96, 55, 55);
        AssertShape(ws, "pool4", 2, 256, 27, 27);
        AssertShape(ws, "pool8", 2, 512, 13, 13);
        AssertShape(ws, "conv10", 2, 3, 15, 15);
        AssertProbabilityRows(ws.FetchBlob("prob"), 2, 3);
    }

    [Fact]
    public void BuiltSqueezeNet11_RunsWithItsOwnInitNet()
    {
        var model = SqueezeNet.Create(classes: 5, version: SqueezeNetVersion.V1_1, seed: Seed);
        var ws = RunWithBuilderInit(model, model.PredictNet, "data", [1, 3, 227, 227]);
        AssertShape(ws, "pool1", 1, 64, 56, 56);
        AssertShape(ws, "conv10", 1, 5, 14, 14);
        AssertProbabilityRows(ws.FetchBlob("prob"), 1, 5);
    }

    [Fact]
    public void BuiltLeNets_RunWithTheirOwnInitNets()
    {
        foreach (var variant in new[] { LeNetVariant.Caffe2Tutorial, LeNetVariant.TorchExport })
        {
            var model = LeNet.Create(variant: variant, seed: Seed);
            var ws = RunWithBuilderInit(model, model.PredictNet, "data", [3, 1, 28, 28]);
            AssertShape(ws, "pool2", 3, 50, 4, 4);
            var output = ws.FetchBlob(model.PredictNet.ExternalOutput[0]);
            Assert.Equal([3L, 10], output.Shape);
            if (variant == LeNetVariant.Caffe2Tutorial) AssertProbabilityRows(output, 3, 10);
            else Assert.All(output.ToArray<float>(), v => Assert.True(float.IsFinite(v)));
        }
    }

    [Fact]
    public void SeededInitNets_AreReproducible_AndTheSeedMatters()
    {
        static float[] Weights(uint seed)
        {
            var ws = new Workspace(new OperatorCatalog().AddStandardOperators());
            ws.RunNetOnce(AlexNet.Create(classes: 10, seed: seed).InitNet);
            return ws.FetchBlob<float>("conv1_w");
        }
        Assert.Equal(Weights(1), Weights(1));
        Assert.NotEqual(Weights(1), Weights(2));
    }

    /// <summary>
    /// Runs <paramref name="model"/>'s init net, feeds a deterministic input, checks every blob the
    /// net writes against the shapes inferred from the parameters' and the input's shapes, runs
    /// <paramref name="predict"/>, and checks each produced blob's shape against the inference.
    /// </summary>
    private static Workspace RunWithBuilderInit(ModelHelper model, NetDef predict, string input, long[] inputShape)
    {
        var catalog = new OperatorCatalog().AddStandardOperators();
        var ws = new Workspace(catalog);
        ws.RunNetOnce(model.InitNet);
        foreach (var p in model.Parameters) Assert.Equal(p.Shape, ws.FetchBlob(p.Name).Shape);

        long n = inputShape.Aggregate(1L, (a, b) => a * b);
        var data = new float[n];
        for (long i = 0; i < n; i++) data[i] = (float)Math.Sin(0.001 * i) + 0.25f * ((i % 7) - 3) / 3f;
        ws.FeedBlob<float>(input, data, inputShape);

        var known = model.Parameters.ToDictionary(p => p.Name, p => TensorShape.Create(p.Shape), StringComparer.Ordinal);
        known[input] = TensorShape.Create(inputShape);
        var analysis = NetAnalysis.Analyze(predict, known, catalog.Schemas);
        Assert.Empty(analysis.Problems);

        ws.CreateNet(predict);
        ws.RunNet(predict.Name);

        // Every op output the run produced has the inferred shape (second outputs a test-mode op does not write are skipped).
        var checkedBlobs = 0;
        foreach (var name in predict.Op.SelectMany(o => o.Output).Distinct(StringComparer.Ordinal))
        {
            if (!ws.HasBlob(name) || !ws.GetBlob(name)!.IsTensor) continue;
            var inferred = analysis.Shapes[name];
            Assert.False(inferred.UnknownShape, $"{name}: shape not inferred");
            Assert.True(inferred.Dims.SequenceEqual(ws.FetchBlob(name).Shape),
                $"{name}: produced [{string.Join(", ", ws.FetchBlob(name).Shape)}], inferred [{string.Join(", ", inferred.Dims)}]");
            checkedBlobs++;
        }
        Assert.True(checkedBlobs >= predict.Op.Select(o => o.Output[0]).Distinct().Count(), "every op's first output is checked");
        return ws;
    }

    private static void AssertShape(Workspace ws, string blob, params long[] dims) => Assert.Equal(dims, ws.FetchBlob(blob).Shape);

    // The shape is [rows, classes] or, after a global pooling (SqueezeNet), [rows, classes, 1, 1].
    private static void AssertProbabilityRows(Tensor probs, int rows, int classes)
    {
        Assert.Equal([(long)rows, classes], probs.Shape.Take(2));
        Assert.All(probs.Shape.Skip(2), d => Assert.Equal(1L, d));
        var values = probs.ToArray<float>();
        for (int r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * classes, classes).ToArray();
            Assert.All(row, v => Assert.True(float.IsFinite(v) && v >= 0f && v <= 1f, $"row {r}: {v} is not a probability"));
            Assert.Equal(1.0, row.Sum(v => (double)v), 4);
        }
    }
}
