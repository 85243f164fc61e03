// Hand-written. FROZEN BASELINE: the pre-port element-wise kernel (commit 069700b), kept only as
// the benchmark baseline for issue #8 ("ported op at least 0.95x the speed of today's kernel in the
// same BenchmarkDotNet run"). Not used by the runtime; do not improve it. Types renamed with a
// Baseline prefix so they do not clash with Caffe2Sharp.Kernels; process-wide statics kept as they were.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Bench.Baseline;

/// <summary>
/// LeakyRelu, element-wise: effectively computes <c>y = x &gt;= 0 ? x : alpha * x</c>.
/// </summary>
/// <remarks>
/// Compare-and-select, not Max/Min: -0.0 &gt;= 0 is true, so -0.0 passes through as -0.0, and
/// NaN &gt;= 0 is false, so NaN becomes alpha * NaN, a NaN. The product is one IEEE multiply in
/// T at every width, so scalar and vector lanes agree bit for bit, denormals included (no flush).
/// </remarks>
public readonly struct BaselineLeakyReluOperator<T>(T alpha) : IBaselineUnaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha = alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T x) => x >= T.Zero ? x : x * _alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> x) =>
        Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(x, Vector128<T>.Zero), x, x * Vector128.Create(_alpha));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> x) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(x, Vector256<T>.Zero), x, x * Vector256.Create(_alpha));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> x) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512<T>.Zero), x, x * Vector512.Create(_alpha));
}

/// <summary>
/// The LeakyRelu gradient, element-wise: effectively computes <c>dx = s &gt;= 0 ? dy : alpha * dy</c>,
/// where the sign source <c>s</c> is the forward input X, or the forward output Y when alpha &gt; 0.
/// </summary>
/// <remarks>s = NaN takes the alpha branch, as the forward did.</remarks>
public readonly struct BaselineLeakyReluGradientOperator<T>(T alpha) : IBaselineBinaryOperator<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _alpha = alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Invoke(T s, T dy) => s >= T.Zero ? dy : dy * _alpha;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<T> Invoke(Vector128<T> s, Vector128<T> dy) =>
        Vector128.ConditionalSelect(Vector128.GreaterThanOrEqual(s, Vector128<T>.Zero), dy, dy * Vector128.Create(_alpha));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<T> Invoke(Vector256<T> s, Vector256<T> dy) =>
        Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(s, Vector256<T>.Zero), dy, dy * Vector256.Create(_alpha));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<T> Invoke(Vector512<T> s, Vector512<T> dy) =>
        Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(s, Vector512<T>.Zero), dy, dy * Vector512.Create(_alpha));
}

/// <summary>
/// LeakyRelu kernels over spans: the entry points the operators and benchmarks call. Output may
/// be exactly the input (in place); shifted overlap is rejected.
/// </summary>
public static class BaselineLeakyReluKernels
{
    /// <summary><c>y = x &gt;= 0 ? x : alpha * x</c> for float.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y, float alpha, int maxDegreeOfParallelism = 1) =>
        BaselineElementwiseDriver.Unary(new BaselineLeakyReluOperator<float>(alpha), x, y, maxDegreeOfParallelism);

    /// <summary><c>y = x &gt;= 0 ? x : alpha * x</c> for double.</summary>
    public static void Forward(ReadOnlySpan<double> x, Span<double> y, double alpha, int maxDegreeOfParallelism = 1) =>
        BaselineElementwiseDriver.Unary(new BaselineLeakyReluOperator<double>(alpha), x, y, maxDegreeOfParallelism);

    /// <summary>
    /// <c>y = x &gt;= 0 ? x : alpha * x</c> for Half. The product of a Half and a float is exact
    /// in double (11 + 24 significant bits), so it is formed there and rounded once to Half:
    /// correctly rounded, with no double rounding through float. Scalar: .NET has no Half vectors.
    /// </summary>
    public static void Forward(ReadOnlySpan<Half> x, Span<Half> y, float alpha)
    {
        CheckHalf(x.Length, y.Length, x.Overlaps(y, out int offset) && offset != 0);
        double a = alpha;
        for (int i = 0; i < x.Length; i++)
        {
            Half v = x[i];
            y[i] = v >= Half.Zero ? v : (Half)((double)v * a);
        }
    }

    /// <summary><c>dx = s &gt;= 0 ? dy : alpha * dy</c> for float.</summary>
    public static void Gradient(ReadOnlySpan<float> s, ReadOnlySpan<float> dy, Span<float> dx, float alpha, int maxDegreeOfParallelism = 1) =>
        BaselineElementwiseDriver.Binary(new BaselineLeakyReluGradientOperator<float>(alpha), s, dy, dx, maxDegreeOfParallelism);

    /// <summary><c>dx = s &gt;= 0 ? dy : alpha * dy</c> for double.</summary>
    public static void Gradient(ReadOnlySpan<double> s, ReadOnlySpan<double> dy, Span<double> dx, double alpha, int maxDegreeOfParallelism = 1) =>
        BaselineElementwiseDriver.Binary(new BaselineLeakyReluGradientOperator<double>(alpha), s, dy, dx, maxDegreeOfParallelism);

    /// <summary><c>dx = s &gt;= 0 ? dy : alpha * dy</c> for Half, rounded once as in <see cref="Forward(ReadOnlySpan{Half}, Span{Half}, float)"/>.</summary>
    public static void Gradient(ReadOnlySpan<Half> s, ReadOnlySpan<Half> dy, Span<Half> dx, float alpha)
    {
        if (s.Length != dy.Length)
            throw new ArgumentException($"Length mismatch: s has {s.Length} elements but dy has {dy.Length}.", nameof(dy));
        CheckHalf(dy.Length, dx.Length, (s.Overlaps(dx, out int o1) && o1 != 0) || (dy.Overlaps(dx, out int o2) && o2 != 0));
        double a = alpha;
        for (int i = 0; i < dy.Length; i++)
        {
            Half g = dy[i];
            dx[i] = s[i] >= Half.Zero ? g : (Half)((double)g * a);
        }
    }

    private static void CheckHalf(int inputLength, int outputLength, bool shiftedOverlap)
    {
        if (inputLength != outputLength)
            throw new ArgumentException($"Length mismatch: input has {inputLength} elements but the destination has {outputLength}.");
        if (shiftedOverlap)
            throw new ArgumentException("destination overlaps an input shifted; only exact in-place use (same start) is allowed.");
    }
}
