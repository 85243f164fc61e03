// Hand-written.
using Caffe2Sharp.Kernels;
namespace Caffe2Sharp.Runtime;

/// <summary>Options of a <see cref="Predictor"/>.</summary>
public sealed class PredictorOptions
{
    /// <summary>
    /// Declared shapes and types of inputs, by input name; they take precedence over the net's
    /// <see cref="Predictor.InputShapeInfoArgument"/> argument. A negative dim accepts any size;
    /// a shape with <c>unknown_shape</c> set checks only the type.
    /// </summary>
    public IReadOnlyDictionary<string, TensorShape>? InputShapes { get; init; }

    /// <summary>
    /// When set, the init and predict nets run on this device (a <see cref="DeviceTypeProto"/>
    /// value) whatever their <c>device_option</c>s say (<see cref="NetDef.OnDevice"/>): set
    /// <c>(int)DeviceTypeProto.ProtoCpu</c> to run a net exported from GPU training on the CPU.
    /// </summary>
    public int? Device { get; init; }

    /// <summary>
    /// Optimise the predict net for inference (default true): the catalog's passes (SpatialBN
    /// folded into Conv, test-mode Dropout dropped, ...) and activation buffers reused once their
    /// last reader has run (<see cref="InferenceOptimizer"/>). Outputs agree with the unoptimised
    /// net within 1e-4 relative; the weights are not changed (folded weights are new blobs).
    /// </summary>
    public bool Optimize { get; init; } = true;

    /// <summary>
    /// With <see cref="Optimize"/>, also run the <see cref="NetPassStage.Layout"/> passes (default
    /// true), such as the blocked-channel (NCHWc) convolution and pooling kernels; false keeps every
    /// tensor in the net's own layout (for comparing layouts, or fetching intermediates freely).
    /// </summary>
    public bool OptimizeLayout { get; init; } = true;

    /// <summary>
    /// Blobs besides the outputs that must stay fetchable after a run (<see cref="Predictor.Fetch"/>):
    /// the optimiser keeps their names and values. Fetching any other intermediate of an optimised
    /// net may be an error (never stale data).
    /// </summary>
    public IReadOnlyCollection<string>? KeepBlobs { get; init; }
}

/// <summary>
/// Runs a predict net on inputs and returns its outputs (Caffe2's <c>Predictor</c>). The init net
/// runs once into a parent workspace that then holds the weights; each predictor owns a child
/// workspace (see the remarks of <see cref="Runtime.Workspace"/> on parents) and the predict net created in it.
/// </summary>
/// <remarks>
/// <para>
/// <b>Inputs</b> are the predict net's external inputs that some op reads and that the weights
/// workspace does not hold (after the init net ran); when the net declares no external inputs, the blobs its ops read
/// before any op writes them, minus the weights. <see cref="Run(Tensor[])"/> takes them in that
/// order. Shapes and types are checked when declared, by <see cref="PredictorOptions.InputShapes"/>
/// or by the net argument <see cref="InputShapeInfoArgument"/>; otherwise the operators check what
/// they are fed. An external input that the weights workspace holds (an init net may fill the
/// data input with a placeholder, as real SqueezeNet init nets do) and that no op of the net
/// writes is an <see cref="OptionalInputNames">optional input</see>: <see cref="Run(IReadOnlyDictionary{string, Tensor})"/>
/// may feed it by name, and the fed value replaces the weights' for that run only (the weights
/// are never written; the predictor's workspace shows the fed value until the next run). <b>Outputs</b> are the net's external outputs, or the last op's outputs when it
/// declares none, returned as copies the caller owns.
/// </para>
/// <para>
/// <b>Threads.</b> One predictor runs on one thread at a time (a second caller waits). For
/// parallel requests use one predictor per thread, made with <see cref="CreateSibling"/>: siblings
/// share the weights, read-only, and each has its own activations. Nothing may write the weights
/// workspace while predictors run.
/// </para>
/// </remarks>
public sealed class Predictor
{
    /// <summary>
    /// The predict net argument that may declare input shapes and types: its <c>tensors</c> are
    /// TensorProtos with a name, dims (negative = any size) and data_type, and no data.
    /// </summary>
    public const string InputShapeInfoArgument = "input_shape_info";

