// Hand-written.
using System.Reflection;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using OnnxTensorShape = Caffe2Sharp.Onnx.Proto.TensorShapeProto;

namespace Caffe2Sharp.Onnx.Export;

/// <summary>
/// Caffe2 -&gt; ONNX: turns a Caffe2 model (an init net that fills the weights and a predict net)
/// into an ONNX <see cref="ModelProto"/>, operator by operator through one mapping table keyed by
/// Caffe2 operator type (<see cref="SupportedOperators"/>), in the manner of Caffe2's own
/// <c>caffe2.python.onnx.frontend</c>.
/// </summary>
/// <remarks>
/// <para><b>Values.</b> The init net is run once in a workspace; each blob it writes that the
/// predict net reads becomes an initializer (<see cref="OnnxTensors.FromTensor"/>), except one the
/// caller gives a shape for in <c>inputShapes</c>, which is a graph input (SqueezeNet's init net
/// fills its <c>data</c> input with a placeholder). The other external inputs the predict net reads
/// are graph inputs and need a shape. Shapes and element types of every blob come from
/// <see cref="NetAnalysis"/> over the predict net; graph inputs and outputs carry them.</para>
/// <para><b>Names.</b> ONNX values are written once, so a blob a Caffe2 op writes again (in-place
/// Relu, Reshape) gets a fresh name for every version but its last; the net's external outputs keep
/// their Caffe2 names. Nodes are named after their Caffe2 op (<c>Type_index</c> when unnamed).</para>
/// <para><b>Opsets.</b> <see cref="MinOpset"/> (11) to <see cref="MaxOpset"/> (21); default 17.
/// Below 13 Softmax is emitted at the Caffe2 axis (ONNX then coerces to 2-D as Caffe2 does), and
/// Squeeze/Unsqueeze/Split take their axes and sizes as attributes; from 13 as inputs, and a Softmax
/// over a non-last axis becomes Flatten, Softmax, Reshape. Opsets below 11 (Clip with attribute
/// bounds, Resize without coordinate modes) are refused with an <see cref="ArgumentOutOfRangeException"/>.</para>
/// <para><b>Errors.</b> Every operator without a mapping and every argument combination ONNX cannot
/// express is collected first and reported at once in one <see cref="OnnxExportException"/>, each
/// with the op's index, type and name.</para>
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The default operator set: 17.</summary>
    public const int DefaultOpset = 17;

    /// <summary>The lowest operator set the exporter writes.</summary>
    public const int MinOpset = 11;

    /// <summary>The highest operator set the exporter writes.</summary>
    public const int MaxOpset = 21;

    /// <summary>The producer name written into every model.</summary>
    public const string ProducerName = "Caffe2Sharp";

    private static readonly Lazy<OperatorCatalog> StandardCatalog = new(() => new OperatorCatalog().AddStandardOperators());

    /// <summary>The Caffe2 operator types the exporter maps, in ordinal order.</summary>
    public static IReadOnlyList<string> SupportedOperators { get; } = [.. OperatorConverters.Table.Keys.Order(StringComparer.Ordinal)];

    /// <summary>True when <paramref name="operatorType"/> has an ONNX export mapping.</summary>
    public static bool Supports(string operatorType) => OperatorConverters.Table.ContainsKey(operatorType);

    /// <summary>
    /// The model <c>ir_version</c> that goes with <paramref name="opset"/> (ONNX's versioning table:
    /// opset 11 -&gt; 6, 12-14 -&gt; 7, 15-18 -&gt; 8, 19-20 -&gt; 9, 21 -&gt; 10).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The opset is outside <see cref="MinOpset"/>..<see cref="MaxOpset"/>.</exception>
    public static long IrVersionFor(int opset) => opset switch
    {
        11 => 6,
        >= 12 and <= 14 => 7,
        >= 15 and <= 18 => 8,
        19 or 20 => 9,
        21 => 10,
        _ => throw new ArgumentOutOfRangeException(nameof(opset), opset, $"The exporter writes ONNX opsets {MinOpset} to {MaxOpset}."),
    };

    /// <summary>Exports a Caffe2 model to ONNX.</summary>
    /// <param name="init">The init net (weights); may be empty.</param>
    /// <param name="predict">The predict net.</param>
    /// <param name="inputShapes">The shape and element type of each graph input the caller will feed (a placeholder the init net fills counts as an input when it is named here).</param>
    /// <param name="options">The opset, catalog and graph name; null for the defaults.</param>
    /// <returns>The model: graph inputs, initializers, nodes, outputs with shapes, opset import and ir_version.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The opset is outside <see cref="MinOpset"/>..<see cref="MaxOpset"/>.</exception>
    /// <exception cref="OnnxExportException">One or more operators cannot be exported; all are listed.</exception>
    /// <exception cref="EnforceNotMetException">The init net fails to run, or one of its tensors has no ONNX element type.</exception>
    public static ModelProto Export(NetDef init, NetDef predict, IReadOnlyDictionary<string, TensorShape> inputShapes, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(init);
        ArgumentNullException.ThrowIfNull(predict);
        ArgumentNullException.ThrowIfNull(inputShapes);
        options ??= new OnnxExportOptions();
        long irVersion = IrVersionFor(options.Opset);
        var catalog = options.Catalog ?? StandardCatalog.Value;
        var problems = new List<OnnxExportProblem>();

        // Every operator type without a mapping, all at once, before anything runs.
        for (int k = 0; k < predict.Op.Count; k++)
        {
            var op = predict.Op[k];
            if (!Supports(op.Type)) problems.Add(new OnnxExportProblem(k, op.Type, op.Name, $"no ONNX export mapping for operator type '{op.Type}'.", NoMapping: true));
        }
        if (problems.Count > 0) throw new OnnxExportException(predict.DisplayName, problems);

        // The weights: whatever the init net writes.
        var workspace = new Workspace(catalog);
        if (init.Op.Count > 0) workspace.RunNetOnce(init);
        var initBlobs = init.Op.SelectMany(o => o.Output).Distinct(StringComparer.Ordinal).ToList();

        var read = new HashSet<string>(predict.Op.SelectMany(o => o.Input), StringComparer.Ordinal);
        var graph = new ExportGraph(options.Opset, AllNames(init, predict, inputShapes));
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        var graphInputs = new List<ValueInfoProto>();

        foreach (var name in ExternalInputs(predict))
        {
            if (current.ContainsKey(name) || !read.Contains(name)) continue; // listed twice, or never read: nothing to feed
            if (inputShapes.TryGetValue(name, out var shape))
            {
                var s = shape.Clone();
                if (s.DataType == DataType.Undefined) s.DataType = DataType.Float;
                shapes[name] = s;
                current[name] = name;
                graphInputs.Add(ValueInfo(name, s, problems));
            }
            else if (initBlobs.Contains(name)) continue; // an initializer, below
            else problems.Add(new OnnxExportProblem(-1, "", "", $"input '{name}' has no shape: give it in inputShapes."));
        }
        foreach (var name in initBlobs)
        {
            if (current.ContainsKey(name) || !read.Contains(name)) continue;
            var tensor = workspace.FetchBlob(name);
            graph.AddInitializer(name, tensor);
            shapes[name] = TensorShape.Create(tensor.Shape, tensor.DataType);
            current[name] = name;
        }
        var constants = new HashSet<string>(current.Keys, StringComparer.Ordinal); // inputs and initializers: never rewritten under their name

        var analysis = NetAnalysis.Analyze(predict, shapes, catalog.Schemas);
        var externalOutputs = new HashSet<string>(predict.ExternalOutput, StringComparer.Ordinal);
        var lastWrite = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < predict.Op.Count; k++)
            foreach (var o in predict.Op[k].Output) lastWrite[o] = k;

        for (int k = 0; k < predict.Op.Count; k++)
        {
            var op = predict.Op[k];
            var inputs = new string[op.Input.Count];
            var inputShapesOfOp = new TensorShape?[op.Input.Count];
            for (int i = 0; i < inputs.Length; i++)
            {
                string blob = op.Input[i];
                if (!current.TryGetValue(blob, out var value))
                {
                    problems.Add(new OnnxExportProblem(k, op.Type, op.Name, $"input '{blob}' is neither a graph input, an initializer nor an earlier op's output."));
                    value = blob;
                }
                inputs[i] = value;
                inputShapesOfOp[i] = shapes.GetValueOrDefault(blob);
            }
            var outputs = new string[op.Output.Count];
            var used = new bool[op.Output.Count];
            for (int o = 0; o < outputs.Length; o++)
            {
                string blob = op.Output[o];
                bool last = lastWrite[blob] == k && !constants.Contains(blob) && !outputs.Take(o).Contains(blob);
                outputs[o] = last ? blob : graph.Fresh(blob);
                used[o] = IsRead(predict, k, blob, externalOutputs);
            }
            try
            {
                OperatorConverters.Table[op.Type](new OpExportContext(graph, op, k, inputs, inputShapesOfOp, outputs, used));
            }
            catch (EnforceNotMetException e)
            {
                string inference = analysis.Problems.FirstOrDefault(p => p.OpIndex == k).Reason is { } why ? $" (shape inference: {why})" : "";
                problems.Add(new OnnxExportProblem(k, op.Type, op.Name, e.Message + inference));
            }
            for (int o = 0; o < outputs.Length; o++)
            {
                current[op.Output[o]] = outputs[o];
                shapes[op.Output[o]] = analysis.OpOutputShapes[k][o];
            }
        }

        var graphOutputs = new List<ValueInfoProto>();
        foreach (var name in predict.ExternalOutput.Distinct(StringComparer.Ordinal))
        {
            if (!current.TryGetValue(name, out var value))
                problems.Add(new OnnxExportProblem(-1, "", "", $"output '{name}' is neither produced by an op nor an input."));
            else if (value != name)
                problems.Add(new OnnxExportProblem(-1, "", "", $"output '{name}' is an input or initializer that an op rewrites; its last version cannot keep the name."));
            else
            {
                var shape = shapes.GetValueOrDefault(name) ?? TensorShape.Unknown();
                if (shape.DataType == DataType.Undefined && lastWrite.TryGetValue(name, out int writer))
                {
                    // Say why inference lost it: the first problem at or before the op that wrote it.
                    var (index, reason) = analysis.Problems.LastOrDefault(p => p.OpIndex <= writer);
                    problems.Add(new OnnxExportProblem(-1, "", "", $"the element type of output '{name}' is not known" +
                        (reason is null ? "." : $": shape inference failed at op #{index} {predict.Op[index].Type}: {reason}")));
                }
                else graphOutputs.Add(ValueInfo(name, shape, problems));
            }
        }
        if (problems.Count > 0) throw new OnnxExportException(predict.DisplayName, problems);

        var g = new GraphProto { Name = options.GraphName ?? (string.IsNullOrEmpty(predict.Name) ? "caffe2sharp" : predict.Name) };
        g.Input.AddRange(graphInputs);
        g.Output.AddRange(graphOutputs);
        g.Initializer.AddRange(graph.Initializers);
        g.Node.AddRange(graph.Nodes);
        var model = new ModelProto
        {
            IrVersion = irVersion,
            ProducerName = ProducerName,
            ProducerVersion = typeof(OnnxExporter).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            Graph = g,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        return model;
    }

    // The predict net's external inputs; with none declared, every blob read before any op writes it.
    private static IEnumerable<string> ExternalInputs(NetDef predict)
    {
        if (predict.ExternalInput.Count > 0) return predict.ExternalInput;
        var written = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var op in predict.Op)
        {
            foreach (var i in op.Input)
                if (!written.Contains(i) && !result.Contains(i)) result.Add(i);
            foreach (var o in op.Output) written.Add(o);
        }
        return result;
    }

    private static IEnumerable<string> AllNames(NetDef init, NetDef predict, IReadOnlyDictionary<string, TensorShape> inputShapes) =>
        init.Op.SelectMany(o => o.Output).Concat(predict.Op.SelectMany(o => o.Input.Concat(o.Output)))
            .Concat(predict.ExternalInput).Concat(predict.ExternalOutput).Concat(inputShapes.Keys);

    // Whether op k's output blob is read before it is written again, or is a net output (its last write).
    private static bool IsRead(NetDef predict, int k, string blob, HashSet<string> externalOutputs)
    {
        for (int j = k + 1; j < predict.Op.Count; j++)
        {
            if (predict.Op[j].Input.Contains(blob)) return true;
            if (predict.Op[j].Output.Contains(blob)) return false;
        }
        return externalOutputs.Contains(blob);
    }

    private static ValueInfoProto ValueInfo(string name, TensorShape shape, List<OnnxExportProblem> problems)
    {
        var tensorType = new TypeProto.Types.Tensor();
        if (OnnxTensors.OnnxTypeOf(shape.DataType) is { } elem) tensorType.ElemType = elem;
        else problems.Add(new OnnxExportProblem(-1, "", "", $"'{name}' has element type {DataTypes.Name(shape.DataType)}, which ONNX has no equivalent of (or shape inference could not tell it)."));
        if (!shape.UnknownShape)
        {
            tensorType.Shape = new OnnxTensorShape();
            foreach (var d in shape.Dims) tensorType.Shape.Dim.Add(new OnnxTensorShape.Types.Dimension { DimValue = d });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
