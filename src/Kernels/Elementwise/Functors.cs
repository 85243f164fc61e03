// Hand-written.
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Caffe2Sharp.Kernels;

/// <summary>
/// An element-wise function of one input, written once for every element type: implement
/// <see cref="Invoke{T}(T)"/> on a <c>readonly struct</c> (it may carry state such as a
/// coefficient) and the <see cref="ElementwiseDriver"/> does lengths, overlap, tails, threads and
/// FLOAT16 (widened per block). The driver runs it scalar; implement
/// <see cref="IVectorUnaryFunctor"/> as well to give it vector forms.
/// </summary>
/// <remarks>
/// <para>Constants of the function are best kept as the widest type they need and converted with
/// <c>T.CreateTruncating</c>, which the JIT folds per element type.</para>
/// <para>For results that are bit-identical across vector widths, every vector form must compute
/// each lane with the same IEEE operations as the scalar one. Prefer compare-and-select to vector
/// Min/Max, which differ from scalar code on NaN and -0.</para>
/// </remarks>
public interface IUnaryFunctor
{
    /// <summary>One element.</summary>
    T Invoke<T>(T x) where T : unmanaged, INumber<T>;

    /// <summary>
    /// Relative cost of one element for splitting work across threads, in units of LeakyRelu's
    /// (a compare, a multiply and a select per element, memory-bound: 1). Not the FLOPs a schema
    /// reports; a functor doing a transcendental per element might say 8 or more.
    /// </summary>
    static virtual int CostPerElement => 1;

    /// <summary>
    /// True when FLOAT16 must be computed in double rather than float: where a product of a half and
    /// a float must round only once (exact in double, then rounded once to half).
    /// </summary>
    static virtual bool ComputeHalfInDouble => false;

    /// <summary>True when the vector forms are implemented (see <see cref="IVectorUnaryFunctor"/>).</summary>
    static virtual bool IsVectorized => false;

    /// <summary>One 128-bit vector; only called when <see cref="IsVectorized"/> is true.</summary>
    Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> => throw new NotSupportedException();
    /// <summary>One 256-bit vector; only called when <see cref="IsVectorized"/> is true.</summary>
    Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> => throw new NotSupportedException();
    /// <summary>One 512-bit vector; only called when <see cref="IsVectorized"/> is true.</summary>
    Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> => throw new NotSupportedException();
}

/// <summary>A <see cref="IUnaryFunctor"/> with vector forms for every width, which the driver then uses.</summary>
public interface IVectorUnaryFunctor : IUnaryFunctor
{
    static bool IUnaryFunctor.IsVectorized => true;

    /// <summary>One 128-bit vector.</summary>
    new Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T>;
    /// <summary>One 256-bit vector.</summary>
    new Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T>;
    /// <summary>One 512-bit vector.</summary>
    new Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T>;
}

/// <summary>An element-wise function of two inputs; see <see cref="IUnaryFunctor"/>.</summary>
public interface IBinaryFunctor
{
    /// <summary>One pair of elements.</summary>
    T Invoke<T>(T x, T y) where T : unmanaged, INumber<T>;

    /// <summary>Relative cost of one element for splitting work across threads, in units of LeakyRelu's; see <see cref="IUnaryFunctor.CostPerElement"/>.</summary>
    static virtual int CostPerElement => 1;

    /// <summary>True when FLOAT16 must be computed in double rather than float; see <see cref="IUnaryFunctor.ComputeHalfInDouble"/>.</summary>
    static virtual bool ComputeHalfInDouble => false;

    /// <summary>True when the vector forms are implemented (see <see cref="IVectorBinaryFunctor"/>).</summary>
    static virtual bool IsVectorized => false;

    /// <summary>One pair of 128-bit vectors; only called when <see cref="IsVectorized"/> is true.</summary>
    Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => throw new NotSupportedException();
    /// <summary>One pair of 256-bit vectors; only called when <see cref="IsVectorized"/> is true.</summary>
    Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> => throw new NotSupportedException();
    /// <summary>One pair of 512-bit vectors; only called when <see cref="IsVectorized"/> is true.</summary>
    Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> => throw new NotSupportedException();
}

/// <summary>A <see cref="IBinaryFunctor"/> with vector forms for every width.</summary>
public interface IVectorBinaryFunctor : IBinaryFunctor
{
    static bool IBinaryFunctor.IsVectorized => true;

    /// <summary>One pair of 128-bit vectors.</summary>
    new Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T>;
    /// <summary>One pair of 256-bit vectors.</summary>
    new Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T>;
    /// <summary>One pair of 512-bit vectors.</summary>
    new Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T>;
}

/// <summary>A binary functor with its second operand fixed: <c>x =&gt; op(x, y)</c> (broadcast of a scalar y).</summary>
internal readonly struct BindSecond<TOp, TS>(TOp op, TS y) : IVectorUnaryFunctor
    where TOp : struct, IBinaryFunctor where TS : unmanaged, INumber<TS>
{
    private readonly TOp _op = op;
    private readonly TS _y = y;

    public static int CostPerElement => TOp.CostPerElement;
    public static bool ComputeHalfInDouble => TOp.ComputeHalfInDouble;
    public static bool IsVectorized => TOp.IsVectorized;

    // T is TS, or the compute type (float, double) of a FLOAT16 TS: the conversion is then exact.
    public T Invoke<T>(T x) where T : unmanaged, INumber<T> => _op.Invoke(x, T.CreateTruncating(_y));
    public Vector128<T> Invoke<T>(Vector128<T> x) where T : unmanaged, INumber<T> => _op.Invoke(x, Vector128.Create(T.CreateTruncating(_y)));
    public Vector256<T> Invoke<T>(Vector256<T> x) where T : unmanaged, INumber<T> => _op.Invoke(x, Vector256.Create(T.CreateTruncating(_y)));
    public Vector512<T> Invoke<T>(Vector512<T> x) where T : unmanaged, INumber<T> => _op.Invoke(x, Vector512.Create(T.CreateTruncating(_y)));
}

/// <summary>A binary functor with its first operand fixed: <c>y =&gt; op(x, y)</c> (broadcast of a scalar x).</summary>
internal readonly struct BindFirst<TOp, TS>(TOp op, TS x) : IVectorUnaryFunctor
    where TOp : struct, IBinaryFunctor where TS : unmanaged, INumber<TS>
{
    private readonly TOp _op = op;
    private readonly TS _x = x;

    public static int CostPerElement => TOp.CostPerElement;
    public static bool ComputeHalfInDouble => TOp.ComputeHalfInDouble;
    public static bool IsVectorized => TOp.IsVectorized;

    public T Invoke<T>(T y) where T : unmanaged, INumber<T> => _op.Invoke(T.CreateTruncating(_x), y);
    public Vector128<T> Invoke<T>(Vector128<T> y) where T : unmanaged, INumber<T> => _op.Invoke(Vector128.Create(T.CreateTruncating(_x)), y);
    public Vector256<T> Invoke<T>(Vector256<T> y) where T : unmanaged, INumber<T> => _op.Invoke(Vector256.Create(T.CreateTruncating(_x)), y);
    public Vector512<T> Invoke<T>(Vector512<T> y) where T : unmanaged, INumber<T> => _op.Invoke(Vector512.Create(T.CreateTruncating(_x)), y);
}
