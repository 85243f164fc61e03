// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Activation;

/// <summary>
/// The LeakyRelu family: the <c>LeakyRelu</c> and <c>LeakyReluGradient</c> schemas and one
/// registration method, then their functors (the element-wise operator bases do the rest), the
/// gradient maker and the <see cref="Caffe2Sharp.Schema.Builders.NetBuilder"/> methods. Reads top
/// to bottom like Caffe2's <c>leaky_relu_op.cc</c>.
/// </summary>
/// <remarks>
/// <para>Forward: <c>y = x</c> for <c>x &gt;= 0</c>, <c>alpha * x</c> otherwise, for any finite alpha
/// (the piecewise form, not <c>max(x, alpha * x)</c>, which differs for alpha &gt; 1). NaN gives
/// NaN; -0.0 is <c>&gt;= 0</c> and passes through unchanged.</para>
/// <para>Gradient: <c>LeakyReluGradient(S, dY) -> dX</c> computes <c>dX = dY</c> where
/// <c>S &gt;= 0</c> and <c>alpha * dY</c> elsewhere, as Caffe2 does. Caffe2's maker passes
/// <c>S = Y</c>, which tells the branch only when alpha &gt; 0. Our maker passes <c>S = X</c>
/// whenever the forward ran out of place: exact for every alpha, and still a net Caffe2 runs
/// with the same result. When the forward ran in place (X overwritten by Y) it passes Y, as
/// Caffe2 does, if alpha &gt; 0; with alpha &lt;= 0 it refuses with a clear error rather than
/// produce a silently wrong gradient.</para>
/// </remarks>
public static class LeakyRelu
{
    /// <summary>The pack name used by <see cref="AddLeakyRelu"/>.</summary>
    public const string PackName = "Caffe2Sharp.LeakyRelu";

    /// <summary>Caffe2's default leakage coefficient.</summary>
    public const float DefaultAlpha = 0.01f;

    /// <summary>Adds the LeakyRelu pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddLeakyRelu(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, CPU kernels and gradient maker into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);

        catalog.RegisterUnaryElementwise("LeakyRelu", static d => new LeakyReluFunctor(ReadAlpha(d)), DataTypeSet.Floating)
            .Arg("alpha", "*(type: float; default: 0.01)* Coefficient of leakage; any finite value.", DefaultAlpha)
            .AllowInplace((0, 0))
            // A compare and a multiply per element.
            .CostInferenceFunction(CostFunctions.Pointwise(2))
            // ONNX's LeakyRelu (attribute alpha, default 0.01) is this operator. Upstream attaches
            // InheritOnnxSchema to the gradient, which has no ONNX counterpart; we put it here.
            .InheritOnnxSchema()
            .Input(0, "X", "Input tensor of data to be operated on (FLOAT, DOUBLE or FLOAT16).")
            .Output(0, "Y", "Output tensor, calculated as described above; may be X itself (in place).")
            .SetDoc("""
                The *LeakyRelu* op takes one input tensor $X$ and an argument $alpha$, and produces one
                output tensor $Y$ of the same shape as $X$, computed element-wise as

                $$Y = X \text{ for } X \ge 0, \qquad Y = alpha \cdot X \text{ for } X < 0$$

                for any finite alpha (this is not max(X, alpha * X), which differs when alpha > 1).
                NaN stays NaN; -0.0 passes through as -0.0. May run in place.

                Example (alpha = 0.01):
                X = [[-0.91060215, 0.09374836, 2.1429708], [-0.748983, 0.19164062, -1.5130422], [-0.29539835, -0.8530696, 0.7673204]]
                Y = [[-0.00910602, 0.09374836, 2.1429708], [-0.00748983, 0.19164062, -0.01513042], [-0.00295398, -0.0085307, 0.7673204]]
                """);

