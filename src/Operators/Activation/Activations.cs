// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema.Gradients;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Activation;

/// <summary>
/// The activation family of Caffe2's vision nets: <c>Relu</c>, <c>Sigmoid</c>, <c>Tanh</c>,
/// <c>Elu</c>, <c>Clip</c> and <c>PRelu</c>, each with its gradient operator (computed from the
/// forward output Y and dY, as Caffe2 does, so all but PRelu may run in place), the gradient
/// makers and one registration method; then the functors.
/// </summary>
/// <remarks>
/// NaN and -0: every forward op passes NaN through (a NaN input gives NaN), and Relu and Clip keep
/// -0.0 as -0.0 (compare-and-select: <c>x &lt; 0</c> is false for both). Sigmoid, Tanh and Elu
/// evaluate <c>exp</c>/<c>tanh</c> in double and round once to the element type, so float results
/// are within one rounding of the exact value and identical at every width and thread count.
/// </remarks>
public static class Activations
{
    /// <summary>The pack name used by <see cref="AddActivations"/>.</summary>
    public const string PackName = "Caffe2Sharp.Activations";

    /// <summary>Adds the activation pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddActivations(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, CPU kernels and gradient makers into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var floating = DataTypeSet.Floating;

        catalog.RegisterUnaryElementwise("Relu", static _ => new ReluFunctor(), floating)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .Input(0, "X", "Input tensor.").Output(0, "Y", "max(0, X), element-wise; may be X (in place).")
            .SetDoc("Y = X < 0 ? 0 : X, element-wise (NaN stays NaN, -0.0 stays -0.0).");
        catalog.RegisterBinaryElementwise("ReluGradient", static _ => new ReluGradientFunctor(), floating, Broadcast.None, shapeInput: 1)
            .AllowInplace((1, 0))
            .SetDoc("dX = Y > 0 ? dY : 0, from the forward output Y.");
        catalog.Gradients.Register("Relu", static (d, g) => new GetOutputBasedGradient(d, g, "ReluGradient"));

        catalog.RegisterUnaryElementwise("Sigmoid", static _ => new SigmoidFunctor(), floating)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .SetDoc("Y = 1 / (1 + exp(-X)), element-wise.");
        catalog.RegisterBinaryElementwise("SigmoidGradient", static _ => new SigmoidGradientFunctor(), floating, Broadcast.None, shapeInput: 1)
            .AllowInplace((1, 0))
            .CostInferenceFunction(CostFunctions.Pointwise(3))
            .SetDoc("dX = dY * Y * (1 - Y), from the forward output Y.");
        catalog.Gradients.Register("Sigmoid", static (d, g) => new GetOutputBasedGradient(d, g, "SigmoidGradient"));

        catalog.RegisterUnaryElementwise("Tanh", static _ => new TanhFunctor(), floating)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .SetDoc("Y = tanh(X), element-wise.");
        catalog.RegisterBinaryElementwise("TanhGradient", static _ => new TanhGradientFunctor(), floating, Broadcast.None, shapeInput: 1)
            .AllowInplace((1, 0))
            .CostInferenceFunction(CostFunctions.Pointwise(3))
            .SetDoc("dX = dY * (1 - Y * Y), from the forward output Y.");
        catalog.Gradients.Register("Tanh", static (d, g) => new GetOutputBasedGradient(d, g, "TanhGradient"));

        catalog.RegisterUnaryElementwise("Elu", static d => new EluFunctor(ReadFinite(d, "alpha", 1f)), floating)
            .Arg("alpha", "*(type: float; default: 1.0)* Scale of the negative part.", 1f)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .SetDoc("Y = X > 0 ? X : alpha * (exp(X) - 1), element-wise.");
        catalog.RegisterBinaryElementwise("EluGradient", static d => new EluGradientFunctor(ReadFinite(d, "alpha", 1f)), floating, Broadcast.None, shapeInput: 1)
            .Arg("alpha", "*(type: float; default: 1.0)* The forward op's alpha.", 1f)
            .AllowInplace((1, 0))
            .SetDoc("dX = Y > 0 ? dY : dY * (Y + alpha), from the forward output Y.");
        catalog.Gradients.Register("Elu", static (d, g) => new GetOutputBasedGradient(d, g, "EluGradient"));

        catalog.RegisterUnaryElementwise("Clip", static d => ClipFunctor.From(d), floating)
            .Arg("min", "*(type: float; default: lowest float)* Lower bound.", float.MinValue)
            .Arg("max", "*(type: float; default: largest float)* Upper bound.", float.MaxValue)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .SetDoc("Y = min(max(X, min), max), element-wise (NaN stays NaN).");
        catalog.RegisterBinaryElementwise("ClipGradient", static d => ClipFunctor.From(d).Gradient, floating, Broadcast.None, shapeInput: 1)
            .Arg("min", "*(type: float; default: lowest float)* The forward op's min.", float.MinValue)
            .Arg("max", "*(type: float; default: largest float)* The forward op's max.", float.MaxValue)
            .AllowInplace((1, 0))
            .SetDoc("dX = min < Y < max ? dY : 0, from the forward output Y.");
        catalog.Gradients.Register("Clip", static (d, g) => new GetOutputBasedGradient(d, g, "ClipGradient"));

