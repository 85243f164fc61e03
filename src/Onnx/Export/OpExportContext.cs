// Hand-written.
using Caffe2Sharp.Onnx.Proto;
using Google.Protobuf;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;
using OnnxTensor = Caffe2Sharp.Onnx.Proto.TensorProto;

namespace Caffe2Sharp.Onnx.Export;

/// <summary>
/// What one operator's converter sees: the Caffe2 def, the ONNX value names of its inputs (the
/// current version of each blob) and outputs (fresh where the blob is written again later or in
/// place), the inferred input shapes, and helpers that add nodes and constants to the graph.
/// </summary>
internal sealed class OpExportContext
{
    private readonly ExportGraph _graph;
    private readonly string[] _inputs, _outputs;
    private readonly TensorShape?[] _inputShapes;
    private readonly bool[] _outputUsed;

    public OpExportContext(ExportGraph graph, OperatorDef def, int index, string[] inputs, TensorShape?[] inputShapes, string[] outputs, bool[] outputUsed)
    {
        _graph = graph;
        Def = def;
        Index = index;
        _inputs = inputs;
        _inputShapes = inputShapes;
        _outputs = outputs;
        _outputUsed = outputUsed;
    }

    public OperatorDef Def { get; }
    public int Index { get; }
    public int Opset => _graph.Opset;
    public int InputCount => _inputs.Length;
    public int OutputCount => _outputs.Length;

    /// <summary>The ONNX value holding input <paramref name="i"/>.</summary>
    public string In(int i) => _inputs[i];

    /// <summary>The ONNX value name output <paramref name="o"/> must be written to.</summary>
    public string Out(int o) => _outputs[o];

    /// <summary>True when a later op reads output <paramref name="o"/> or it is a net output.</summary>
    public bool OutputUsed(int o) => o < _outputs.Length && _outputUsed[o];

    /// <summary>The dims of input <paramref name="i"/>; throws when shape inference could not tell them.</summary>
    public long[] Dims(int i)
    {
        var s = _inputShapes[i];
        if (s is null || s.UnknownShape || s.UnknownDims.Count > 0)
            throw new EnforceNotMetException($"the shape of input '{Def.Input[i]}' is not known (shape inference could not tell it), and the mapping needs it.");
        return [.. s.Dims];
    }

    /// <summary>The element type of input <paramref name="i"/> (FLOAT when unknown).</summary>
    public DataType TypeOf(int i) => _inputShapes[i] is { DataType: not DataType.Undefined } s ? s.DataType : DataType.Float;

    /// <summary>A fresh value name, unused anywhere in the graph or the nets.</summary>
    public string Temp(string hint) => _graph.Fresh($"{(Def.Output.Count > 0 ? Def.Output[0] : Def.Type)}/{hint}");

    /// <summary>Adds a node; returns its first output.</summary>
    public string Node(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        string baseName = string.IsNullOrEmpty(Def.Name) ? $"{Def.Type}_{Index}" : Def.Name;
        var node = new NodeProto { OpType = opType, Name = _graph.NodeName(baseName) };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Nodes.Add(node);
        return node.Output[0];
    }

    /// <summary>Adds a one-input node writing a fresh value; returns that value.</summary>
    public string Temp(string opType, string input, params AttributeProto[] attributes) =>
        Node(opType, [input], [Temp(opType)], attributes);

    /// <summary>An INT64 1-D initializer holding <paramref name="values"/>; returns its name.</summary>
    public string Int64Constant(string hint, IReadOnlyList<long> values) =>
        _graph.AddInitializer(Temp(hint), Caffe2Tensor.From<long>([.. values], values.Count));

    /// <summary>A scalar initializer of <paramref name="type"/> (FLOAT, DOUBLE or FLOAT16) holding <paramref name="value"/>.</summary>
    public string ScalarConstant(string hint, float value, DataType type)
    {
        var t = type switch
        {
            DataType.Double => Caffe2Tensor.From<double>([value], []),
            DataType.Float16 => Caffe2Tensor.From<Half>([(Half)value], []),
            DataType.Float => Caffe2Tensor.From<float>([value], []),
            _ => throw new EnforceNotMetException($"a {DataTypes.Name(type)} bound is not supported (FLOAT, DOUBLE or FLOAT16 only)."),
        };
        return _graph.AddInitializer(Temp(hint), t);
    }

    /// <summary>An initializer holding <paramref name="tensor"/>; returns its name.</summary>
    public string Constant(string hint, Caffe2Tensor tensor) => _graph.AddInitializer(Temp(hint), tensor);

    /// <summary>A <c>Constant</c> node writing <paramref name="tensor"/> to <paramref name="output"/> (an op output that must be a node's).</summary>
    public void ConstantNode(string output, Caffe2Tensor tensor) =>
        Node("Constant", [], [output], new AttributeProto
        {
            Name = "value",
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = OnnxTensors.FromTensor(tensor, output),
        });

    // ---- attributes ------------------------------------------------------------------------------

    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };
}

/// <summary>The graph under construction: nodes, initializers and the names in use.</summary>
internal sealed class ExportGraph(int opset, IEnumerable<string> reservedNames)
{
    private readonly HashSet<string> _names = new(reservedNames, StringComparer.Ordinal);
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);

    public int Opset { get; } = opset;
    public List<NodeProto> Nodes { get; } = [];
    public List<OnnxTensor> Initializers { get; } = [];

    /// <summary>Reserves <paramref name="name"/> (a Caffe2 blob name used as is).</summary>
    public void Reserve(string name) => _names.Add(name);

    /// <summary><paramref name="hint"/>, or <c>hint_1</c>, <c>hint_2</c>... whichever is not taken yet; reserves it.</summary>
    public string Fresh(string hint)
    {
        string name = hint;
        for (int k = 1; !_names.Add(name); k++) name = $"{hint}_{k}";
        return name;
    }

    public string NodeName(string hint)
    {
        string name = hint;
        for (int k = 1; !_nodeNames.Add(name); k++) name = $"{hint}_{k}";
        return name;
    }

    public string AddInitializer(string name, Caffe2Tensor tensor)
    {
        Initializers.Add(OnnxTensors.FromTensor(tensor, name));
        return name;
    }
}
