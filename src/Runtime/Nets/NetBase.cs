// Hand-written.
namespace Caffe2Sharp.Runtime;

/// <summary>A created net: its operators, bound to a workspace, ready to run.</summary>
public abstract class NetBase
{
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

    /// <summary>Runs the net once. A failing op throws <see cref="OperatorException"/>.</summary>
    public abstract void Run();
}

/// <summary>
/// Caffe2's <c>simple</c> executor: runs the ops in order on the calling thread. Every Caffe2
/// executor respects the order of dependencies in the def, so nets declaring <c>dag</c>,
/// <c>async_scheduling</c> and the like run correctly here too, just without inter-op parallelism.
/// </summary>
public sealed class SimpleNet : NetBase
{
    private readonly OperatorBase[] _ops;

    /// <summary>Creates the net.</summary>
    public SimpleNet(NetDef def, IReadOnlyList<OperatorBase> operators) : base(def, operators) => _ops = [.. operators];

    /// <inheritdoc/>
    public override void Run()
    {
        var ops = _ops;
        for (int k = 0; k < ops.Length; k++)
        {
            try
            {
                ops[k].Run();
            }
            catch (Exception e) when (e is not OperatorException)
            {
                throw new OperatorException(Name, k, ops[k].Def, e.Message, e);
            }
        }
    }
}