        catalog.RegisterBinaryElementwise("PRelu", static _ => new PReluFunctor(), floating, Broadcast.Channel)
            .InheritOnnxSchema()
            .Input(0, "X", "Input tensor, NCHW (or N x C x ...).")
            .Input(1, "Slope", "One slope shared by every channel, or one per channel (C values).")
            .Output(0, "Y", "X > 0 ? X : Slope * X.")
            .SetDoc("Y = X > 0 ? X : Slope * X, element-wise, with Slope shared or per channel (dim 1). Not in place: X is needed by the gradient.");
    }

    /// <summary>Reads a finite float argument.</summary>
    internal static float ReadFinite(OperatorDef def, string name, float defaultValue)
    {
        float v = def.GetSingleArgument(name, defaultValue);
        if (!float.IsFinite(v)) throw new EnforceNotMetException($"argument '{name}' must be finite; got {v}.");
        return v;
    }

    /// <summary>Evaluates <paramref name="f"/> in double and rounds once to <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T InDouble<T>(T x, Func<double, double> f) where T : unmanaged, INumber<T> =>
        T.CreateTruncating(f(double.CreateTruncating(x)));
}

/// <summary>
/// The gradient maker of activations whose gradient reads the forward output: one
/// <c>{Type}Gradient(Y, Y_grad) -&gt; X_grad</c>, arguments copied (Caffe2's form; works in place).
/// </summary>
public sealed class GetOutputBasedGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput, string gradientType) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs() => SingleGradientDef(gradientType, "", [O(0), GO(0)], [GI(0)]);
}

/// <summary>Relu: <c>x &lt; 0 ? 0 : x</c> (NaN and -0.0 pass through).</summary>
public readonly struct ReluFunctor : IVectorUnaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x < T.Zero ? T.Zero : x;
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> => Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128<T>.Zero), Vector128<T>.Zero, x);
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> => Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256<T>.Zero), Vector256<T>.Zero, x);
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> => Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<T>.Zero), Vector512<T>.Zero, x);
}

/// <summary>Relu's gradient from its output: <c>y &gt; 0 ? dy : 0</c>.</summary>
public readonly struct ReluGradientFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T> => y > T.Zero ? dy : T.Zero;
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> y, Vector128<T> dy) where T : unmanaged, INumber<T> => Vector128.ConditionalSelect(Vector128.GreaterThan(y, Vector128<T>.Zero), dy, Vector128<T>.Zero);
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> y, Vector256<T> dy) where T : unmanaged, INumber<T> => Vector256.ConditionalSelect(Vector256.GreaterThan(y, Vector256<T>.Zero), dy, Vector256<T>.Zero);
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> y, Vector512<T> dy) where T : unmanaged, INumber<T> => Vector512.ConditionalSelect(Vector512.GreaterThan(y, Vector512<T>.Zero), dy, Vector512<T>.Zero);
}

/// <summary>Sigmoid: <c>1 / (1 + exp(-x))</c>, in double, rounded once.</summary>
public readonly struct SigmoidFunctor : IUnaryFunctor
{
    /// <inheritdoc/>
    public static int CostPerElement => 64;
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;
    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => Activations.InDouble(x, static v => 1.0 / (1.0 + Math.Exp(-v)));
}

/// <summary>Sigmoid's gradient from its output: <c>dy * y * (1 - y)</c>.</summary>
public readonly struct SigmoidGradientFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T> => dy * y * (T.One - y);
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> y, Vector128<T> dy) where T : unmanaged, INumber<T> => dy * y * (Vector128<T>.One - y);
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> y, Vector256<T> dy) where T : unmanaged, INumber<T> => dy * y * (Vector256<T>.One - y);
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> y, Vector512<T> dy) where T : unmanaged, INumber<T> => dy * y * (Vector512<T>.One - y);
}

/// <summary>Tanh, in double, rounded once.</summary>
public readonly struct TanhFunctor : IUnaryFunctor
{
    /// <inheritdoc/>
    public static int CostPerElement => 64;
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;
    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => Activations.InDouble(x, Math.Tanh);
}

/// <summary>Tanh's gradient from its output: <c>dy * (1 - y * y)</c>.</summary>
public readonly struct TanhGradientFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T> => dy * (T.One - y * y);
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> y, Vector128<T> dy) where T : unmanaged, INumber<T> => dy * (Vector128<T>.One - y * y);
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> y, Vector256<T> dy) where T : unmanaged, INumber<T> => dy * (Vector256<T>.One - y * y);
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> y, Vector512<T> dy) where T : unmanaged, INumber<T> => dy * (Vector512<T>.One - y * y);
}

