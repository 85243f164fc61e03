// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// Caffe2's <c>Softmax</c> and <c>SoftmaxGradient</c> (<c>softmax_op.cc</c>): the input is coerced
/// to 2-D at <c>axis</c> and each row is normalised; the gradient maker; one registration method.
/// </summary>
/// <remarks>
/// <para>With <c>axis</c> = a, <c>X</c> is viewed as <c>[N, D]</c>, <c>N = prod(dims[:a])</c>,
/// <c>D = prod(dims[a:])</c>, and <c>Y[n, d] = exp(X[n, d] - max_d X[n]) / sum_d exp(X[n, d] - max_d X[n])</c>.
/// A <c>[N, C, H, W]</c> input with axis 1 is normalised over <c>C * H * W</c>, not over C alone
/// (ONNX opset 13 and later normalise over one axis; they agree only when a is the last axis).</para>
/// <para>The gradient reads the forward output: <c>dX = Y * (dY - sum_d(dY * Y))</c> per row.</para>
/// </remarks>
public static class Softmax
{
    /// <summary>The pack name used by <see cref="AddSoftmax"/>.</summary>
    public const string PackName = "Caffe2Sharp.Softmax";

    /// <summary>Adds the softmax pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddSoftmax(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, CPU kernels and gradient maker into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("Softmax")
            .NumInputs(1).NumOutputs(1)
            .Arg("axis", "*(type: int; default: 1)* The input is coerced to 2-D at this axis: [prod(dims[:axis]), prod(dims[axis:])]. Negative counts from the end.", 1)
            .IdenticalTypeAndShape()
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .InheritOnnxSchema()
            .Input(0, "X", "FLOAT or DOUBLE input tensor, at least 1-D.")
            .Output(0, "Y", "The softmax of X, normalised over each row of the 2-D view; same shape and type as X.")
            .SetDoc("Y = exp(X - max) / sum(exp(X - max)) over each row of X viewed as [prod(dims[:axis]), prod(dims[axis:])]; the row maximum is subtracted for numerical stability.");
        catalog.Operators.Register("Softmax", static (d, ws) => new SoftmaxOp(d, ws));

        catalog.Schemas.Schema("SoftmaxGradient")
            .NumInputs(2).NumOutputs(1)
            .Arg("axis", "*(type: int; default: 1)* The forward op's axis.", 1)
            .IdenticalTypeAndShapeOfInput(0)
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .Input(0, "Y", "The forward output.")
            .Input(1, "dY", "The gradient of Y.")
            .Output(0, "dX", "The gradient of X.")
            .SetDoc("dX = Y * (dY - sum(dY * Y)) over each row of the forward op's 2-D view.");
        catalog.Operators.Register("SoftmaxGradient", static (d, ws) => new SoftmaxGradientOp(d, ws));
        catalog.Gradients.Register("Softmax", static (d, g) => new GetOutputBasedGradient(d, g, "SoftmaxGradient"));
    }

    /// <summary>
    /// The 2-D view <c>[N, D]</c> of <paramref name="dims"/> at <paramref name="axis"/>
    /// (Caffe2's <c>canonical_axis_index</c>, then <c>size_to_dim</c> and <c>size_from_dim</c>).
    /// </summary>
    /// <exception cref="EnforceNotMetException">The axis is outside [-rank, rank).</exception>
    public static (int Rows, int Cols) Coerce2D(ReadOnlySpan<long> dims, int axis, string blob)
    {
        int rank = dims.Length;
        if (axis < -rank || axis >= rank)
            throw new EnforceNotMetException($"argument 'axis' = {axis} is out of range for input '{blob}' of rank {rank}; it must be in [{-rank}, {rank - 1}].");
        int a = axis < 0 ? axis + rank : axis;
        long rows = 1, cols = 1;
        for (int k = 0; k < a; k++) rows *= dims[k];
        for (int k = a; k < rank; k++) cols *= dims[k];
        return ((int)rows, (int)cols);
    }
}

/// <summary>Softmax over the rows of the 2-D view of X.</summary>
internal sealed class SoftmaxOp : OperatorBase
{
    private readonly int _axis;

    public SoftmaxOp(OperatorDef def, Workspace ws) : base(def, ws) => _axis = GetSingleArgument("axis", 1);

    public override void Run()
    {
        var x = Input(0);
        var (rows, cols) = Softmax.Coerce2D(x.Dims, _axis, Def.Input[0]);
        var y = Output(0);
        switch (x.DataType)
        {
            case DataType.Float:
                y.Resize(DataType.Float, x.Dims);
                SoftmaxKernel.Forward<float>(x.Data<float>(), y.Data<float>(), rows, cols, Pool, MaxDegreeOfParallelism);
                break;
            case DataType.Double:
                y.Resize(DataType.Double, x.Dims);
                SoftmaxKernel.Forward<double>(x.Data<double>(), y.Data<double>(), rows, cols, Pool, MaxDegreeOfParallelism);
                break;
            default:
                throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {x.Describe()}.");
        }
    }
}

/// <summary>SoftmaxGradient(Y, dY) -&gt; dX over the rows of the 2-D view.</summary>
internal sealed class SoftmaxGradientOp : OperatorBase
{
    private readonly int _axis;

    public SoftmaxGradientOp(OperatorDef def, Workspace ws) : base(def, ws) => _axis = GetSingleArgument("axis", 1);

    public override void Run()
    {
        var y = Input(0);
        var dy = Input(1);
        if (y.DataType != dy.DataType || !y.Dims.SequenceEqual(dy.Dims))
            throw Error($"'{Def.Input[0]}' is {y.Describe()} but '{Def.Input[1]}' is {dy.Describe()}; they must have the same type and shape.");
        var (rows, cols) = Softmax.Coerce2D(y.Dims, _axis, Def.Input[0]);
        var dx = Output(0);
        switch (y.DataType)
        {
            case DataType.Float:
                dx.Resize(DataType.Float, y.Dims);
                SoftmaxKernel.Backward<float>(y.Data<float>(), dy.Data<float>(), dx.Data<float>(), rows, cols, Pool, MaxDegreeOfParallelism);
                break;
            case DataType.Double:
                dx.Resize(DataType.Double, y.Dims);
                SoftmaxKernel.Backward<double>(y.Data<double>(), dy.Data<double>(), dx.Data<double>(), rows, cols, Pool, MaxDegreeOfParallelism);
                break;
            default:
                throw Error($"input '{Def.Input[0]}' must be FLOAT or DOUBLE; it is {y.Describe()}.");
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for Softmax.</summary>
public static class SoftmaxBuilderExtensions
{
    /// <summary>Adds <c>Softmax(x) -&gt; y</c> normalising over the 2-D view at <paramref name="axis"/>.</summary>
    public static NetBuilder Softmax(this NetBuilder net, string x, string y, int axis = 1, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Softmax", [x], [y], name, ArgumentHelper.MakeArgument("axis", axis));
    }
}
