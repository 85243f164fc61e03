// Hand-written.
using System.Text;

namespace Caffe2Sharp.Schema;

/// <summary>
/// The contract of one operator type, written with Caffe2's builder vocabulary so that porting a
/// schema chain is line by line:
/// <code>
/// Schema("LeakyRelu").NumInputs(1).NumOutputs(1)
///     .Arg("alpha", "Coefficient of leakage.", 0.01f)
///     .AllowInplace((0, 0)).IdenticalTypeAndShape()
///     .CostInferenceFunction(CostFunctions.Pointwise(2))
/// </code>
/// Defaults follow Caffe2: any number of inputs and outputs, in-place neither allowed nor
/// enforced, and tensor inference that reports every output's shape as unknown.
/// </summary>
public sealed class OpSchema
{
    private readonly List<ArgumentSpec> _args = [];
    private readonly List<SlotDoc> _inputs = [];
    private readonly List<SlotDoc> _outputs = [];
    private Func<int, bool>? _numInputsAllowed;
    private Func<int, bool>? _numOutputsAllowed;
    private Func<int, int, bool>? _numInputsOutputsAllowed;
    private Func<int, int>? _outputCalculator;
    private Func<int, int, bool> _inplaceAllowed = static (_, _) => false;
    private Func<int, int, bool> _inplaceEnforced = static (_, _) => false;
    private TensorInference _tensorInference;
    private CostInference? _costInference;
    private bool _hasTensorInference;

    /// <summary>Creates a schema; normally done through <see cref="OpSchemaRegistry.Schema"/>.</summary>
    public OpSchema(string name, string file = "", int line = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        File = file;
        Line = line;
        _tensorInference = UnknownOutputs;
    }

    /// <summary>The operator type this schema describes.</summary>
    public string Name { get; }
    /// <summary>Source file of the registration.</summary>
    public string File { get; }
    /// <summary>Source line of the registration.</summary>
    public int Line { get; }
    /// <summary>Minimum number of inputs.</summary>
    public int MinInput { get; private set; }
    /// <summary>Maximum number of inputs (<see cref="int.MaxValue"/> when unbounded).</summary>
    public int MaxInput { get; private set; } = int.MaxValue;
    /// <summary>Minimum number of outputs.</summary>
    public int MinOutput { get; private set; }
    /// <summary>Maximum number of outputs (<see cref="int.MaxValue"/> when unbounded).</summary>
    public int MaxOutput { get; private set; } = int.MaxValue;
    /// <summary>The ONNX operator this one maps to, or null (see <see cref="InheritOnnxSchema"/>).</summary>
    public string? OnnxSchema { get; private set; }
    /// <summary>User documentation, or null.</summary>
    public string? Doc { get; private set; }
    /// <summary>True when the schema is hidden from the catalog.</summary>
    public bool IsPrivate { get; private set; }
    /// <summary>Documented arguments in declaration order.</summary>
    public IReadOnlyList<ArgumentSpec> Args => _args;
    /// <summary>Documented inputs.</summary>
    public IReadOnlyList<SlotDoc> Inputs => _inputs;
    /// <summary>Documented outputs.</summary>
    public IReadOnlyList<SlotDoc> Outputs => _outputs;
    /// <summary>True when a cost function was declared.</summary>
    public bool HasCostInferenceFunction => _costInference is not null;
    /// <summary>True when a shape and type inference function was declared (else every output is inferred unknown).</summary>
    public bool HasTensorInferenceFunction => _hasTensorInference;

    // ---- counts --------------------------------------------------------------------------------

    /// <summary>Exactly <paramref name="n"/> inputs.</summary>
    public OpSchema NumInputs(int n) => NumInputs(n, n);

    /// <summary>Between <paramref name="min"/> and <paramref name="max"/> inputs, inclusive.</summary>
    public OpSchema NumInputs(int min, int max)
    {
        CheckRange(min, max);
        (MinInput, MaxInput) = (min, max);
        return this;
    }

    /// <summary>A number of inputs in <paramref name="allowed"/>.</summary>
    public OpSchema NumInputs(IReadOnlySet<int> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var copy = allowed.ToHashSet();
        return NumInputs(copy.Contains);
    }

    /// <summary>
    /// A number of inputs accepted by <paramref name="allowed"/>. As in Caffe2 the predicate is kept
    /// apart from the range: both are checked.
    /// </summary>
    public OpSchema NumInputs(Func<int, bool> allowed)
    {
        _numInputsAllowed = allowed ?? throw new ArgumentNullException(nameof(allowed));
        return this;
    }

