// Hand-written.
using System.Numerics;
using System.Runtime.InteropServices;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Logical;

/// <summary>
/// Caffe2's comparisons <c>LT</c>, <c>LE</c>, <c>GT</c>, <c>GE</c>, <c>EQ</c>, <c>NE</c> (BOOL
/// output, numpy broadcasting or Caffe2's legacy <c>broadcast=1</c> with <c>axis</c>) and
/// <c>Where</c> (select by a BOOL condition, numpy broadcasting of all three inputs); one
/// registration method.
/// </summary>
/// <remarks>
/// Comparisons follow IEEE: any comparison with NaN is false except <c>NE</c>, which is true; -0
/// equals +0. Comparisons have no gradient (Caffe2's <c>SHOULD_NOT_DO_GRADIENT</c>); Where's
/// gradient is not registered yet. Where moves elements by their size without looking at them, so
/// it takes any numeric type and BOOL.
/// </remarks>
public static class LogicalOperators
{
    /// <summary>The pack name used by <see cref="AddLogicalOperators"/>.</summary>
    public const string PackName = "Caffe2Sharp.Logical";

    /// <summary>Adds the logical pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddLogicalOperators(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        Comparison(catalog, "LT", CompareKind.LT, "A < B", "Less");
        Comparison(catalog, "LE", CompareKind.LE, "A <= B", "LessOrEqual");
        Comparison(catalog, "GT", CompareKind.GT, "A > B", "Greater");
        Comparison(catalog, "GE", CompareKind.GE, "A >= B", "GreaterOrEqual");
        Comparison(catalog, "EQ", CompareKind.EQ, "A == B", "Equal");
        // ONNX has no NotEqual; the exporter writes Not(Equal).
        Comparison(catalog, "NE", CompareKind.NE, "A != B", null);

        catalog.Schemas.Schema("Where")
            .NumInputs(3).NumOutputs(1)
            .InheritOnnxSchema()
            .Input(0, "C", "BOOL condition.")
            .Input(1, "X", "Values where C is true.")
            .Input(2, "Y", "Values where C is false; the type of X.")
            .Output(0, "Z", "C ? X : Y element-wise, of the numpy broadcast shape of C, X and Y.")
            .TensorInferenceFunction(InferWhere)
            .CostInferenceFunction(WhereCost)
            .SetDoc("Z = C ? X : Y, element-wise, with numpy broadcasting of all three inputs. X and Y have one type (any numeric type or BOOL); C is BOOL. " +
                    "No gradient is registered yet.");
        catalog.Operators.Register("Where", static (d, ws) => new WhereOp(d, ws));
    }

    private static void Comparison(OperatorCatalog catalog, string type, CompareKind kind, string formula, string? onnx)
    {
        bool equality = kind is CompareKind.EQ or CompareKind.NE;
        var schema = catalog.Schemas.Schema(type)
            .NumInputs(2).NumOutputs(1)
            .Arg("broadcast", "*(type: int; default: 0)* 1: B lines up with A at `axis` (Caffe2's legacy broadcast); 0: numpy broadcasting.", 0L)
            .Arg("axis", "*(type: int; default: -1)* With broadcast=1, the dim of A where B's dims start; -1 aligns B with A's trailing dims.", -1L)
            .Input(0, "A", $"First operand: FLOAT, DOUBLE, INT32 or INT64{(equality ? " or BOOL" : "")}.")
            .Input(1, "B", "Second operand, of A's type, broadcast to A (numpy's rule, or with broadcast=1 lined up with A at axis).")
            .Output(0, "C", $"BOOL tensor: {formula}, element-wise.")
            .TensorInferenceFunction(InferComparison)
            .CostInferenceFunction(ComparisonCost)
            .SetDoc($"C = {formula}, element-wise with broadcasting; C is BOOL. Both inputs have one type. " +
                    "IEEE comparisons: NaN compares false (NE: true), -0 equals +0. No gradient.");
        if (onnx is not null) schema.InheritOnnxSchema(onnx);
        catalog.Operators.Register(type, (d, ws) => new ComparisonOp(d, ws, kind));
        catalog.Gradients.NoGradient(type);
    }

    /// <summary>The element types a comparison of <paramref name="kind"/> takes.</summary>
    internal static bool Accepts(CompareKind kind, DataType type) =>
        type is DataType.Float or DataType.Double or DataType.Int32 or DataType.Int64 ||
        (type == DataType.Bool && kind is CompareKind.EQ or CompareKind.NE);

    private static IReadOnlyList<TensorShape> InferComparison(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        if (inputs[0].DataType != inputs[1].DataType && inputs[0].DataType != DataType.Undefined && inputs[1].DataType != DataType.Undefined)
            throw new EnforceNotMetException($"Operator {def.DisplayName}: inputs {inputs[0].Describe()} and {inputs[1].Describe()} must have the same type.");
        var shape = ElementwiseShapes.Inference(Broadcast.Caffe2)(def, inputs)[0];
        shape.DataType = DataType.Bool;
        return [shape];
    }

    // One compare per output element; reads both inputs, writes one byte per element.
    private static Cost ComparisonCost(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var y = InferComparison(def, inputs)[0];
        ulong n = (ulong)y.ElementCount, size = (ulong)DataTypes.ElementSize(inputs[0].DataType);
        return new Cost(n, ((ulong)inputs[0].ElementCount + (ulong)inputs[1].ElementCount) * size, n);
    }

    private static IReadOnlyList<TensorShape> InferWhere(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        Span<long> dims = stackalloc long[Broadcasting.MaxRank];
        int rank = BroadcastWalker.TryBroadcast([.. inputs[0].Dims], [.. inputs[1].Dims], [.. inputs[2].Dims], dims);
        if (rank < 0)
            throw new EnforceNotMetException($"Operator {def.DisplayName}: shapes {inputs[0].Describe()}, {inputs[1].Describe()} and {inputs[2].Describe()} do not broadcast.");
        return [TensorShape.Create(dims[..rank].ToArray(), inputs[1].DataType)];
    }

    // A select per output element: no flops; reads C, X and Y, writes Z.
    private static Cost WhereCost(OperatorDef def, IReadOnlyList<TensorShape> inputs)
    {
        var z = InferWhere(def, inputs)[0];
        ulong n = (ulong)z.ElementCount, size = (ulong)DataTypes.ElementSize(inputs[1].DataType);
        return new Cost(0, (ulong)inputs[0].ElementCount + ((ulong)inputs[1].ElementCount + (ulong)inputs[2].ElementCount) * size, n * size);
    }
}

