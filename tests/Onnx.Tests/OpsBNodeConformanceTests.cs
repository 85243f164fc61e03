using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests;

/// <summary>
/// ONNX's node tests of Max, Min, Mean, Selu, Softplus and MatMul (../shared/testdata/onnx-node) run
/// through the Caffe2 operators, with ONNX's tolerance (rtol 1e-3, atol 1e-7) and exact output
/// shape and type. MatMul is BatchMatMul with broadcast = 1; Selu's gamma is Caffe2's scale.
/// </summary>
public class OpsBNodeConformanceTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    public static TheoryData<string> Cases() =>
    [
        "test_max_example", "test_min_example", "test_mean_example", "test_selu_example", "test_softplus_example",
        "test_matmul_2d", "test_matmul_3d", "test_matmul_4d",
    ];

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void RunsThroughTheCaffe2Operator_AndMatchesOnnxsExpectedOutputs(string test)
    {
        string dir = Path.Combine(TestData.OnnxNode, test);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var node = Assert.Single(model.Graph.Node);
        var ws = new Workspace(Catalog);
        for (int i = 0; i < model.Graph.Input.Count; i++)
            ws.FeedBlob(model.Graph.Input[i].Name, ReadTensor(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb")));
        var def = OperatorDef.Create(node.OpType == "MatMul" ? "BatchMatMul" : node.OpType, node.Name, [.. node.Input], [.. node.Output]);
        if (node.OpType == "MatMul") def.SetArgument("broadcast", 1);
        foreach (var a in node.Attribute)
        {
            Assert.Equal("Selu", node.OpType);
            Assert.Contains(a.Name, (string[])["alpha", "gamma"]);
            def.SetArgument(a.Name == "gamma" ? "scale" : a.Name, a.F);
        }
        ws.RunOperatorOnce(def);

        for (int o = 0; o < model.Graph.Output.Count; o++)
        {
            var expected = ReadTensor(Path.Combine(dir, "test_data_set_0", $"output_{o}.pb"));
            var actual = ws.FetchBlob(model.Graph.Output[o].Name);
            Assert.Equal(expected.Describe(), actual.Describe());
            var e = expected.Data<float>();
            var v = actual.Data<float>();
            for (int k = 0; k < e.Length; k++)
                Assert.True(float.IsNaN(e[k]) ? float.IsNaN(v[k]) : Math.Abs(v[k] - e[k]) <= 1e-7 + 1e-3 * Math.Abs(e[k]),
                    $"{test}: output {o} element {k}: expected {e[k]:R}, actual {v[k]:R}");
        }
    }

    [SkippableFact]
    public void SeluExample_SetsAlphaAndGamma_WhichOverrideCaffe2sDefaults()
    {
        // test_selu_example sets alpha = 2 and gamma = 3: the defaults of neither side are exercised.
        var node = Assert.Single(ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(TestData.OnnxNode, "test_selu_example", "model.onnx"))).Graph.Node);
        Assert.Equal([("alpha", 2f), ("gamma", 3f)], node.Attribute.Select(a => (a.Name, a.F)).OrderBy(p => p.Name));
    }

    private static Caffe2Tensor ReadTensor(string path) =>
        OnnxTensors.ToTensor(Caffe2Sharp.Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);
}
