// Hand-written.
namespace Caffe2Sharp.Runtime;

/// <summary>A created net: its operators, bound to a workspace, ready to run.</summary>
/// <remarks>
/// Executors are created through the catalog's <see cref="NetRegistry"/>, by net type. An executor
/// calls its observers through <see cref="ActiveObservers"/>: with none attached that is an empty
/// span, so the unobserved run loop costs one length check and allocates nothing.
/// </remarks>
public abstract class NetBase
{
    private readonly Lock _observerLock = new();
    private INetObserver[] _observers = [];

    /// <summary>Creates the net.</summary>
    protected NetBase(NetDef def, IReadOnlyList<OperatorBase> operators)
    {
        Def = def ?? throw new ArgumentNullException(nameof(def));
        Operators = operators ?? throw new ArgumentNullException(nameof(operators));
    }

    /// <summary>The net's name.</summary>
    public string Name => Def.Name;

    /// <summary>The def the net was created from, with device options resolved.</summary>
    public NetDef Def { get; }

    /// <summary>The operators, in def order.</summary>
    public IReadOnlyList<OperatorBase> Operators { get; }

    /// <summary>The attached observers, in the order attached.</summary>
    public IReadOnlyList<INetObserver> Observers => _observers;

    /// <summary>
    /// Attaches <paramref name="observer"/>: from the next run on, the executor calls its hooks.
    /// Attaching the same observer twice calls it twice.
    /// </summary>
    public void AttachObserver(INetObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        // Copy on write: a run in progress keeps the array it started with.
        lock (_observerLock) _observers = [.. _observers, observer];
    }

    /// <summary>Detaches one attachment of <paramref name="observer"/>; true when it was attached.</summary>
    public bool DetachObserver(INetObserver observer)
    {
        lock (_observerLock)
        {
            int k = Array.IndexOf(_observers, observer);
            if (k < 0) return false;
            _observers = [.. _observers.AsSpan(0, k), .. _observers.AsSpan(k + 1)];
            return true;
        }
    }

    /// <summary>The observers an executor calls during this run; read once per run.</summary>
    protected ReadOnlySpan<INetObserver> ActiveObservers => _observers;

    /// <summary>Runs the net once. A failing op throws <see cref="OperatorException"/>.</summary>
    public abstract void Run();

    /// <summary>Runs operator <paramref name="index"/>, turning any failure into an <see cref="OperatorException"/> naming the net and the op.</summary>
    protected void RunOperator(OperatorBase op, int index)
    {
        try
        {
            op.Run();
        }
        catch (Exception e) when (e is not OperatorException)
        {
            throw new OperatorException(Name, index, op.Def, e.Message, e);
        }
    }
}

/// <summary>
/// Caffe2's <c>simple</c> executor: runs the ops in order on the calling thread. Every Caffe2
/// executor respects the order of dependencies in the def, so nets declaring <c>dag</c>,
/// <c>async_scheduling</c> and the like run correctly here too (see <see cref="NetRegistry"/>),
/// just without inter-op parallelism.
/// </summary>
public sealed class SimpleNet : NetBase
{
    private readonly OperatorBase[] _ops;

    /// <summary>Creates the net.</summary>
    public SimpleNet(NetDef def, IReadOnlyList<OperatorBase> operators) : base(def, operators) => _ops = [.. operators];

    /// <inheritdoc/>
    public override void Run()
    {
        var observers = ActiveObservers;
        var ops = _ops;
        if (observers.Length == 0)
        {
            for (int k = 0; k < ops.Length; k++) RunOperator(ops[k], k);
            return;
        }
        foreach (var o in observers) o.OnNetStart(this);
        for (int k = 0; k < ops.Length; k++)
        {
            foreach (var o in observers) o.OnOperatorStart(this, k);
            RunOperator(ops[k], k);
            foreach (var o in observers) o.OnOperatorStop(this, k);
        }
        foreach (var o in observers) o.OnNetStop(this);
    }
}