    private readonly Lock _gate = new();
    private readonly Plan _plan;
    private readonly NetDef _def;
    private readonly PredictorOptions _options;
    private readonly string[] _inputs;
    private readonly string[] _outputs;
    private readonly Blob[] _inputBlobs;
    private readonly TensorShape?[] _declared;
    private readonly string[] _optional;
    private readonly Blob[] _optionalBlobs;
    private readonly Tensor[] _optionalDefaults;
    private readonly Tensor?[] _optionalFed;
    private readonly bool[] _optionalInUse;

    /// <summary>
    /// Creates a weights workspace over <paramref name="catalog"/> (its operators borrowing threads
    /// from <paramref name="pool"/>, the runtime's; none: the caller's thread only), runs
    /// <paramref name="init"/> into it once, and creates <paramref name="predict"/> in a child workspace.
    /// </summary>
    /// <exception cref="OperatorException">The init net failed, or an op of the predict net could not be created.</exception>
    /// <exception cref="EnforceNotMetException">The predict net or the options are invalid.</exception>
    public Predictor(OperatorCatalog catalog, NetDef init, NetDef predict, PredictorOptions? options = null, ComputePool? pool = null)
        : this(new Workspace(catalog ?? throw new ArgumentNullException(nameof(catalog)), pool), init ?? throw new ArgumentNullException(nameof(init)), predict, options)
    {
    }

    /// <summary>
    /// Runs <paramref name="init"/> (when not null) once into <paramref name="weights"/>, then creates
    /// <paramref name="predict"/> in a child of <paramref name="weights"/>. Pass a null init to use
    /// weights loaded some other way.
    /// </summary>
    /// <exception cref="OperatorException">The init net failed, or an op of the predict net could not be created.</exception>
    /// <exception cref="EnforceNotMetException">The predict net or the options are invalid.</exception>
    public Predictor(Workspace weights, NetDef? init, NetDef predict, PredictorOptions? options = null)
        : this(weights ?? throw new ArgumentNullException(nameof(weights)), Prepare(weights, init, predict, options ?? new PredictorOptions()), options ?? new PredictorOptions())
    {
    }

    // What siblings share: the user's net, the net that runs (optimised or not), the workspace of
    // its constants (the weights, or a child of them holding folded weights), and the names.
    private sealed record Plan(NetDef Def, NetDef Run, Workspace Constants, string[] Inputs, string[] Optional, string[] Outputs,
        IReadOnlyDictionary<string, string> Removed, IReadOnlyList<(string Pass, int Rewrites)> Applied);

    private Predictor(Workspace weights, Plan plan, PredictorOptions options)
    {
        Weights = weights;
        _plan = plan;
        _def = plan.Def;
        _options = options;
        _inputs = plan.Inputs;
        _optional = plan.Optional;
        _outputs = plan.Outputs;
        _declared = DeclaredShapes();

        Workspace = new Workspace(plan.Constants);
        _inputBlobs = [.. _inputs.Select(Workspace.CreateBlob)];
        // An optional input gets a blob of this workspace that holds the weights' own tensor (the
        // net's ops bind blobs when it is created, so the blob must exist before); a fed value
        // goes to a tensor of this predictor's, and the weights' tensor is put back after the
        // run. No op writes these names, so the shared tensor is only ever read.
        _optionalDefaults = [.. _optional.Select(n => plan.Constants.GetBlob(n)!.GetTensor())];
        _optionalBlobs = new Blob[_optional.Length];
        for (int k = 0; k < _optional.Length; k++)
        {
            _optionalBlobs[k] = Workspace.CreateBlob(_optional[k]);
            _optionalBlobs[k].Reset(_optionalDefaults[k]);
        }
        _optionalFed = new Tensor?[_optional.Length];
        _optionalInUse = new bool[_optional.Length];
        Net = Workspace.CreateNet(plan.Run);
    }

