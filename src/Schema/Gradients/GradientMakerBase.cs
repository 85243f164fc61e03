// Hand-written.
namespace Caffe2Sharp.Schema.Gradients;

/// <summary>
/// The gradient of one blob: dense (<see cref="Dense"/>) or sparse (<see cref="Indices"/> and
/// <see cref="Values"/>), or none.
/// </summary>
public sealed record GradientWrapper(string Dense = "", string Indices = "", string Values = "")
{
    /// <summary>No gradient.</summary>
    public static GradientWrapper None { get; } = new();
    /// <summary>True when the gradient is a dense blob.</summary>
    public bool IsDense => Dense.Length > 0;
    /// <summary>True when the gradient is an (indices, values) pair.</summary>
    public bool IsSparse => Indices.Length > 0 || Values.Length > 0;
    /// <summary>True when there is no gradient.</summary>
    public bool IsEmpty => !IsDense && !IsSparse;
}

/// <summary>The gradient operators of one forward op and the gradient blob of each forward input.</summary>
/// <param name="Ops">Gradient operators, to run in order.</param>
/// <param name="InputGradients">One entry per forward input: where its gradient lands (or none).</param>
public sealed record GradientOpsMeta(IReadOnlyList<OperatorDef> Ops, IReadOnlyList<GradientWrapper> InputGradients);

/// <summary>
/// Turns a forward <see cref="OperatorDef"/> into its gradient operator defs (Caffe2's
/// <c>GradientMakerBase</c>). A pure OperatorDef -> OperatorDef transform: no workspace involved.
/// </summary>
/// <remarks>
/// Subclasses implement <see cref="GetGradientDefs"/> with the helpers <see cref="I"/>,
/// <see cref="O"/>, <see cref="GI"/>, <see cref="GO"/> and <see cref="SingleGradientDef"/>. By
/// default the forward op's arguments, device option and engine are copied to every gradient op
/// (override <see cref="CopyArguments"/> and friends to opt out), and every op is marked
/// <c>is_gradient_op</c>. Blob naming is Caffe2's: the gradient of <c>X</c> is <c>X_grad</c>,
/// sparse ones <c>X_grad_indices</c> / <c>X_grad_values</c>.
/// </remarks>
public abstract class GradientMakerBase
{
    private readonly GradientWrapper[] _gInput;

    /// <summary>Creates a maker for <paramref name="def"/> given the gradients of its outputs.</summary>
    protected GradientMakerBase(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput)
    {
        Def = def ?? throw new ArgumentNullException(nameof(def));
        GOutput = gOutput ?? throw new ArgumentNullException(nameof(gOutput));
        if (gOutput.Count != def.Output.Count)
            throw new EnforceNotMetException(
                $"Gradient of operator {def.DisplayName}: {gOutput.Count} output gradient(s) given for {def.Output.Count} output(s).");
        _gInput = new GradientWrapper[def.Input.Count];
        Array.Fill(_gInput, GradientWrapper.None);
    }

    /// <summary>The forward operator.</summary>
    protected OperatorDef Def { get; }
    /// <summary>The gradients of the forward outputs, as supplied by the caller.</summary>
    protected IReadOnlyList<GradientWrapper> GOutput { get; }
    /// <summary>Copy the forward op's device option to the gradient ops (default true).</summary>
    public virtual bool CopyDeviceOption => true;
    /// <summary>Copy the forward op's engine to the gradient ops (default true).</summary>
    public virtual bool CopyEngine => true;
    /// <summary>Append the forward op's arguments to the gradient ops (default true).</summary>
    public virtual bool CopyArguments => true;

    /// <summary>Produces the gradient ops; the default says the gradient is not implemented.</summary>
    protected virtual IReadOnlyList<OperatorDef> GetGradientDefs() =>
        throw new NotSupportedException($"The gradient of operator {Def.DisplayName} is not implemented.");

    /// <summary>
    /// Runs the maker: gradient defs marked <c>is_gradient_op</c>, with the copy policies applied,
    /// and the gradient blob of each forward input.
    /// </summary>
    public GradientOpsMeta Get()
    {
        var defs = GetGradientDefs().Select(d => d.Clone()).ToList();
        foreach (var d in defs)
        {
            d.IsGradientOp = true;
            if (CopyDeviceOption && Def.DeviceOption is not null) d.DeviceOption = Def.DeviceOption.Clone();
            if (CopyEngine && !string.IsNullOrEmpty(Def.Engine)) d.Engine = Def.Engine;
            // Appended, as late Caffe2 does; an argument the maker set itself is kept, not duplicated.
            if (CopyArguments)
                foreach (var a in Def.Arg)
                    if (!d.HasArgument(a.Name)) d.Arg.Add(a.Clone());
        }
        for (int i = 0; i < _gInput.Length; i++)
        {
            var g = _gInput[i];
            if (g.IsSparse && (g.Indices.Length == 0 || g.Values.Length == 0))
                throw new EnforceNotMetException(
                    $"Gradient of operator {Def.DisplayName}: the sparse gradient of input {i} needs both indices and values.");
        }
        return new GradientOpsMeta(defs, [.. _gInput]);
    }

