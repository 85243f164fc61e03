// Hand-written.
using System.Numerics;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Conversion;

/// <summary>
/// Element type conversion: Caffe2's <c>Cast</c> (argument <c>to</c> in Caffe2's
/// <c>TensorProto.DataType</c> numbering) and <c>CastLike</c> (a Caffe2Sharp extension: the type
/// of a second input, as ONNX's CastLike); one registration method.
/// </summary>
/// <remarks>
/// <para>Types: FLOAT, DOUBLE, FLOAT16, INT8, INT16, INT32, INT64, UINT8, UINT16 and BOOL, in any
/// direction. The rules, one per kind of pair:</para>
/// <list type="bullet">
/// <item>to a floating type: the nearest value (IEEE rounding; overflow is ±infinity, NaN stays NaN);</item>
/// <item>floating to integer: truncated toward zero and <b>saturated</b>: NaN is 0, values beyond
/// the type's range (and ±infinity) are its minimum or maximum (.NET's conversions since .NET 9;
/// C and numpy leave these undefined, so no caller can depend on another result);</item>
/// <item>integer to integer: the low bits (two's complement wrap, as C's and numpy's casts);</item>
/// <item>to BOOL: nonzero is true (NaN is true, -0 is false); from BOOL: 0 or 1.</item>
/// </list>
/// <para>Casts have no gradient registered yet (Caffe2's is a Cast back to the input's type).</para>
/// </remarks>
public static class CastOperators
{
    /// <summary>The pack name used by <see cref="AddCastOperators"/>.</summary>
    public const string PackName = "Caffe2Sharp.Cast";

    /// <summary>Adds the cast pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddCastOperators(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);

        catalog.Schemas.Schema("Cast")
            .NumInputs(1).NumOutputs(1)
            .Arg("to", "*(type: int)* The output type in Caffe2's TensorProto.DataType numbering: FLOAT 1, INT32 2, BOOL 5, UINT8 6, INT8 7, UINT16 8, INT16 9, INT64 10, FLOAT16 12, DOUBLE 13.",
                null, ArgumentKind.Int, required: true)
            .AllowInplace((0, 0))
            .InheritOnnxSchema()
            .Input(0, "input", "Tensor of a supported type.")
            .Output(0, "output", "input converted to `to`, same shape; may be input (in place) when the type does not change.")
            .TensorInferenceFunction(static (def, inputs) => [TensorShape.Create(inputs[0].Dims, TargetType(def))])
            .CostInferenceFunction(static (def, inputs) => CastCost(inputs[0], TargetType(def)))
            .SetDoc("Converts every element to the type `to` (Caffe2's numbering, not ONNX's: 6 is UINT8 here but INT32 in ONNX). " +
                    "Float to integer truncates toward zero and saturates (NaN gives 0); integer to integer wraps; to BOOL, nonzero is true.");
        catalog.Operators.Register("Cast", static (d, ws) => new CastOp(d, ws));

        catalog.Schemas.Schema("CastLike")
            .NumInputs(2).NumOutputs(1)
            .AllowInplace((0, 0))
            .InheritOnnxSchema()
            .Input(0, "input", "Tensor of a supported type.")
            .Input(1, "target_type", "Tensor whose element type the output takes (its elements are not read).")
            .Output(0, "output", "input converted to target_type's element type, same shape.")
            .TensorInferenceFunction(static (_, inputs) => [TensorShape.Create(inputs[0].Dims, inputs[1].DataType)])
            .CostInferenceFunction(static (_, inputs) => CastCost(inputs[0], inputs[1].DataType))
            .SetDoc("A Caffe2Sharp extension with no Caffe2 original (ONNX's CastLike): converts input to the element type of the second input, with Cast's rules.");
        catalog.Operators.Register("CastLike", static (d, ws) => new CastOp(d, ws));
    }

    /// <summary>True for the element types Cast converts from and to.</summary>
    public static bool Supports(DataType type) => type is DataType.Float or DataType.Double or DataType.Float16 or DataType.Int32 or DataType.Int64
        or DataType.Int16 or DataType.Int8 or DataType.Uint8 or DataType.Uint16 or DataType.Bool;

    /// <summary>The type of Cast's <c>to</c> argument, checked.</summary>
    /// <exception cref="EnforceNotMetException">The argument is missing or names an unsupported type.</exception>
    public static DataType TargetType(OperatorDef def)
    {
        ArgumentNullException.ThrowIfNull(def);
        if (!def.HasArgument("to")) throw new EnforceNotMetException("argument 'to' (the output type, Caffe2's TensorProto.DataType number) is missing.");
        long to = def.GetSingleArgument("to", 0L);
        var type = (DataType)to;
        if (to is < 0 or > int.MaxValue || !Supports(type))
            throw new EnforceNotMetException($"argument 'to' = {to} ({DataTypes.Name(type)}) is not a supported type; Cast converts to FLOAT 1, INT32 2, BOOL 5, UINT8 6, INT8 7, UINT16 8, INT16 9, INT64 10, FLOAT16 12 or DOUBLE 13.");
        return type;
    }

    // One conversion per element (counted as a flop, as Caffe2 counts its casts); reads the input, writes the output.
    private static Cost CastCost(TensorShape x, DataType to)
    {
        ulong n = (ulong)x.ElementCount;
        return new Cost(n, n * (ulong)DataTypes.ElementSize(x.DataType), n * (ulong)DataTypes.ElementSize(to));
    }
}

