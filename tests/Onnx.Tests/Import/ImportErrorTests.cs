using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Runtime;
using Google.Protobuf;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using static Caffe2Sharp.Onnx.Tests.Import.OnnxProtos;
using AttributeType = Caffe2Sharp.Onnx.Proto.AttributeProto.Types.AttributeType;
using OnnxTensor = Caffe2Sharp.Onnx.Proto.TensorProto;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>The importer's handling of opsets, functions, external data and bad models: each error names the file and the node.</summary>
public class ImportErrorTests
{
    // A model of the given nodes over FLOAT input X [2, 3] and output Y, at the given opset.
    private static ModelProto Model(long opset, params NodeProto[] nodes)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(Value("X", 1, 2, 3));
        graph.Output.Add(new ValueInfoProto { Name = "Y" });
        graph.Node.AddRange(nodes);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    private static Runtime.Tensor Run(OnnxImportedModel m, Runtime.Tensor x)
    {
        var outputs = RunOurs(m.Init, m.Predict, new Dictionary<string, Runtime.Tensor> { ["X"] = x });
        return outputs["Y"];
    }

    [Fact]
    public void ANodeReadingAValueNothingProduces_IsNamed()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(13, Node("Relu", ["nowhere"], ["Y"], "r1")), source: "m.onnx"));
        Assert.StartsWith("m.onnx: node #0 Relu (opset 13) \"r1\": reads 'nowhere', which no node", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACycle_IsNamed()
    {
        var model = Model(13, Node("Add", ["X", "b"], ["a"]), Node("Relu", ["a"], ["b"]), Node("Relu", ["a"], ["Y"]));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, source: "cyc.onnx"));
        Assert.Contains("node #0 Add (opset 13) \"a\": reads 'b', which only a later node produces", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOpsetFromTheFuture_IsRefused()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(OnnxImporter.MaxOpset + 1, Node("Relu", ["X"], ["Y"])), source: "new.onnx"));
        Assert.Contains($"opset {OnnxImporter.MaxOpset + 1} of the default domain is newer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryUnsupportedNode_IsListedAtOnce()
    {
        var model = Model(13, Node("FooBar", ["X"], ["a"], "first"), Node("Relu", ["a"], ["b"]), Node("Baz", ["b"], ["Y"]));
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, source: "u.onnx"));
        Assert.Equal(["FooBar", "Baz"], e.UnsupportedOperatorTypes);
        Assert.Contains("node #0 FooBar (opset 13) \"first\": op type 'FooBar' has no importer.", e.Message, StringComparison.Ordinal);
        Assert.Contains("node #2 Baz (opset 13) \"Y\"", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("u.onnx: cannot import 2 node(s); op type(s) without an importer: FooBar (opset 13), Baz (opset 13).", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOpUsedOutsideTheOpsetsItExistsAt_IsRefused()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(10, Node("Range", ["X", "X", "X"], ["Y"]))));
        Assert.Contains("node #0 Range (opset 10) \"Y\": Range exists from opset 11 on; the model imports opset 10.", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(11, Node("Upsample", ["X"], ["Y"]))));
        Assert.Contains("Upsample exists at opsets 7 to 9; the model imports opset 11 (use Resize).", e.Message, StringComparison.Ordinal);
        Assert.Equal(["Upsample"], e.UnsupportedOperatorTypes);
    }

    [Fact]
    public void WrongAttributeTypes_UnknownAttributes_AndNonConstantArgumentInputs_AreNamed()
    {
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(13, Node("Concat", ["X", "X"], ["Y"], "", Float("axis", 1)))));
        Assert.Contains("attribute 'axis' is Float; Int expected", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(13, Node("Relu", ["X"], ["Y"], "", Int("bogus", 1)))));
        Assert.Contains("attribute(s) 'bogus' not supported", e.Message, StringComparison.Ordinal);
        // Clip-11's min as a graph input (not a constant): Caffe2 needs it as an argument.
        var model = Model(13, Node("Clip", ["X", "lo"], ["Y"]));
        model.Graph.Input.Add(Value("lo", 1));
        e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model));
        Assert.Contains("min ('lo') must be a constant", e.Message, StringComparison.Ordinal);
        // The same value given as known at import folds into the argument.
        var imported = OnnxImporter.Import(model, new OnnxImportOptions { Constants = new Dictionary<string, Runtime.Tensor> { ["lo"] = Runtime.Tensor.From<float>([0.25f]) } });
        var op = Assert.Single(imported.Predict.Op);
        Assert.Equal(0.25f, op.GetSingleArgument("min", 0f));
        Assert.Equal([0.25f, 0.25f, 0.5f, 0.25f, 1f, 0.25f], Run(imported, Runtime.Tensor.From<float>([-1f, 0, 0.5f, 0.1f, 1, -3], 2, 3)).ToArray<float>());
        var unknown = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, new OnnxImportOptions { Constants = new Dictionary<string, Runtime.Tensor> { ["nope"] = Runtime.Tensor.From<float>([1f]) } }));
        Assert.Contains("'nope', which is not a graph input", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Softmax_OldOpsetsCoerceTo2D_Opset13NormalisesOneAxis_ThroughTransposes()
    {
        var x = Random(5, 2, 3);
        // Opset 11, default axis 1: Caffe2's Softmax over [2, 3] at axis 1.
        var old = OnnxImporter.Import(Model(11, Node("Softmax", ["X"], ["Y"])));
        Assert.Equal(1, Assert.Single(old.Predict.Op).GetSingleArgument("axis", -5));
        // Opset 13, axis 0: transpose, Softmax over the last axis, transpose back.
        var model = Model(13, Node("Softmax", ["X"], ["Y"], "", Int("axis", 0)));
        var imported = OnnxImporter.Import(model);
        Assert.Equal(["Transpose", "Softmax", "Transpose"], imported.Predict.Op.Select(o => o.Type));
        var y = Run(imported, x).ToArray<float>();
        var v = x.ToArray<float>();
        for (int j = 0; j < 3; j++)
        {
            double a = Math.Exp(v[j]), b = Math.Exp(v[3 + j]);
            Assert.Equal(a / (a + b), y[j], 5);
            Assert.Equal(b / (a + b), y[3 + j], 5);
        }
    }

    [Fact]
    public void Split_SizesFromTheAttribute_TheInput_OrUnevenNumOutputs()
    {
        var x = Runtime.Tensor.From<float>([1f, 2, 3, 4, 5, 6], 2, 3);
        NodeProto SplitNode(params AttributeProto[] attrs) => Node("Split", ["X"], ["a", "b"], "", attrs);
        ModelProto WithOutputs(ModelProto m)
        {
            m.Graph.Output.Clear();
            m.Graph.Output.Add(new ValueInfoProto { Name = "a" });
            m.Graph.Output.Add(new ValueInfoProto { Name = "b" });
            return m;
        }
        (float[] A, float[] B) RunSplit(ModelProto m)
        {
            var imported = OnnxImporter.Import(m);
            var outputs = RunOurs(imported.Init, imported.Predict, new Dictionary<string, Runtime.Tensor> { ["X"] = x });
            return (outputs["a"].ToArray<float>(), outputs["b"].ToArray<float>());
        }
        // Opset 11: sizes [1, 2] along axis 1 as an attribute.
        var (a, b) = RunSplit(WithOutputs(Model(11, SplitNode(Int("axis", 1), new AttributeProto { Name = "split", Ints = { 1, 2 }, Type = AttributeType.Ints }))));
        Assert.Equal([1f, 4], a);
        Assert.Equal([2f, 3, 5, 6], b);
        // Opset 18, no sizes, default axis 0: equal halves.
        (a, b) = RunSplit(WithOutputs(Model(18, SplitNode(new AttributeProto { Name = "num_outputs", I = 2, Type = AttributeType.Int }))));
        Assert.Equal([1f, 2, 3], a);
        Assert.Equal([4f, 5, 6], b);
        // Opset 18, axis 1 of 3 into 2: ONNX's uneven split, ceil(3 / 2) = 2 then 1.
        (a, b) = RunSplit(WithOutputs(Model(18, SplitNode(Int("axis", -1), new AttributeProto { Name = "num_outputs", I = 2, Type = AttributeType.Int }))));
        Assert.Equal([1f, 2, 4, 5], a);
        Assert.Equal([3f, 6], b);
    }

    [Fact]
    public void NamesTheImporterMakes_NeverTakeALaterNodesName()
    {
        // Opset-13 Softmax over axis 0 makes intermediates named after the node ("s_transposed",
        // "s_softmax"); a later node already writes "s_transposed".
        var model = Model(13,
            Node("Softmax", ["X"], ["s"], "", Int("axis", 0)),
            Node("Relu", ["X"], ["s_transposed"]),
            Node("Add", ["s", "s_transposed"], ["Y"]));
        var imported = OnnxImporter.Import(model);
        var writers = imported.Predict.Op.SelectMany(o => o.Output).GroupBy(o => o).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.Empty(writers);
        var x = Random(9, 2, 3);
        var y = Run(imported, x).ToArray<float>();
        var v = x.ToArray<float>();
        for (int j = 0; j < 3; j++)
        {
            double a = Math.Exp(v[j]), b = Math.Exp(v[3 + j]);
            Assert.Equal(a / (a + b) + Math.Max(v[j], 0), y[j], 5);
        }
    }

    [Fact]
    public void Cast_TakesOnnxTypeNumbers_NotCaffe2s()
    {
        // ONNX 6 is INT32 (Caffe2 2); Caffe2's 6 would be UINT8.
        var imported = OnnxImporter.Import(Model(13, Node("Cast", ["X"], ["Y"], "", Int("to", 6))));
        Assert.Equal((long)DataType.Int32, Assert.Single(imported.Predict.Op).GetSingleArgument("to", 0L));
        Assert.Equal(2L, (long)DataType.Int32);
    }

    [Fact]
    public void ModelsWithoutADomainOrAnyOpset_ImportAtTheDefaultDomain()
    {
        var model = Model(7, Node("Relu", ["X"], ["Y"]));
        model.OpsetImport.Clear();
        Assert.Equal(1, OnnxImporter.Import(model).Opset);
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 9 }); // no domain written
        Assert.Equal(9, OnnxImporter.Import(model).Opset);
        var node = Node("Relu", ["X"], ["Y"]);
        node.Domain = "com.example";
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(Model(13, node)));
        Assert.Contains("domain 'com.example' is not imported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LocalFunctions_AreInlined_WithAttributeReferences()
    {
        // local:ScaledElu(x) = Relu(Elu(x, alpha = @a)), called with a = 0.5 (default 2).
        var f = new FunctionProto { Name = "ScaledElu", Domain = "local" };
        f.Input.Add("x");
        f.Output.Add("y");
        f.AttributeProto.Add(Float("a", 2f));
        f.Node.Add(Node("Elu", ["x"], ["t"], "inner", new AttributeProto { Name = "alpha", RefAttrName = "a", Type = AttributeType.Float }));
        f.Node.Add(Node("Neg", ["t"], ["y"]));
        f.Node[1].OpType = "Relu";
        var call = Node("ScaledElu", ["X"], ["Y"], "call", Float("a", 0.5f));
        call.Domain = "local";
        var model = Model(13, call);
        model.Functions.Add(f);
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "local", Version = 1 });
        var imported = OnnxImporter.Import(model);
        Assert.Equal(["Elu", "Relu"], imported.Predict.Op.Select(o => o.Type));
        Assert.Equal(0.5f, imported.Predict.Op[0].GetSingleArgument("alpha", 0f));
        Assert.DoesNotContain(imported.Predict.Op.SelectMany(o => o.Output), o => o == "t"); // renamed apart
        // Without the attribute the function's default (2) applies.
        call.Attribute.Clear();
        Assert.Equal(2f, OnnxImporter.Import(model).Predict.Op[0].GetSingleArgument("alpha", 0f));
    }

    [Fact]
    public void ExternalData_IsReadInsideTheModelFolder_AndALocationOutsideIsRefused()
    {
        string dir = Directory.CreateTempSubdirectory("c2s-ext").FullName;
        try
        {
            var values = new float[] { 1.5f, -2, 3, 0.25f, 8, -1 };
            var bytes = new byte[4 + values.Length * 4]; // 4 bytes of something else first
            Buffer.BlockCopy(values, 0, bytes, 4, values.Length * 4);
            File.WriteAllBytes(Path.Combine(dir, "weights.bin"), bytes);
            var init = new OnnxTensor { Name = "W", DataType = 1, DataLocation = OnnxTensor.Types.DataLocation.External };
            init.Dims.AddRange([2, 3]);
            init.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
            init.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "4" });
            init.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = "24" });
            var model = Model(13, Node("Add", ["X", "W"], ["Y"]));
            model.Graph.Initializer.Add(init);
            string path = Path.Combine(dir, "m.onnx");
            File.WriteAllBytes(path, model.ToByteArray());
            var imported = OnnxImporter.Load(path);
            var y = Run(imported, Runtime.Tensor.From<float>(new float[6], 2, 3));
            Assert.Equal(values, y.ToArray<float>());

            init.ExternalData[0].Value = "../weights.bin";
            File.WriteAllBytes(path, model.ToByteArray());
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Contains("location '../weights.bin' leaves the model's folder", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TruncatedAndTextModels_AreReadOrRefusedNamingTheFile()
    {
        string dir = Directory.CreateTempSubdirectory("c2s-onnx").FullName;
        try
        {
            var model = Model(13, Node("Relu", ["X"], ["Y"], "r"));
            var bytes = model.ToByteArray();
            string truncated = Path.Combine(dir, "cut.onnx");
            File.WriteAllBytes(truncated, bytes[..(bytes.Length - 5)]);
            var e = Assert.ThrowsAny<EnforceNotMetException>(() => OnnxImporter.Load(truncated));
            Assert.StartsWith($"{truncated}: not a valid ONNX model", e.Message, StringComparison.Ordinal);

            string text = Path.Combine(dir, "m.onnxtxt");
            File.WriteAllText(text, Caffe2Sharp.TextFormat.ProtoText.Print(model));
            var imported = OnnxImporter.Load(text);
            Assert.Equal("Relu", Assert.Single(imported.Predict.Op).Type);
            Assert.Equal([0f, 2f], Run(imported, Runtime.Tensor.From<float>([-1f, 2f], 1, 2)).ToArray<float>());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void AnInitializerWithTheWrongNumberOfValues_OrAnUnnamedOne_IsNamed()
    {
        var model = Model(13, Node("Add", ["X", "W"], ["Y"]));
        var w = new OnnxTensor { Name = "W", DataType = 1, RawData = ByteString.CopyFrom(new byte[20]) };
        w.Dims.AddRange([2, 3]);
        model.Graph.Initializer.Add(w);
        model.Graph.Initializer.Add(new OnnxTensor { DataType = 1 });
        var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(model, source: "w.onnx"));
        Assert.Contains("initializer 'W': FLOAT[2, 3] needs 24 raw_data bytes, found 20.", e.Message, StringComparison.Ordinal);
        Assert.Contains("an initializer has no name.", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("w.onnx: cannot import", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FedInputs_AreCheckedAgainstTheDeclaredTypeAndShape()
    {
        var imported = OnnxImporter.Import(Model(13, Node("Relu", ["X"], ["Y"])));
        imported.CheckInputs(new Dictionary<string, Runtime.Tensor> { ["X"] = Random(1, 2, 3) });
        var e = Assert.Throws<EnforceNotMetException>(() => imported.CheckInputs(new Dictionary<string, Runtime.Tensor> { ["X"] = Random(1, 3, 2) }, "m.onnx"));
        Assert.Equal("m.onnx: input 'X' is declared FLOAT[2, 3]; it was fed FLOAT[3, 2].", e.Message);
        e = Assert.Throws<EnforceNotMetException>(() => imported.CheckInputs(new Dictionary<string, Runtime.Tensor> { ["X"] = Runtime.Tensor.From<long>([1, 2, 3, 4, 5, 6], 2, 3) }, "m.onnx"));
        Assert.Contains("fed INT64[2, 3]", e.Message, StringComparison.Ordinal);
    }
}
