// Hand-written.
using System.Runtime.CompilerServices;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// A rewrite of a predict net for inference (Caffe2's <c>opt/</c> transforms such as
/// <c>fuseConvBN</c>): it finds a pattern in <see cref="NetPassContext.Net"/> and rewrites it in
/// place, reading constant weights and writing any new ones through the context. A pass must
/// keep the outputs of every <see cref="NetPassContext.IsProtected">protected</see> blob exactly
/// as the net computed them, up to rounding (the optimised net agrees within 1e-4 relative).
/// </summary>
public interface INetPass
{
    /// <summary>How the pass is named in reports, e.g. <c>fold SpatialBN into Conv</c>.</summary>
    string Name { get; }

    /// <summary>Rewrites <see cref="NetPassContext.Net"/>; returns how many rewrites it made (0: none applied).</summary>
    int Apply(NetPassContext context);

    /// <summary>When the pass runs: <see cref="NetPassStage.Simplify"/> (the default) or <see cref="NetPassStage.Layout"/>.</summary>
    NetPassStage Stage => NetPassStage.Simplify;
}

/// <summary>The stages of <see cref="InferenceOptimizer.Optimize"/>, in the order they run; each runs its passes until none finds anything.</summary>
public enum NetPassStage
{
    /// <summary>Folding, fusion and removal on the net's own operators (SpatialBN into Conv, Relu into Conv, test-mode Dropout).</summary>
    Simplify,

    /// <summary>Data-layout rewrites after simplification (blocked-channel NCHWc kernels): they see the simplified net, and simplify passes never see their internal operators.</summary>
    Layout,
}

/// <summary>
/// What an <see cref="INetPass"/> works on: the net (a copy it may change), the constant weights
/// (read only) and a workspace for the new constants it makes, and the names it must keep.
/// </summary>
public sealed class NetPassContext
{
    private readonly HashSet<string> _protected;
    private readonly Dictionary<string, string> _removed = new(StringComparer.Ordinal);
    private readonly List<string> _added = [];

    /// <summary>Creates a context over <paramref name="net"/>, whose constants are read from (and new ones written to) <paramref name="constants"/>.</summary>
    /// <param name="net">The net to rewrite (changed in place).</param>
    /// <param name="constants">A workspace that sees the weights (usually a child of the weights workspace) and receives new constants.</param>
    /// <param name="protectedBlobs">Blobs whose values must survive: the inputs, the outputs and every blob the caller fetches.</param>
    public NetPassContext(NetDef net, Workspace constants, IEnumerable<string> protectedBlobs)
    {
        Net = net ?? throw new ArgumentNullException(nameof(net));
        Constants = constants ?? throw new ArgumentNullException(nameof(constants));
        _protected = new HashSet<string>(protectedBlobs ?? throw new ArgumentNullException(nameof(protectedBlobs)), StringComparer.Ordinal);
    }

    /// <summary>The net being rewritten.</summary>
    public NetDef Net { get; }

    /// <summary>Where constants are read (the weights, through the parent) and new ones written.</summary>
    public Workspace Constants { get; }

    /// <summary>Blobs removed or renamed by the passes so far, each with why (for the error a fetch of one gives).</summary>
    public IReadOnlyDictionary<string, string> Removed => _removed;

    /// <summary>True when <paramref name="blob"/> must keep its value: an input, an output, or a blob the caller fetches.</summary>
    public bool IsProtected(string blob) => _protected.Contains(blob);

    /// <summary>True when <paramref name="blob"/> is a constant: it holds a tensor in <see cref="Constants"/> and no op of the net writes it.</summary>
    public bool IsConstant(string blob) =>
        Constants.GetBlob(blob)?.Value is Tensor && !IsProtected(blob) && !Net.Op.Any(op => op.Output.Contains(blob));

    /// <summary>The tensor of constant <paramref name="blob"/> (see <see cref="IsConstant"/>); do not change it.</summary>
    public Tensor Constant(string blob) => Constants.GetBlob(blob)?.Value as Tensor
        ?? throw new EnforceNotMetException($"'{blob}' is not a constant of the weights.");