/// <summary>Which comparison a <see cref="ComparisonOp"/> computes.</summary>
internal enum CompareKind
{
    LT,
    LE,
    GT,
    GE,
    EQ,
    NE,
}

/// <summary>LT, LE, GT, GE, EQ, NE: both inputs of one type, broadcast, BOOL out.</summary>
internal sealed class ComparisonOp : OperatorBase
{
    private readonly CompareKind _kind;
    private readonly bool _legacy;
    private readonly int _axis;
    private readonly BroadcastWalker _walker = new(2);

    public ComparisonOp(OperatorDef def, Workspace ws, CompareKind kind) : base(def, ws)
    {
        _kind = kind;
        (_legacy, _axis) = ElementwiseShapes.ReadLegacy(def, Broadcast.Caffe2);
    }

    public override void Run()
    {
        var a = Input(0);
        var b = Input(1);
        if (!LogicalOperators.Accepts(_kind, a.DataType))
            throw Error($"input 0 '{Def.Input[0]}' is {a.Describe()}; {Type} takes FLOAT, DOUBLE, INT32 or INT64{(_kind is CompareKind.EQ or CompareKind.NE ? " or BOOL" : "")}.");
        if (b.DataType != a.DataType)
            throw Error($"input 0 '{Def.Input[0]}' is {a.Describe()} but input 1 '{Def.Input[1]}' is {b.Describe()}; they must have the same type.");
        Span<long> outDims = stackalloc long[Broadcasting.MaxRank];
        Span<long> bDims = stackalloc long[Broadcasting.MaxRank];
        int rank = ElementwiseShapes.BroadcastShape(a.Dims, b.Dims, Broadcast.Caffe2, _legacy, _axis, outDims, bDims, out int bRank, out string? why);
        if (rank < 0)
            throw Error($"input 0 '{Def.Input[0]}' {a.Describe()} and input 1 '{Def.Input[1]}' {b.Describe()} do not broadcast: {why}.");
        _walker.Reset(outDims[..rank]);
        _walker.SetOperand(0, a.Dims);
        _walker.SetOperand(1, bDims[..bRank]);
        var y = Output(0);
        y.Resize(DataType.Bool, outDims[..rank]);
        var output = y.Data<bool>();
        if (a.DataType == DataType.Bool)
        {
            // BOOL (EQ and NE only) compares its bytes, 0 or 1.
            Compare<byte>(a.RawBytes, b.RawBytes, output);
            return;
        }
        var kernel = new Kernel(this, a, b, output);
        DataTypes.Dispatch(a.DataType, ref kernel);
    }

