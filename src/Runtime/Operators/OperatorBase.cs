// Hand-written.
namespace Caffe2Sharp.Runtime;

/// <summary>
/// The base of every operator. The constructor resolves the input blobs (which must exist),
/// creates the output blobs, and is where a subclass reads its arguments, once; <see cref="Run"/>
/// then does no lookups or parsing.
/// </summary>
public abstract class OperatorBase
{
    private readonly Blob[] _inputs;
    private readonly Blob[] _outputs;

    /// <summary>Binds the operator to its blobs in <paramref name="workspace"/>.</summary>
    /// <exception cref="EnforceNotMetException">An input blob does not exist.</exception>
    protected OperatorBase(OperatorDef def, Workspace workspace)
    {
        Def = def ?? throw new ArgumentNullException(nameof(def));
        Workspace = workspace ?? throw new ArgumentNullException(nameof(workspace));
        _inputs = new Blob[def.Input.Count];
        for (int i = 0; i < _inputs.Length; i++)
            _inputs[i] = workspace.GetBlob(def.Input[i]) ?? throw new EnforceNotMetException(
                $"input {i} blob '{def.Input[i]}' does not exist in the workspace.");
        _outputs = new Blob[def.Output.Count];
        for (int o = 0; o < _outputs.Length; o++) _outputs[o] = workspace.CreateBlob(def.Output[o]);
    }

    /// <summary>The def this operator was created from (device option already resolved).</summary>
    public OperatorDef Def { get; }

    /// <summary>The workspace holding this operator's blobs.</summary>
    public Workspace Workspace { get; }

    /// <summary>The operator type.</summary>
    public string Type => Def.Type;

    /// <summary>
    /// How many threads this operator may use; set from <see cref="Workspace.IntraOpThreads"/> or
    /// the net's <c>intra_op_num_threads</c> argument when the operator is created.
    /// </summary>
    public int MaxDegreeOfParallelism { get; internal set; } = 1;

    /// <summary>The compute pool this operator's kernels borrow threads from (its workspace's).</summary>
    protected Kernels.ComputePool Pool => Workspace.Pool;

    /// <summary>Number of inputs.</summary>
    public int InputSize => _inputs.Length;

    /// <summary>Number of outputs.</summary>
    public int OutputSize => _outputs.Length;

    /// <summary>Runs the operator once. Failures throw; the net adds the op's index, type and name.</summary>
    public abstract void Run();

    /// <summary>The blob of input <paramref name="i"/>.</summary>
    protected Blob InputBlob(int i) => _inputs[i];

    /// <summary>The blob of output <paramref name="o"/>.</summary>
    protected Blob OutputBlob(int o) => _outputs[o];

    /// <summary>The tensor of input <paramref name="i"/>.</summary>
    /// <exception cref="EnforceNotMetException">The blob holds no tensor; the message names the op and blob.</exception>
    protected Tensor Input(int i)
    {
        if (_inputs[i].Value is Tensor t) return t;
        throw new EnforceNotMetException($"input {i} blob '{Def.Input[i]}' holds no tensor (was it fed?).");
    }

    /// <summary>The tensor of output <paramref name="o"/>, created empty when the blob has none.</summary>
    protected Tensor Output(int o) => _outputs[o].GetMutableTensor();

    /// <summary>True when input <paramref name="i"/> and output <paramref name="o"/> are the same blob (in place).</summary>
    protected bool IsInPlace(int i, int o) => ReferenceEquals(_inputs[i], _outputs[o]);

    /// <summary>Reads a single-valued argument of this operator (do it in the constructor).</summary>
    protected T GetSingleArgument<T>(string name, T defaultValue) => Def.GetSingleArgument(name, defaultValue);

    /// <summary>Reads a repeated argument of this operator (do it in the constructor).</summary>
    protected T[] GetRepeatedArgument<T>(string name, IReadOnlyList<T>? defaultValue = null) => Def.GetRepeatedArgument(name, defaultValue);

    /// <summary>
    /// Builds an error for this operator. The message need not name the op: nets and
    /// <see cref="Workspace.RunOperatorOnce"/> wrap it in an <see cref="OperatorException"/>
    /// that adds the op's index, type and name.
    /// </summary>
    protected EnforceNotMetException Error(string message) => new(message);

    /// <inheritdoc/>
    public override string ToString() => Def.Describe();
}

/// <summary>An operator failed while a net or the workspace ran it; names the op's index, type and name.</summary>
public sealed class OperatorException : EnforceNotMetException
{
    /// <summary>Creates the exception.</summary>
    public OperatorException(string netName, int opIndex, OperatorDef def, string message, Exception? inner = null)
        : base($"{(string.IsNullOrEmpty(netName) ? "" : $"Net '{netName}' ")}op #{opIndex} {def.DisplayName}: {message}", inner)
    {
        NetName = netName;
        OpIndex = opIndex;
        OpType = def.Type;
        OpName = def.Name;
    }

    /// <summary>The net's name (empty for a single operator run).</summary>
    public string NetName { get; }
    /// <summary>Index of the failing op in its net.</summary>
    public int OpIndex { get; }
    /// <summary>Type of the failing op.</summary>
    public string OpType { get; }
    /// <summary>Name of the failing op (may be empty).</summary>
    public string OpName { get; }
}