    private static Plan Prepare(Workspace weights, NetDef? init, NetDef predict, PredictorOptions options)
    {
        ArgumentNullException.ThrowIfNull(predict);
        var def = options.Device is { } device ? predict.OnDevice(device) : predict.Clone();
        if (string.IsNullOrEmpty(def.Name)) def.Name = "predict";
        if (init is not null) weights.RunNetOnce(options.Device is { } d ? init.OnDevice(d) : init);

        var candidates = InputCandidates(def).ToList();
        var written = def.Op.SelectMany(op => op.Output).ToHashSet(StringComparer.Ordinal);
        string[] inputs = [.. candidates.Where(n => !weights.HasBlob(n))];
        string[] outputs = def.ExternalOutput.Count > 0 ? [.. def.ExternalOutput] : def.Op.Count > 0 ? [.. def.Op[^1].Output] : [];
        var optional = candidates.Where(n => weights.GetBlob(n)?.Value is Tensor && !written.Contains(n));
        if (!options.Optimize)
            return new Plan(def, def, weights, inputs, [.. optional], outputs, new Dictionary<string, string>(), []);

        foreach (var keep in options.KeepBlobs ?? [])
            if (!written.Contains(keep) && !candidates.Contains(keep))
                throw new EnforceNotMetException($"Predictor of {def.DisplayName}: PredictorOptions.KeepBlobs names '{keep}', which the net neither reads nor writes.");
        // Folded weights live in a workspace between the weights and the predictors' own (when
        // there are any: otherwise the predictors' workspaces are children of the weights).
        var constants = new Workspace(weights);
        var optimized = InferenceOptimizer.Optimize(weights.Catalog, def, constants,
            [.. inputs, .. outputs, .. options.KeepBlobs ?? []], layout: options.OptimizeLayout);
        if (constants.LocalBlobs.Count == 0) constants = weights;
        var read = optimized.Net.Op.SelectMany(op => op.Input).ToHashSet(StringComparer.Ordinal);
        // An optional input the optimiser folded away (a weight of a folded Conv) cannot be fed.
        return new Plan(def, optimized.Net, constants, inputs, [.. optional.Where(read.Contains)], outputs, optimized.Removed, optimized.Applied);
    }

    /// <summary>
    /// Another predictor of the same net over the same weights (the init net does not run again,
    /// the net is not optimised again), with its own workspace: use one per thread.
    /// </summary>
    public Predictor CreateSibling() => new(Weights, _plan, _options);

    /// <summary>The net that runs: the predict net after <see cref="PredictorOptions.Optimize">optimisation</see>.</summary>
    public NetDef RunNetDef => _plan.Run.Clone();

    /// <summary>The optimisation passes that changed the net, each with how many rewrites it made (empty when not optimised).</summary>
    public IReadOnlyList<(string Pass, int Rewrites)> AppliedOptimizations => _plan.Applied;

    /// <summary>Blobs of the predict net that the optimised net does not hold (buffer reused, folded or dropped), each with why.</summary>
    public IReadOnlyDictionary<string, string> RemovedBlobs => _plan.Removed;