    /// <summary>Exactly <paramref name="n"/> outputs.</summary>
    public OpSchema NumOutputs(int n) => NumOutputs(n, n);

    /// <summary>Between <paramref name="min"/> and <paramref name="max"/> outputs, inclusive.</summary>
    public OpSchema NumOutputs(int min, int max)
    {
        CheckRange(min, max);
        (MinOutput, MaxOutput) = (min, max);
        return this;
    }

    /// <summary>A number of outputs in <paramref name="allowed"/>.</summary>
    public OpSchema NumOutputs(IReadOnlySet<int> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        var copy = allowed.ToHashSet();
        return NumOutputs(copy.Contains);
    }

    /// <summary>A number of outputs accepted by <paramref name="allowed"/> (checked besides the range).</summary>
    public OpSchema NumOutputs(Func<int, bool> allowed)
    {
        _numOutputsAllowed = allowed ?? throw new ArgumentNullException(nameof(allowed));
        return this;
    }

    /// <summary>A joint condition on (number of inputs, number of outputs).</summary>
    public OpSchema NumInputsOutputs(Func<int, int, bool> allowed)
    {
        _numInputsOutputsAllowed = allowed ?? throw new ArgumentNullException(nameof(allowed));
        return this;
    }

    /// <summary>The number of outputs as a function of the number of inputs (-1: cannot tell).</summary>
    public OpSchema OutputCalculator(Func<int, int> calculator)
    {
        _outputCalculator = calculator ?? throw new ArgumentNullException(nameof(calculator));
        return this;
    }

    /// <summary>As many outputs as inputs.</summary>
    public OpSchema SameNumberOfOutput() => OutputCalculator(static n => n);

    /// <summary>True when <paramref name="n"/> inputs pass the range and the predicate.</summary>
    public bool NumInputsAllowed(int n) => n >= MinInput && n <= MaxInput && (_numInputsAllowed?.Invoke(n) ?? true);

    /// <summary>True when <paramref name="n"/> outputs pass the range and the predicate.</summary>
    public bool NumOutputsAllowed(int n) => n >= MinOutput && n <= MaxOutput && (_numOutputsAllowed?.Invoke(n) ?? true);

    /// <summary>The expected number of outputs for <paramref name="numInputs"/> inputs, or -1 when it cannot be told.</summary>
    public int CalculateOutput(int numInputs)
    {
        if (MinOutput == MaxOutput) return MinOutput;
        return _outputCalculator?.Invoke(numInputs) ?? -1;
    }

    // ---- in place ------------------------------------------------------------------------------

    /// <summary>Input/output pairs that may share a blob.</summary>
    public OpSchema AllowInplace(params (int Input, int Output)[] pairs)
    {
        var set = pairs.ToHashSet();
        return AllowInplace((i, o) => set.Contains((i, o)));
    }

    /// <summary>A predicate on (input index, output index) telling which pairs may share a blob.</summary>
    public OpSchema AllowInplace(Func<int, int, bool> allowed)
    {
        _inplaceAllowed = allowed ?? throw new ArgumentNullException(nameof(allowed));
        return this;
    }

    /// <summary>Input i may share a blob with output i.</summary>
    public OpSchema AllowOneToOneInplace() => AllowInplace(static (i, o) => i == o);

    /// <summary>Input/output pairs that must share a blob.</summary>
    public OpSchema EnforceInplace(params (int Input, int Output)[] pairs)
    {
        var set = pairs.ToHashSet();
        return EnforceInplace((i, o) => set.Contains((i, o)));
    }

    /// <summary>A predicate on (input index, output index) telling which pairs must share a blob.</summary>
    public OpSchema EnforceInplace(Func<int, int, bool> enforced)
    {
        _inplaceEnforced = enforced ?? throw new ArgumentNullException(nameof(enforced));
        return this;
    }

    /// <summary>Input i must share a blob with output i.</summary>
    public OpSchema EnforceOneToOneInplace() => EnforceInplace(static (i, o) => i == o);

    /// <summary>True when input <paramref name="input"/> may share a blob with output <paramref name="output"/>.</summary>
    public bool InplaceAllowed(int input, int output) => _inplaceAllowed(input, output) || _inplaceEnforced(input, output);

    /// <summary>True when input <paramref name="input"/> must share a blob with output <paramref name="output"/>.</summary>
    public bool InplaceEnforced(int input, int output) => _inplaceEnforced(input, output);

    // ---- inference -----------------------------------------------------------------------------

    /// <summary>Sets the shape and type inference function.</summary>
    public OpSchema TensorInferenceFunction(TensorInference function)
    {
        _tensorInference = function ?? throw new ArgumentNullException(nameof(function));
        _hasTensorInference = true;
        return this;
    }