        catalog.RegisterBinaryElementwise("LeakyReluGradient", static d => new LeakyReluGradientFunctor(ReadAlpha(d)), DataTypeSet.Floating, Broadcast.None, shapeInput: 1)
            .Arg("alpha", "*(type: float; default: 0.01)* Coefficient of leakage.", DefaultAlpha)
            .AllowInplace((1, 0))
            .CostInferenceFunction(CostFunctions.Pointwise(2))
            .Input(0, "S", "Sign source: the forward output Y (Caffe2's form, exact for alpha > 0) or the forward input X (exact for any alpha).")
            .Output(0, "dX", "Gradient of the input: dY where S >= 0, alpha * dY elsewhere; may be dY itself (in place).")
            .Input(1, "dY", "Gradient of the forward output; same type and number of elements as S.")
            .SetDoc("Gradient of LeakyRelu: dX = dY where S >= 0, alpha * dY where S < 0 (or S is NaN).");

        catalog.Gradients.Register("LeakyRelu", static (d, g) => new GetLeakyReluGradient(d, g));
    }

    /// <summary>Reads and checks <c>alpha</c>: a number (f, or an exact integer in i), finite.</summary>
    internal static float ReadAlpha(OperatorDef def)
    {
        float alpha = def.GetSingleArgument("alpha", DefaultAlpha);
        if (!float.IsFinite(alpha))
            throw new EnforceNotMetException($"argument 'alpha' must be finite; got {alpha}.");
        return alpha;
    }
}

/// <summary>
/// LeakyRelu, element-wise: effectively computes <c>y = x &gt;= 0 ? x : alpha * x</c>.
/// </summary>
/// <remarks>
/// Compare-and-select, not Max/Min: -0.0 &gt;= 0 is true, so -0.0 passes through as -0.0, and
/// NaN &gt;= 0 is false, so NaN becomes alpha * NaN, a NaN. The product is one IEEE multiply in
/// T at every width, so scalar and vector lanes agree bit for bit, denormals included (no flush).
/// FLOAT16 is computed in double: the product of a half and a float is exact there (11 + 24
/// significant bits), so it rounds once, to half, with no double rounding through float.
/// </remarks>
public readonly struct LeakyReluFunctor(float alpha) : IVectorUnaryFunctor
{
    private readonly float _alpha = alpha;

    /// <summary>The leakage coefficient.</summary>
    public float Alpha => _alpha;

    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x >= T.Zero ? x : x * T.CreateTruncating(_alpha);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> =>
        Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<T>.Zero), x, x * Vector128.Create(T.CreateTruncating(_alpha)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<T>.Zero), x, x * Vector256.Create(T.CreateTruncating(_alpha)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<T>.Zero), x, x * Vector512.Create(T.CreateTruncating(_alpha)));
}

/// <summary>
/// The LeakyRelu gradient, element-wise: effectively computes <c>dx = s &gt;= 0 ? dy : alpha * dy</c>,
/// where the sign source <c>s</c> is the forward input X, or the forward output Y when alpha &gt; 0.
/// </summary>
/// <remarks>s = NaN takes the alpha branch, as the forward did. FLOAT16 rounds once, as in <see cref="LeakyReluFunctor"/>.</remarks>
public readonly struct LeakyReluGradientFunctor(float alpha) : IVectorBinaryFunctor
{
    private readonly float _alpha = alpha;

    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke<T>(T s, T dy) where T : unmanaged, INumber<T> => s >= T.Zero ? dy : dy * T.CreateTruncating(_alpha);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke<T>(Vector128<T> s, Vector128<T> dy) where T : unmanaged, INumber<T> =>
        Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(s, Vector128<T>.Zero), dy, dy * Vector128.Create(T.CreateTruncating(_alpha)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke<T>(Vector256<T> s, Vector256<T> dy) where T : unmanaged, INumber<T> =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(s, Vector256<T>.Zero), dy, dy * Vector256.Create(T.CreateTruncating(_alpha)));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke<T>(Vector512<T> s, Vector512<T> dy) where T : unmanaged, INumber<T> =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(s, Vector512<T>.Zero), dy, dy * Vector512.Create(T.CreateTruncating(_alpha)));
}

