// Hand-written.
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// An element-wise operator of one input, written once for every width: scalar,
/// <see cref="Vector128{T}"/>, <see cref="Vector256{T}"/> and <see cref="Vector512{T}"/>.
/// Implement it on a <c>readonly struct</c> (it may carry state such as a coefficient); the
/// <see cref="ElementwiseDriver"/> does lengths, overlap, widths, tails and threads.
/// </summary>
/// <remarks>
/// For results that are bit-identical across widths, every overload must compute each lane with
/// the same IEEE operations as the scalar one. Prefer compare-and-select to vector Min/Max, which
/// differ from scalar code on NaN and -0.
/// </remarks>
public interface IUnaryOperator<T> where T : unmanaged
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

/// <summary>An element-wise operator of two inputs; see <see cref="IUnaryOperator{T}"/>.</summary>
public interface IBinaryOperator<T> where T : unmanaged
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