/// <summary>Elu: <c>x &gt; 0 ? x : alpha * (exp(x) - 1)</c>, the negative part in double, rounded once.</summary>
public readonly struct EluFunctor(float alpha) : IUnaryFunctor
{
    private readonly double _alpha = alpha;
    /// <inheritdoc/>
    public static int CostPerElement => 64;
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;
    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T>
    {
        if (x > T.Zero || T.IsNaN(x)) return x;
        return T.CreateTruncating(_alpha * double.ExpM1(double.CreateTruncating(x)));
    }
}

/// <summary>Elu's gradient from its output: <c>y &gt; 0 ? dy : dy * (y + alpha)</c>.</summary>
public readonly struct EluGradientFunctor(float alpha) : IBinaryFunctor
{
    private readonly float _alpha = alpha;
    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T> => y > T.Zero ? dy : dy * (y + T.CreateTruncating(_alpha));
}

/// <summary>Clip: <c>x &lt; min ? min : x &gt; max ? max : x</c> (NaN passes through).</summary>
public readonly struct ClipFunctor(float min, float max) : IVectorUnaryFunctor
{
    private readonly float _min = min, _max = max;

    /// <summary>Reads <c>min</c> and <c>max</c> (NaN refused; min above max refused).</summary>
    internal static ClipFunctor From(OperatorDef def)
    {
        float min = def.GetSingleArgument("min", float.MinValue), max = def.GetSingleArgument("max", float.MaxValue);
        if (float.IsNaN(min) || float.IsNaN(max)) throw new EnforceNotMetException($"arguments 'min' ({min}) and 'max' ({max}) must not be NaN.");
        if (min > max) throw new EnforceNotMetException($"argument 'min' ({min}) is above 'max' ({max}).");
        return new ClipFunctor(min, max);
    }

    /// <summary>The matching gradient functor.</summary>
    internal ClipGradientFunctor Gradient => new(_min, _max);

    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T>
    {
        T lo = T.CreateSaturating(_min), hi = T.CreateSaturating(_max);
        return x < lo ? lo : x > hi ? hi : x;
    }
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T>
    {
        var lo = Vector128.Create(T.CreateSaturating(_min));
        var hi = Vector128.Create(T.CreateSaturating(_max));
        return Vector128.ConditionalSelect(Vector128.LessThan(x, lo), lo, Vector128.ConditionalSelect(Vector128.GreaterThan(x, hi), hi, x));
    }
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T>
    {
        var lo = Vector256.Create(T.CreateSaturating(_min));
        var hi = Vector256.Create(T.CreateSaturating(_max));
        return Vector256.ConditionalSelect(Vector256.LessThan(x, lo), lo, Vector256.ConditionalSelect(Vector256.GreaterThan(x, hi), hi, x));
    }
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T>
    {
        var lo = Vector512.Create(T.CreateSaturating(_min));
        var hi = Vector512.Create(T.CreateSaturating(_max));
        return Vector512.ConditionalSelect(Vector512.LessThan(x, lo), lo, Vector512.ConditionalSelect(Vector512.GreaterThan(x, hi), hi, x));
    }
}

/// <summary>Clip's gradient from its output: <c>min &lt; y &lt; max ? dy : 0</c>.</summary>
public readonly struct ClipGradientFunctor(float min, float max) : IBinaryFunctor
{
    private readonly float _min = min, _max = max;
    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T> =>
        y > T.CreateSaturating(_min) && y < T.CreateSaturating(_max) ? dy : T.Zero;
}

/// <summary>PRelu: <c>x &gt; 0 ? x : slope * x</c>.</summary>
public readonly struct PReluFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public T Invoke<T>(T x, T slope) where T : unmanaged, INumber<T> => x > T.Zero ? x : x * slope;
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> slope) where T : unmanaged, INumber<T> => Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128<T>.Zero), x, x * slope);
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> slope) where T : unmanaged, INumber<T> => Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256<T>.Zero), x, x * slope);
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> slope) where T : unmanaged, INumber<T> => Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512<T>.Zero), x, x * slope);
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the activation family.</summary>
public static class ActivationBuilderExtensions
{
    /// <summary>Adds <c>Relu(x) -&gt; y</c>.</summary>
    public static NetBuilder Relu(this NetBuilder net, string x, string y, string? name = null) => Op(net, "Relu", x, y, name);

    /// <summary>Adds <c>Sigmoid(x) -&gt; y</c>.</summary>
    public static NetBuilder Sigmoid(this NetBuilder net, string x, string y, string? name = null) => Op(net, "Sigmoid", x, y, name);

    /// <summary>Adds <c>Tanh(x) -&gt; y</c>.</summary>
    public static NetBuilder Tanh(this NetBuilder net, string x, string y, string? name = null) => Op(net, "Tanh", x, y, name);

    private static NetBuilder Op(NetBuilder net, string type, string x, string y, string? name)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op(type, [x], [y], name);
    }
}
