// Hand-written.
using Caffe2Sharp.Kernels;
namespace Caffe2Sharp.Runtime;

/// <summary>
/// Named blobs and the nets that run on them (Caffe2's <c>Workspace</c>).
/// </summary>
/// <remarks>
/// Failure leaves no half-changed workspace: a <see cref="CreateNet"/> that fails removes the
/// blobs it created and registers no net; an operator that fails has written at most its own
/// outputs. Like Caffe2's, a workspace is not thread-safe: use one per thread (operators may
/// still use several threads each, see <see cref="IntraOpThreads"/>).
/// </remarks>
public sealed class Workspace
{
    /// <summary>Executor types accepted in <c>NetDef.type</c>; all run as <see cref="SimpleNet"/> (see its remarks).</summary>
    public static IReadOnlyList<string> NetTypes { get; } =
        ["simple", "dag", "async_dag", "async_scheduling", "async_simple", "async_polling", "parallel", "prof_dag", "singlethread_async"];

    /// <summary>The net argument that sets the number of threads an operator may use.</summary>
    public const string IntraOpThreadsArgument = "intra_op_num_threads";

    private readonly Dictionary<string, Blob> _blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NetBase> _nets = new(StringComparer.Ordinal);
    private int _intraOpThreads;

    /// <summary>
    /// Creates an empty workspace over <paramref name="catalog"/> whose operators borrow threads
    /// from <paramref name="pool"/> (the runtime's; the workspace never owns threads). Without a
    /// pool, operators run on the calling thread only.
    /// </summary>
    public Workspace(OperatorCatalog catalog, ComputePool? pool = null)
    {
        Catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        Pool = pool ?? ComputePool.Serial;
        _intraOpThreads = Pool.MaxDegreeOfParallelism;
    }

    /// <summary>The operators this workspace can run.</summary>
    public OperatorCatalog Catalog { get; }

    /// <summary>The runtime's compute pool, borrowed by this workspace's operators.</summary>
    public ComputePool Pool { get; }

