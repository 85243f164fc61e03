// Hand-written.
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Fill;

/// <summary>
/// Fill operators (<c>ConstantFill</c>, <c>GivenTensorFill</c> and its typed variants, the random
/// fills of <see cref="RandomFills"/>) and
/// <c>Copy</c>: what real Caffe2 init nets are made of. Registered as a plugin pack like any other.
/// </summary>
public static class FillOperators
{
    /// <summary>The pack name used by <see cref="AddFillOperators"/>.</summary>
    public const string PackName = "Caffe2Sharp.Fill";

    private static readonly (string Type, DataType Type2, string Field)[] GivenTensorFills =
    [
        ("GivenTensorFill", DataType.Float, "floats"),
        ("GivenTensorDoubleFill", DataType.Double, "floats"),
        ("GivenTensorIntFill", DataType.Int32, "ints"),
        ("GivenTensorInt64Fill", DataType.Int64, "ints"),
        ("GivenTensorBoolFill", DataType.Bool, "ints"),
    ];

    /// <summary>
    /// The <c>GivenTensor*Fill</c> that writes <paramref name="value"/> (its values and shape) to
    /// <paramref name="output"/>: FLOAT, DOUBLE (its values stored as floats, as Caffe2's
    /// <c>GivenTensorDoubleFill</c> holds them), INT32, INT64 or BOOL.
    /// </summary>
    /// <exception cref="EnforceNotMetException">The element type has no given-tensor fill.</exception>
    public static OperatorDef GivenTensorFillFor(string output, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var (type, dtype, _) in GivenTensorFills)
        {
            if (dtype != value.DataType) continue;
            var op = OperatorDef.Create(type, "", [], [output]);
            _ = dtype switch
            {
                DataType.Float => op.SetRepeatedArgument("values", value.ToArray<float>()),
                DataType.Double => op.SetRepeatedArgument("values", value.ToArray<double>().Select(v => (float)v)),
                DataType.Int32 => op.SetRepeatedArgument("values", value.ToArray<int>().Select(v => (long)v)),
                DataType.Int64 => op.SetRepeatedArgument("values", value.ToArray<long>()),
                _ => op.SetRepeatedArgument("values", value.ToArray<bool>().Select(v => v ? 1L : 0L)),
            };
            return op.SetRepeatedArgument("shape", value.Shape);
        }
        throw new EnforceNotMetException($"constant '{output}' {value.Describe()}: element type {DataTypes.Name(value.DataType)} has no given-tensor fill (" +
            string.Join(", ", GivenTensorFills.Select(f => DataTypes.Name(f.Type2))) + " have).");
    }

    /// <summary>Adds the fill pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddFillOperators(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas, kernels and gradients of the fill pack into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        catalog.Schemas.Schema("ConstantFill")
            .NumInputs(0, 1).NumOutputs(1)
            .Arg("value", "(float or int, matching dtype; default 0) Value to fill with.", null, ArgumentKind.Any)
            .Arg("dtype", "(int; default 1 = FLOAT) Output TensorProto.DataType.", (int)DataType.Float)
            .Arg("shape", "(ints) Output shape, when there is no input.", Array.Empty<long>())
            .Arg("extra_shape", "(ints) Dims appended to the input's shape.", Array.Empty<long>())
            .Arg("input_as_shape", "(bool; default false) Read the shape from the values of the 1-D input.", false)
            .Input(0, "input", "(optional) Tensor whose shape (or, with input_as_shape, values) gives the output shape.")
            .Output(0, "output", "Tensor filled with value.")
            .TensorInferenceFunction(InferFillShape)
            .SetDoc("Fills the output with a constant. The shape comes from `shape`, or from the input's shape (plus `extra_shape`), or from the input's values when `input_as_shape` is set.");
        catalog.Operators.Register("ConstantFill", (d, ws) => new ConstantFillOp(d, ws));
        catalog.Gradients.NoGradient("ConstantFill");

        foreach (var (type, dtype, field) in GivenTensorFills)
        {
            var t = dtype;
            catalog.Schemas.Schema(type)
                .NumInputs(0, 1).NumOutputs(1)
                .Arg("values", $"({field}) The values, in row-major order.", null, field == "floats" ? ArgumentKind.Floats : ArgumentKind.Ints, required: true)
                .Arg("shape", "(ints) Output shape, when there is no input.", Array.Empty<long>())
                .Arg("extra_shape", "(ints) Dims appended to the input's shape.", Array.Empty<long>())
                .Arg("input_as_shape", "(bool; default false) Read the shape from the values of the 1-D input.", false)
                .Input(0, "input", "(optional) Tensor whose shape (or, with input_as_shape, values) gives the output shape.")
                .Output(0, "output", $"{DataTypes.Name(dtype)} tensor holding values.")
                .TensorInferenceFunction((def, inputs) => InferGivenShape(def, inputs, t))
                .SetDoc($"Fills the output with the given {DataTypes.Name(dtype)} `values` in the given `shape`.");
            catalog.Operators.Register(type, (d, ws) => new GivenTensorFillOp(d, ws, t));
            catalog.Gradients.NoGradient(type);
        }

        catalog.Schemas.Schema("Copy")
            .NumInputs(1).NumOutputs(1)
            .IdenticalTypeAndShape()
            .CostInferenceFunction(CostFunctions.Pointwise(0))
            .Input(0, "input", "Tensor to copy.").Output(0, "output", "Copy of the input.")
            .SetDoc("Copies the input tensor to the output.");
        catalog.Operators.Register("Copy", (d, ws) => new CopyOp(d, ws));
        catalog.Gradients.Register("Copy", (d, g) => new CopyGradient(d, g));
        catalog.Passes.Add(new DropCopy());

        RandomFills.Register(catalog);
    }

    private static IReadOnlyList<TensorShape> InferFillShape(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var dtype = (DataType)def.GetSingleArgument("dtype", (int)DataType.Float);
        if (inputs.Count == 0) return [TensorShape.Create(def.GetRepeatedArgument<long>("shape"), dtype)];
        if (def.GetSingleArgument("input_as_shape", false)) return [TensorShape.Unknown(dtype)];
        return [TensorShape.Create(inputs[0].Dims.Concat(def.GetRepeatedArgument<long>("extra_shape")), dtype)];
    }

    private static IReadOnlyList<TensorShape> InferGivenShape(OperatorDef def, IReadOnlyList<TensorShape> inputs, DataType dtype) =>
        inputs.Count == 0
            ? [TensorShape.Create(def.GetRepeatedArgument<long>("shape"), dtype)]
            : [TensorShape.Create(inputs[0].Dims.Concat(def.GetRepeatedArgument<long>("extra_shape")), dtype)];

    private sealed class CopyGradient(OperatorDef def, IReadOnlyList<Caffe2Sharp.Schema.Gradients.GradientWrapper> g) : Caffe2Sharp.Schema.Gradients.GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() => SingleGradientDef("Copy", "", [GO(0)], [GI(0)]);
    }
}

