// Hand-written. FROZEN BASELINE: the pre-port Sum kernel (commit 069700b, src/Operators/Arithmetic/Sum.cs),
// kept only as the benchmark baseline for issue #8. Not used by the runtime; do not improve it.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Bench.Baseline;

/// <summary>The pre-port Sum's <c>x + y</c> operator (was the private <c>Sum.AddOperator&lt;T&gt;</c>).</summary>
public readonly struct BaselineAddOperator<T> : IBaselineBinaryOperator<T> where T : unmanaged, INumberBase<T>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Invoke(T x, T y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x + y;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x + y;
}

/// <summary>The pre-port Sum kernel over spans.</summary>
public static class BaselineSumKernels
{
    /// <summary><c>z = x + y</c> on the pre-port driver, out of place (one pass).</summary>
    public static void Add(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> z, int maxDegreeOfParallelism = 1) =>
        BaselineElementwiseDriver.Binary(new BaselineAddOperator<float>(), x, y, z, maxDegreeOfParallelism);

    /// <summary>
    /// What the pre-port <c>SumOp.Run</c> did for two inputs with the output not input 0: copy input
    /// 0 into the output, then add input 1 into it in place (two passes).
    /// </summary>
    public static void SumOp(ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, Span<float> y, int maxDegreeOfParallelism = 1)
    {
        x0.CopyTo(y);
        BaselineElementwiseDriver.Binary(new BaselineAddOperator<float>(), y, x1, y, maxDegreeOfParallelism);
    }
}
