// Hand-written.
using System.Numerics;
using System.Runtime.Intrinsics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Arithmetic;

/// <summary>
/// Caffe2's binary arithmetic: <c>Add</c>, <c>Sub</c>, <c>Mul</c>, <c>Div</c> on FLOAT, DOUBLE,
/// FLOAT16, INT32 and INT64, with numpy broadcasting, or Caffe2's legacy form (<c>broadcast=1</c>,
/// <c>axis</c>: B lines up with A's dims from <c>axis</c>, as LeNet's bias adds use it). The
/// output may be A or B itself when that input already has the output's shape.
/// </summary>
/// <remarks>
/// Integer division truncates toward zero and division by zero is an error naming the op;
/// floating division follows IEEE (x / 0 is ±inf, 0 / 0 NaN). Gradients of these operators need a
/// reduction over broadcast dims and are not registered yet.
/// </remarks>
public static class ArithmeticOperators
{
    /// <summary>The pack name used by <see cref="AddArithmetic"/>.</summary>
    public const string PackName = "Caffe2Sharp.Arithmetic";

    /// <summary>Adds the arithmetic pack to a Caffe2Sharp service registration.</summary>
    public static Caffe2SharpBuilder AddArithmetic(this Caffe2SharpBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddOperatorPack(PackName, Register);
    }

    /// <summary>Registers the schemas and CPU kernels into <paramref name="catalog"/>.</summary>
    public static void Register(OperatorCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        Binary(catalog.RegisterBinaryElementwise("Add", static _ => new Sum.AddFunctor(), DataTypeSet.Arithmetic, Broadcast.Caffe2), "A + B");
        Binary(catalog.RegisterBinaryElementwise("Sub", static _ => new SubFunctor(), DataTypeSet.Arithmetic, Broadcast.Caffe2), "A - B");
        Binary(catalog.RegisterBinaryElementwise("Mul", static _ => new MulFunctor(), DataTypeSet.Arithmetic, Broadcast.Caffe2), "A * B");
        Binary(catalog.RegisterBinaryElementwise("Div", static _ => new DivFunctor(), DataTypeSet.Arithmetic, Broadcast.Caffe2), "A / B");
    }

    private static void Binary(Schema.OpSchema schema, string formula) => schema
        .AllowInplace((0, 0), (1, 0))
        .InheritOnnxSchema()
        .Input(0, "A", "First operand.")
        .Input(1, "B", "Second operand, broadcast to A (numpy's rule, or with broadcast=1 lined up with A at axis).")
        .Output(0, "C", $"{formula}, element-wise; may be A or B (in place) when that input has the output's shape.")
        .SetDoc($"C = {formula}, element-wise with broadcasting. FLOAT16 is computed in double and rounded once.");
}

/// <summary><c>x - y</c>; FLOAT16 in double (exact), rounded once.</summary>
public readonly struct SubFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;
    /// <inheritdoc/>
    public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => x - y;
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> => x - y;
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> => x - y;
}

/// <summary><c>x * y</c>; FLOAT16 in double (exact: 11 + 11 bits), rounded once.</summary>
public readonly struct MulFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;
    /// <inheritdoc/>
    public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T> => x * y;
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => x * y;
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> => x * y;
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> => x * y;
}

/// <summary>
/// <c>x / y</c>; FLOAT16 in double, rounded once (a double quotient of two halves rounds to the
/// correctly rounded half: 53 bits are more than twice 11 + 2). Integers: scalar, truncating,
/// division by zero throws (vector integer division is not a hardware operation anyway).
/// </summary>
public readonly struct DivFunctor : IVectorBinaryFunctor
{
    /// <inheritdoc/>
    public static bool ComputeHalfInDouble => true;
    /// <inheritdoc/>
    public T Invoke<T>(T x, T y) where T : unmanaged, INumber<T> =>
        IsInteger<T>() && y == T.Zero ? throw new DivideByZeroException($"integer division by zero ({x} / 0).") : x / y;
    /// <inheritdoc/>
    public Vector128<T> Invoke<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T> => IsInteger<T>() ? Lanes(x, y) : x / y;
    /// <inheritdoc/>
    public Vector256<T> Invoke<T>(Vector256<T> x, Vector256<T> y) where T : unmanaged, INumber<T> =>
        IsInteger<T>() ? Vector256.Create(Lanes(x.GetLower(), y.GetLower()), Lanes(x.GetUpper(), y.GetUpper())) : x / y;
    /// <inheritdoc/>
    public Vector512<T> Invoke<T>(Vector512<T> x, Vector512<T> y) where T : unmanaged, INumber<T> =>
        IsInteger<T>() ? Vector512.Create(Invoke(x.GetLower(), y.GetLower()), Invoke(x.GetUpper(), y.GetUpper())) : x / y;

    private static bool IsInteger<T>() => typeof(T) != typeof(float) && typeof(T) != typeof(double);

    private Vector128<T> Lanes<T>(Vector128<T> x, Vector128<T> y) where T : unmanaged, INumber<T>
    {
        Span<T> r = stackalloc T[Vector128<T>.Count];
        for (int i = 0; i < r.Length; i++) r[i] = Invoke(x.GetElement(i), y.GetElement(i));
        return Vector128.Create<T>(r);
    }
}

/// <summary>Fluent <see cref="NetBuilder"/> methods for the arithmetic family.</summary>
public static class ArithmeticBuilderExtensions
{
    /// <summary>Adds <c>Add(a, b) -&gt; c</c>; with <paramref name="axis"/>, Caffe2's legacy broadcast at that axis.</summary>
    public static NetBuilder Add(this NetBuilder net, string a, string b, string c, int? axis = null, string? name = null) => Op(net, "Add", a, b, c, axis, name);

    /// <summary>Adds <c>Sub(a, b) -&gt; c</c>.</summary>
    public static NetBuilder Sub(this NetBuilder net, string a, string b, string c, int? axis = null, string? name = null) => Op(net, "Sub", a, b, c, axis, name);

    /// <summary>Adds <c>Mul(a, b) -&gt; c</c>.</summary>
    public static NetBuilder Mul(this NetBuilder net, string a, string b, string c, int? axis = null, string? name = null) => Op(net, "Mul", a, b, c, axis, name);

    /// <summary>Adds <c>Div(a, b) -&gt; c</c>.</summary>
    public static NetBuilder Div(this NetBuilder net, string a, string b, string c, int? axis = null, string? name = null) => Op(net, "Div", a, b, c, axis, name);

    private static NetBuilder Op(NetBuilder net, string type, string a, string b, string c, int? axis, string? name)
    {
        ArgumentNullException.ThrowIfNull(net);
        return axis is { } ax
            ? net.Op(type, [a, b], [c], name, ArgumentHelper.MakeArgument("broadcast", 1), ArgumentHelper.MakeArgument("axis", ax))
            : net.Op(type, [a, b], [c], name);
    }
}