/// <summary>Shape resolution shared by the fill operators.</summary>
internal abstract class FillOpBase : OperatorBase
{
    private readonly long[] _shape;
    private readonly long[] _extraShape;
    private readonly bool _inputAsShape;
    private long[] _scratch = [];

    protected FillOpBase(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _shape = GetRepeatedArgument<long>("shape");
        _extraShape = GetRepeatedArgument<long>("extra_shape");
        _inputAsShape = GetSingleArgument("input_as_shape", false);
        if (InputSize == 1 && def.HasArgument("shape"))
            throw Error("cannot take both an input and the 'shape' argument.");
        if (InputSize == 0 && (_extraShape.Length > 0 || _inputAsShape))
            throw Error("'extra_shape' and 'input_as_shape' need an input.");
        foreach (var d in _shape)
            if (d < 0) throw Error($"argument 'shape' has negative dim {d}.");
    }

    /// <summary>The output shape for this run (from arguments or from the input); no allocation in steady state.</summary>
    protected ReadOnlySpan<long> ResolveShape()
    {
        if (InputSize == 0) return _shape;
        var input = Input(0);
        if (_inputAsShape)
        {
            if (input.Rank != 1) throw Error($"with input_as_shape the input '{Def.Input[0]}' must be 1-D; it is {input.Describe()}.");
            int n = (int)input.Size;
            if (_scratch.Length != n) _scratch = new long[n];
            // The shape input's integers, widened to long (INT64 or INT32 only).
            if (input.DataType == DataType.Int64) input.Data<long>().CopyTo(_scratch);
            else if (input.DataType == DataType.Int32) for (int k = 0; k < n; k++) _scratch[k] = input.Data<int>()[k];
            else throw Error($"with input_as_shape the input '{Def.Input[0]}' must be INT64 or INT32; it is {input.Describe()}.");
            foreach (var d in _scratch)
                if (d < 0) throw Error($"input '{Def.Input[0]}' asks for negative dim {d}.");
            return _scratch;
        }
        int rank = input.Rank + _extraShape.Length;
        if (_scratch.Length != rank) _scratch = new long[rank];
        input.Dims.CopyTo(_scratch);
        _extraShape.CopyTo(_scratch.AsSpan(input.Rank));
        return _scratch;
    }
}

