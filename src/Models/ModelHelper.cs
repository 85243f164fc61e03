// Hand-written.
using Caffe2Sharp.Schema.Builders;

namespace Caffe2Sharp.Models;

/// <summary>
/// Builds a model the way Caffe2's <c>ModelHelper</c> and <c>brew</c> do: each layer method adds its
/// parameter fills to the <see cref="InitNet"/> (with Caffe2's names and default fills) and its
/// operator, with Caffe2's argument names, to the <see cref="PredictNet"/>.
/// <code>
/// var model = new ModelHelper("lenet", seed: 1);
/// var conv = model.Conv("data", "conv1", dimIn: 1, dimOut: 20, kernel: 5);
/// var pool = model.MaxPool(conv, "pool1", kernel: 2, stride: 2);
/// var pred = model.FC(pool, "pred", dimIn: 20 * 12 * 12, dimOut: 10);
/// model.AddExternalOutput(model.Softmax(pred, "softmax"));
/// </code>
/// </summary>
/// <remarks>
/// <para>Names: a layer called <c>conv1</c> creates <c>conv1_w</c> and <c>conv1_b</c>; SpatialBN
/// <c>bn</c> creates <c>bn_s</c>, <c>bn_b</c>, <c>bn_rm</c>, <c>bn_riv</c>; Concat, Dropout, LRN and
/// Reshape name their second output <c>_out_dims</c>, <c>_out_mask</c>, <c>_out_scale</c> and
/// <c>_out_old_shape</c> (brew's <c>"_" + blob_out + suffix</c>). Inside
/// <c>using (model.NameScope("gpu_0")) { ... }</c> every relative name (a string, see
/// <see cref="BlobReference"/>) is prefixed <c>gpu_0/</c>, as Caffe2's multi-GPU nets name blobs;
/// scopes nest with '/'.</para>
/// <para>Defaults are Caffe2's: Conv and FC weights <c>XavierFill</c>, biases <c>ConstantFill</c>
/// 0; SpatialBN scale 1, bias 0, running mean 0, running variance 1. Layout is NCHW, the only one
/// the runtime's vision operators take; every layer that has an <c>order</c> argument gets
/// <c>order: "NCHW"</c>, as brew writes it.</para>
/// <para>External inputs of the predict net: first the blobs read before any op wrote them (the
/// data, in order of first use, plus <see cref="AddExternalInput"/>), then the trainable
/// parameters, then the computed ones (running statistics), each in creation order: the order
/// Caffe2's exported zoo nets list them in.</para>
/// <para>Seeding: with a <c>seed</c>, the init net's <c>device_option.random_seed</c> is set, which
/// every random fill inherits. As in Caffe2, each fill op then starts from the same seed, so two
/// fills of one shape and type draw the same values; without a seed each fill's stream comes from
/// its blob name (still reproducible; see the runtime's <c>RandomFills</c>).</para>
/// <para>This class authors nets only; running them is the runtime's business.</para>
/// </remarks>
public sealed class ModelHelper
{
    private readonly NetBuilder _init;
    private readonly NetBuilder _predict;
    private readonly List<ModelParameter> _parameters = [];
    private readonly HashSet<string> _parameterNames = new(StringComparer.Ordinal);
    private readonly List<string> _inputs = [];
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly List<string> _outputs = [];
    private string _scope = "";

    /// <summary>
    /// Starts a model: the predict net is named <paramref name="name"/> and the init net
    /// <c>name + "_init"</c>, as Caffe2's <c>ModelHelper(name=...)</c> names its
    /// <c>param_init_net</c>.
    /// </summary>
    /// <param name="name">The predict net's name.</param>
    /// <param name="seed">When given, the init net's <c>device_option.random_seed</c>: the random fills become a function of it.</param>
    public ModelHelper(string name = "model", uint? seed = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Seed = seed;
        _init = new NetBuilder(name + "_init");
        if (seed is { } s) _init.Device(new DeviceOption { RandomSeed = s });
        _predict = new NetBuilder(name);
    }

    /// <summary>The predict net's name.</summary>
    public string Name { get; }

    /// <summary>The random seed of the init net, when one was given.</summary>
    public uint? Seed { get; }

    /// <summary>The init net built so far: one fill per parameter, in creation order (a copy).</summary>
    public NetDef InitNet => _init.Build();