    /// <summary>
    /// A copy of blob <paramref name="name"/> as the last run left it: an output, an input, or an
    /// intermediate the optimiser kept (<see cref="PredictorOptions.KeepBlobs"/>).
    /// </summary>
    /// <exception cref="EnforceNotMetException">The optimised net does not hold the blob (its buffer was reused, or it was folded away), or no such blob exists.</exception>
    public Tensor Fetch(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_gate)
        {
            if (_plan.Removed.TryGetValue(name, out var why))
                throw Error($"blob '{name}' is not kept by the optimised net: {why}. Name it in PredictorOptions.KeepBlobs (the CLI's --output does) or set PredictorOptions.Optimize = false.");
            if (Workspace.GetBlob(name)?.Value is not Tensor t)
                throw Error($"no blob '{name}' holds a tensor after the run.");
            return t.Clone();
        }
    }

    /// <summary>The workspace holding the weights, shared by siblings.</summary>
    public Workspace Weights { get; }

    /// <summary>This predictor's own workspace (a child of <see cref="Weights"/>): inputs and activations.</summary>
    public Workspace Workspace { get; }

    /// <summary>The created predict net; attach observers to it.</summary>
    public NetBase Net { get; }

    /// <summary>The input names, in the order <see cref="Run(Tensor[])"/> takes them.</summary>
    public IReadOnlyList<string> InputNames => _inputs;

    /// <summary>
    /// External inputs that the weights workspace holds and no op writes (such as a data input an
    /// init net fills with a placeholder): <see cref="Run(IReadOnlyDictionary{string, Tensor})"/>
    /// may feed them by name, for one run; when not fed, the weights' values are read.
    /// </summary>
    public IReadOnlyList<string> OptionalInputNames => _optional;

    /// <summary>The output names, in the order <see cref="Run(Tensor[])"/> returns them.</summary>
    public IReadOnlyList<string> OutputNames => _outputs;

    /// <summary>The declared shape of input <paramref name="name"/>, or null when it has none.</summary>
    public TensorShape? DeclaredShape(string name)
    {
        int k = Array.IndexOf(_inputs, name);
        return k < 0 ? null : _declared[k]?.Clone();
    }

    /// <summary>Feeds the inputs by name, runs the net, and returns copies of its outputs by name.</summary>
    /// <exception cref="EnforceNotMetException">An input is unknown, missing, or not of its declared shape or type; the message names it and lists the expected inputs.</exception>
    /// <exception cref="OperatorException">An op failed.</exception>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var name in inputs.Keys)
            if (Array.IndexOf(_inputs, name) < 0 && Array.IndexOf(_optional, name) < 0) throw UnknownInput(name);
        var ordered = new Tensor[_inputs.Length];
        for (int k = 0; k < _inputs.Length; k++)
            ordered[k] = inputs.TryGetValue(_inputs[k], out var t)
                ? t ?? throw Error($"input '{_inputs[k]}' is null.")
                : throw Error($"input '{_inputs[k]}' is missing; expected inputs: {Expected()}.");
        var optional = new Tensor?[_optional.Length];
        for (int k = 0; k < _optional.Length; k++)
            if (inputs.TryGetValue(_optional[k], out var t))
                optional[k] = t ?? throw Error($"input '{_optional[k]}' is null.");
        var results = RunOrdered(ordered, optional);
        var map = new Dictionary<string, Tensor>(_outputs.Length, StringComparer.Ordinal);
        for (int k = 0; k < _outputs.Length; k++) map[_outputs[k]] = results[k];
        return map;
    }

    /// <summary>Feeds the inputs in the order of <see cref="InputNames"/>, runs the net, and returns copies of its outputs in the order of <see cref="OutputNames"/>.</summary>
    /// <exception cref="EnforceNotMetException">The count is wrong, or an input is not of its declared shape or type.</exception>
    /// <exception cref="OperatorException">An op failed.</exception>
    public Tensor[] Run(params Tensor[] inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Length != _inputs.Length)
            throw Error($"expects {_inputs.Length} input(s) ({Expected()}), got {inputs.Length}.");
        for (int k = 0; k < inputs.Length; k++)
            if (inputs[k] is null) throw Error($"input {k} '{_inputs[k]}' is null.");
        return RunOrdered(inputs, null);
    }

    private Tensor[] RunOrdered(Tensor[] inputs, Tensor?[]? optional)
    {
        for (int k = 0; k < inputs.Length; k++) CheckDeclared(k, inputs[k]);
        if (optional is not null)
            for (int k = 0; k < optional.Length; k++)
                if (optional[k] is { } t && t.DataType != _optionalDefaults[k].DataType)
                    throw Error($"optional input '{_optional[k]}' is {t.Describe()}; the weights hold it as {_optionalDefaults[k].Describe()}, so it must be {DataTypes.Info(_optionalDefaults[k].DataType).Name}.");
        lock (_gate)
        {
            for (int k = 0; k < inputs.Length; k++) _inputBlobs[k].GetMutableTensor().CopyFrom(inputs[k]);
            FeedOptional(optional);
            Net.Run();
            var results = new Tensor[_outputs.Length];
            for (int k = 0; k < results.Length; k++)
            {
                var blob = Workspace.GetBlob(_outputs[k]) ?? throw Error($"output blob '{_outputs[k]}' does not exist.");
                if (blob.Value is not Tensor t) throw Error($"output blob '{_outputs[k]}' holds no tensor after the run.");
                results[k] = t.Clone();
            }
            return results;
        }
    }

    // A fed optional input goes to this predictor's own tensor (kept for reuse, so steady state
    // allocates nothing), never into the weights' tensor; one not fed gets the weights' tensor
    // back. The blob keeps what the last run read, so a profile or a fetch after the run sees it.
    private void FeedOptional(Tensor?[]? optional)
    {
        for (int k = 0; k < _optional.Length; k++)
        {
            if (optional?[k] is { } t)
            {
                var own = _optionalFed[k] ??= new Tensor(t.DataType);
                own.CopyFrom(t);
                _optionalBlobs[k].Reset(own);
                _optionalInUse[k] = true;
            }
            else if (_optionalInUse[k])
            {
                _optionalBlobs[k].Reset(_optionalDefaults[k]);
                _optionalInUse[k] = false;
            }
        }
    }

    private void CheckDeclared(int k, Tensor t)
    {
        if (_declared[k] is not { } shape) return;
        bool ok = t.DataType == shape.DataType;
        if (ok && !shape.UnknownShape)
        {
            ok = t.Rank == shape.Dims.Count;
            for (int d = 0; ok && d < t.Rank; d++) ok = shape.Dims[d] < 0 || shape.Dims[d] == t.Dims[d];
        }
        if (!ok) throw Error($"input '{_inputs[k]}' is {t.Describe()}; the net declares {shape.Describe()} (a negative dim is any size).");
    }

    // The names the net reads from outside: its declared external inputs, or else what its ops
    // read before any op of it writes them.
    private static IEnumerable<string> InputCandidates(NetDef def)
    {
        // A declared input that no op reads is not needed (Caffe2's zoo ResNet-50 declares its
        // training queue, gpu_0/imagenet1k_blobs_queue_...): it is neither required nor accepted.
        var readByOps = def.Op.SelectMany(op => op.Input).ToHashSet(StringComparer.Ordinal);
        if (def.ExternalInput.Count > 0) return def.ExternalInput.Distinct(StringComparer.Ordinal).Where(readByOps.Contains);
        var produced = new HashSet<string>(StringComparer.Ordinal);
        var read = new List<string>();
        foreach (var op in def.Op)
        {
            foreach (var input in op.Input)
                if (!produced.Contains(input) && !read.Contains(input)) read.Add(input);
            produced.UnionWith(op.Output);
        }
        return read;
    }

    private TensorShape?[] DeclaredShapes()
    {
        var declared = new TensorShape?[_inputs.Length];
        if (_def.HasArgument(InputShapeInfoArgument))
        {
            foreach (var proto in _def.GetRepeatedArgument<TensorProto>(InputShapeInfoArgument))
            {
                int k = Array.IndexOf(_inputs, proto.Name);
                if (k < 0) throw Error($"argument '{InputShapeInfoArgument}' declares a shape for '{proto.Name}', which is not an input; inputs: {Expected()}.");
                declared[k] = TensorShape.Create(proto.Dims, proto.DataType);
            }
        }
        foreach (var (name, shape) in _options.InputShapes ?? new Dictionary<string, TensorShape>())
        {
            int k = Array.IndexOf(_inputs, name);
            if (k < 0) throw Error($"PredictorOptions.InputShapes declares a shape for '{name}', which is not an input; inputs: {Expected()}.");
            declared[k] = shape?.Clone() ?? throw Error($"PredictorOptions.InputShapes has a null shape for '{name}'.");
        }
        return declared;
    }

    private EnforceNotMetException UnknownInput(string name)
    {
        if (_def.ExternalInput.Contains(name) && !_def.Op.Any(op => op.Input.Contains(name)))
            return Error($"input '{name}' is declared by the net but no op reads it, so it is not an input; expected inputs: {Expected()}.");
        if (_plan.Removed.TryGetValue(name, out var removed) || (Weights.HasBlob(name) && !_plan.Run.Op.Any(op => op.Input.Contains(name)) && _def.Op.Any(op => op.Input.Contains(name))))
            return Error($"input '{name}' cannot be fed: the optimised net no longer reads it ({removed ?? "it was folded into a new constant"}); set PredictorOptions.Optimize = false to feed it.");
        string why = Weights.HasBlob(name) ? $" ('{name}' is held by the weights workspace and an op of the net writes it, or the net does not read it, so it is not an input)" : "";
        return Error($"unknown input '{name}'{why}; expected inputs: {Expected()}.");
    }

    private string Expected() => _inputs.Length == 0 ? "(none)" : string.Join(", ", _inputs);

    private EnforceNotMetException Error(string message) => new($"Predictor of {_def.DisplayName}: {message}");
}