/// <summary>Fills its output with one value of the requested dtype.</summary>
internal sealed class ConstantFillOp : FillOpBase
{
    private readonly DataType _dtype;
    private readonly double _value;
    // Integer dtypes keep the value as a long: a double holds only 53 bits of an INT64.
    private readonly long _integerValue;
    private readonly string _stringValue = "";

    public ConstantFillOp(OperatorDef def, Workspace ws) : base(def, ws)
    {
        _dtype = (DataType)GetSingleArgument("dtype", (int)DataType.Float);
        var arg = def.Arg.FirstOrDefault(a => a.Name == "value");
        if (_dtype == DataType.String)
        {
            _stringValue = arg is null ? "" : def.GetSingleArgument("value", "");
            return;
        }
        if (DataTypes.ElementSize(_dtype) == 0) throw Error($"argument 'dtype' = {(int)_dtype} is not a type ConstantFill can produce.");
        if (arg is not null)
        {
            if (arg.HasF) _value = arg.F;
            else if (arg.HasI) _value = arg.I;
            else throw Error("argument 'value' has no float (f) or integer (i) value.");
        }
        bool integral = _dtype is not (DataType.Float or DataType.Double or DataType.Float16);
        if (!integral) return;
        if (arg is { HasI: true }) _integerValue = arg.I;
        else if (_value != System.Math.Floor(_value) || System.Math.Abs(_value) >= 9.2e18)
            throw Error($"value {_value} is not an integer, but dtype is {DataTypes.Name(_dtype)}.");
        else _integerValue = (long)_value;
        (long min, long max) = DataTypes.IntegerRange(_dtype);
        if (_integerValue < min || _integerValue > max)
            throw Error($"value {_integerValue} does not fit dtype {DataTypes.Name(_dtype)}.");
    }

    public override void Run()
    {
        var shape = ResolveShape();
        var y = Output(0);
        y.Resize(_dtype, shape);
        if (_dtype == DataType.String) y.Strings().Fill(_stringValue);
        else if (_dtype == DataType.Bool) y.Data<bool>().Fill(_integerValue != 0);
        else
        {
            var fill = new Filler(this, y);
            DataTypes.Dispatch(_dtype, ref fill);
        }
    }

    // Integer types take the exact integer (INT64 beyond 2^53 included); floating types round once from the double.
    private readonly struct Filler(ConstantFillOp op, Tensor y) : INumericTypeVisitor
    {
        public void Visit<T>() where T : unmanaged, System.Numerics.INumber<T> =>
            y.Data<T>().Fill(DataTypes.IsFloatingPoint(y.DataType) ? T.CreateTruncating(op._value) : T.CreateTruncating(op._integerValue));
    }
}


