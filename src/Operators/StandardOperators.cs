// Hand-written.
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Operators.Conversion;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Operators.Linear;
using Caffe2Sharp.Operators.Logical;
using Caffe2Sharp.Operators.Reduction;
using Caffe2Sharp.Operators.Regularization;
using Caffe2Sharp.Operators.Shape;
using Caffe2Sharp.Operators.Vision;
using Caffe2Sharp.Runtime;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators;

/// <summary>
/// The standard library in one call: every built-in operator pack, each still a plugin added
/// through the same public API a user's pack uses. The runtime itself knows no operator.
/// </summary>
public static class StandardOperators
{
    /// <summary>
    /// Adds every built-in pack: fills (constant, given and random) and Copy, Sum, Add/Sub/Mul/Div, LeakyRelu, and the
    /// activations (Relu, Sigmoid, Tanh, Elu, Clip, PRelu), the shape operators (Reshape,
    /// Flatten, Transpose, Squeeze, ExpandDims, Concat, Split), Softmax, Dropout,
    /// ResizeNearest, Resize (ONNX's semantics) and UpsampleBilinear, SpatialBN (inference) and LRN, pooling (MaxPool, AveragePool), FC, Conv and ConvTranspose, the NCHWc (blocked-channel) Conv and pooling that the inference optimiser substitutes,
    /// Max/Min/Mean, Selu and Softplus, BatchMatMul and MatMul, and the operators of ONNX models' shape
    /// computations (Shape, Gather, Expand, Range, Cast, CastLike, LT/LE/GT/GE/EQ/NE, Where, ReduceMean, ArgMax, ArgMin). A pack that is already added is
    /// skipped; a different pack registering one of the same operator names is still an error.
    /// </summary>
    public static Caffe2SharpBuilder AddStandardOperators(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddFillOperators().AddSum().AddArithmetic().AddLeakyRelu().AddActivations()
            .AddShapeOperators().AddSoftmax().AddDropout().AddResizeNearest().AddResize().AddNormalization().AddPooling().AddFullyConnected().AddConv().AddConvTranspose().AddNchwc()
            .AddMinMaxMean().AddSeluSoftplus().AddMatMul()
            .AddShapeComputation().AddCastOperators().AddLogicalOperators().AddReductions();
    }

    /// <summary>Registers every built-in pack into <paramref name="catalog"/> (without a container).</summary>
    public static OperatorCatalog AddStandardOperators(this OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Add(FillOperators.Register).Add(Sum.Register).Add(ArithmeticOperators.Register).Add(LeakyRelu.Register).Add(Activations.Register)
            .Add(ShapeOperators.Register).Add(Softmax.Register).Add(Dropout.Register).Add(ResizeNearest.Register).Add(Resize.Register).Add(Normalization.Register).Add(Pooling.Register).Add(FullyConnected.Register).Add(Conv.Register).Add(ConvTranspose.Register).Add(NchwcOperators.Register)
            .Add(MinMaxMean.Register).Add(SeluSoftplus.Register).Add(MatMul.Register)
            .Add(ShapeComputation.Register).Add(CastOperators.Register).Add(LogicalOperators.Register).Add(Reductions.Register);
    }
}