    /// <summary>
    /// The predict net built so far (a copy), with its external inputs (inputs, then trainable
    /// parameters, then computed ones) and the external outputs added by <see cref="AddExternalOutput"/>.
    /// </summary>
    public NetDef PredictNet
    {
        get
        {
            var net = _predict.Build();
            net.ExternalInput.AddRange(_inputs);
            net.ExternalInput.AddRange(_parameters.Where(p => !p.IsComputed).Select(p => p.Name));
            net.ExternalInput.AddRange(_parameters.Where(p => p.IsComputed).Select(p => p.Name));
            net.ExternalOutput.AddRange(_outputs);
            return net;
        }
    }

    /// <summary>Every parameter created so far, in creation order.</summary>
    public IReadOnlyList<ModelParameter> Parameters => _parameters;

    /// <summary>The predict net's external inputs that are not parameters, in order of first use.</summary>
    public IReadOnlyList<string> Inputs => _inputs;

    /// <summary>The current name-scope prefix: empty, or the joined scopes and a trailing '/', e.g. <c>gpu_0/</c>.</summary>
    public string CurrentNameScope => _scope;

    /// <summary>
    /// Enters a name scope until the returned handle is disposed: relative blob names get the
    /// prefix <c>name/</c> (after any outer scope's), as under Caffe2's <c>core.NameScope(name)</c>.
    /// An empty <paramref name="name"/> adds nothing.
    /// </summary>
    public IDisposable NameScope(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var previous = _scope;
        _scope = name.Length == 0 ? previous : previous + name + "/";
        return new ScopeExit(this, previous);
    }

    /// <summary>The absolute reference <paramref name="blob"/> names in the current scope.</summary>
    /// <exception cref="ArgumentException"><paramref name="blob"/> is <c>default</c> (no name).</exception>
    public BlobReference Scoped(BlobReference blob)
    {
        if (string.IsNullOrEmpty(blob.Name)) throw new ArgumentException("A blob reference needs a name (default(BlobReference) has none).", nameof(blob));
        return blob.IsAbsolute ? blob : BlobReference.Absolute(_scope + blob.Name);
    }

