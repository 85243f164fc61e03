// Hand-written.
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.TextFormat;
using Google.Protobuf;
using OnnxTensor = Caffe2Sharp.Onnx.Proto.TensorProto;

namespace Caffe2Sharp.Onnx.Import;

/// <summary>A graph input or output of an imported model: its name, element type and dims as the model declares them.</summary>
/// <param name="Name">The value's name (the blob's name in the imported nets).</param>
/// <param name="DataType">The element type, <see cref="DataType.Undefined"/> when the model gives none.</param>
/// <param name="Dims">The dims, null when the model gives no shape; an entry is null where the dim is symbolic (<c>dim_param</c>) or missing.</param>
public sealed record OnnxValueInfo(string Name, DataType DataType, IReadOnlyList<long?>? Dims)
{
    /// <summary>Readable form, e.g. <c>FLOAT[N, 3, 224, 224]</c>.</summary>
    public string Describe() =>
        $"{(DataType == DataType.Undefined ? "?" : DataTypes.Name(DataType))}{(Dims is null ? "[?]" : $"[{string.Join(", ", Dims.Select(d => d?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"))}]")}";

    /// <summary>Checks a tensor fed for this input: element type and every fixed dim.</summary>
    /// <exception cref="EnforceNotMetException">The type or a dim differs; the message names the input and both shapes.</exception>
    public void Check(Tensor tensor, string source)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        bool ok = DataType == DataType.Undefined || tensor.DataType == DataType;
        if (ok && Dims is not null)
        {
            ok = tensor.Rank == Dims.Count;
            for (int d = 0; ok && d < Dims.Count; d++) ok = Dims[d] is not { } v || v == tensor.Dims[d];
        }
        if (!ok) throw new EnforceNotMetException($"{source}: input '{Name}' is declared {Describe()}; it was fed {tensor.Describe()}.");
    }
}

/// <summary>An ONNX model imported as a Caffe2 pair of nets.</summary>
/// <param name="Init">The init net: one fill per initializer (and per constant the graph computes from constants).</param>
/// <param name="Predict">The predict net: the graph's nodes as Caffe2 operators; external inputs are the graph inputs and the initializers, external outputs the graph outputs.</param>
/// <param name="Inputs">The graph inputs the caller feeds (initializers excluded), as declared.</param>
/// <param name="Outputs">The graph outputs, as declared.</param>
/// <param name="Opset">The default-domain opset the model was imported at.</param>
public sealed record OnnxImportedModel(NetDef Init, NetDef Predict, IReadOnlyList<OnnxValueInfo> Inputs, IReadOnlyList<OnnxValueInfo> Outputs, long Opset)
{
    /// <summary>
    /// A predictor over the imported nets (the init net runs once into its weights), optimised for
    /// inference by default as for any Caffe2 net pair. Feed it through <see cref="Run"/> to have
    /// the inputs checked against the model's declarations.
    /// </summary>
    public Predictor CreatePredictor(OperatorCatalog catalog, PredictorOptions? options = null, ComputePool? pool = null) =>
        new(catalog, Init, Predict, options, pool);

    /// <summary>Checks <paramref name="feeds"/> (<see cref="CheckInputs"/>), then runs <paramref name="predictor"/> on them.</summary>
    /// <returns>The graph outputs.</returns>
    public IReadOnlyDictionary<string, Tensor> Run(Predictor predictor, IReadOnlyDictionary<string, Tensor> feeds)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        CheckInputs(feeds);
        return predictor.Run(feeds);
    }

    /// <summary>Checks tensors fed for the graph inputs against their declared types and fixed dims.</summary>
    /// <exception cref="EnforceNotMetException">A fed tensor does not match its declaration; the message names the input.</exception>
    public void CheckInputs(IReadOnlyDictionary<string, Tensor> fed, string source = "ONNX model")
    {
        ArgumentNullException.ThrowIfNull(fed);
        foreach (var input in Inputs)
            if (fed.TryGetValue(input.Name, out var t)) input.Check(t, source);
    }
}

/// <summary>Options of <see cref="OnnxImporter"/>.</summary>
public sealed class OnnxImportOptions
{
    /// <summary>The catalog whose schemas infer shapes while importing (some nodes need an input's rank); null for the standard operators.</summary>
    public OperatorCatalog? Catalog { get; init; }

    /// <summary>
    /// Values of graph inputs known when importing (frozen parameters): each becomes a constant like
    /// an initializer, so inputs that Caffe2 takes as arguments (Clip's min and max, axes, scales) fold.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor>? Constants { get; init; }