/// <summary>Fills its output with the given values.</summary>
internal sealed class GivenTensorFillOp : FillOpBase
{
    private readonly Tensor _values;

    public GivenTensorFillOp(OperatorDef def, Workspace ws, DataType dtype) : base(def, ws)
    {
        if (dtype == DataType.Bool) _values = Tensor.From(GetRepeatedArgument<bool>("values"));
        else
        {
            var reader = new ValuesReader(def);
            if (!DataTypes.Dispatch(dtype, ref reader) || reader.Values is null) throw Error($"unsupported dtype {DataTypes.Name(dtype)}.");
            _values = reader.Values;
        }
        if (InputSize == 0)
        {
            long n = 1;
            foreach (var d in ResolveShape()) n *= d;
            if (n != _values.Size)
                throw Error($"argument 'values' has {_values.Size} values but shape [{string.Join(", ", ResolveShape().ToArray())}] needs {n}.");
        }
    }

    public override void Run()
    {
        var shape = ResolveShape();
        long n = 1;
        foreach (var d in shape) n *= d;
        if (n != _values.Size)
            throw Error($"argument 'values' has {_values.Size} values but shape [{string.Join(", ", shape.ToArray())}] needs {n}.");
        var y = Output(0);
        y.Resize(_values.DataType, shape);
        _values.RawBytes.CopyTo(y.RawBytes);
    }

    // The repeated argument 'values' read as the dtype's element type (floats from f, integers from i).
    private struct ValuesReader(OperatorDef def) : INumericTypeVisitor
    {
        public Tensor? Values;

        public void Visit<T>() where T : unmanaged, System.Numerics.INumber<T>
        {
            if (typeof(T) == typeof(float) || typeof(T) == typeof(double) || typeof(T) == typeof(int) || typeof(T) == typeof(long))
                Values = Tensor.From(def.GetRepeatedArgument<T>("values"));
        }
    }
}


/// <summary>Copies its input to its output.</summary>
internal sealed class CopyOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
{
    public override void Run() => Output(0).CopyFrom(Input(0));
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the fill pack.</summary>
public static class FillBuilderExtensions
{
    /// <summary>Adds <c>GivenTensorFill</c>: <paramref name="output"/> gets <paramref name="values"/> in <paramref name="shape"/>.</summary>
    public static NetBuilder GivenTensorFill(this NetBuilder net, string output, long[] shape, float[] values, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("GivenTensorFill", [], [output], name,
            ArgumentHelper.MakeRepeatedArgument("shape", shape), ArgumentHelper.MakeRepeatedArgument("values", values));
    }

    /// <summary>Adds <c>ConstantFill</c>: <paramref name="output"/> of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static NetBuilder ConstantFill(this NetBuilder net, string output, long[] shape, float value, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("ConstantFill", [], [output], name,
            ArgumentHelper.MakeRepeatedArgument("shape", shape), ArgumentHelper.MakeArgument("value", value));
    }

    /// <summary>Adds <c>Copy</c>.</summary>
    public static NetBuilder Copy(this NetBuilder net, string input, string output, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Copy", [input], [output], name);
    }
}

/// <summary>
/// The inference pass that removes a <c>Copy</c> whose copy nothing needs (an ONNX Identity, say):
/// the ops after it read its input instead (see <see cref="NetPassContext.TryForwardIdentity"/>;
/// a protected output keeps its Copy).
/// </summary>
internal sealed class DropCopy : INetPass
{
    public string Name => "drop Copy";

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var op = ops[k];
            if (op.Type != "Copy" || op.Input.Count != 1 || op.Output.Count != 1) continue;
            if (context.TryForwardIdentity(k, op.Input[0], op.Output[0], $"Copy #{k} was dropped")) return 1;
        }
        return 0;
    }
}