    /// <summary>The indices of the ops that read <paramref name="blob"/>, in order.</summary>
    public IReadOnlyList<int> Readers(string blob)
    {
        var readers = new List<int>();
        for (int k = 0; k < Net.Op.Count; k++)
            if (Net.Op[k].Input.Contains(blob)) readers.Add(k);
        return readers;
    }

    /// <summary>The indices of the ops that write <paramref name="blob"/>, in order.</summary>
    public IReadOnlyList<int> Writers(string blob)
    {
        var writers = new List<int>();
        for (int k = 0; k < Net.Op.Count; k++)
            if (Net.Op[k].Output.Contains(blob)) writers.Add(k);
        return writers;
    }

    /// <summary>
    /// Removes op <paramref name="index"/>, which computes Y = X (a copy, a test-mode Dropout, a
    /// Flatten a consumer no longer needs): in place it is simply dropped; otherwise the ops after
    /// it read X instead of Y. Returns false, changing nothing, when that could change a result:
    /// Y is protected (an output or a fetched blob keeps its op), Y has another writer, or X is
    /// written again after the op (then reading X later would not give Y's value).
    /// </summary>
    /// <param name="index">The op to remove.</param>
    /// <param name="x">Its input X.</param>
    /// <param name="y">Its output Y.</param>
    /// <param name="why">Why Y is gone, for the error a fetch of it gives (e.g. <c>Copy #3 was dropped</c>).</param>
    public bool TryForwardIdentity(int index, string x, string y, string why)
    {
        var ops = Net.Op;
        if (x != y)
        {
            if (IsProtected(y) || Writers(y).Count != 1 || Writers(x).Any(w => w > index)) return false;
            for (int r = index + 1; r < ops.Count; r++)
                for (int i = 0; i < ops[r].Input.Count; i++)
                    if (ops[r].Input[i] == y) ops[r].Input[i] = x;
            MarkRemoved(y, $"{why}; '{y}' equals '{x}'");
        }
        ops.RemoveAt(index);
        return true;
    }

    /// <summary>
    /// For a single-input, single-output op <paramref name="consumer"/> that reads X and writes
    /// Y, the index of the op of type <paramref name="producerType"/> that wrote X last, when the
    /// consumer can be merged into it (the producer then writes Y, the consumer is removed); -1
    /// otherwise. Mergeable: the producer has one output, X is read by the consumer alone (or the
    /// consumer runs in place, and nothing reads X between the two), X is not protected unless
    /// in place, and nothing between the two reads or writes Y.
    /// </summary>
    public int FindMergeableProducer(int consumer, string producerType)
    {
        var op = Net.Op[consumer];
        if (op.Input.Count < 1 || op.Output.Count != 1) return -1;
        string x = op.Input[0], y = op.Output[0];
        int j = -1;
        for (int k = consumer - 1; k >= 0 && j < 0; k--)
            if (Net.Op[k].Output.Contains(x)) j = k;
        if (j < 0 || Net.Op[j].Type != producerType || Net.Op[j].Output.Count != 1) return -1;
        if (IsProtected(x) && x != y) return -1;
        if (Readers(x).Any(r => r != consumer && (x != y || r < consumer))) return -1;
        // The producer now writes Y earlier: nothing in between may read or write Y. Writers of Y
        // after the consumer (ResNet's in-place Relu, a residual Sum) see the same value as before.
        if (x != y && (Readers(y).Any(r => r > j && r < consumer) || Writers(y).Any(w => w > j && w < consumer))) return -1;
        return j;
    }

    /// <summary>
    /// Completes a merge that <see cref="FindMergeableProducer"/> allowed: op
    /// <paramref name="producer"/> writes what op <paramref name="consumer"/> wrote, the consumer
    /// is removed, and its input, when no longer written, is recorded as removed
    /// ("<paramref name="how"/> into" the producer).
    /// </summary>
    public void MergeIntoProducer(int consumer, int producer, string how)
    {
        var op = Net.Op[consumer];
        string x = op.Input[0], y = op.Output[0];
        Net.Op[producer].Output[0] = y;
        Net.Op.RemoveAt(consumer);
        if (x != y) MarkRemoved(x, $"{op.Type} #{consumer} was {how} into {Net.Op[producer].Type} #{producer}, which now writes '{y}'");
    }

