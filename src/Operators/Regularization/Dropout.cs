// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Regularization;

/// <summary>
/// Caffe2's <c>Dropout</c> and <c>DropoutGrad</c> (<c>dropout_op.cc</c>; the gradient op keeps
/// Caffe2's name), the gradient maker and one registration method.
/// </summary>
/// <remarks>
/// <para>Test mode (<c>is_test</c> nonzero): <c>Y = X</c> (nothing to do in place). Training mode:
/// each element is kept with probability <c>1 - ratio</c>, <c>Y = mask ? X / (1 - ratio) : 0</c>.
/// The optional second output <c>mask</c> (BOOL, X's shape) is true where the element is kept; in
/// test mode it is all true when declared (Caffe2 leaves it unwritten; filling it keeps the output
/// defined and its inferred shape real, and is what ONNX's Dropout gives).</para>
/// <para>Randomness is the shared counter-based splitmix64 stream (<see cref="SplitMix64"/>, also used by
/// the random fills): element k of run r draws
/// <c>splitmix64(seed * 2^32 + r, k)</c> where seed is <c>device_option.random_seed</c> (0 when
/// unset). The same def gives the same masks on every machine and at every thread count; each
/// run of the same operator instance draws a fresh mask, as training needs.</para>
/// </remarks>
public static class Dropout
{
    /// <summary>The pack name used by <see cref="AddDropout"/>.</summary>
    public const string PackName = "Caffe2Sharp.Dropout";

    /// <summary>Adds the dropout pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddDropout(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, CPU kernels and gradient maker into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("Dropout")
            .NumInputs(1).NumOutputs(1, 2)
            .Arg("ratio", "*(type: float; default: 0.5)* Probability of an element to be zeroed, in [0, 1).", 0.5f)
            .Arg("is_test", "*(type: int; default: 0)* If zero (train mode), perform dropout. If nonzero (test mode), Y = X.", 0)
            .AllowInplace((0, 0))
            .TensorInferenceFunction(static (def, inputs) =>
            {
                Enforce.That(inputs.Count == 1, () => $"Dropout takes one input; {inputs.Count} given.");
                var y = inputs[0].Clone();
                if (def.Output.Count < 2) return [y];
                var mask = inputs[0].Clone();
                mask.DataType = DataType.Bool;
                return [y, mask];
            })
            .CostInferenceFunction(CostFunctions.Pointwise(2))
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT or DOUBLE input tensor.")
            .Output(0, "Y", "X with dropped elements zeroed and kept ones scaled by 1 / (1 - ratio); X itself in test mode.")
            .Output(1, "mask", "(optional) BOOL tensor of X's shape: true where the element is kept (all true in test mode).")
            .SetDoc("Training: Y = mask ? X / (1 - ratio) : 0 with mask ~ Bernoulli(1 - ratio), seeded from device_option.random_seed. Test (is_test): Y = X.");
        catalog.Operators.Register("Dropout", static (d, ws) => new DropoutOp(d, ws));
        catalog.Passes.Add(new DropTestModeDropout());

        catalog.Schemas.Schema("DropoutGrad")
            .NumInputs(1, 2).NumOutputs(1)
            .Arg("ratio", "*(type: float; default: 0.5)* The forward op's ratio.", 0.5f)
            .Arg("is_test", "*(type: int; default: 0)* The forward op's is_test; nonzero: dX = dY.", 0)
            .AllowInplace((0, 0))
            .IdenticalTypeAndShapeOfInput(0)
            .CostInferenceFunction(CostFunctions.Pointwise(1))
            .Input(0, "dY", "The gradient of Y.")
            .Input(1, "mask", "The forward op's mask (training mode only).")
            .Output(0, "dX", "The gradient of X.")
            .SetDoc("Training: dX = mask ? dY / (1 - ratio) : 0. Test (is_test): dX = dY.");
        catalog.Operators.Register("DropoutGrad", static (d, ws) => new DropoutGradOp(d, ws));
        catalog.Gradients.Register("Dropout", static (d, g) => new GetDropoutGradient(d, g));
    }

    /// <summary>Reads <c>ratio</c> and checks that it lies in [0, 1).</summary>
    internal static float ReadRatio(OperatorDef def)
    {
        float ratio = def.GetSingleArgument("ratio", 0.5f);
        if (!(ratio >= 0f && ratio < 1f))
            throw new EnforceNotMetException($"argument 'ratio' = {ratio} must be in [0, 1).");
        return ratio;
    }

    /// <summary>
    /// Writes a keep mask with probability <paramref name="keep"/> per element: element k keeps
    /// when the top 53 bits of <c>splitmix64(stream + (k + 1) * golden gamma)</c>, as a double in
    /// [0, 1), fall below <paramref name="keep"/>.
    /// </summary>
    internal static void Mask(Span<bool> mask, ulong stream, double keep)
    {
        // The shared generator (Caffe2Sharp.Kernels.SplitMix64), element by element.
        for (int k = 0; k < mask.Length; k++) mask[k] = SplitMix64.Uniform(stream, k) < keep;
    }

    private sealed class GetDropoutGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
            Def.GetSingleArgument("is_test", 0) != 0
                ? SingleGradientDef("DropoutGrad", "", [GO(0)], [GI(0)])
                : SingleGradientDef("DropoutGrad", "", [GO(0), O(1)], [GI(0)]);
    }
}

