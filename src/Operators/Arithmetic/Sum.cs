// Hand-written.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Arithmetic;

/// <summary>
/// <c>Sum</c>: the element-wise sum of one or more tensors of the same type and size, as Caffe2
/// defines it; the backward pass uses it to add up gradients from several consumers.
/// </summary>
public static class Sum
{
    /// <summary><c>x + y</c>; FLOAT16 in double, where the sum of two halves is exact, so it rounds once.</summary>
    public readonly struct AddFunctor : IVectorBinaryFunctor
    {
        /// <inheritdoc/>
        public static bool ComputeHalfInDouble => true;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T> => x + y;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => x + y;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> => x + y;
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> => x + y;
    }

    /// <summary>The pack name used by <see cref="AddSum"/>.</summary>
    public const string PackName = "Caffe2Sharp.Sum";

    /// <summary>Adds the Sum operator to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddSum(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schema, kernel and gradient of Sum into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.RegisterFoldElementwise("Sum", static _ => new AddFunctor(), DataTypeSet.Arithmetic)
            .Input(0, "data_0", "First of the tensors to add; every input has its type and size.")
            .Output(0, "sum", "Element-wise sum; may be input 0 itself (in place).")
            .SetDoc("Element-wise sum of the inputs, added left to right: ((x0 + x1) + x2) + ... FLOAT16 is added in double, so each step rounds once.");
        catalog.Gradients.Register("Sum", static (d, g) => new GetSumGradient(d, g));
    }

    /// <summary>Every input's gradient is the output's gradient itself: no ops, just names.</summary>
    private sealed class GetSumGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs()
        {
            for (int i = 0; i < Def.Input.Count; i++) SetDense(i, GO(0));
            return [];
        }
    }
}
