// Hand-written.
using System.Globalization;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Runtime;
using AttributeType = Caffe2Sharp.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace Caffe2Sharp.Onnx.Import;

/// <summary>One node being converted: its attributes and inputs, what is known about them, and the operators it becomes.</summary>
internal sealed class NodeContext
{
    private readonly ImportState _state;

    public NodeContext(ImportState state, NodeProto node, int index)
    {
        _state = state;
        Node = node;
        Index = index;
        foreach (var o in node.Output)
            if (o.Length > 0) state.Reserve(o);
    }

    public NodeProto Node { get; }

    public int Index { get; }

    public long Opset => _state.Opset;

    /// <summary>The node's name, or its first output when it has none (how errors and operators name it).</summary>
    public string DisplayName => Node.Name.Length > 0 ? Node.Name : Node.Output.FirstOrDefault(o => o.Length > 0) ?? "";

    public OnnxImportProblem Problem(string reason, bool unsupported = false) =>
        new(Index, Node.OpType, Opset, DisplayName, reason, unsupported);

    /// <summary>Throws this node's problem.</summary>
    public static OnnxNodeException Fail(string reason) => new(reason);

    // ---- inputs and outputs -------------------------------------------------------------------

    /// <summary>Input <paramref name="i"/>, or null when absent (past the end, or the empty name ONNX uses for a skipped optional input).</summary>
    public string? In(int i) => i < Node.Input.Count && Node.Input[i].Length > 0 ? Node.Input[i] : null;

    public string Input(int i) => In(i) ?? throw Fail($"input {i} is required.");

    public string? Out(int i) => i < Node.Output.Count && Node.Output[i].Length > 0 ? Node.Output[i] : null;

    public string Output(int i) => Out(i) ?? throw Fail($"output {i} is required.");

    public int InputCount => Node.Input.Count;

    /// <summary>Requires between <paramref name="min"/> and <paramref name="max"/> inputs and at most <paramref name="maxOutputs"/> outputs.</summary>
    public void Arity(int min, int max, int maxOutputs = 1)
    {
        if (Node.Input.Count < min || Node.Input.Count > max)
            throw Fail($"has {Node.Input.Count} inputs; {(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {max}")} expected.");
        if (Node.Output.Count < 1 || Node.Output.Count > maxOutputs)
            throw Fail($"has {Node.Output.Count} outputs; 1{(maxOutputs > 1 ? $" to {maxOutputs}" : "")} expected.");
    }

    public Tensor? Constant(string? value) => value is null ? null : _state.Constant(value);

    public TensorShape? Shape(string? value) => value is null ? null : _state.Shape(value);

    /// <summary>The rank of <paramref name="value"/>, when its shape is known.</summary>
    public int? Rank(string? value) => Shape(value) is { } s ? s.Dims.Count : null;

    public int RequireRank(string value, string why) =>
        Rank(value) ?? throw Fail($"{why} needs the rank of '{value}', and its shape is not known here (declare the graph input's shape).");

    /// <summary>The values of a constant input as int64 (INT32 or INT64), or null when not constant.</summary>
    public long[]? ConstantInts(string? value)
    {
        if (Constant(value) is not { } t) return null;
        return t.DataType switch
        {
            DataType.Int64 => t.ToArray<long>(),
            DataType.Int32 => [.. t.ToArray<int>().Select(v => (long)v)],
            _ => throw Fail($"input '{value}' is {t.Describe()}; INT64 values expected."),
        };
    }

    /// <summary>A constant input that a Caffe2 argument must hold (an attribute that became an input in a later opset).</summary>
    public Tensor RequireConstant(string value, string what) =>
        Constant(value) ?? throw Fail($"{what} ('{value}') must be a constant (an initializer or a Constant node): Caffe2 takes it as an argument.");

    // ---- attributes ---------------------------------------------------------------------------

    public AttributeProto? Attr(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name);

    public bool Has(string name) => Attr(name) is not null;

    /// <summary>Fails on any attribute not in <paramref name="known"/>, so none is silently ignored.</summary>
    public void Allow(params string[] known)
    {
        var unknown = Node.Attribute.Where(a => !known.Contains(a.Name)).Select(a => a.Name).ToList();
        if (unknown.Count > 0) throw Fail($"attribute(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} not supported by the importer of {Node.OpType}.");
    }

    public long Int(string name, long fallback) => Attr(name) is { } a ? Expect(a, AttributeType.Int).I : fallback;

    public float Float(string name, float fallback) => Attr(name) is { } a ? Expect(a, AttributeType.Float).F : fallback;

    public string String(string name, string fallback) => Attr(name) is { } a ? Expect(a, AttributeType.String).S.ToStringUtf8() : fallback;

    public long[]? Ints(string name) => Attr(name) is { } a ? [.. Expect(a, AttributeType.Ints).Ints] : null;

    public float[]? Floats(string name) => Attr(name) is { } a ? [.. Expect(a, AttributeType.Floats).Floats] : null;

    private AttributeProto Expect(AttributeProto a, AttributeType type)
    {
        // Old writers leave `type` unset (UNDEFINED); then the field that is set decides.
        if (a.Type != AttributeType.Undefined && a.Type != type)
            throw Fail($"attribute '{a.Name}' is {a.Type}; {type} expected.");
        return a;
    }

    // ---- emitting -----------------------------------------------------------------------------

    /// <summary>Adds <paramref name="op"/> (built by hand) to the net.</summary>
    public void Add(OperatorDef op) => _state.Emit(op);

    /// <summary>Creates an operator named after the node, with its arguments, and adds it (or folds it, when its inputs are all constants).</summary>
    public OperatorDef Op(string type, IEnumerable<string> inputs, IEnumerable<string> outputs, params (string Name, object Value)[] args)
    {
        var op = OperatorDef.Create(type, Node.Name, inputs, outputs);
        foreach (var (name, value) in args) SetArg(op, name, value);
        _state.Emit(op);
        return op;
    }

    internal static void SetArg(OperatorDef op, string name, object value)
    {
        switch (value)
        {
            case int i: op.SetArgument(name, (long)i); break;
            case long l: op.SetArgument(name, l); break;
            case float f: op.SetArgument(name, f); break;
            case double d: op.SetArgument(name, (float)d); break;
            case string s: op.SetArgument(name, s); break;
            case long[] ls: op.SetRepeatedArgument(name, ls); break;
            case int[] isx: op.SetRepeatedArgument(name, isx.Select(v => (long)v)); break;
            case float[] fs: op.SetRepeatedArgument(name, fs); break;
            default: throw new ArgumentException($"argument '{name}': unsupported value type {value.GetType().Name}.");
        }
    }

    /// <summary>A new value name for an intermediate this node makes.</summary>
    public string Fresh(string suffix) => _state.Fresh($"{DisplayName}_{suffix}");

    /// <summary>A constant made by the importer (a fill in the init net).</summary>
    public string AddConstant(string suffix, Tensor value) => _state.AddConstant($"{DisplayName}_{suffix}", value);

    /// <summary>Defines output <paramref name="name"/> as a constant (a Constant node): a fill in the init net.</summary>
    public void DefineConstant(string name, Tensor value) => _state.AddInitializer(name, value);

    /// <summary>Marks the node's outputs defined (for those a converter did not write: later nodes then report their own problems, not this one's).</summary>
    public void DefineOutputsUnknown()
    {
        foreach (var o in Node.Output)
            if (o.Length > 0 && !_state.IsDefined(o)) _state.Define(o);
    }
}
