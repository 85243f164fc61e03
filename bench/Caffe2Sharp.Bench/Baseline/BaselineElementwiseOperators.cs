// Hand-written. FROZEN BASELINE: the pre-port element-wise kernel (commit 069700b), kept only as
// the benchmark baseline for issue #8 ("ported op at least 0.95x the speed of today's kernel in the
// same BenchmarkDotNet run"). Not used by the runtime; do not improve it. Types renamed with a
// Baseline prefix so they do not clash with Caffe2Sharp.Kernels; process-wide statics kept as they were.
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Bench.Baseline;

/// <summary>
/// An element-wise operator of one input, written once for every width: scalar,
/// <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and <see cref="Vector512{T}"/>.
/// Implement it on a <c>readonly struct</c> (it may carry state such as a coefficient); the
/// <see cref="BaselineElementwiseDriver"/> does lengths, overlap, widths, tails and threads.
/// </summary>
/// <remarks>
/// For results that are bit-identical across widths, every overload must compute each lane with
/// the same IEEE operations as the scalar one. Prefer compare-and-select to vector Min/Max, which
/// differ from scalar code on NaN and -0.
/// </remarks>
public interface IBaselineUnaryOperator<T> where T : unmanaged
{
    /// <summary>One element.</summary>
    T Invoke(T x);
    /// <summary>One 128-bit vector.</summary>
    Vector128<T> Invoke(Vector128<T> x);
    /// <summary>One 256-bit vector.</summary>
    Vector256<T> Invoke(Vector256<T> x);
    /// <summary>One 512-bit vector.</summary>
    Vector512<T> Invoke(Vector512<T> x);
}

/// <summary>An element-wise operator of two inputs; see <see cref="IBaselineUnaryOperator{T}"/>.</summary>
public interface IBaselineBinaryOperator<T> where T : unmanaged
{
    /// <summary>One element.</summary>
    T Invoke(T x, T y);
    /// <summary>One 128-bit vector.</summary>
    Vector128<T> Invoke(Vector128<T> x, Vector128<T> y);
    /// <summary>One 256-bit vector.</summary>
    Vector256<T> Invoke(Vector256<T> x, Vector256<T> y);
    /// <summary>One 512-bit vector.</summary>
    Vector512<T> Invoke(Vector512<T> x, Vector512<T> y);
}
