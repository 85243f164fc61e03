// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Onnx.Import;

/// <summary>
/// What the importer knows while it walks the graph: the two nets it writes, the values defined
/// so far, the shapes it could infer (the Caffe2 schemas' inference over the emitted operators,
/// from the declared input shapes and the constants), and the constant values (initializers,
/// Constant nodes, and operators whose inputs are all constants, folded at import).
/// </summary>
internal sealed class ImportState
{
    private readonly OperatorCatalog _catalog;
    private readonly NetDef _init, _predict;
    private readonly HashSet<string> _defined = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TensorShape> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _constants = new(StringComparer.Ordinal);
    private readonly List<string> _initOrder = [];
    private Workspace? _foldSpace;

    public ImportState(OperatorCatalog catalog, long opset, string source, string graphName)
    {
        _catalog = catalog;
        Opset = opset;
        Source = source;
        string name = string.IsNullOrEmpty(graphName) ? "onnx" : graphName;
        _init = new NetDef { Name = name + "_init" };
        _predict = new NetDef { Name = name };
    }

    public long Opset { get; }

    public string Source { get; }

    public OperatorCatalog Catalog => _catalog;

    public bool IsDefined(string value) => _defined.Contains(value);

    public Tensor? Constant(string value) => _constants.GetValueOrDefault(value);

    public TensorShape? Shape(string value) => _shapes.GetValueOrDefault(value);

    public void Define(string value)
    {
        _defined.Add(value);
        _names.Add(value);
    }

    public void Reserve(string name) => _names.Add(name);

    /// <summary>A name no value of the graph uses and none made so far.</summary>
    public string Fresh(string baseName)
    {
        string name = baseName;
        for (int k = 1; _names.Contains(name); k++) name = $"{baseName}_{k}";
        _names.Add(name);
        return name;
    }

    public void AddInitializer(string name, Tensor value)
    {
        Define(name);
        SetConstant(name, value);
    }

    public void AddInput(OnnxValueInfo info)
    {
        Define(info.Name);
        if (info.Dims is { } dims && dims.All(d => d is not null) && info.DataType != DataType.Undefined)
            _shapes[info.Name] = TensorShape.Create(dims.Select(d => d!.Value), info.DataType);
    }

    /// <summary>Adds a constant under a fresh name (a fill in the init net) and returns the name.</summary>
    public string AddConstant(string baseName, Tensor value)
    {
        string name = Fresh(baseName);
        Define(name);
        SetConstant(name, value);
        return name;
    }

    private void SetConstant(string name, Tensor value)
    {
        _constants[name] = value;
        _shapes[name] = TensorShape.Create(value.Shape, value.DataType);
        if (!_initOrder.Contains(name)) _initOrder.Add(name);
    }

    /// <summary>
    /// Adds <paramref name="op"/> to the predict net, or, when every input is a constant (and it
    /// has inputs), runs it now and keeps its outputs as constants. Then infers its outputs' shapes.
    /// </summary>
    public void Emit(OperatorDef op)
    {
        foreach (var o in op.Output) Define(o);
        if (op.Input.Count > 0 && op.Input.All(i => _constants.ContainsKey(i)))
        {
            Fold(op);
            return;
        }
        _predict.Op.Add(op);
        Infer(op);
    }

    private void Fold(OperatorDef op)
    {
        var ws = _foldSpace ??= new Workspace(_catalog);
        foreach (var i in op.Input) ws.FeedBlob(i, _constants[i]);
        ws.RunOperatorOnce(op);
        foreach (var o in op.Output)
            if (ws.GetBlob(o)?.Value is Tensor t) SetConstant(o, t.Clone());
        foreach (var name in op.Input.Concat(op.Output).Distinct(StringComparer.Ordinal)) ws.RemoveBlob(name);
    }

    private void Infer(OperatorDef op)
    {
        var schema = _catalog.Schemas.Find(op.Type);
        if (schema is null) return;
        var inputs = new List<TensorShape>(op.Input.Count);
        foreach (var i in op.Input)
        {
            if (!_shapes.TryGetValue(i, out var s)) return;
            inputs.Add(s);
        }
        IReadOnlyList<TensorShape> outputs;
        try
        {
            outputs = schema.InferTensor(op, inputs);
        }
        catch (EnforceNotMetException)
        {
            return; // the operator will say what is wrong when it runs
        }
        for (int k = 0; k < outputs.Count && k < op.Output.Count; k++)
            if (!outputs[k].UnknownShape && outputs[k].UnknownDims.Count == 0 && outputs[k].DataType != DataType.Undefined)
                _shapes[op.Output[k]] = outputs[k];
    }

    /// <summary>The two nets: the init net fills every constant the predict net reads.</summary>
    public (NetDef Init, NetDef Predict) Finish(IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        var read = new HashSet<string>(_predict.Op.SelectMany(o => o.Input), StringComparer.Ordinal);
        var outputList = outputs.ToList();
        foreach (var name in _initOrder)
        {
            if (!read.Contains(name) && !outputList.Contains(name)) continue;
            _init.Op.Add(Operators.Fill.FillOperators.GivenTensorFillFor(name, _constants[name]));
            _init.ExternalOutput.Add(name);
        }
        _predict.ExternalInput.AddRange(inputs);
        _predict.ExternalInput.AddRange(_init.ExternalOutput);
        // An output that is a constant (or an input) still has to exist in the predict net's
        // workspace: the init net writes constants there, inputs are fed.
        _predict.ExternalOutput.AddRange(outputList);
        return (_init, _predict);
    }
}
