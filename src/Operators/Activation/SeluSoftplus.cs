// Hand-written.
using System.Numerics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Activation;

/// <summary>
/// Caffe2's <c>Selu</c> and <c>Softplus</c> (<c>selu_op.cc</c>, <c>softplus_op.cc</c>), each with
/// its gradient operator computed from the forward output Y and dY, as Caffe2 does (so the forward
/// op may run in place), the gradient makers and one registration method; then the functors.
/// </summary>
/// <remarks>
/// <para>Both evaluate in double and round once to the element type (FLOAT, DOUBLE, FLOAT16), so
/// float results are within one rounding of the exact value at every width and thread count.</para>
/// <para>NaN gives NaN. Selu keeps -0.0 as -0.0 (<c>scale * alpha * expm1(-0) = -0</c>; ONNX's
/// formula <c>gamma * (alpha * e^x - alpha)</c> would give +0). Softplus of ±0 is ln 2.</para>
/// </remarks>
public static class SeluSoftplus
{
    /// <summary>Caffe2's (and the paper's) default alpha of Selu.</summary>
    public const float DefaultSeluAlpha = 1.6732632423543772848170429916717f;

    /// <summary>Caffe2's (and the paper's) default scale (lambda) of Selu; ONNX calls it gamma.</summary>
    public const float DefaultSeluScale = 1.0507009873554804934193349852946f;

    /// <summary>The pack name used by <see cref="AddSeluSoftplus"/>.</summary>
    public const string PackName = "Caffe2Sharp.SeluSoftplus";

    /// <summary>Adds Selu and Softplus to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddSeluSoftplus(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, CPU kernels and gradient makers into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var floating = DataTypeSet.Floating;

        catalog.RegisterUnaryElementwise("Selu", static d => SeluFunctor.From(d), floating)
            .Arg("alpha", "*(type: float; default: 1.6732632423543772848170429916717)* Scale of the exponential on the negative part.", DefaultSeluAlpha)
            .Arg("scale", "*(type: float; default: 1.0507009873554804934193349852946)* Scale of the whole output (lambda; ONNX's gamma).", DefaultSeluScale)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .Input(0, "X", "Input tensor.").Output(0, "Y", "Selu of X, element-wise; may be X (in place).")
            .SetDoc("Y = scale * (X > 0 ? X : alpha * (exp(X) - 1)), element-wise (NaN stays NaN, -0.0 stays -0.0). " +
                "Caffe2 also requires scale > 1; any finite scale is accepted here, as ONNX's Selu allows.");
        catalog.RegisterBinaryElementwise("SeluGradient", static d => SeluFunctor.From(d).Gradient, floating, Broadcast.None, shapeInput: 1)
            .Arg("alpha", "*(type: float; default: 1.6732632423543772848170429916717)* The forward op's alpha.", DefaultSeluAlpha)
            .Arg("scale", "*(type: float; default: 1.0507009873554804934193349852946)* The forward op's scale.", DefaultSeluScale)
            .AllowInplace((1, 0))
            .CostInferenceFunction(CostFunctions.Pointwise(3))
            .Input(0, "Y", "The forward output.").Input(1, "dY", "The gradient of Y.").Output(0, "dX", "The gradient of X; may be dY (in place).")
            .SetDoc("dX = Y > 0 ? scale * dY : dY * (Y + scale * alpha), from the forward output Y.");
        catalog.Gradients.Register("Selu", static (d, g) => new GetOutputBasedGradient(d, g, "SeluGradient"));

        catalog.RegisterUnaryElementwise("Softplus", static _ => new SoftplusFunctor(), floating)
            .AllowInplace((0, 0)).InheritOnnxSchema()
            .CostInferenceFunction(CostFunctions.Pointwise(4))
            .Input(0, "X", "Input tensor.").Output(0, "Y", "ln(1 + exp(X)), element-wise; may be X (in place).")
            .SetDoc("Y = ln(1 + exp(X)), element-wise, computed stably as max(X, 0) + ln(1 + exp(-|X|)): no overflow for large X (Y = X), and no loss for very negative X (Y = exp(X)).");
        catalog.RegisterBinaryElementwise("SoftplusGradient", static _ => new SoftplusGradientFunctor(), floating, Broadcast.None, shapeInput: 1)
            .AllowInplace((1, 0))
            .CostInferenceFunction(CostFunctions.Pointwise(3))
            .Input(0, "Y", "The forward output.").Input(1, "dY", "The gradient of Y.").Output(0, "dX", "The gradient of X; may be dY (in place).")
            .SetDoc("dX = dY * (1 - exp(-Y)), from the forward output Y (sigmoid(X), since exp(-Y) = 1 - sigmoid(X)).");
        catalog.Gradients.Register("Softplus", static (d, g) => new GetOutputBasedGradient(d, g, "SoftplusGradient"));
    }

    /// <summary>
    /// <c>e^x - 1</c>, accurate for small |x| (.NET's <c>double.ExpM1</c> is <c>Exp(x) - 1</c>, which
    /// gives 0 for x = 1e-20 and +0 for -0). Kahan's form: <c>(e - 1) * x / ln(e)</c> cancels the
    /// rounding of e. -0 gives -0, -inf gives -1, NaN gives NaN.
    /// </summary>
    public static double ExpM1(double x)
    {
        double e = Math.Exp(x);
        if (e == 1) return x; // |x| under half an ulp of 1: expm1(x) rounds to x (and keeps -0)
        double m = e - 1;
        if (m == -1 || double.IsInfinity(e)) return m;
        return m * x / Math.Log(e);
    }

    /// <summary>
    /// <c>ln(1 + u)</c>, accurate for small u (.NET's <c>double.LogP1</c> is <c>Log(u + 1)</c>, which
    /// gives 0 for u = 1e-20). The classic form <c>ln(w) * u / (w - 1)</c> with <c>w = 1 + u</c>
    /// cancels the rounding of w.
    /// </summary>
    public static double LogP1(double u)
    {
        double w = 1 + u;
        if (w == 1) return u;
        if (double.IsInfinity(w)) return w;
        return Math.Log(w) * u / (w - 1);
    }
}