    /// <summary>
    /// Adds <paramref name="value"/> as a new constant named after <paramref name="baseName"/> (with a
    /// suffix that no blob of the weights or of the net uses), declares it an external input of the
    /// net (when the net declares its external inputs), and returns its name. The weights themselves are never written.
    /// </summary>
    public string AddConstant(string baseName, Tensor value)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        ArgumentNullException.ThrowIfNull(value);
        string name = FreshConstantName(baseName);
        Constants.CreateBlob(name).Reset(value);
        _added.Add(name);
        // A net that declares its external inputs must declare this one too; one that declares
        // none keeps declaring none (the workspace then checks what its ops read).
        if (Net.ExternalInput.Count > 0) Net.ExternalInput.Add(name);
        return name;
    }

    /// <summary>
    /// True when <paramref name="blob"/> is a constant that <see cref="AddConstant"/> made during
    /// this optimisation, at most one op reads it and nothing keeps it: the pass that rewrites
    /// that op may reuse the tensor (change its values in place, then
    /// <see cref="RenameConstant">rename</see> it) instead of adding one more copy of the weights.
    /// </summary>
    public bool IsOwnedConstant(string blob) =>
        _added.Contains(blob) && Constants.HasLocalBlob(blob) && !IsProtected(blob) && !Net.ExternalOutput.Contains(blob) && Readers(blob).Count <= 1;

    /// <summary>
    /// Renames constant <paramref name="blob"/>, which <see cref="AddConstant"/> made, after
    /// <paramref name="baseName"/> (with a suffix if that is taken), in <see cref="Constants"/> and
    /// in the net's external inputs; returns the new name. The ops that read it must be updated by the caller.
    /// </summary>
    /// <exception cref="InvalidOperationException">The blob is not a constant of this optimisation.</exception>
    public string RenameConstant(string blob, string baseName)
    {
        ArgumentException.ThrowIfNullOrEmpty(baseName);
        int index = _added.IndexOf(blob);
        if (index < 0) throw new InvalidOperationException($"'{blob}' is not a constant made by this optimisation; only those may be renamed.");
        string name = FreshConstantName(baseName);
        Constants.RenameBlob(blob, name);
        _added[index] = name;
        for (int k = 0; k < Net.ExternalInput.Count; k++)
            if (Net.ExternalInput[k] == blob) Net.ExternalInput[k] = name;
        return name;
    }

    // baseName, or baseName_k, that no blob of the weights or of the net uses.
    private string FreshConstantName(string baseName)
    {
        string name = baseName;
        for (int k = 1; Constants.HasBlob(name) || Net.Op.Any(op => op.Input.Contains(name) || op.Output.Contains(name)); k++)
            name = $"{baseName}_{k}";
        return name;
    }

    /// <summary>Records that <paramref name="blob"/> no longer exists in the optimised net, and why.</summary>
    public void MarkRemoved(string blob, string why) => _removed[blob] = why;

    /// <summary>
    /// Drops the constants that <see cref="AddConstant"/> made and no op of the net reads any
    /// more (a folded filter that a later pass packed into another constant), from
    /// <see cref="Constants"/> and from the net's external inputs; returns how many. The
    /// optimiser calls it after the last pass, so an optimised net holds one copy of each weight
    /// it made, not every intermediate form.
    /// </summary>
    public int DropUnreadConstants()
    {
        var read = Net.Op.SelectMany(op => op.Input).ToHashSet(StringComparer.Ordinal);
        int dropped = 0;
        foreach (var name in _added)
        {
            if (read.Contains(name) || IsProtected(name) || Net.ExternalOutput.Contains(name)) continue;
            Constants.RemoveBlob(name);
            for (int k = Net.ExternalInput.Count - 1; k >= 0; k--)
                if (Net.ExternalInput[k] == name) Net.ExternalInput.RemoveAt(k);
            dropped++;
        }
        _added.Clear();
        return dropped;
    }
}