    /// <summary>
    /// How many threads one operator may use (intra-op parallelism), for nets created after it is
    /// set; a net can override it with the <c>intra_op_num_threads</c> argument. Defaults to the
    /// pool's <see cref="ComputePool.MaxDegreeOfParallelism"/>, which also caps it. Results are
    /// identical at every setting.
    /// </summary>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            _intraOpThreads = value;
        }
    }

    // ---- blobs ---------------------------------------------------------------------------------

    /// <summary>The blob named <paramref name="name"/>, created empty if absent.</summary>
    public Blob CreateBlob(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_blobs.TryGetValue(name, out var blob))
        {
            blob = new Blob(name);
            _blobs.Add(name, blob);
        }
        return blob;
    }

    /// <summary>True when a blob named <paramref name="name"/> exists.</summary>
    public bool HasBlob(string name) => _blobs.ContainsKey(name);

    /// <summary>The blob named <paramref name="name"/>, or null.</summary>
    public Blob? GetBlob(string name) => _blobs.GetValueOrDefault(name);

    /// <summary>Removes a blob; true when it existed.</summary>
    /// <exception cref="EnforceNotMetException">A created net reads or writes the blob (delete the net first).</exception>
    public bool RemoveBlob(string name)
    {
        if (!_blobs.ContainsKey(name)) return false;
        RequireUnbound(name, "remove");
        return _blobs.Remove(name);
    }

    /// <summary>Renames a blob.</summary>
    /// <exception cref="EnforceNotMetException">The old name is absent, the new one taken, or a created net uses the blob.</exception>
    public void RenameBlob(string oldName, string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        if (!_blobs.TryGetValue(oldName, out var blob)) throw new EnforceNotMetException($"Cannot rename blob '{oldName}': it does not exist.");
        RequireUnbound(oldName, "rename");
        if (_blobs.ContainsKey(newName)) throw new EnforceNotMetException($"Cannot rename blob '{oldName}' to '{newName}': that name is taken.");
        _blobs.Remove(oldName);
        blob.Name = newName;
        _blobs.Add(newName, blob);
    }

    // Operators hold their blobs from creation on, so a created net would go on using a removed or
    // renamed blob, unseen; refuse instead.
    private void RequireUnbound(string name, string action)
    {
        foreach (var (netName, net) in _nets)
            foreach (var op in net.Def.Op)
                if (op.Input.Contains(name) || op.Output.Contains(name))
                    throw new EnforceNotMetException($"Cannot {action} blob '{name}': net '{netName}' uses it. Delete the net first.");
    }

    /// <summary>Every blob name, sorted.</summary>
    public IReadOnlyList<string> Blobs => [.. _blobs.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Writes a copy of <paramref name="tensor"/> into blob <paramref name="name"/> (created if absent), reusing its storage.</summary>
    public void FeedBlob(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        CreateBlob(name).GetMutableTensor().CopyFrom(tensor);
    }

    /// <summary>Writes <paramref name="data"/> with <paramref name="dims"/> into blob <paramref name="name"/>.</summary>
    public void FeedBlob<T>(string name, ReadOnlySpan<T> data, params ReadOnlySpan<long> dims) where T : unmanaged
    {
        if (DataTypes.ElementCount(dims) != data.Length)
            throw new ArgumentException($"Feeding blob '{name}': {data.Length} values do not fill shape [{string.Join(", ", dims.ToArray())}].", nameof(data));
        var t = CreateBlob(name).GetMutableTensor();
        t.Resize(Tensor.DataTypeOf<T>(), dims);
        data.CopyTo(t.Data<T>());
    }

    /// <summary>Writes a 1-D array into blob <paramref name="name"/>.</summary>
    public void FeedBlob<T>(string name, T[] data) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        FeedBlob<T>(name, data, data.LongLength);
    }

    /// <summary>A copy of the tensor in blob <paramref name="name"/>.</summary>
    /// <exception cref="EnforceNotMetException">The blob is absent or holds no tensor.</exception>
    public Tensor FetchBlob(string name) => RequireBlob(name).GetTensor().Clone();

    /// <summary>The contents of the tensor in blob <paramref name="name"/>, copied.</summary>
    /// <exception cref="EnforceNotMetException">The blob is absent, holds no tensor, or its type is not <typeparamref name="T"/>.</exception>
    public T[] FetchBlob<T>(string name) where T : unmanaged
    {
        var t = RequireBlob(name).GetTensor();
        if (!Tensor.Matches<T>(t.DataType))
            throw new EnforceNotMetException($"Blob '{name}' holds {t.Describe()}, not {typeof(T).Name}.");
        return t.ToArray<T>();
    }

    private Blob RequireBlob(string name) =>
        GetBlob(name) ?? throw new EnforceNotMetException($"Blob '{name}' does not exist." + Hint(name));

    private string Hint(string name)
    {
        var close = Suggestions.Closest(name, _blobs.Keys, 3);
        return close.Count > 0 ? $" Did you mean: {string.Join(", ", close)}?" : "";
    }

    // ---- nets ----------------------------------------------------------------------------------

    /// <summary>
    /// Creates and registers a net: checks its declared inputs and outputs, gives each op the net's
    /// device option when it has none, verifies and creates every operator once.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The net has no name, exists and <paramref name="overwrite"/> is false, or any check or op creation fails; nothing is registered then.</exception>
    public NetBase CreateNet(NetDef def, bool overwrite = false)
    {
        ArgumentNullException.ThrowIfNull(def);
        if (string.IsNullOrEmpty(def.Name)) throw new EnforceNotMetException("Cannot create a net without a name: set NetDef.name.");
        if (_nets.ContainsKey(def.Name) && !overwrite)
            throw new EnforceNotMetException($"Net '{def.Name}' exists already; pass overwrite: true to replace it.");
        var net = BuildNet(def);
        _nets[def.Name] = net;
        return net;
    }

    /// <summary>The net named <paramref name="name"/>, or null.</summary>
    public NetBase? GetNet(string name) => _nets.GetValueOrDefault(name);

    /// <summary>Removes a net; true when it existed.</summary>
    public bool DeleteNet(string name) => _nets.Remove(name);

    /// <summary>Every net name, sorted.</summary>
    public IReadOnlyList<string> Nets => [.. _nets.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Runs the net named <paramref name="name"/> once.</summary>
    /// <exception cref="EnforceNotMetException">No such net.</exception>
    /// <exception cref="OperatorException">An op failed.</exception>
    public void RunNet(string name)
    {
        if (!_nets.TryGetValue(name, out var net))
            throw new EnforceNotMetException($"Net '{name}' does not exist." + (_nets.Count > 0 ? $" Nets: {string.Join(", ", Nets)}." : " No nets are created."));
        net.Run();
    }

    /// <summary>Creates a temporary net from <paramref name="def"/> (a name is optional), runs it once, and discards it.</summary>
    public void RunNetOnce(NetDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        BuildNet(def).Run();
    }

    /// <summary>Creates <paramref name="def"/> as a single operator, runs it once, and discards it.</summary>
    /// <exception cref="OperatorException">Creation or the run failed.</exception>
    public void RunOperatorOnce(OperatorDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        var net = new NetDef();
        net.Op.Add(def);
        BuildNet(net).Run();
    }

    private NetBase BuildNet(NetDef source)
    {
        var def = source.Clone();
        string type = string.IsNullOrEmpty(def.Type) ? "simple" : def.Type;
        if (!NetTypes.Contains(type))
            throw new EnforceNotMetException($"{def.DisplayName}: unknown net type '{type}'; known types: {string.Join(", ", NetTypes)}.");
        int threads = def.GetSingleArgument(IntraOpThreadsArgument, _intraOpThreads);
        if (threads < 1) throw new EnforceNotMetException($"{def.DisplayName}: argument '{IntraOpThreadsArgument}' must be at least 1; got {threads}.");
        CheckExternalBlobs(def);

        var created = new List<string>();
        var ops = new List<OperatorBase>(def.Op.Count);
        for (int k = 0; k < def.Op.Count; k++)
        {
            var op = def.Op[k];
            if (op.DeviceOption is null && def.DeviceOption is not null) op.DeviceOption = def.DeviceOption.Clone();
            foreach (var output in op.Output)
                if (!string.IsNullOrEmpty(output) && !_blobs.ContainsKey(output)) created.Add(output);
            try
            {
                var instance = Catalog.CreateOperator(op, this);
                instance.MaxDegreeOfParallelism = threads;
                ops.Add(instance);
            }
            catch (Exception e)
            {
                // Undo: blobs this net's ops created so far must not outlive the failed creation,
                // whatever the operator's constructor threw.
                foreach (var name in created) _blobs.Remove(name);
                if (e is OperatorException) throw;
                throw new OperatorException(def.Name, k, op, e.Message, e);
            }
        }
        return new SimpleNet(def, ops);
    }

    private static void CheckExternalBlobs(NetDef def)
    {
        // Inputs are checked only when the net declares them; declared outputs always are.
        bool checkInputs = def.ExternalInput.Count > 0;
        var known = new HashSet<string>(def.ExternalInput, StringComparer.Ordinal);
        for (int k = 0; k < def.Op.Count; k++)
        {
            var op = def.Op[k];
            for (int i = 0; checkInputs && i < op.Input.Count; i++)
                if (!known.Contains(op.Input[i]))
                    throw new OperatorException(def.Name, k, op,
                        $"input {i} '{op.Input[i]}' is neither an external input of the net nor produced by an earlier op.");
            known.UnionWith(op.Output);
        }
        foreach (var output in def.ExternalOutput)
            if (!known.Contains(output))
                throw new EnforceNotMetException($"{def.DisplayName}: external output '{output}' is produced by no op and is not an external input.");
    }
}