/// <summary>Cast and CastLike: a double dispatch over the source and target types.</summary>
internal sealed class CastOp : OperatorBase
{
    private readonly DataType _to;

    public CastOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        if (def.Type == "Cast") _to = CastOperators.TargetType(def);
    }

    public override void Run()
    {
        var x = Input(0);
        var to = InputSize == 2 ? Input(1).DataType : _to;
        if (!CastOperators.Supports(x.DataType)) throw Error($"input '{Def.Input[0]}' is {x.Describe()}; {Type} converts FLOAT, DOUBLE, FLOAT16, INT8/16/32/64, UINT8/16 and BOOL.");
        if (!CastOperators.Supports(to)) throw Error($"target type input 1 '{Def.Input[1]}' is {Input(1).Describe()}; {Type} converts to FLOAT, DOUBLE, FLOAT16, INT8/16/32/64, UINT8/16 and BOOL.");
        var y = Output(0);
        if (ReferenceEquals(x, y))
        {
            if (x.DataType == to) return;
            throw Error($"output '{Def.Output[0]}' is the input, which is {x.Describe()}; in place the type cannot change ({DataTypes.Name(to)}).");
        }
        if (InputSize == 2 && ReferenceEquals(y, Input(1))) throw Error($"output '{Def.Output[0]}' is input 1; CastLike does not write its type input.");
        y.Resize(to, x.Dims);
        if (x.DataType == to)
        {
            x.RawBytes.CopyTo(y.RawBytes);
            return;
        }
        var source = new Source(x, y);
        if (x.DataType == DataType.Bool) source.Visit<byte>();
        else DataTypes.Dispatch(x.DataType, ref source);
    }

    // BOOL is read as its byte (0 or 1) and written as value != 0; everything else goes through INumber.
    private readonly struct Source(Tensor x, Tensor y) : INumericTypeVisitor
    {
        public void Visit<TFrom>() where TFrom : unmanaged, INumber<TFrom>
        {
            if (y.DataType == DataType.Bool)
            {
                ReadOnlySpan<TFrom> src = x.Data<TFrom>();
                var dst = y.Data<bool>();
                for (int k = 0; k < src.Length; k++) dst[k] = src[k] != TFrom.Zero;
                return;
            }
            var target = new Target<TFrom>(x.DataType == DataType.Bool ? x.RawBytes : default, x, y);
            DataTypes.Dispatch(y.DataType, ref target);
        }
    }

    private readonly ref struct Target<TFrom>(ReadOnlySpan<byte> boolBytes, Tensor x, Tensor y) : INumericTypeVisitor where TFrom : unmanaged, INumber<TFrom>
    {
        private readonly ReadOnlySpan<byte> _bool = boolBytes;

        public void Visit<TTo>() where TTo : unmanaged, INumber<TTo>
        {
            ReadOnlySpan<TFrom> src = x.DataType == DataType.Bool ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, TFrom>(_bool) : x.Data<TFrom>();
            var dst = y.Data<TTo>();
            bool fromFloat = typeof(TFrom) == typeof(float) || typeof(TFrom) == typeof(double) || typeof(TFrom) == typeof(Half);
            bool toFloat = typeof(TTo) == typeof(float) || typeof(TTo) == typeof(double) || typeof(TTo) == typeof(Half);
            if (fromFloat && !toFloat)
                for (int k = 0; k < src.Length; k++) dst[k] = TTo.CreateSaturating(src[k]);
            else
                for (int k = 0; k < src.Length; k++) dst[k] = TTo.CreateTruncating(src[k]);
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the cast family.</summary>
public static class CastBuilderExtensions
{
    /// <summary>Adds <c>Cast(x) -&gt; y</c> to <paramref name="to"/> (written as Caffe2's number).</summary>
    public static NetBuilder Cast(this NetBuilder net, string x, string y, DataType to, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Cast", [x], [y], name, ArgumentHelper.MakeArgument("to", (int)to));
    }

    /// <summary>Adds <c>CastLike(x, target) -&gt; y</c>.</summary>
    public static NetBuilder CastLike(this NetBuilder net, string x, string target, string y, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("CastLike", [x, target], [y], name);
    }
}