/// <summary>Selu: <c>scale * (x &gt; 0 ? x : alpha * expm1(x))</c>, in double, rounded once.</summary>
public readonly struct SeluFunctor(float alpha, float scale) : IUnaryFunctor
{
    private readonly double _alpha = alpha, _scale = scale;

    /// <summary>Reads <c>alpha</c> and <c>scale</c> (finite).</summary>
    internal static SeluFunctor From(OperatorDef def) =>
        new(Activations.ReadFinite(def, "alpha", SeluSoftplus.DefaultSeluAlpha), Activations.ReadFinite(def, "scale", SeluSoftplus.DefaultSeluScale));

    /// <summary>The matching gradient functor.</summary>
    internal SeluGradientFunctor Gradient => new((float)_alpha, (float)_scale);

    /// <inheritdoc/>
    public static int CostPerElement => 64;
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;

    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T>
    {
        double v = double.CreateTruncating(x);
        // expm1 keeps small negative x accurate and maps -0 to -0 (NaN falls through to NaN).
        return T.CreateTruncating(v > 0 ? _scale * v : _scale * (_alpha * SeluSoftplus.ExpM1(v)));
    }
}

/// <summary>Selu's gradient from its output: <c>y &gt; 0 ? scale * dy : dy * (y + scale * alpha)</c>.</summary>
public readonly struct SeluGradientFunctor(float alpha, float scale) : IBinaryFunctor
{
    private readonly double _alpha = alpha, _scale = scale;

    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;

    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T>
    {
        double yv = double.CreateTruncating(y), g = double.CreateTruncating(dy);
        // For x <= 0, y = scale * alpha * (e^x - 1), so dy/dx = scale * alpha * e^x = y + scale * alpha.
        return T.CreateTruncating(yv > 0 ? _scale * g : g * (yv + _scale * _alpha));
    }
}

/// <summary>Softplus: <c>ln(1 + exp(x))</c> as <c>max(x, 0) + log1p(exp(-|x|))</c>, in double, rounded once.</summary>
public readonly struct SoftplusFunctor : IUnaryFunctor
{
    /// <inheritdoc/>
    public static int CostPerElement => 64;
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;

    /// <inheritdoc/>
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => T.CreateTruncating(Softplus(double.CreateTruncating(x)));

    /// <summary>
    /// The stable form: exp only ever sees -|x| &lt;= 0, so it cannot overflow; for large x the
    /// log1p term underflows to 0 and y = x; +inf gives +inf, -inf gives 0, NaN gives NaN.
    /// </summary>
    public static double Softplus(double x) => x > 0 ? x + SeluSoftplus.LogP1(Math.Exp(-x)) : SeluSoftplus.LogP1(Math.Exp(x));
}

/// <summary>Softplus's gradient from its output: <c>dy * (1 - exp(-y))</c>, as <c>-expm1(-y)</c> (accurate for small y).</summary>
public readonly struct SoftplusGradientFunctor : IBinaryFunctor
{
    /// <inheritdoc/>
    public static int CostPerElement => 32;
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;

    /// <inheritdoc/>
    public T Invoke<T>(T y, T dy) where T : unmanaged, INumber<T> =>
        T.CreateTruncating(double.CreateTruncating(dy) * -SeluSoftplus.ExpM1(-double.CreateTruncating(y)));
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for Selu and Softplus.</summary>
public static class SeluSoftplusBuilderExtensions
{
    /// <summary>Adds <c>Selu(x) -&gt; y</c>; alpha and scale are written only when given.</summary>
    public static NetBuilder Selu(this NetBuilder net, string x, string y, float? alpha = null, float? scale = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        var args = new List<Argument>();
        if (alpha is { } a) args.Add(ArgumentHelper.MakeArgument("alpha", a));
        if (scale is { } s) args.Add(ArgumentHelper.MakeArgument("scale", s));
        return net.Op("Selu", [x], [y], name, [.. args]);
    }

    /// <summary>Adds <c>Softplus(x) -&gt; y</c>.</summary>
    public static NetBuilder Softplus(this NetBuilder net, string x, string y, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Softplus", [x], [y], name);
    }
}