/// <summary>
/// The inference passes of a catalog, in registration order. Operator packs register the
/// passes that concern their operators (the Vision pack folds SpatialBN into Conv, the Dropout
/// pack drops test-mode Dropout); users may add their own. A name registered twice is an error
/// naming both sites.
/// </summary>
public sealed class NetPassRegistry
{
    private readonly List<(INetPass Pass, string Site)> _passes = [];

    /// <summary>Registers <paramref name="pass"/> after the passes registered before it.</summary>
    /// <exception cref="InvalidOperationException">A pass of that name is registered already; the message names both sites.</exception>
    public void Add(INetPass pass, [CallerFilePath] string file = "", [CallerLineNumber] int line = 0)
    {
        ArgumentNullException.ThrowIfNull(pass);
        lock (_passes)
        {
            foreach (var (p, site) in _passes)
                if (p.Name == pass.Name)
                    throw new InvalidOperationException($"Net pass '{pass.Name}' is registered twice: first at {site}, again at {file}:{line}.");
            _passes.Add((pass, $"{file}:{line}"));
        }
    }

    /// <summary>The registered passes, in order.</summary>
    public IReadOnlyList<INetPass> Passes
    {
        get
        {
            lock (_passes) return [.. _passes.Select(p => p.Pass)];
        }
    }
}

/// <summary>What <see cref="InferenceOptimizer.Optimize"/> did.</summary>
/// <param name="Net">The optimised net.</param>
/// <param name="Applied">Each pass that changed the net, with how many rewrites it made, in order.</param>
/// <param name="Removed">Blobs of the original net that the optimised one does not hold, each with why.</param>
public sealed record OptimizedNet(NetDef Net, IReadOnlyList<(string Pass, int Rewrites)> Applied, IReadOnlyDictionary<string, string> Removed);

/// <summary>
/// Optimises a predict net for inference: the catalog's <see cref="NetPassRegistry">passes</see>
/// (folding, fusion, dropping test-mode no-ops), all repeated until none finds anything, then
/// <see cref="MemoryPlanner">memory planning</see>. The user's net and weights are not changed.
/// </summary>
public static class InferenceOptimizer
{
    /// <summary>
    /// Returns an optimised copy of <paramref name="net"/>. New constants (folded weights) are
    /// written to <paramref name="constants"/>, which must see the weights (a child of the
    /// weights workspace). Blobs in <paramref name="protectedBlobs"/> keep their names and values.
    /// </summary>
    /// <param name="catalog">The catalog whose passes run.</param>
    /// <param name="net">The net; not changed.</param>
    /// <param name="constants">Sees the weights; receives new constants.</param>
    /// <param name="protectedBlobs">Blobs whose names and values must survive.</param>
    /// <param name="planMemory">Reuse activation buffers after the passes.</param>
    /// <param name="layout">Run the <see cref="NetPassStage.Layout"/> passes after the <see cref="NetPassStage.Simplify"/> ones.</param>
    public static OptimizedNet Optimize(OperatorCatalog catalog, NetDef net, Workspace constants, IEnumerable<string> protectedBlobs, bool planMemory = true, bool layout = true)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(net);
        var context = new NetPassContext(net.Clone(), constants, protectedBlobs);
        var passes = catalog.Passes.Passes;
        var totals = new int[passes.Count];
        // Stage by stage, every pass of the stage until none finds anything, so registration order
        // does not matter (folding SpatialBN makes a Conv followed by a Relu, which the Relu fusion
        // then takes). Each pass must end: a rewrite removes an op or converts one for good.
        foreach (var stage in layout ? (ReadOnlySpan<NetPassStage>)[NetPassStage.Simplify, NetPassStage.Layout] : [NetPassStage.Simplify])
        {
            for (bool changed = true; changed;)
            {
                changed = false;
                for (int p = 0; p < passes.Count; p++)
                {
                    if (passes[p].Stage != stage) continue;
                    for (int rewrites; (rewrites = passes[p].Apply(context)) > 0; changed = true) totals[p] += rewrites;
                }
            }
        }
        context.DropUnreadConstants();
        var applied = new List<(string, int)>();
        for (int p = 0; p < passes.Count; p++)
            if (totals[p] > 0) applied.Add((passes[p].Name, totals[p]));
        if (planMemory)
        {
            int shared = MemoryPlanner.Plan(context);
            if (shared > 0) applied.Add((MemoryPlanner.Name, shared));
        }
        return new OptimizedNet(context.Net, applied, context.Removed);
    }
}