    /// <summary>Every output has the type and shape of the input at the same index (Caffe2 copies the whole input list).</summary>
    public OpSchema IdenticalTypeAndShape() =>
        TensorInferenceFunction(static (_, inputs) => inputs.Select(s => s.Clone()).ToArray());

    /// <summary>One output, with the type and shape of input <paramref name="index"/>.</summary>
    public OpSchema IdenticalTypeAndShapeOfInput(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return TensorInferenceFunction((def, inputs) =>
        {
            Enforce.That(index < inputs.Count, () => $"Shape inference of operator {def.DisplayName} needs input {index}; {inputs.Count} shapes given.");
            return [inputs[index].Clone()];
        });
    }

    /// <summary>Every output has shape unspecified and element type <paramref name="type"/>.</summary>
    public OpSchema ScalarType(DataType type) =>
        TensorInferenceFunction((def, _) => def.Output.Select(_ => TensorShape.Unknown(type)).ToArray());

    /// <summary>Sets the cost inference function.</summary>
    public OpSchema CostInferenceFunction(CostInference function)
    {
        _costInference = function ?? throw new ArgumentNullException(nameof(function));
        return this;
    }

    /// <summary>
    /// Records the ONNX operator this one corresponds to; with no name, the operator's own type.
    /// </summary>
    public OpSchema InheritOnnxSchema(string? onnxName = null)
    {
        OnnxSchema = string.IsNullOrEmpty(onnxName) ? Name : onnxName;
        return this;
    }

    /// <summary>
    /// Infers output shapes. As in late Caffe2 the def is verified first; a def that fails
    /// verification throws.
    /// </summary>
    public IReadOnlyList<TensorShape> InferTensor(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        EnforceValid(def);
        // Caffe2's NeedsAllInputShapes convention: an unknown input makes every output unknown.
        if (_hasTensorInference && inputs.Any(s => s.UnknownShape))
            return def.Output.Select(_ => TensorShape.Unknown()).ToArray();
        return _tensorInference(def, inputs);
    }

    /// <summary>Infers the cost of running the op once. Throws when the schema has no cost function.</summary>
    public Cost InferCost(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        Enforce.That(_costInference is not null, () => $"Operator schema '{Name}' has no cost inference function.");
        return _costInference(def, inputs);
    }

    private static IReadOnlyList<TensorShape> UnknownOutputs(OperatorDef def, IReadOnlyList<TensorShape> inputs) =>
        def.Output.Select(_ => TensorShape.Unknown()).ToArray();

    // ---- docs and arguments --------------------------------------------------------------------

