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
        catalog.Schemas.Schema("Sum")
            .NumInputs(1, int.MaxValue).NumOutputs(1)
            .AllowInplace((0, 0))
            .IdenticalTypeAndShapeOfInput(0)
            .CostInferenceFunction(CostFunctions.Pointwise(1))
            .Input(0, "data_0", "First of the tensors to add; every input has its type and size.")
            .Output(0, "sum", "Element-wise sum; may be input 0 itself (in place).")
            .SetDoc("Element-wise sum of the inputs, added left to right: ((x0 + x1) + x2) + ...");
        catalog.Operators.Register("Sum", static (d, ws) => new SumOp(d, ws));
        catalog.Gradients.Register("Sum", static (d, g) => new GetSumGradient(d, g));
    }

    private readonly struct AddOperator<T> : IBinaryOperator<T> where T : unmanaged, INumberBase<T>
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public T Invoke(T x, T y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector128<T> Invoke(Vector128<T> x, Vector128<T> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector256<T> Invoke(Vector256<T> x, Vector256<T> y) => x + y;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public Vector512<T> Invoke(Vector512<T> x, Vector512<T> y) => x + y;
    }

    private sealed class SumOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run()
        {
            var first = Input(0);
            for (int i = 1; i < InputSize; i++)
            {
                var t = Input(i);
                if (t.DataType != first.DataType || t.Size != first.Size)
                    throw Error($"input {i} '{Def.Input[i]}' is {t.Describe()} but input 0 '{Def.Input[0]}' is {first.Describe()}; they must match in type and size.");
            }
            var y = Output(0);
            switch (first.DataType)
            {
                case DataType.Float: Add<float>(first, y); break;
                case DataType.Double: Add<double>(first, y); break;
                case DataType.Int32: Add<int>(first, y); break;
                case DataType.Int64: Add<long>(first, y); break;
                default: throw Error($"input 0 '{Def.Input[0]}' is {first.Describe()}; Sum takes FLOAT, DOUBLE, INT32 or INT64.");
            }
        }

        private void Add<T>(Tensor first, Tensor y) where T : unmanaged, INumberBase<T>
        {
            // Resizing y to input 0's shape keeps its contents when y is input 0 (in place).
            y.Resize(first.DataType, first.Dims);
            var acc = y.Data<T>();
            if (!IsInPlace(0, 0)) first.Data<T>().CopyTo(acc);
            // The schema allows only input 0 to be the output, so no other input changes under us.
            for (int i = 1; i < InputSize; i++)
                ElementwiseDriver.Binary(new AddOperator<T>(), acc, Input(i).Data<T>(), acc, MaxDegreeOfParallelism);
        }
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