/// <summary>
/// Activation buffers reused once their last reader has run (Caffe2's memonger, ONNX Runtime's
/// allocation planner): blobs whose lifetimes do not overlap are renamed to one shared blob, so
/// they share one tensor and its storage.
/// </summary>
/// <remarks>
/// A blob's lifetime runs from the first op that writes it to the last op that reads or writes
/// it, both included, so an op's inputs never share with its outputs (no accidental in-place).
/// Never shared: protected blobs (inputs, outputs, fetched blobs), constants, blobs read before
/// the net writes them, and every blob of a net with sub-nets (an op with a NetDef argument). A
/// shared tensor changes type and shape between ops; its storage only grows, so steady-state
/// runs allocate nothing. The original names of renamed blobs are reported as removed, so
/// fetching one is an error rather than stale data.
/// </remarks>
public static class MemoryPlanner
{
    /// <summary>The name of this step in <see cref="OptimizedNet.Applied"/>.</summary>
    public const string Name = "reuse activation buffers";

    /// <summary>The prefix of the shared blobs' names.</summary>
    public const string SharedPrefix = "__shared_";

    /// <summary>Renames the blobs of <paramref name="context"/>'s net onto shared buffers; returns how many blobs were renamed onto a buffer another blob also uses.</summary>
    public static int Plan(NetPassContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var net = context.Net;
        if (net.Op.Any(op => op.Arg.Any(a => a.N is not null || a.Nets.Count > 0))) return 0;

        // Lifetimes of the blobs the net itself creates.
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        var readBeforeWritten = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < net.Op.Count; k++)
        {
            foreach (var input in net.Op[k].Input)
            {
                if (input.Length == 0) continue;
                if (!first.ContainsKey(input)) readBeforeWritten.Add(input);
                else last[input] = k;
            }
            foreach (var output in net.Op[k].Output)
            {
                if (output.Length == 0) continue;
                first.TryAdd(output, k);
                last[output] = k;
            }
        }
        var candidates = first.Keys
            .Where(b => !readBeforeWritten.Contains(b) && !context.IsProtected(b) && !net.ExternalInput.Contains(b) && !net.ExternalOutput.Contains(b) && !context.Constants.HasBlob(b))
            .OrderBy(b => first[b]).ThenBy(b => b, StringComparer.Ordinal).ToList();

        // Greedy in op order: a buffer is free once the last op of its current blob has run.
        var assignment = new Dictionary<string, int>(StringComparer.Ordinal);
        var busyUntil = new List<int>();
        var users = new List<int>();
        foreach (var blob in candidates)
        {
            int start = first[blob];
            int buffer = busyUntil.FindIndex(end => end < start);
            if (buffer < 0)
            {
                buffer = busyUntil.Count;
                busyUntil.Add(0);
                users.Add(0);
            }
            busyUntil[buffer] = last[blob];
            users[buffer]++;
            assignment[blob] = buffer;
        }

        var names = new string[busyUntil.Count];
        for (int b = 0; b < names.Length; b++)
        {
            string name = SharedPrefix + b;
            for (int k = 1; context.Constants.HasBlob(name) || first.ContainsKey(name); k++) name = $"{SharedPrefix}{b}_{k}";
            names[b] = name;
        }
        // A blob alone on its buffer keeps its name.
        foreach (var blob in assignment.Where(p => users[p.Value] == 1).Select(p => p.Key).ToList()) assignment.Remove(blob);
        foreach (var op in net.Op)
        {
            for (int i = 0; i < op.Input.Count; i++)
                if (assignment.TryGetValue(op.Input[i], out int b)) op.Input[i] = names[b];
            for (int i = 0; i < op.Output.Count; i++)
                if (assignment.TryGetValue(op.Output[i], out int b)) op.Output[i] = names[b];
        }
        foreach (var (blob, b) in assignment)
            context.MarkRemoved(blob, $"its buffer is reused ({names[b]}) once its last reader has run");
        return assignment.Count;
    }
}