    /// <summary>The folder tensors with external data are read from (their <c>location</c> may not leave it); null: the model file's folder, or none for an in-memory model.</summary>
    public string? ExternalDataDirectory { get; init; }
}

/// <summary>
/// ONNX -&gt; Caffe2 (Caffe2's <c>caffe2.python.onnx.backend</c>, <c>convert-onnx-to-caffe2</c>):
/// a <see cref="ModelProto"/> becomes an init net (the initializers as fills) and a predict net
/// (each node as Caffe2 operators, through a table keyed by op type whose converters handle each
/// opset's form: attributes that became inputs, changed defaults, ONNX's own type numbers).
/// </summary>
/// <remarks>
/// Opsets <see cref="MinOpset"/> to <see cref="MaxOpset"/> of the default domain (<c>""</c> or
/// <c>ai.onnx</c>; an opset import without a domain is the default one). Model-local functions
/// are inlined. Every problem is collected before anything is returned: one error lists every
/// unsupported node, each with its index, op type, opset and name.
/// <para>Shapes the model fixes (graph inputs declared with fixed dims) are constants to the
/// importer: a Shape of such a value, and the arithmetic on it, fold into the init net. Feed
/// through <see cref="OnnxImportedModel.Run"/> (or check with <see cref="OnnxImportedModel.CheckInputs"/>),
/// so a tensor of another shape is refused rather than run against the folded one; a symbolic
/// dim (<c>dim_param</c>) keeps the Shape operator in the net.</para>
/// </remarks>
public static class OnnxImporter
{
    /// <summary>The oldest default-domain opset imported.</summary>
    public const long MinOpset = 1;

    /// <summary>The newest default-domain opset imported (the newest in ONNX's node tests).</summary>
    public const long MaxOpset = 25;

    /// <summary>The ONNX op types the importer converts.</summary>
    public static IReadOnlyList<string> SupportedOperators => NodeConverters.SupportedOperators;

    /// <summary>Reads a model file: binary protobuf (<c>.onnx</c>), or ONNX's text form (<c>.onnxtxt</c>, <c>.pbtxt</c>, <c>.txt</c>) through the protobuf text format.</summary>
    /// <exception cref="EnforceNotMetException">The file is missing or does not parse; the message names the file.</exception>
    public static ModelProto ReadModel(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new EnforceNotMetException($"{path}: file not found.");
        string ext = Path.GetExtension(path).ToLowerInvariant();
        try
        {
            if (ext is ".onnxtxt" or ".pbtxt" or ".txt" or ".prototxt")
                return ProtoText.Parse<ModelProto>(File.ReadAllText(path), path);
            return ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new EnforceNotMetException($"{path}: not a valid ONNX model (binary protobuf ModelProto): {e.Message}");
        }
        catch (TextFormatException e)
        {
            throw new EnforceNotMetException($"{path}: not a valid ONNX text model: {e.Message}");
        }
    }

    /// <summary>Reads and imports a model file; external data is read from the file's folder.</summary>
    /// <exception cref="EnforceNotMetException">The file does not parse; <see cref="OnnxImportException"/> when nodes cannot be imported. Messages name the file.</exception>
    public static OnnxImportedModel Load(string path, OnnxImportOptions? options = null)
    {
        var model = ReadModel(path);
        options ??= new OnnxImportOptions();
        var withFolder = new OnnxImportOptions
        {
            Catalog = options.Catalog,
            Constants = options.Constants,
            ExternalDataDirectory = options.ExternalDataDirectory ?? Path.GetDirectoryName(Path.GetFullPath(path)),
        };
        return Import(model, withFolder, path);
    }

    /// <summary>Imports <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="options">Catalog and external-data folder; null for the defaults.</param>
    /// <param name="source">Names the model in errors (its file); null for "ONNX model".</param>
    /// <exception cref="OnnxImportException">Nodes cannot be imported, a node reads a value nothing produces (or one produced later: a cycle), the opset is outside the supported range; every problem is listed.</exception>
    public static OnnxImportedModel Import(ModelProto model, OnnxImportOptions? options = null, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxImportOptions();
        source ??= "ONNX model";
        if (options.Constants is { } given)
        {
            var inputNames = model.Graph?.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal) ?? [];
            foreach (var name in given.Keys)
                if (!inputNames.Contains(name)) throw Problem(source, $"OnnxImportOptions.Constants names '{name}', which is not a graph input.");
        }
        var graph = model.Graph ?? throw Problem(source, "the model has no graph.");
        long opset = DefaultOpset(model, source);
        var catalog = options.Catalog ?? StandardCatalog.Value;
        var nodes = FunctionInliner.Inline(model, graph, source);