    /// <summary>Name of forward input <paramref name="i"/>.</summary>
    protected string I(int i) => Slot(Def.Input, i, "input");

    /// <summary>Name of forward output <paramref name="i"/>.</summary>
    protected string O(int i) => Slot(Def.Output, i, "output");

    /// <summary>Registers and returns the dense gradient name of input <paramref name="i"/>: <c>X_grad</c>.</summary>
    protected string GI(int i)
    {
        var name = I(i) + "_grad";
        Enforce.That(!_gInput[i].IsSparse, () => $"Gradient of operator {Def.DisplayName}: input {i} already has a sparse gradient.");
        _gInput[i] = new GradientWrapper(Dense: name);
        return name;
    }

    /// <summary>Registers and returns the sparse gradient indices name of input <paramref name="i"/>.</summary>
    protected string GI_I(int i)
    {
        var name = I(i) + "_grad_indices";
        Enforce.That(!_gInput[i].IsDense, () => $"Gradient of operator {Def.DisplayName}: input {i} already has a dense gradient.");
        _gInput[i] = _gInput[i] with { Indices = name };
        return name;
    }

    /// <summary>Registers and returns the sparse gradient values name of input <paramref name="i"/>.</summary>
    protected string GI_V(int i)
    {
        var name = I(i) + "_grad_values";
        Enforce.That(!_gInput[i].IsDense, () => $"Gradient of operator {Def.DisplayName}: input {i} already has a dense gradient.");
        _gInput[i] = _gInput[i] with { Values = name };
        return name;
    }

    /// <summary>The dense gradient of output <paramref name="i"/> supplied by the caller.</summary>
    protected string GO(int i)
    {
        var g = GradOut(i);
        Enforce.That(!g.IsSparse, () => $"Gradient of operator {Def.DisplayName}: the gradient of output {i} ('{O(i)}') is sparse (expected dense).");
        Enforce.That(g.IsDense, () => $"Gradient of operator {Def.DisplayName}: the gradient of output {i} ('{O(i)}') is not provided.");
        return g.Dense;
    }

    /// <summary>The sparse gradient indices of output <paramref name="i"/>.</summary>
    protected string GO_I(int i)
    {
        var g = GradOut(i);
        Enforce.That(g.IsSparse, () => $"Gradient of operator {Def.DisplayName}: the gradient of output {i} ('{O(i)}') is not sparse.");
        return g.Indices;
    }

    /// <summary>The sparse gradient values of output <paramref name="i"/>.</summary>
    protected string GO_V(int i)
    {
        var g = GradOut(i);
        Enforce.That(g.IsSparse, () => $"Gradient of operator {Def.DisplayName}: the gradient of output {i} ('{O(i)}') is not sparse.");
        return g.Values;
    }

    /// <summary>The gradient wrapper of output <paramref name="i"/>.</summary>
    protected GradientWrapper GradOut(int i)
    {
        Enforce.That(i >= 0 && i < GOutput.Count, () => $"Gradient of operator {Def.DisplayName}: no output {i}.");
        return GOutput[i];
    }

    /// <summary>Sets a custom dense gradient name for input <paramref name="i"/>.</summary>
    protected void SetDense(int i, string name)
    {
        I(i);
        _gInput[i] = new GradientWrapper(Dense: name);
    }

    /// <summary>Sets custom sparse gradient names for input <paramref name="i"/>.</summary>
    protected void SetSparse(int i, string indices, string values)
    {
        I(i);
        _gInput[i] = new GradientWrapper(Indices: indices, Values: values);
    }

    /// <summary>One gradient op, as Caffe2's <c>SingleGradientDef</c>.</summary>
    protected static IReadOnlyList<OperatorDef> SingleGradientDef(string type, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<Argument>? args = null) =>
        [OperatorDef.Create(type, name, inputs, outputs, args)];

    private string Slot(Google.Protobuf.Collections.RepeatedField<string> names, int i, string what)
    {
        Enforce.That(i >= 0 && i < names.Count, () => $"Gradient of operator {Def.DisplayName}: no {what} {i} (it has {names.Count}).");
        return names[i];
    }
}

/// <summary>The operator has no gradient: it produces no gradient ops (Caffe2's <c>NO_GRADIENT</c>).</summary>
public sealed class NoGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs() => [];
}

/// <summary>The gradient exists mathematically but is not written yet (Caffe2's <c>GRADIENT_NOT_IMPLEMENTED_YET</c>).</summary>
public sealed class GradientNotImplementedYet(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
        throw new NotSupportedException($"The gradient of operator {Def.DisplayName} is not implemented yet.");
}

/// <summary>Asking for this operator's gradient is a mistake (Caffe2's <c>SHOULD_NOT_DO_GRADIENT</c>).</summary>
public sealed class ThrowInTheTowelIfGradientIsCalled(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
        throw new InvalidOperationException($"Operator {Def.DisplayName} should not take part in a gradient computation.");
}
