using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Tests;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>
/// The real Caffe2 nets of ../shared/testdata/caffe2-nets exported to ONNX and run in ONNX Runtime,
/// against our own runtime on the same deterministic input: every element within
/// <c>|a - r| &lt;= 1e-4 |r| + 1e-5 max|r|</c> (see <see cref="ExportHarness"/>) and the top-5
/// classes of every row in the same order.
/// </summary>
public class RealNetExportTests
{
    private static (NetDef Init, NetDef Predict) Load(string folder) =>
        (NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path(folder, "init_net.pb"))),
         NetDef.Parser.ParseFrom(File.ReadAllBytes(TestData.Path(folder, "predict_net.pb"))));

    [SkippableFact]
    public void MnistLeNet_MatchesOnnxRuntime()
    {
        // Inputs "1".."9": "1" is the image (the init net fills "2".."9"); 28 -> conv 24 -> pool 12 ->
        // conv 8 -> pool 4, and Reshape [-1, 800] = 50 * 4 * 4 keeps the batch. Output "26": [N, 10] logits.
        var (init, predict) = Load("mnist-lenet");
        var result = ExportAndCompare(init, predict, new Dictionary<string, Caffe2Tensor> { ["1"] = Random(100, 4, 1, 28, 28) });
        var model = result.Model;
        Assert.Equal("1", Assert.Single(model.Graph.Input).Name);
        // The 8 weights keep their names; the rest are the exporter's constants (the legacy-broadcast
        // bias shapes [1, C, 1, 1] and the Reshape's [-1, 800]).
        Assert.Equal(["2", "3", "4", "5", "6", "7", "8", "9"], model.Graph.Initializer.Select(t => t.Name).Where(n => n.Length == 1).Order(StringComparer.Ordinal));
        Assert.Equal("26", Assert.Single(model.Graph.Output).Name);
        Assert.Equal([4L, 10], result.Ort["26"].Shape);
        AssertSameTopClasses(result.Ours["26"], result.Ort["26"]);
    }

    [SkippableFact]
    public void SqueezeNet_MatchesOnnxRuntime()
    {
        // The init net fills "data" with a placeholder ConstantFill; given a shape here it is the graph
        // input, fed by the caller, not an initializer.
        var (init, predict) = Load("squeezenet");
        var x = Random(200, 1, 3, 227, 227);
        foreach (ref var v in x.Data<float>()) v *= 60;
        var result = ExportAndCompare(init, predict, new Dictionary<string, Caffe2Tensor> { ["data"] = x });
        var model = result.Model;
        Assert.Equal("data", Assert.Single(model.Graph.Input).Name);
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "data");
        Assert.Equal(52, model.Graph.Initializer.Count);
        Assert.Equal("prob", Assert.Single(model.Graph.Output).Name);
        var prob = result.Ort["prob"];
        Assert.Equal(3, prob.Size);
        Assert.InRange(prob.ToArray<float>().Sum(), 0.999f, 1.001f);
        AssertSameTopClasses(result.Ours["prob"], prob);
    }

    [SkippableFact]
    public void SqueezeNet_ExportsAtOpset13_AndOpset11_Alike()
    {
        var (init, predict) = Load("squeezenet");
        var feeds = new Dictionary<string, Caffe2Tensor> { ["data"] = Random(201, 1, 3, 227, 227) };
        ExportAndCompare(init, predict, feeds, opset: 13);
        ExportAndCompare(init, predict, feeds, opset: 11);
    }

    // The k = min(5, classes) largest entries of every row, in order, agree.
    private static void AssertSameTopClasses(Caffe2Tensor ours, Caffe2Tensor ort)
    {
        long classes = ours.Dims[^1];
        int rows = (int)(ours.Size / classes), k = (int)Math.Min(5, classes);
        var r = ours.ToArray<float>();
        var a = ort.ToArray<float>();
        for (int row = 0; row < rows; row++)
        {
            int[] Top(float[] v) => [.. Enumerable.Range(0, (int)classes).OrderByDescending(c => v[row * classes + c]).Take(k)];
            Assert.Equal(Top(r), Top(a));
        }
    }
}
