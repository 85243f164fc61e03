using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>
/// Every one of ONNX's node conformance tests in ../shared/testdata/onnx-node goes through the
/// importer and our runtime: init net, predict net, inputs checked against the graph's
/// declarations, outputs compared with ONNX's expected ones (exact count, shape and type; ONNX's
/// tolerance rtol 1e-3, atol 1e-7 for floats, exact for integers and booleans). The few that
/// cannot pass are listed in <see cref="Pending"/> with the reason, and checked to still fail, so
/// none is skipped silently and one that starts passing is noticed.
/// </summary>
public class NodeTestsThroughImporterTests
{
    /// <summary>Tests that cannot pass yet, each with why (test name to reason); empty now that all 140 pass.</summary>
    public static readonly Dictionary<string, string> Pending = new(StringComparer.Ordinal);

    public static TheoryData<string> AllCases()
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(TestData.OnnxNodeDir)) data.Add("(onnx-node missing)");
        else foreach (var dir in Directory.GetDirectories(TestData.OnnxNodeDir).Select(Path.GetFileName).Order(StringComparer.Ordinal)) data.Add(dir!);
        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(AllCases))]
    public void ImportsRunsAndMatchesOnnxsOutputs(string test)
    {
        string dir = Path.Combine(TestData.OnnxNode, test);
        if (Pending.TryGetValue(test, out var reason))
        {
            Assert.ThrowsAny<Exception>(() => Run(dir));
            return;
        }
        Run(dir);
    }

    private static void Run(string dir)
    {
        string test = Path.GetFileName(dir);
        // The node tests feed every operand, weights and attribute-like inputs (axes, scales, min
        // and max) included; a real model has those as initializers. So the first input is fed
        // and the others are given to the importer as known values, as a model's weights are.
        var model = OnnxImporter.ReadModel(Path.Combine(dir, "model.onnx"));
        var all = new Dictionary<string, Caffe2Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < model.Graph.Input.Count; i++)
            all[model.Graph.Input[i].Name] = ReadTensor(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb"));
        Assert.Equal(model.Graph.Input.Count, Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "input_*.pb").Length);
        var constants = model.Graph.Input.Skip(1).ToDictionary(i => i.Name, i => all[i.Name], StringComparer.Ordinal);
        var imported = OnnxImporter.Import(model, new OnnxImportOptions { Constants = constants }, test);
        var ws = new Workspace(Catalog);
        ws.RunNetOnce(imported.Init);
        var fed = imported.Inputs.ToDictionary(i => i.Name, i => all[i.Name], StringComparer.Ordinal);
        imported.CheckInputs(fed, test);
        foreach (var (name, t) in fed) ws.FeedBlob(name, t);
        ws.RunNetOnce(imported.Predict);
        Assert.Equal(imported.Outputs.Count, Directory.GetFiles(Path.Combine(dir, "test_data_set_0"), "output_*.pb").Length);
        for (int o = 0; o < imported.Outputs.Count; o++)
        {
            var expected = ReadTensor(Path.Combine(dir, "test_data_set_0", $"output_{o}.pb"));
            var actual = ws.FetchBlob(imported.Outputs[o].Name);
            Assert.True(expected.Describe() == actual.Describe(), $"{test}: output {o} is {actual.Describe()}, expected {expected.Describe()}");
            if (expected.DataType is DataType.Float or DataType.Double)
            {
                var e = expected.ToDoubleArray();
                var a = actual.ToDoubleArray();
                for (int k = 0; k < e.Length; k++)
                {
                    bool ok = double.IsNaN(e[k]) ? double.IsNaN(a[k]) : Math.Abs(a[k] - e[k]) <= 1e-7 + 1e-3 * Math.Abs(e[k]);
                    Assert.True(ok, $"{test}: output {o} element {k}: expected {e[k]:R}, actual {a[k]:R}");
                }
            }
            else Assert.Equal(expected.RawBytes.ToArray(), actual.RawBytes.ToArray());
        }
    }

    private static readonly OperatorCatalog Catalog = Caffe2Sharp.Operators.StandardOperators.AddStandardOperators(new OperatorCatalog());

    private static Caffe2Tensor ReadTensor(string path) =>
        OnnxTensors.ToTensor(Caffe2Sharp.Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);
}