        var state = new ImportState(catalog, opset, source, graph.Name);
        var problems = new List<OnnxImportProblem>();
        // Every name the graph uses is taken before any converter makes one of its own.
        foreach (var n in nodes)
            foreach (var name in n.Input.Concat(n.Output))
                if (name.Length > 0) state.Reserve(name);
        foreach (var v in graph.Input.Concat(graph.Output)) state.Reserve(v.Name);
        foreach (var init in graph.Initializer) state.Reserve(init.Name);

        // Initializers: fills in the init net, and constants the converters may fold.
        var initializerNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var init in graph.Initializer)
        {
            if (string.IsNullOrEmpty(init.Name)) { problems.Add(Graph("an initializer has no name.")); continue; }
            if (!initializerNames.Add(init.Name)) { problems.Add(Graph($"initializer '{init.Name}' is given twice.")); continue; }
            try
            {
                var tensor = ReadInitializer(init, options.ExternalDataDirectory, source);
                state.AddInitializer(init.Name, tensor);
            }
            catch (EnforceNotMetException e)
            {
                problems.Add(Graph(e.Message));
            }
        }

        // Graph inputs the caller feeds (older models also list their initializers as inputs).
        var inputs = new List<OnnxValueInfo>();
        foreach (var vi in graph.Input)
        {
            if (initializerNames.Contains(vi.Name)) continue;
            var info = ValueInfo(vi);
            if (options.Constants?.TryGetValue(vi.Name, out var frozen) == true)
            {
                try
                {
                    info.Check(frozen, source);
                    state.AddInitializer(vi.Name, frozen.Clone());
                }
                catch (EnforceNotMetException e)
                {
                    problems.Add(Graph(e.Message));
                }
                continue;
            }
            inputs.Add(info);
            state.AddInput(info);
        }

        for (int k = 0; k < nodes.Count; k++)
        {
            var node = nodes[k];
            var ctx = new NodeContext(state, node, k);
            // Every input must exist by now: produced by an earlier node, an initializer or an input.
            var missing = node.Input.Where(i => i.Length > 0 && !state.IsDefined(i)).ToList();
            if (missing.Count > 0)
            {
                string what = string.Join(", ", missing.Select(m => $"'{m}'"));
                bool later = missing.Any(m => nodes.Skip(k).Any(n => n.Output.Contains(m)));
                problems.Add(ctx.Problem(later
                    ? $"reads {what}, which only a later node produces (the graph has a cycle or is not in topological order)."
                    : $"reads {what}, which no node, initializer or graph input produces."));
                ctx.DefineOutputsUnknown();
                continue;
            }
            if (node.Domain is { Length: > 0 } d && d != "ai.onnx")
            {
                problems.Add(ctx.Problem($"domain '{d}' is not imported (only the default ONNX domain).", unsupported: true));
                ctx.DefineOutputsUnknown();
                continue;
            }
            if (!NodeConverters.TryGet(node.OpType, opset, out var convert, out string why))
            {
                problems.Add(ctx.Problem(why, unsupported: true));
                ctx.DefineOutputsUnknown();
                continue;
            }
            try
            {
                convert(ctx);
                var unwritten = node.Output.Where(o => o.Length > 0 && !state.IsDefined(o)).ToList();
                if (unwritten.Count > 0)
                {
                    problems.Add(ctx.Problem($"output(s) {string.Join(", ", unwritten.Select(u => $"'{u}'"))} have no Caffe2 equivalent in this form."));
                    ctx.DefineOutputsUnknown();
                }
            }
            catch (OnnxNodeException e)
            {
                problems.Add(ctx.Problem(e.Message));
                ctx.DefineOutputsUnknown();
            }
            catch (EnforceNotMetException e)
            {
                problems.Add(ctx.Problem(e.Message));
                ctx.DefineOutputsUnknown();
            }
        }

        var outputs = new List<OnnxValueInfo>();
        foreach (var vo in graph.Output)
        {
            if (!state.IsDefined(vo.Name)) problems.Add(Graph($"graph output '{vo.Name}' is produced by no node, initializer or input."));
            outputs.Add(ValueInfo(vo));
        }
        if (problems.Count > 0) throw new OnnxImportException(source, problems);
        var (init2, predict) = state.Finish(inputs.Select(i => i.Name), outputs.Select(o => o.Name));
        return new OnnxImportedModel(init2, predict, inputs, outputs, opset);
    }

    private static OnnxImportProblem Graph(string reason) => new(-1, "", 0, "", reason);

    private static OnnxImportException Problem(string source, string reason) => new(source, [Graph(reason)]);

    // The default domain's opset: "" and "ai.onnx" are the same domain; a model with no opset
    // import at all predates them (opset 1).
    private static long DefaultOpset(ModelProto model, string source)
    {
        var versions = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").Select(o => o.Version).ToList();
        long opset = versions.Count == 0 ? 1 : versions.Max();
        if (opset > MaxOpset)
            throw Problem(source, $"opset {opset} of the default domain is newer than this importer knows ({MinOpset} to {MaxOpset}).");
        if (opset < MinOpset) throw Problem(source, $"opset {opset} of the default domain is invalid.");
        return opset;
    }

    private static OnnxValueInfo ValueInfo(ValueInfoProto vi)
    {
        var type = DataType.Undefined;
        List<long?>? dims = null;
        if (vi.Type?.TensorType is { } tt)
        {
            type = OnnxTensors.Caffe2Type(tt.ElemType) ?? DataType.Undefined;
            if (tt.Shape is { } shape)
                dims = [.. shape.Dim.Select(d => d.HasDimValue && d.DimValue >= 0 ? d.DimValue : (long?)null)];
        }
        return new OnnxValueInfo(vi.Name, type, dims);
    }

    /// <summary>
    /// An initializer's tensor; with external data, the bytes come from <c>location</c> (at
    /// <c>offset</c>, <c>length</c> bytes) inside <paramref name="folder"/>, never outside it.
    /// </summary>
    internal static Tensor ReadInitializer(OnnxTensor proto, string? folder, string source)
    {
        string what = $"initializer '{proto.Name}'";
        if (proto.DataLocation != OnnxTensor.Types.DataLocation.External) return OnnxTensors.ToTensor(proto, what);
        var entries = proto.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!entries.TryGetValue("location", out var location) || location.Length == 0)
            throw new EnforceNotMetException($"{what}: external data without a location.");
        if (folder is null)
            throw new EnforceNotMetException($"{what}: its values are in external file '{location}', and the model was not read from a folder (set OnnxImportOptions.ExternalDataDirectory).");
        string root = Path.GetFullPath(folder);
        string file = Path.GetFullPath(Path.Combine(root, location));
        string rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(location) || !file.StartsWith(rootWithSeparator, StringComparison.Ordinal))
            throw new EnforceNotMetException($"{what}: external data location '{location}' leaves the model's folder '{root}'; refused.");
        if (!File.Exists(file)) throw new EnforceNotMetException($"{what}: external data file '{location}' not found in '{root}'.");
        long offset = entries.TryGetValue("offset", out var o) ? ParseLong(o, "offset", what) : 0;
        using var stream = File.OpenRead(file);
        long length = entries.TryGetValue("length", out var l) ? ParseLong(l, "length", what) : stream.Length - offset;
        if (offset < 0 || length < 0 || offset + length > stream.Length)
            throw new EnforceNotMetException($"{what}: external data [{offset}, {offset + length}) lies outside '{location}' ({stream.Length} bytes).");
        if (length > int.MaxValue) throw new EnforceNotMetException($"{what}: {length} bytes of external data are too many for one tensor.");
        var bytes = new byte[length];
        stream.Position = offset;
        stream.ReadExactly(bytes);
        var inline = proto.Clone();
        inline.ExternalData.Clear();
        inline.DataLocation = OnnxTensor.Types.DataLocation.Default;
        inline.RawData = ByteString.CopyFrom(bytes);
        return OnnxTensors.ToTensor(inline, what);
    }

    private static long ParseLong(string text, string key, string what) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v
            : throw new EnforceNotMetException($"{what}: external data {key} '{text}' is not a non-negative integer.");

    private static class StandardCatalog
    {
        public static readonly OperatorCatalog Value = new OperatorCatalog().AddStandardOperators();
    }
}

/// <summary>A node's own problem, raised by a converter (the importer adds the node's identity).</summary>
internal sealed class OnnxNodeException(string message) : Exception(message);