    /// <summary>
    /// Creates a parameter, as Caffe2's <c>ModelHelper.create_param</c>: adds its fill to the init
    /// net and records it (it becomes an external input of the predict net).
    /// </summary>
    /// <param name="name">The parameter's blob, relative to the current scope unless absolute.</param>
    /// <param name="shape">Its dims.</param>
    /// <param name="initializer">Its fill.</param>
    /// <param name="computed">True for a computed parameter (running statistics), not trained.</param>
    /// <returns>The parameter's absolute reference.</returns>
    /// <exception cref="InvalidOperationException">A parameter of that name already exists.</exception>
    public BlobReference CreateParam(BlobReference name, IReadOnlyList<long> shape, Initializer initializer, bool computed = false)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(initializer);
        var full = Scoped(name).Name;
        if (shape.Any(d => d < 0)) throw new ArgumentException($"Parameter '{full}': dims must not be negative ([{string.Join(", ", shape)}]).", nameof(shape));
        if (!_parameterNames.Add(full)) throw new InvalidOperationException($"Parameter '{full}' already exists in model '{Name}'.");
        if (_known.Contains(full)) throw new InvalidOperationException($"Parameter '{full}': a blob of that name is already used by the predict net.");
        var dims = shape.ToArray();
        _parameters.Add(new ModelParameter(full, dims, initializer, computed));
        _known.Add(full);
        _init.Op(initializer.CreateFill(full, dims));
        return BlobReference.Absolute(full);
    }

    /// <summary>Declares <paramref name="blob"/> an external input of the predict net (once; the data blob is also found on first use).</summary>
    public BlobReference AddExternalInput(BlobReference blob)
    {
        var full = Scoped(blob);
        if (_known.Add(full.Name)) _inputs.Add(full.Name);
        return full;
    }

    /// <summary>Declares external outputs of the predict net.</summary>
    public void AddExternalOutput(params BlobReference[] blobs)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        foreach (var blob in blobs) _outputs.Add(Scoped(blob).Name);
    }

    /// <summary>
    /// Adds any operator to the predict net: names are resolved in the current scope, inputs no op
    /// wrote yet become external inputs.
    /// </summary>
    /// <returns>The absolute references of the outputs.</returns>
    public IReadOnlyList<BlobReference> AddOperator(string type, IEnumerable<BlobReference> inputs, IEnumerable<BlobReference> outputs, params Argument[] args)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var ins = inputs.Select(Scoped).ToArray();
        var outs = outputs.Select(Scoped).ToArray();
        foreach (var input in ins) AddExternalInput(input);
        foreach (var output in outs) _known.Add(output.Name);
        _predict.Op(type, ins.Select(b => b.Name), outs.Select(b => b.Name), null, args);
        return outs;
    }

    // ---- Layers (brew's helpers) ----

    /// <summary>
    /// 2-D convolution, as <c>brew.conv</c>: weight <c>output_w</c> <c>[dimOut, dimIn / group, kernel, kernel]</c>
    /// (XavierFill) and, unless <paramref name="noBias"/>, bias <c>output_b</c> <c>[dimOut]</c> (ConstantFill 0);
    /// <c>Conv(input, w[, b]) -> output</c> with <c>kernel</c>, <c>stride</c>, <c>pad</c>,
    /// <c>group</c> and <c>dilation</c> (each only when not 1) and <c>order</c>.
    /// </summary>
    /// <param name="input">Input blob, NCHW.</param>
    /// <param name="output">Output blob; the parameters are named after it.</param>
    /// <param name="dimIn">Input channels.</param>
    /// <param name="dimOut">Output channels.</param>
    /// <param name="kernel">Square kernel size.</param>
    /// <param name="stride">Step.</param>
    /// <param name="pad">Padding of every side.</param>
    /// <param name="group">Groups; <paramref name="dimIn"/> and <paramref name="dimOut"/> must divide by it.</param>
    /// <param name="dilation">Dilation.</param>
    /// <param name="noBias">Omit the bias (the op then has two inputs).</param>
    /// <param name="weightInit">Weight fill (default XavierFill).</param>
    /// <param name="biasInit">Bias fill (default ConstantFill 0).</param>
    public BlobReference Conv(BlobReference input, BlobReference output, int dimIn, int dimOut, int kernel,
        int stride = 1, int pad = 0, int group = 1, int dilation = 1, bool noBias = false,
        Initializer? weightInit = null, Initializer? biasInit = null)
    {
        Positive(dimIn, nameof(dimIn));
        Positive(dimOut, nameof(dimOut));
        Positive(kernel, nameof(kernel));
        Positive(stride, nameof(stride));
        Positive(group, nameof(group));
        Positive(dilation, nameof(dilation));
        ArgumentOutOfRangeException.ThrowIfNegative(pad);
        if (dimIn % group != 0 || dimOut % group != 0)
            throw new ArgumentException($"Conv '{output}': dimIn {dimIn} and dimOut {dimOut} must both divide by group {group}.", nameof(group));
        var w = CreateParam(Suffix(output, "_w"), [dimOut, dimIn / group, kernel, kernel], weightInit ?? Initializer.Xavier());
        BlobReference[] ins = noBias ? [input, w] : [input, w, CreateParam(Suffix(output, "_b"), [dimOut], biasInit ?? Initializer.Constant(0f))];
        var args = new List<Argument> { Arg("kernel", kernel), Arg("stride", stride), Arg("pad", pad) };
        if (group != 1) args.Add(Arg("group", group));
        if (dilation != 1) args.Add(Arg("dilation", dilation));
        args.Add(Arg("order", "NCHW"));
        return AddOperator("Conv", ins, [output], [.. args])[0];
    }

    /// <summary>
    /// Fully connected, as <c>brew.fc</c>: weight <c>output_w</c> <c>[dimOut, dimIn]</c> (XavierFill),
    /// bias <c>output_b</c> <c>[dimOut]</c> (ConstantFill 0); <c>FC(input, w, b) -> output</c>
    /// (<c>axis</c> only when not 1). FC flattens its input from <paramref name="axis"/>, so a
    /// pooled <c>[N, C, H, W]</c> blob needs no Flatten: <paramref name="dimIn"/> is then <c>C * H * W</c>.
    /// </summary>
    /// <param name="input">Input blob.</param>
    /// <param name="output">Output blob; the parameters are named after it.</param>
    /// <param name="dimIn">Input features (product of the input's dims from <paramref name="axis"/>).</param>
    /// <param name="dimOut">Output features.</param>
    /// <param name="weightInit">Weight fill (default XavierFill).</param>
    /// <param name="biasInit">Bias fill (default ConstantFill 0).</param>
    /// <param name="axis">First input dim of the feature block.</param>
    public BlobReference FC(BlobReference input, BlobReference output, int dimIn, int dimOut,
        Initializer? weightInit = null, Initializer? biasInit = null, int axis = 1)
    {
        Positive(dimIn, nameof(dimIn));
        Positive(dimOut, nameof(dimOut));
        var w = CreateParam(Suffix(output, "_w"), [dimOut, dimIn], weightInit ?? Initializer.Xavier());
        var b = CreateParam(Suffix(output, "_b"), [dimOut], biasInit ?? Initializer.Constant(0f));
        Argument[] args = axis != 1 ? [Arg("axis", axis)] : [];
        return AddOperator("FC", [input, w, b], [output], args)[0];
    }

    /// <summary>
    /// Spatial batch normalization, as <c>brew.spatial_bn</c>: scale <c>output_s</c> (ConstantFill
    /// <paramref name="initScale"/>), bias <c>output_b</c> (<paramref name="initBias"/>), and the computed
    /// running mean <c>output_rm</c> (0) and variance <c>output_riv</c> (1), all <c>[dimIn]</c>;
    /// <c>SpatialBN(input, s, b, rm, riv)</c> with <c>epsilon</c>, <c>is_test</c> and <c>order</c>. In test mode
    /// the output is <paramref name="output"/> alone; in training mode (with <c>momentum</c>) the outputs are
    /// <c>output, output_rm, output_riv, output_sm, output_siv</c> (running stats updated in place, saved
    /// mean and inverse std), as brew writes them.
    /// </summary>
    /// <param name="input">Input blob, NCHW.</param>
    /// <param name="output">Output blob; the parameters are named after it.</param>
    /// <param name="dimIn">Channels.</param>
    /// <param name="epsilon">Added to the variance.</param>
    /// <param name="isTest">Inference mode (the default here, as in Caffe2's deploy nets).</param>
    /// <param name="momentum">Running-statistics momentum, written only in training mode.</param>
    /// <param name="initScale">Initial scale.</param>
    /// <param name="initBias">Initial bias.</param>
    public BlobReference SpatialBN(BlobReference input, BlobReference output, int dimIn, float epsilon = 1e-5f,
        bool isTest = true, float momentum = 0.9f, float initScale = 1f, float initBias = 0f)
    {
        Positive(dimIn, nameof(dimIn));
        long[] shape = [dimIn];
        var s = CreateParam(Suffix(output, "_s"), shape, Initializer.Constant(initScale));
        var b = CreateParam(Suffix(output, "_b"), shape, Initializer.Constant(initBias));
        var rm = CreateParam(Suffix(output, "_rm"), shape, Initializer.Constant(0f), computed: true);
        var riv = CreateParam(Suffix(output, "_riv"), shape, Initializer.Constant(1f), computed: true);
        var args = new List<Argument> { Arg("epsilon", epsilon), Arg("is_test", isTest), Arg("order", "NCHW") };
        if (!isTest) args.Add(Arg("momentum", momentum));
        BlobReference[] outs = isTest ? [output] : [output, rm, riv, Suffix(output, "_sm"), Suffix(output, "_siv")];
        return AddOperator("SpatialBN", [input, s, b, rm, riv], outs, [.. args])[0];
    }

    /// <summary><c>Relu(input) -> output</c>; in place when <paramref name="output"/> is <paramref name="input"/>.</summary>
    public BlobReference Relu(BlobReference input, BlobReference output) => AddOperator("Relu", [input], [output])[0];

    /// <summary>
    /// <c>MaxPool(input) -> output</c>, as <c>brew.max_pool</c>: <c>kernel</c> (omitted for global pooling
    /// with kernel 0), <c>stride</c>, <c>pad</c> or <c>pads</c>, <c>order</c>, and <c>legacy_pad</c> and
    /// <c>global_pooling</c> when set.
    /// </summary>
    /// <param name="input">Input blob, NCHW.</param>
    /// <param name="output">Output blob.</param>
    /// <param name="kernel">Square window size (ignored by global pooling).</param>
    /// <param name="stride">Step.</param>
    /// <param name="pad">Padding of every side (unless <paramref name="pads"/>).</param>
    /// <param name="globalPooling">Pool the whole spatial extent.</param>
    /// <param name="legacyPad">Caffe2's <c>legacy_pad</c>; <see cref="LegacyPadding.CaffeLegacyPooling"/> is Caffe's ceil mode.</param>
    /// <param name="pads">Per-side pads, Caffe2's order: top, left, bottom, right.</param>
    public BlobReference MaxPool(BlobReference input, BlobReference output, int kernel = 0, int stride = 1, int pad = 0,
        bool globalPooling = false, LegacyPadding legacyPad = LegacyPadding.NotSet, IReadOnlyList<int>? pads = null) =>
        Pool("MaxPool", input, output, kernel, stride, pad, globalPooling, legacyPad, pads);

    /// <summary>
    /// <c>AveragePool(input) -> output</c>, as <c>brew.average_pool</c>; arguments as for
    /// <see cref="MaxPool"/>. Padding cells are not counted in the average (Caffe2's default).
    /// </summary>
    /// <inheritdoc cref="MaxPool" path="/param"/>
    public BlobReference AveragePool(BlobReference input, BlobReference output, int kernel = 0, int stride = 1, int pad = 0,
        bool globalPooling = false, LegacyPadding legacyPad = LegacyPadding.NotSet, IReadOnlyList<int>? pads = null) =>
        Pool("AveragePool", input, output, kernel, stride, pad, globalPooling, legacyPad, pads);

    /// <summary>
    /// <c>Concat(inputs) -> [output, _output_dims]</c>, as <c>brew.concat</c>: along channels
    /// (<c>order: "NCHW"</c>), or along <paramref name="axis"/> when given.
    /// </summary>
    public BlobReference Concat(IReadOnlyList<BlobReference> inputs, BlobReference output, int? axis = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Concat needs at least one input.", nameof(inputs));
        Argument[] args = axis is { } a ? [Arg("axis", a)] : [Arg("order", "NCHW")];
        return AddOperator("Concat", inputs, [output, Affix(output, "_dims")], args)[0];
    }

    /// <summary><c>Softmax(input) -> output</c> over the dims from <paramref name="axis"/> (written only when not 1).</summary>
    public BlobReference Softmax(BlobReference input, BlobReference output, int axis = 1) =>
        AddOperator("Softmax", [input], [output], axis != 1 ? [Arg("axis", axis)] : [])[0];

    /// <summary>
    /// <c>Dropout(input) -> [output, _output_mask]</c>, as <c>brew.dropout</c>, with <c>ratio</c> and
    /// <c>is_test</c>. In test mode it copies the input (in place when <paramref name="output"/> is
    /// <paramref name="input"/>).
    /// </summary>
    public BlobReference Dropout(BlobReference input, BlobReference output, float ratio = 0.5f, bool isTest = false)
    {
        if (!(ratio >= 0f && ratio < 1f)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "Dropout ratio must be in [0, 1).");
        return AddOperator("Dropout", [input], [output, Affix(output, "_mask")], Arg("ratio", ratio), Arg("is_test", isTest))[0];
    }

    /// <summary>
    /// Local response normalization across channels, <c>LRN(input) -> [output, _output_scale]</c>, as
    /// <c>brew.lrn</c>, with <c>size</c>, <c>alpha</c>, <c>beta</c>, <c>bias</c> and <c>order</c>.
    /// </summary>
    public BlobReference LRN(BlobReference input, BlobReference output, int size, float alpha, float beta, float bias = 1f)
    {
        Positive(size, nameof(size));
        return AddOperator("LRN", [input], [output, Affix(output, "_scale")],
            Arg("size", size), Arg("alpha", alpha), Arg("beta", beta), Arg("bias", bias), Arg("order", "NCHW"))[0];
    }

    /// <summary><c>Sum(inputs) -> output</c>: elementwise, same shapes, no broadcasting; in place on the first input allowed.</summary>
    public BlobReference Sum(IReadOnlyList<BlobReference> inputs, BlobReference output)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Sum needs at least one input.", nameof(inputs));
        return AddOperator("Sum", inputs, [output])[0];
    }

    /// <summary>
    /// <c>Add(a, b) -> output</c>; with <paramref name="broadcast"/> Caffe2's legacy broadcast
    /// (<c>broadcast: 1</c>, B aligned at <paramref name="axis"/>), as exported nets add a
    /// convolution's bias.
    /// </summary>
    public BlobReference Add(BlobReference a, BlobReference b, BlobReference output, bool broadcast = false, int? axis = null)
    {
        var args = new List<Argument>();
        if (broadcast) args.Add(Arg("broadcast", 1));
        if (axis is { } x) args.Add(Arg("axis", x));
        return AddOperator("Add", [a, b], [output], [.. args])[0];
    }

    /// <summary><c>Flatten(input) -> output</c>: to 2-D <c>[prod(dims[:axis]), prod(dims[axis:])]</c> (<c>axis</c> written only when not 1).</summary>
    public BlobReference Flatten(BlobReference input, BlobReference output, int axis = 1) =>
        AddOperator("Flatten", [input], [output], axis != 1 ? [Arg("axis", axis)] : [])[0];

    /// <summary>
    /// <c>Reshape(input) -> [output, _output_old_shape]</c> with <c>shape</c> (0 copies a dim, one -1 is inferred).
    /// </summary>
    public BlobReference Reshape(BlobReference input, BlobReference output, IReadOnlyList<long> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return AddOperator("Reshape", [input], [output, Affix(output, "_old_shape")], ArgumentHelper.MakeRepeatedArgument("shape", shape))[0];
    }

    // ---- helpers ----

    private BlobReference Pool(string type, BlobReference input, BlobReference output, int kernel, int stride, int pad,
        bool globalPooling, LegacyPadding legacyPad, IReadOnlyList<int>? pads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(kernel);
        if (!globalPooling && kernel == 0) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, $"{type} needs a kernel unless globalPooling.");
        Positive(stride, nameof(stride));
        ArgumentOutOfRangeException.ThrowIfNegative(pad);
        if (pads is not null && (pads.Count != 4 || pads.Any(p => p < 0)))
            throw new ArgumentException($"{type} '{output}': pads must be four non-negative values (top, left, bottom, right).", nameof(pads));
        var args = new List<Argument>();
        if (!globalPooling || kernel != 0) args.Add(Arg("kernel", kernel));
        args.Add(Arg("stride", stride));
        args.Add(pads is null ? Arg("pad", pad) : ArgumentHelper.MakeRepeatedArgument("pads", pads.Select(p => (long)p)));
        args.Add(Arg("order", "NCHW"));
        if (legacyPad != LegacyPadding.NotSet) args.Add(Arg("legacy_pad", (int)legacyPad));
        if (globalPooling) args.Add(Arg("global_pooling", true));
        return AddOperator(type, [input], [output], [.. args])[0];
    }

    // brew's blob_out + suffix (a parameter or an extra output named after the layer's output).
    private static BlobReference Suffix(BlobReference blob, string suffix) => new(blob.Name + suffix, blob.IsAbsolute);

    // brew's "_" + blob_out + suffix (an op's auxiliary output).
    private static BlobReference Affix(BlobReference blob, string suffix) => new("_" + blob.Name + suffix, blob.IsAbsolute);

    private static Argument Arg<T>(string name, T value) => ArgumentHelper.MakeArgument(name, value);

    private static void Positive(int value, string name) => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, name);

    private sealed class ScopeExit(ModelHelper model, string previous) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            model._scope = previous;
        }
    }
}

/// <summary>Caffe2's <c>legacy_pad</c> argument of convolution and pooling.</summary>
public enum LegacyPadding
{
    /// <summary>0: the explicit pads apply (not written).</summary>
    NotSet = 0,
    /// <summary>1: no padding.</summary>
    Valid = 1,
    /// <summary>2: pad so that the output is <c>ceil(in / stride)</c>.</summary>
    Same = 2,
    /// <summary>3: Caffe's ceil-mode pooling, as nets translated from Caffe (SqueezeNet) use.</summary>
    CaffeLegacyPooling = 3,
}
