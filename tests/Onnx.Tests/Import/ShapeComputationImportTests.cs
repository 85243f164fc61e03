using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Runtime;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using static Caffe2Sharp.Onnx.Tests.Import.OnnxProtos;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>
/// The shape computations PyTorch's exporter writes (Shape, Gather, Unsqueeze, Concat, Cast,
/// comparisons, Where, Expand, Range, ReduceMean) import as real Caffe2 operators: with a symbolic
/// batch dim they run at every run (so another batch size works); with fixed dims they fold at import.
/// </summary>
public class ShapeComputationImportTests
{
    // Y = Reshape(X, Concat(Unsqueeze(Gather(Shape(X), 0)), [-1])): [N, 3, 4] -> [N, 12]; then
    // Z = Where(Y > 0, Y, Cast(Y < 0) * 0) (ReLU spelt the long way), and M = ReduceMean(Z, [1]).
    private static ModelProto Model(object batch)
    {
        var g = new GraphProto { Name = "flatten_by_shape" };
        g.Input.Add(Symbolic("X", 1, batch, 3, 4));
        g.Output.Add(Symbolic("Z", 1, batch, 12));
        g.Output.Add(Symbolic("M", 1, batch, 1));
        g.Initializer.Add(Int64s("zero_index", [0]));
        g.Initializer.Add(Int64s("axes0", [0], 1));
        g.Initializer.Add(Int64s("minus_one", [-1], 1));
        g.Initializer.Add(Int64s("axes1", [1], 1));
        g.Node.Add(Node("Shape", ["X"], ["s"]));
        g.Node.Add(Node("Gather", ["s", "zero_index"], ["n"], "", Int("axis", 0)));
        g.Node.Add(Node("Unsqueeze", ["n", "axes0"], ["n1"]));
        g.Node.Add(Node("Concat", ["n1", "minus_one"], ["shape"], "", Int("axis", 0)));
        g.Node.Add(Node("Reshape", ["X", "shape"], ["Y"]));
        g.Initializer.Add(Floats("zero_f", [0f]));
        g.Node.Add(Node("Greater", ["Y", "zero_f"], ["positive"]));
        g.Node.Add(Node("Less", ["Y", "zero_f"], ["negative"]));
        g.Node.Add(Node("Cast", ["negative"], ["negative_f"], "", Int("to", 1)));
        g.Node.Add(Node("Mul", ["negative_f", "zero_f"], ["zeros"]));
        g.Node.Add(Node("Where", ["positive", "Y", "zeros"], ["Z"]));
        g.Node.Add(Node("ReduceMean", ["Z", "axes1"], ["M"], "", Int("keepdims", 1)));
        var model = new ModelProto { IrVersion = 8, Graph = g };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 18 });
        return model;
    }

    private static (float[] Z, float[] M) Reference(Runtime.Tensor x)
    {
        var v = x.ToArray<float>();
        var z = v.Select(a => a > 0 ? a : 0f).ToArray();
        int n = (int)x.Dims[0];
        var m = Enumerable.Range(0, n).Select(i => (float)(z.Skip(12 * i).Take(12).Sum(a => (double)a) / 12)).ToArray();
        return (z, m);
    }

    [Fact]
    public void WithASymbolicBatch_TheShapeOpsRun_AndAnotherBatchSizeWorks()
    {
        var imported = OnnxImporter.Import(Model("N"));
        Assert.Contains(imported.Predict.Op, o => o.Type == "Shape");
        Assert.Contains(imported.Predict.Op, o => o.Type == "Gather");
        foreach (int batch in new[] { 2, 5 })
        {
            var x = Random(batch, batch, 3, 4);
            var outputs = RunOurs(imported.Init, imported.Predict, new Dictionary<string, Runtime.Tensor> { ["X"] = x });
            var (z, m) = Reference(x);
            Assert.Equal([batch, 12L], outputs["Z"].Shape);
            Assert.Equal(z, outputs["Z"].ToArray<float>());
            Assert.Equal([batch, 1L], outputs["M"].Shape);
            Assert.Equal(m, outputs["M"].ToArray<float>());
        }
    }

    [Fact]
    public void WithFixedDims_TheShapeComputationFoldsAtImport()
    {
        var imported = OnnxImporter.Import(Model(2));
        // X's shape is declared (and checked when fed), so Shape and the rest fold into a constant
        // shape: the Reshape takes it as its argument.
        Assert.DoesNotContain(imported.Predict.Op, o => o.Type is "Shape" or "Gather" or "ExpandDims" or "Concat");
        var reshape = Assert.Single(imported.Predict.Op, o => o.Type == "Reshape");
        Assert.Equal([2L, -1], reshape.GetRepeatedArgument<long>("shape"));
        var x = Random(4, 2, 3, 4);
        var outputs = RunOurs(imported.Init, imported.Predict, new Dictionary<string, Runtime.Tensor> { ["X"] = x });
        Assert.Equal(Reference(x).Z, outputs["Z"].ToArray<float>());
    }
}
