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
/// <para>
/// <b>Parent workspaces</b> (Caffe2's <c>Workspace(shared)</c>). A child created with
/// <see cref="Workspace(Workspace, bool)"/> sees its parent's blobs (and the parent's parent's)
/// for reading: <see cref="GetBlob"/>, <see cref="HasBlob"/>, <see cref="FetchBlob(string)"/>,
/// <see cref="Blobs"/> and operator inputs fall through to the parent when the child has no blob
/// of that name. Unlike Caffe2's, a child never changes its parent's blobs unless created with
/// <c>allowWritesToParent</c>: creating or feeding a blob, or creating an operator whose output
/// has a name only the parent holds, makes a blob of the child's own that shadows the parent's
/// from then on (nothing is copied: outputs are recomputed). An operator binds its blobs when it
/// is created, so an op that reads a parent blob which a later op of the same net shadows goes on
/// reading the parent's; nets that carry state from one run to the next through such a blob want
/// <c>allowWritesToParent</c>. Nets are not inherited. Several children on several threads may
/// share one parent as long as nothing writes the parent meanwhile (that is what
/// <see cref="Predictor"/> does); the parent does not know its children, so do not remove or
/// rename parent blobs a child's net uses.
/// </para>
/// </remarks>
public sealed class Workspace
{

    /// <summary>The net argument that sets the number of threads an operator may use.</summary>
    public const string IntraOpThreadsArgument = "intra_op_num_threads";

    private readonly Dictionary<string, Blob> _blobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NetBase> _nets = new(StringComparer.Ordinal);
    private int _intraOpThreads;
    private Func<NetBase, INetObserver?>[] _observerCreators = [];

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

    /// <summary>
    /// Creates an empty child of <paramref name="parent"/>, over the same catalog and with its
    /// <see cref="IntraOpThreads"/>, that reads the parent's blobs (see the class remarks).
    /// </summary>
    /// <param name="parent">The workspace whose blobs the child sees.</param>
    /// <param name="allowWritesToParent">
    /// False (the default): names only the parent holds get a blob of the child's own when the
    /// child creates or writes them. True: they are the parent's blobs, written in place (Caffe2's
    /// behaviour); names neither holds are still created in the child.
    /// </param>
    public Workspace(Workspace parent, bool allowWritesToParent = false)
    {
        Parent = parent ?? throw new ArgumentNullException(nameof(parent));
        Catalog = parent.Catalog;
        Pool = parent.Pool;
        _intraOpThreads = parent._intraOpThreads;
        AllowsWritesToParent = allowWritesToParent;
    }

    /// <summary>The operators this workspace can run.</summary>
    public OperatorCatalog Catalog { get; }

    /// <summary>The runtime's compute pool, borrowed by this workspace's operators (a child borrows its parent's).</summary>
    public ComputePool Pool { get; }

    /// <summary>The workspace whose blobs this one reads through, or null.</summary>
    public Workspace? Parent { get; }

    /// <summary>True when creating or writing a blob only the parent holds uses the parent's blob.</summary>
    public bool AllowsWritesToParent { get; }

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

    /// <summary>
    /// The blob named <paramref name="name"/>, created empty if absent. In a child, a name only
    /// the parent holds gets a new blob of the child's own, unless <see cref="AllowsWritesToParent"/>.
    /// </summary>
    public Blob CreateBlob(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_blobs.TryGetValue(name, out var blob))
        {
            if (AllowsWritesToParent && Parent!.GetBlob(name) is { } shared) return shared;
            blob = new Blob(name);
            _blobs.Add(name, blob);
        }
        return blob;
    }

    /// <summary>True when a blob named <paramref name="name"/> exists here or in a parent.</summary>
    public bool HasBlob(string name) => GetBlob(name) is not null;

    /// <summary>True when this workspace itself holds a blob named <paramref name="name"/> (not counting parents).</summary>
    public bool HasLocalBlob(string name) => _blobs.ContainsKey(name);

    /// <summary>The blob named <paramref name="name"/>, here or else in a parent; or null.</summary>
    public Blob? GetBlob(string name) =>
        _blobs.TryGetValue(name, out var blob) ? blob : Parent?.GetBlob(name);

    /// <summary>Removes a blob of this workspace; true when it existed. A parent's blob it shadowed becomes visible again.</summary>
    /// <exception cref="EnforceNotMetException">A created net reads or writes the blob (delete the net first), or only a parent holds it.</exception>
    public bool RemoveBlob(string name)
    {
        if (!_blobs.ContainsKey(name))
        {
            RequireNotParentOnly(name, "remove");
            return false;
        }
        RequireUnbound(name, "remove");
        return _blobs.Remove(name);
    }

    /// <summary>Renames a blob of this workspace.</summary>
    /// <exception cref="EnforceNotMetException">The old name is absent or only a parent holds it, the new one is taken here, or a created net uses the blob.</exception>
    public void RenameBlob(string oldName, string newName)
    {
        ArgumentException.ThrowIfNullOrEmpty(newName);
        if (!_blobs.TryGetValue(oldName, out var blob))
        {
            RequireNotParentOnly(oldName, "rename");
            throw new EnforceNotMetException($"Cannot rename blob '{oldName}': it does not exist.");
        }
        RequireUnbound(oldName, "rename");
        if (_blobs.ContainsKey(newName)) throw new EnforceNotMetException($"Cannot rename blob '{oldName}' to '{newName}': that name is taken.");
        _blobs.Remove(oldName);
        blob.Name = newName;
        _blobs.Add(newName, blob);
    }

    private void RequireNotParentOnly(string name, string action)
    {
        if (Parent?.HasBlob(name) == true)
            throw new EnforceNotMetException($"Cannot {action} blob '{name}': it belongs to the parent workspace, which a child never changes.");
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

    /// <summary>Every blob name, this workspace's and its parents', sorted, each once.</summary>
    public IReadOnlyList<string> Blobs => [.. VisibleNames().Order(StringComparer.Ordinal)];

    /// <summary>The names of this workspace's own blobs, sorted (not counting parents).</summary>
    public IReadOnlyList<string> LocalBlobs => [.. _blobs.Keys.Order(StringComparer.Ordinal)];

    private IEnumerable<string> VisibleNames() =>
        Parent is null ? _blobs.Keys : _blobs.Keys.Union(Parent.VisibleNames(), StringComparer.Ordinal);

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
        var close = Suggestions.Closest(name, VisibleNames(), 3);
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

    /// <summary>
    /// Attaches an observer to every net this workspace creates from now on (by
    /// <see cref="CreateNet"/>, <see cref="RunNetOnce"/> and <see cref="RunOperatorOnce"/>):
    /// <paramref name="creator"/> is called with each new net and returns its observer, or null
    /// for none. Return a new observer per net for per-net state such as <see cref="TimingObserver"/>.
    /// Children of this workspace do not inherit it.
    /// </summary>
    public void AddNetObserver(Func<NetBase, INetObserver?> creator)
    {
        ArgumentNullException.ThrowIfNull(creator);
        _observerCreators = [.. _observerCreators, creator];
    }

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
        var factory = Catalog.Nets.Resolve(def);
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
                if (!string.IsNullOrEmpty(output) && !_blobs.ContainsKey(output) && !(AllowsWritesToParent && Parent!.HasBlob(output))) created.Add(output);
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
        var net = factory(def, ops, this);
        foreach (var creator in _observerCreators)
            if (creator(net) is { } observer) net.AttachObserver(observer);
        return net;
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