/// <summary>Dropout(X) -&gt; Y[, mask].</summary>
internal sealed class DropoutOp : OperatorBase
{
    private readonly float _ratio;
    private readonly bool _isTest;
    private readonly ulong _seed;
    private ulong _run;

    public DropoutOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _ratio = Dropout.ReadRatio(def);
        _isTest = GetSingleArgument("is_test", 0) != 0;
        _seed = def.DeviceOption?.RandomSeed ?? 0;
        if (!_isTest && OutputSize < 2)
            throw Error("in training mode (is_test = 0) the 'mask' output is required.");
    }

    public override void Run()
    {
        var x = Input(0);
        if (x.DataType is not (DataType.Float or DataType.Double))
            throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {x.Describe()}.");
        var y = Output(0);
        if (_isTest)
        {
            if (!IsInPlace(0, 0)) y.CopyFrom(x);
            if (OutputSize > 1)
            {
                var m = Output(1);
                m.Resize(DataType.Bool, x.Dims);
                m.Data<bool>().Fill(true);
            }
            return;
        }
        var mask = Output(1);
        mask.Resize(DataType.Bool, x.Dims);
        ulong stream = (_seed << 32) + _run++;
        Dropout.Mask(mask.Data<bool>(), stream, 1.0 - _ratio);
        if (!IsInPlace(0, 0)) y.Resize(x.DataType, x.Dims);
        if (x.DataType == DataType.Float) Apply(x.Data<float>(), mask.Data<bool>(), y.Data<float>(), 1f / (1f - _ratio));
        else Apply(x.Data<double>(), mask.Data<bool>(), y.Data<double>(), 1.0 / (1.0 - _ratio));
    }

    internal static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<bool> mask, Span<T> y, T scale) where T : unmanaged, System.Numerics.INumber<T>
    {
        for (int k = 0; k < y.Length; k++) y[k] = mask[k] ? x[k] * scale : T.Zero;
    }
}

/// <summary>DropoutGrad(dY[, mask]) -&gt; dX.</summary>
internal sealed class DropoutGradOp : OperatorBase
{
    private readonly float _ratio;
    private readonly bool _isTest;

    public DropoutGradOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _ratio = Dropout.ReadRatio(def);
        _isTest = GetSingleArgument("is_test", 0) != 0;
        if (!_isTest && InputSize < 2)
            throw Error("in training mode (is_test = 0) the 'mask' input is required.");
    }

    public override void Run()
    {
        var dy = Input(0);
        if (dy.DataType is not (DataType.Float or DataType.Double))
            throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {dy.Describe()}.");
        var dx = Output(0);
        if (_isTest)
        {
            if (!IsInPlace(0, 0)) dx.CopyFrom(dy);
            return;
        }
        var mask = Input(1);
        if (mask.DataType != DataType.Bool || !mask.Dims.SequenceEqual(dy.Dims))
            throw Error($"input '{Def.Input[1]}' must be a BOOL mask of {dy.Describe()}'s shape; it is {mask.Describe()}.");
        if (!IsInPlace(0, 0)) dx.Resize(dy.DataType, dy.Dims);
        if (dy.DataType == DataType.Float) DropoutOp.Apply(dy.Data<float>(), mask.Data<bool>(), dx.Data<float>(), 1f / (1f - _ratio));
        else DropoutOp.Apply(dy.Data<double>(), mask.Data<bool>(), dx.Data<double>(), 1.0 / (1.0 - _ratio));
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for Dropout.</summary>
public static class DropoutBuilderExtensions
{
    /// <summary>Adds <c>Dropout(x) -&gt; y, mask</c> in training mode with <paramref name="ratio"/>.</summary>
    public static NetBuilder Dropout(this NetBuilder net, string x, string y, string mask, float ratio = 0.5f, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Dropout", [x], [y, mask], name, ArgumentHelper.MakeArgument("ratio", ratio));
    }

    /// <summary>Adds <c>Dropout(x) -&gt; y</c> in test mode (<c>is_test = 1</c>: a copy).</summary>
    public static NetBuilder DropoutForInference(this NetBuilder net, string x, string y, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Dropout", [x], [y], name, ArgumentHelper.MakeArgument("is_test", 1));
    }
}

/// <summary>
/// The inference pass that removes a test-mode <c>Dropout</c> (<c>is_test</c> != 0, where Y = X;
/// ONNX Runtime's EliminateDropout): in place it is simply dropped; otherwise the ops after it read
/// X instead of Y.
/// </summary>
/// <remarks>
/// Applies only when the mask output (if any) is never read and not protected, Y is not
/// protected (an output or a fetched blob keeps its Dropout), Y has no other writer, and X is not
/// written again after the Dropout (so reading X later still gives Y's value).
/// </remarks>
internal sealed class DropTestModeDropout : INetPass
{
    public string Name => "drop test-mode Dropout";

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var op = ops[k];
            if (op.Type != "Dropout" || op.GetSingleArgument("is_test", 0) == 0 || op.Input.Count != 1) continue;
            string x = op.Input[0], y = op.Output[0];
            string? mask = op.Output.Count > 1 && op.Output[1].Length > 0 ? op.Output[1] : null;
            if (mask is not null && (context.IsProtected(mask) || context.Readers(mask).Count > 0 || context.Writers(mask).Count > 1)) continue;
            if (!context.TryForwardIdentity(k, x, y, $"test-mode Dropout #{k} was dropped")) continue;
            if (mask is not null) context.MarkRemoved(mask, $"test-mode Dropout #{k} was dropped with its mask");
            return 1;
        }
        return 0;
    }
}

