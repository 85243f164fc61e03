using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests;

/// <summary>
/// ONNX's node conformance tests (../shared/testdata/onnx-node) of the shape-computation and
/// reduction operators that are in the test data (ArgMax, ReduceMean, Shape), run through the
/// Caffe2 operators with ONNX's attributes mapped to their arguments; outputs must match exactly
/// in type and shape, and within ONNX's tolerance in value.
/// </summary>
public class OnnxModelOperatorConformanceTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    public static TheoryData<string> Cases() => ["test_argmax_default_axis_example", "test_reduce_mean_default_axes_keepdims_example", "test_shape"];

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public void RunsThroughTheCaffe2Operator_AndMatchesOnnxsExpectedOutputs(string test)
    {
        string dir = Path.Combine(TestData.OnnxNode, test);
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var node = Assert.Single(model.Graph.Node);
        var ws = new Workspace(Catalog);
        var inputs = new List<Caffe2Tensor>();
        for (int i = 0; i < model.Graph.Input.Count; i++)
        {
            var t = ReadTensor(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb"));
            inputs.Add(t);
            ws.FeedBlob(model.Graph.Input[i].Name, t);
        }
        long Attr(string name, long fallback) => node.Attribute.SingleOrDefault(a => a.Name == name)?.I ?? fallback;
        var def = OperatorDef.Create(node.OpType, node.Name, [node.Input[0]], [.. node.Output]);
        switch (node.OpType)
        {
            case "ArgMax":
                // ONNX's default axis is 0, Caffe2's -1: always passed.
                def.SetArgument("axis", (int)Attr("axis", 0)).SetArgument("keepdims", (int)Attr("keepdims", 1))
                    .SetArgument("select_last_index", (int)Attr("select_last_index", 0));
                break;
            case "ReduceMean":
                // Axes: an attribute before opset 18, an optional input from 18; none is every dim in both.
                var axes = node.Attribute.SingleOrDefault(a => a.Name == "axes")?.Ints.ToArray()
                    ?? (node.Input.Count > 1 && node.Input[1].Length > 0 ? inputs[1].ToArray<long>() : []);
                if (axes.Length > 0) def.SetRepeatedArgument("axes", axes);
                def.SetArgument("keepdims", (int)Attr("keepdims", 1));
                Assert.Equal(0, Attr("noop_with_empty_axes", 0));
                break;
            case "Shape":
                Assert.DoesNotContain(node.Attribute, a => a.Name is "start" or "end");
                break;
        }
        ws.RunOperatorOnce(def);
        for (int o = 0; o < model.Graph.Output.Count; o++)
        {
            var expected = ReadTensor(Path.Combine(dir, "test_data_set_0", $"output_{o}.pb"));
            var actual = ws.FetchBlob(model.Graph.Output[o].Name);
            Assert.Equal(expected.Describe(), actual.Describe());
            if (expected.DataType != DataType.Float)
            {
                Assert.True(expected.RawBytes.SequenceEqual(actual.RawBytes), $"{test}: output {o} differs");
                continue;
            }
            var e = expected.Data<float>();
            var a = actual.Data<float>();
            for (int k = 0; k < e.Length; k++)
                Assert.True(Math.Abs(a[k] - e[k]) <= 1e-7 + 1e-3 * Math.Abs(e[k]), $"{test}: output {o} element {k}: expected {e[k]}, actual {a[k]}");
        }
    }

    private static Caffe2Tensor ReadTensor(string path) =>
        OnnxTensors.ToTensor(Caffe2Sharp.Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);
}
