using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Models.Tests;

/// <summary>The README's model-helper example, kept in step with it: it must build a net that runs.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void ReadmeExample_BuildsNetsThatRun()
    {
        var readme = File.ReadAllText(Path.Combine(TestData.RepoRoot, "README.md"));
        Assert.Contains("var model = new ModelHelper(\"net\", seed: 1);", readme, StringComparison.Ordinal);
        Assert.Contains("var fc = model.FC(model.Relu(conv, conv), \"fc\", dimIn: 16 * 32 * 32, dimOut: 10);", readme, StringComparison.Ordinal);

        var model = new ModelHelper("net", seed: 1);
        var conv = model.Conv("data", "conv1", dimIn: 3, dimOut: 16, kernel: 3, pad: 1);  // init: conv1_w, conv1_b
        var fc = model.FC(model.Relu(conv, conv), "fc", dimIn: 16 * 32 * 32, dimOut: 10);  // init: fc_w, fc_b
        model.AddExternalOutput(model.Softmax(fc, "prob"));
        NetDef init = model.InitNet, predict = model.PredictNet;                          // run init once, then predict

        var ws = new Workspace(new OperatorCatalog().AddStandardOperators());
        ws.RunNetOnce(init);
        ws.FeedBlob<float>("data", new float[2 * 3 * 32 * 32], 2, 3, 32, 32);
        ws.CreateNet(predict);
        ws.RunNet("net");
        Assert.Equal([2L, 10], ws.FetchBlob("prob").Shape);
    }
}