    private readonly ref struct Kernel(ComparisonOp op, Tensor a, Tensor b, Span<bool> y) : INumericTypeVisitor
    {
        private readonly Span<bool> _y = y;

        public void Visit<T>() where T : unmanaged, INumber<T> => op.Compare(a.Data<T>(), b.Data<T>(), _y);
    }

    private void Compare<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> y) where T : unmanaged, INumber<T>
    {
        switch (_kind)
        {
            case CompareKind.LT: Walk<T, Lt>(a, b, y); break;
            case CompareKind.LE: Walk<T, Le>(a, b, y); break;
            case CompareKind.GT: Walk<T, Gt>(a, b, y); break;
            case CompareKind.GE: Walk<T, Ge>(a, b, y); break;
            case CompareKind.EQ: Walk<T, Eq>(a, b, y); break;
            default: Walk<T, Ne>(a, b, y); break;
        }
    }

    private void Walk<T, TPredicate>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<bool> y) where T : unmanaged, INumber<T> where TPredicate : IPredicate
    {
        var w = _walker;
        int inner = (int)w.InnerLength;
        int sa = (int)w.InnerStride(0), sb = (int)w.InnerStride(1);
        for (int start = 0; start < y.Length; start += inner)
        {
            int pa = (int)w.Offset(0), pb = (int)w.Offset(1);
            var run = y.Slice(start, inner);
            for (int j = 0; j < run.Length; j++, pa += sa, pb += sb) run[j] = TPredicate.Test(a[pa], b[pb]);
            w.Advance();
        }
    }

    private interface IPredicate
    {
        static abstract bool Test<T>(T a, T b) where T : INumber<T>;
    }

    private readonly struct Lt : IPredicate { public static bool Test<T>(T a, T b) where T : INumber<T> => a < b; }
    private readonly struct Le : IPredicate { public static bool Test<T>(T a, T b) where T : INumber<T> => a <= b; }
    private readonly struct Gt : IPredicate { public static bool Test<T>(T a, T b) where T : INumber<T> => a > b; }
    private readonly struct Ge : IPredicate { public static bool Test<T>(T a, T b) where T : INumber<T> => a >= b; }
    private readonly struct Eq : IPredicate { public static bool Test<T>(T a, T b) where T : INumber<T> => a == b; }
    private readonly struct Ne : IPredicate { public static bool Test<T>(T a, T b) where T : INumber<T> => a != b; }
}

/// <summary>Where: selects elements of X or Y by C, all three broadcast; moves elements by their size.</summary>
internal sealed class WhereOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
{
    private readonly BroadcastWalker _walker = new(3);