/// <summary>
/// LeakyRelu kernels over spans, for callers outside a net (benchmarks, tests): the functors on
/// the element-wise driver. Output may be exactly the input (in place); shifted overlap is rejected.
/// </summary>
public static class LeakyReluKernels
{
    /// <summary><c>y = x &gt;= 0 ? x : alpha * x</c> for FLOAT, DOUBLE or FLOAT16 (rounded once).</summary>
    public static void Forward<T>(ReadOnlySpan<T> x, Span<T> y, float alpha, ComputePool? pool = null, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> =>
        ElementwiseDriver.Unary(new LeakyReluFunctor(alpha), x, y, pool ?? ComputePool.Serial, maxDegreeOfParallelism);

    /// <summary><c>dx = s &gt;= 0 ? dy : alpha * dy</c> for FLOAT, DOUBLE or FLOAT16 (rounded once).</summary>
    public static void Gradient<T>(ReadOnlySpan<T> s, ReadOnlySpan<T> dy, Span<T> dx, float alpha, ComputePool? pool = null, int maxDegreeOfParallelism = int.MaxValue)
        where T : unmanaged, INumber<T> =>
        ElementwiseDriver.Binary(new LeakyReluGradientFunctor(alpha), s, dy, dx, pool ?? ComputePool.Serial, maxDegreeOfParallelism);
}

/// <summary>
/// The gradient maker of LeakyRelu: one <c>LeakyReluGradient(S, Y_grad) -> X_grad</c>, alpha
/// copied. S is X when the forward ran out of place (exact for every alpha), Y when it ran in
/// place and alpha &gt; 0 (Caffe2's form), and an error when it ran in place with alpha &lt;= 0.
/// </summary>
public sealed class GetLeakyReluGradient(OperatorDef def, IReadOnlyList<GradientWrapper> gOutput) : GradientMakerBase(def, gOutput)
{
    /// <inheritdoc/>
    protected override IReadOnlyList<OperatorDef> GetGradientDefs()
    {
        float alpha = Def.GetSingleArgument("alpha", LeakyRelu.DefaultAlpha);
        bool inPlace = I(0) == O(0);
        if (!inPlace)
            return SingleGradientDef("LeakyReluGradient", "", [I(0), GO(0)], [GI(0)]);
        // In place, X is gone: only Y is left. Its sign tells the branch only when alpha > 0
        // (then sign(Y) = sign(X); inputs so small that alpha * x underflows to -0 are the one
        // exception and get slope 1, as in Caffe2).
        if (alpha > 0)
            return SingleGradientDef("LeakyReluGradient", "", [O(0), GO(0)], [GI(0)]);
        throw new EnforceNotMetException(
            $"Cannot build the gradient of {Def.DisplayName}: it runs in place on '{I(0)}' with alpha = {alpha}, " +
            "and for alpha <= 0 the output no longer tells which branch each input took, while the input it would need was overwritten. " +
            "Run the forward op out of place (give Y its own blob).");
    }
}

/// <summary>Fluent <see cref="Caffe2Sharp.Schema.Builders.NetBuilder"/> methods for the LeakyRelu family.</summary>
public static class LeakyReluBuilderExtensions
{
    /// <summary>Adds <c>LeakyRelu(x) -> y</c>; alpha is written only when given (Caffe2's default is 0.01).</summary>
    public static Caffe2Sharp.Schema.Builders.NetBuilder LeakyRelu(this Caffe2Sharp.Schema.Builders.NetBuilder net, string x, string y, float? alpha = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return alpha is { } a
            ? net.Op("LeakyRelu", [x], [y], name, ArgumentHelper.MakeArgument("alpha", a))
            : net.Op("LeakyRelu", [x], [y], name);
    }

    /// <summary>Adds <c>LeakyReluGradient(s, dy) -> dx</c> (s is Y in Caffe2's form, or X).</summary>
    public static Caffe2Sharp.Schema.Builders.NetBuilder LeakyReluGradient(this Caffe2Sharp.Schema.Builders.NetBuilder net, string s, string dy, string dx, float? alpha = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return alpha is { } a
            ? net.Op("LeakyReluGradient", [s, dy], [dx], name, ArgumentHelper.MakeArgument("alpha", a))
            : net.Op("LeakyReluGradient", [s, dy], [dx], name);
    }
}
