// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;

namespace Caffe2Sharp.Operators.Activation;

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
