// Hand-written.
using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Runtime;

/// <summary>
/// Everything one runtime knows about operators: schemas, kernels and gradient makers. Plain
/// registries, usable without a container; the DI adapter builds one from registered packs.
/// </summary>
public sealed class OperatorCatalog
{
    /// <summary>Operator schemas.</summary>
    public OpSchemaRegistry Schemas { get; } = new();

    /// <summary>Operator kernels by device and engine.</summary>
    public OperatorRegistry Operators { get; } = new();

    /// <summary>Gradient makers by forward operator type.</summary>
    public GradientRegistry Gradients { get; } = new();

    /// <summary>Executors by net type; holds <c>simple</c> and its aliases from the start.</summary>
    public NetRegistry Nets { get; } = new();

    /// <summary>Inference passes (folding, fusion) that <see cref="InferenceOptimizer"/> applies, registered by operator packs.</summary>
    public NetPassRegistry Passes { get; } = new();

    /// <summary>Applies a registration function (an operator pack) and returns this catalog.</summary>
    public OperatorCatalog Add(Action<OperatorCatalog> register)
    {
        ArgumentNullException.ThrowIfNull(register);
        register(this);
        return this;
    }

    /// <summary>
    /// Verifies <paramref name="def"/> against its schema (when it has one), finds its kernel and
    /// creates the operator in <paramref name="workspace"/>.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The def fails its schema, or no kernel matches.</exception>
    public OperatorBase CreateOperator(OperatorDef def, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(def);
        ArgumentNullException.ThrowIfNull(workspace);
        if (string.IsNullOrEmpty(def.Type)) throw new EnforceNotMetException("Operator has no type.");
        var creator = Operators.Resolve(def);
        Schemas.Find(def.Type)?.EnforceValid(def);
        return creator(def, workspace);
    }

    /// <summary>
    /// <see cref="BackwardPass.AddGradientOperators"/> with this catalog's gradient makers, refusing
    /// (with every missing type named) a result that uses an operator this catalog cannot run.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The pass fails, or needs an operator type with no kernel here.</exception>
    public BackwardPassResult AddGradientOperators(NetDef net, IEnumerable<string> losses) =>
        BackwardPass.AddGradientOperators(net, Gradients, losses, Operators.Contains);

    /// <summary>The gradient ops of <paramref name="def"/>, after checking it against its schema.</summary>
    public GradientOpsMeta GetGradientForOp(OperatorDef def, IReadOnlyList<GradientWrapper>? gOutput = null)
    {
        ArgumentNullException.ThrowIfNull(def);
        Schemas.Find(def.Type)?.EnforceValid(def);
        return Gradients.GetGradientForOp(def, gOutput);
    }
}