    /// <summary>Declares an argument. Its kind is taken from <paramref name="defaultValue"/>'s type when not given.</summary>
    public OpSchema Arg(string name, string description, object? defaultValue = null, ArgumentKind? kind = null, bool required = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_args.Any(a => a.Name == name))
            throw new InvalidOperationException($"Schema '{Name}' declares argument '{name}' twice.");
        var k = kind ?? defaultValue switch
        {
            float or double => ArgumentKind.Float,
            int or long or bool => ArgumentKind.Int,
            string => ArgumentKind.String,
            float[] or double[] => ArgumentKind.Floats,
            int[] or long[] => ArgumentKind.Ints,
            string[] => ArgumentKind.Strings,
            _ => ArgumentKind.Any,
        };
        _args.Add(new ArgumentSpec(name, description ?? "", k, defaultValue, required));
        return this;
    }

    /// <summary>Declares a required argument.</summary>
    public OpSchema RequiredArg(string name, string description, ArgumentKind kind = ArgumentKind.Any) =>
        Arg(name, description, null, kind, required: true);

    /// <summary>Documents input <paramref name="index"/>.</summary>
    public OpSchema Input(int index, string name, string description)
    {
        SetSlot(_inputs, index, name, description);
        return this;
    }

    /// <summary>Documents output <paramref name="index"/>.</summary>
    public OpSchema Output(int index, string name, string description)
    {
        SetSlot(_outputs, index, name, description);
        return this;
    }

    /// <summary>Sets the user documentation.</summary>
    public OpSchema SetDoc(string doc)
    {
        Doc = doc;
        return this;
    }

    /// <summary>Hides the schema from the catalog.</summary>
    public OpSchema Private()
    {
        IsPrivate = true;
        return this;
    }

    /// <summary>Applies <paramref name="populator"/> to this schema (Caffe2's <c>FillUsing</c>).</summary>
    public OpSchema FillUsing(Action<OpSchema> populator)
    {
        ArgumentNullException.ThrowIfNull(populator);
        populator(this);
        return this;
    }

    /// <summary>The declared argument named <paramref name="name"/>, or null.</summary>
    public ArgumentSpec? FindArg(string name) => _args.FirstOrDefault(a => a.Name == name);

    // ---- verification --------------------------------------------------------------------------

    /// <summary>
    /// Checks <paramref name="def"/> against this schema in Caffe2's order: input count, output
    /// count, joint count, calculated output count, in-place pairs (allowed and enforced), then
    /// arguments (required present, declared kinds, no conflicting duplicates).
    /// </summary>
    /// <returns>null when the def is valid; otherwise the reason, naming the slot, blob or argument.</returns>
    public string? Verify(OperatorDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        int nIn = def.Input.Count, nOut = def.Output.Count;
        if (nIn < MinInput || nIn > MaxInput)
            return $"has {nIn} input(s); expected {CountText(MinInput, MaxInput)}";
        if (_numInputsAllowed is not null && !_numInputsAllowed(nIn))
            return $"has {nIn} input(s), a number the schema does not allow";
        if (nOut < MinOutput || nOut > MaxOutput)
            return $"has {nOut} output(s); expected {CountText(MinOutput, MaxOutput)}";
        if (_numOutputsAllowed is not null && !_numOutputsAllowed(nOut))
            return $"has {nOut} output(s), a number the schema does not allow";
        if (_numInputsOutputsAllowed is not null && !_numInputsOutputsAllowed(nIn, nOut))
            return $"has {nIn} input(s) and {nOut} output(s), a combination the schema does not allow";
        if (_outputCalculator is not null)
        {
            int expected = CalculateOutput(nIn);
            if (expected != -1 && expected != nOut)
                return $"has {nOut} output(s); with {nIn} input(s) it must have {expected}";
        }
        for (int i = 0; i < nIn; i++)
        {
            for (int o = 0; o < nOut; o++)
            {
                bool same = def.Input[i] == def.Output[o];
                if (same && !InplaceAllowed(i, o))
                    return $"uses blob '{def.Input[i]}' as both input {i} and output {o}, an in-place pair the schema does not allow";
                if (!same && InplaceEnforced(i, o))
                    return $"must run input {i} and output {o} in place, but input {i} is '{def.Input[i]}' and output {o} is '{def.Output[o]}'";
            }
        }
        foreach (var spec in _args)
        {
            if (spec.Required && !def.HasArgument(spec.Name))
                return $"is missing required argument '{spec.Name}'";
        }
        for (int k = 0; k < def.Arg.Count; k++)
        {
            var arg = def.Arg[k];
            var spec = FindArg(arg.Name);
            if (spec is not null && !spec.Accepts(arg))
            {
                var found = ArgumentHelper.SetFields(arg);
                return $"has argument '{arg.Name}' of the wrong kind: expected field {spec.ExpectedField}, found " +
                       (found.Count == 0 ? "no value" : string.Join(", ", found));
            }
            for (int j = 0; j < k; j++)
            {
                if (def.Arg[j].Name == arg.Name && !def.Arg[j].Equals(arg))
                    return $"has argument '{arg.Name}' twice with different values";
            }
        }
        return null;
    }

    /// <summary>
    /// Arguments Caffe2 accepts on any operator, which therefore never warn. Empty on purpose: the
    /// Caffe2 references we follow (shared/docs/caffe2-reference.md, caffe2-wire.md) name no
    /// argument that <c>OperatorBase</c> itself reads; engine and device travel in
    /// <c>OperatorDef.engine</c> and <c>device_option</c>, not in arguments. The arguments the ONNX
    /// exporter drops from every op (<c>order</c>, <c>use_cudnn</c>, <c>cudnn_exhaustive_search</c>,
    /// <c>exhaustive_search</c>) are deliberately not listed: an operator that does not declare
    /// <c>order</c> ignores it, and an ignored <c>order = "NHWC"</c> is worth a warning.
    /// </summary>
    private static readonly HashSet<string> UniversalArguments = new(StringComparer.Ordinal);

    /// <summary>
    /// <see cref="Verify"/> plus warnings: every argument on <paramref name="def"/> that this schema
    /// does not declare, each with the closest declared name (see <see cref="SchemaWarning"/>).
    /// </summary>
    /// <remarks>
    /// Warnings never make a def invalid, and they are collected even when
    /// <see cref="SchemaVerification.Error"/> is set. An argument repeated on the def is reported
    /// once. A schema that declares no arguments at all warns for every argument: it states that
    /// the operator reads none, so any argument is ignored. An operator with no schema cannot be
    /// checked and has no <see cref="OpSchema"/> to ask.
    /// </remarks>
    public SchemaVerification VerifyWithWarnings(OperatorDef def)
    {
        var error = Verify(def);
        var warnings = new List<SchemaWarning>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var arg in def.Arg)
        {
            var name = arg.Name ?? "";
            if (FindArg(name) is not null || UniversalArguments.Contains(name) || !seen.Add(name)) continue;
            var suggestion = name.Length == 0 ? null : Suggestions.Closest(name, _args.Select(a => a.Name), 1).FirstOrDefault();
            var message = $"argument '{name}' is not declared by the schema" +
                (suggestion is not null ? $" (closest: '{suggestion}')"
                 : _args.Count == 0 ? " (the schema declares no arguments)"
                 : " (no declared argument is close)");
            warnings.Add(new SchemaWarning(def.Type, string.IsNullOrEmpty(def.Name) ? null : def.Name, name, suggestion, message));
        }
        return new SchemaVerification(error, warnings);
    }

    /// <summary>Throws <see cref="EnforceNotMetException"/> with the reason when <see cref="Verify"/> fails.</summary>
    public void EnforceValid(OperatorDef def)
    {
        var reason = Verify(def);
        if (reason is not null)
            throw new EnforceNotMetException($"Operator {def.DisplayName} does not match its schema: it {reason}.");
    }

    /// <summary>A readable catalog entry: counts, in-place, arguments with defaults, inputs, outputs, docs, site.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Name).Append(": inputs ").Append(CountText(MinInput, MaxInput))
          .Append(", outputs ").Append(CountText(MinOutput, MaxOutput)).AppendLine();
        var pairs = InplacePairsText();
        if (pairs.Length > 0) sb.Append("In-place: ").AppendLine(pairs);
        if (OnnxSchema is not null) sb.Append("ONNX: ").AppendLine(OnnxSchema);
        if (_args.Count > 0)
        {
            sb.AppendLine("Arguments:");
            foreach (var a in _args)
            {
                sb.Append("  ").Append(a.Name);
                if (a.Kind != ArgumentKind.Any) sb.Append(" (").Append(a.Kind).Append(')');
                if (a.DefaultValue is not null) sb.Append(" default ").Append(FormatDefault(a.DefaultValue));
                if (a.Required) sb.Append(" [required]");
                sb.Append(": ").AppendLine(a.Description);
            }
        }
        AppendSlots(sb, "Inputs:", _inputs);
        AppendSlots(sb, "Outputs:", _outputs);
        sb.AppendLine(Doc ?? "(no documentation yet)");
        if (!string.IsNullOrEmpty(File)) sb.Append("Defined at ").Append(File).Append(':').Append(Line).AppendLine();
        return sb.ToString();
    }

    /// <summary>In-place pairs among the first eight slots, e.g. "allowed (0,0); enforced (1,1)".</summary>
    public string InplacePairsText(int slots = 8)
    {
        var allowed = new List<string>();
        var enforced = new List<string>();
        for (int i = 0; i < Math.Min(slots, MaxInput); i++)
            for (int o = 0; o < Math.Min(slots, MaxOutput); o++)
            {
                if (InplaceEnforced(i, o)) enforced.Add($"({i},{o})");
                else if (InplaceAllowed(i, o)) allowed.Add($"({i},{o})");
            }
        var parts = new List<string>();
        if (allowed.Count > 0) parts.Add("allowed " + string.Join(" ", allowed));
        if (enforced.Count > 0) parts.Add("enforced " + string.Join(" ", enforced));
        return string.Join("; ", parts);
    }

    private static string FormatDefault(object value) => value switch
    {
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        System.Collections.IEnumerable e and not string => "[" + string.Join(", ", e.Cast<object>()) + "]",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static void AppendSlots(StringBuilder sb, string title, List<SlotDoc> slots)
    {
        if (slots.Count == 0) return;
        sb.AppendLine(title);
        foreach (var s in slots) sb.Append("  ").Append(s.Index).Append(' ').Append(s.Name).Append(": ").AppendLine(s.Description);
    }

    private static void SetSlot(List<SlotDoc> slots, int index, string name, string description)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        slots.RemoveAll(s => s.Index == index);
        slots.Add(new SlotDoc(index, name, description));
        slots.Sort((a, b) => a.Index.CompareTo(b.Index));
    }

    private static string CountText(int min, int max) =>
        min == max ? min.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : max == int.MaxValue ? $"at least {min}" : $"{min} to {max}";

    private static void CheckRange(int min, int max)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(min);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
    }
}