    public override void Run()
    {
        var c = Input(0);
        var x = Input(1);
        var y = Input(2);
        if (c.DataType != DataType.Bool) throw Error($"condition input 0 '{Def.Input[0]}' is {c.Describe()}; it must be BOOL.");
        if (x.DataType != y.DataType)
            throw Error($"input 1 '{Def.Input[1]}' is {x.Describe()} but input 2 '{Def.Input[2]}' is {y.Describe()}; they must have the same type.");
        if (x.ElementSize == 0) throw Error($"input 1 '{Def.Input[1]}' is {x.Describe()}; Where moves numeric and BOOL elements only.");
        Span<long> dims = stackalloc long[Broadcasting.MaxRank];
        int rank = BroadcastWalker.TryBroadcast(c.Dims, x.Dims, y.Dims, dims);
        if (rank < 0)
            throw Error($"inputs '{Def.Input[0]}' {c.Describe()}, '{Def.Input[1]}' {x.Describe()} and '{Def.Input[2]}' {y.Describe()} do not broadcast (numpy's rule).");
        _walker.Reset(dims[..rank]);
        _walker.SetOperand(0, c.Dims);
        _walker.SetOperand(1, x.Dims);
        _walker.SetOperand(2, y.Dims);
        var z = Output(0);
        // The output may be an input's blob only if that input is not read after being resized; keep it simple: refuse.
        for (int i = 0; i < 3; i++)
            if (IsInPlace(i, 0)) throw Error($"output '{Def.Output[0]}' is input {i}; Where does not run in place.");
        z.Resize(x.DataType, dims[..rank]);
        ReadOnlySpan<bool> cond = c.Data<bool>();
        switch (x.ElementSize)
        {
            case 1: Select(cond, x.RawBytes, y.RawBytes, z.RawBytes); break;
            case 2: Select(cond, MemoryMarshal.Cast<byte, ushort>(x.RawBytes), MemoryMarshal.Cast<byte, ushort>(y.RawBytes), MemoryMarshal.Cast<byte, ushort>(z.RawBytes)); break;
            case 4: Select(cond, MemoryMarshal.Cast<byte, uint>(x.RawBytes), MemoryMarshal.Cast<byte, uint>(y.RawBytes), MemoryMarshal.Cast<byte, uint>(z.RawBytes)); break;
            case 8: Select(cond, MemoryMarshal.Cast<byte, ulong>(x.RawBytes), MemoryMarshal.Cast<byte, ulong>(y.RawBytes), MemoryMarshal.Cast<byte, ulong>(z.RawBytes)); break;
            default: throw Error($"input 1 '{Def.Input[1]}' has {x.ElementSize}-byte elements; Where moves 1, 2, 4 or 8.");
        }
    }

    private void Select<T>(ReadOnlySpan<bool> c, ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> z) where T : unmanaged
    {
        var w = _walker;
        int inner = (int)w.InnerLength;
        int sc = (int)w.InnerStride(0), sx = (int)w.InnerStride(1), sy = (int)w.InnerStride(2);
        for (int start = 0; start < z.Length; start += inner)
        {
            int pc = (int)w.Offset(0), px = (int)w.Offset(1), py = (int)w.Offset(2);
            var run = z.Slice(start, inner);
            for (int j = 0; j < run.Length; j++, pc += sc, px += sx, py += sy) run[j] = c[pc] ? x[px] : y[py];
            w.Advance();
        }
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the logical family.</summary>
public static class LogicalBuilderExtensions
{
    /// <summary>Adds <c>LT(a, b) -&gt; c</c> (BOOL).</summary>
    public static NetBuilder LT(this NetBuilder net, string a, string b, string c, string? name = null) => Op(net, "LT", a, b, c, name);

    /// <summary>Adds <c>LE(a, b) -&gt; c</c> (BOOL).</summary>
    public static NetBuilder LE(this NetBuilder net, string a, string b, string c, string? name = null) => Op(net, "LE", a, b, c, name);

    /// <summary>Adds <c>GT(a, b) -&gt; c</c> (BOOL).</summary>
    public static NetBuilder GT(this NetBuilder net, string a, string b, string c, string? name = null) => Op(net, "GT", a, b, c, name);

    /// <summary>Adds <c>GE(a, b) -&gt; c</c> (BOOL).</summary>
    public static NetBuilder GE(this NetBuilder net, string a, string b, string c, string? name = null) => Op(net, "GE", a, b, c, name);

    /// <summary>Adds <c>EQ(a, b) -&gt; c</c> (BOOL).</summary>
    public static NetBuilder EQ(this NetBuilder net, string a, string b, string c, string? name = null) => Op(net, "EQ", a, b, c, name);

    /// <summary>Adds <c>NE(a, b) -&gt; c</c> (BOOL).</summary>
    public static NetBuilder NE(this NetBuilder net, string a, string b, string c, string? name = null) => Op(net, "NE", a, b, c, name);

    /// <summary>Adds <c>Where(condition, x, y) -&gt; z</c>.</summary>
    public static NetBuilder Where(this NetBuilder net, string condition, string x, string y, string z, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op("Where", [condition, x, y], [z], name);
    }

    private static NetBuilder Op(NetBuilder net, string type, string a, string b, string c, string? name)
    {
        ArgumentNullException.ThrowIfNull(net);
        return net.Op(type, [a, b], [c], name);
    }
}
