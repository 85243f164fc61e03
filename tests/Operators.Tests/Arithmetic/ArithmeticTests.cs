using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;

namespace Caffe2Sharp.Operators.Tests.Arithmetic;

/// <summary>Add, Sub, Mul, Div on the harness: every type, both broadcast forms, in place, errors.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class ArithmeticTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Sum.Register).Add(ArithmeticOperators.Register);

    public static TheoryData<string> Ops() => ["Add", "Sub", "Mul", "Div"];

    private static double Apply(string op, double a, double b) => op switch
    {
        "Add" => a + b,
        "Sub" => a - b,
        "Mul" => a * b,
        "Div" => a / b,
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void SameShape_Float_EveryLength_BitForBit(string op)
    {
        foreach (int n in OperatorTesterReference.Lengths)
        {
            var a = OperatorTesterReference.SpecialAndRandom<float>(n, n);
            var b = OperatorTesterReference.SpecialAndRandom<float>(n, n + 1).Reverse().ToArray();
            new OperatorTester(Catalog, op).Input("A", a, n).Input("B", b, n)
                .Output<float>("C", (x, y) => (float)Apply(op, x, y)).Run();
        }
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Float16_RoundsOnce(string op)
    {
        var a = OperatorTesterReference.SpecialAndRandom<Half>(129, 1);
        var b = OperatorTesterReference.SpecialAndRandom<Half>(129, 2);
        new OperatorTester(Catalog, op).Input("A", a, 129).Input("B", b, 129)
            .Output<Half>("C", (x, y) => (Half)Apply(op, (double)x, (double)y)).Run();
    }

    [Theory]
    [MemberData(nameof(Ops))]
    public void Integers_Int32AndInt64(string op)
    {
        int[] a = [7, -7, 100, int.MaxValue, 0, 5];
        int[] b = [2, 2, -3, 1, 9, -5];
        new OperatorTester(Catalog, op).Input("A", a, 6).Input("B", b, 6)
            .Output<int>("C", (x, y) => op switch { "Add" => unchecked(x + y), "Sub" => unchecked(x - y), "Mul" => unchecked(x * y), _ => x / y }).Run();
        long[] la = [1L << 40, -(1L << 40) - 1, 3, 0];
        long[] lb = [3, 7, -2, 11];
        new OperatorTester(Catalog, op).Input("A", la, 4).Input("B", lb, 4)
            .Output<long>("C", (x, y) => op switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => x / y }).Run();
    }

    [Fact]
    public void IntegerDivisionByZero_IsAnErrorNamingTheOp() =>
        new OperatorTester(Catalog, "Div").Input<int>("A", [1, 2], 2).Input<int>("B", [1, 0], 2).Output("C")
            .ExpectError("integer division by zero").Run();

    [Fact]
    public void LeNetBiasAdd_LegacyBroadcastAtAxis1()
    {
        var r = new Random(4);
        var a = Enumerable.Range(0, 1 * 20 * 3 * 3).Select(_ => (float)r.NextDouble()).ToArray();
        var b = Enumerable.Range(0, 20).Select(i => i * 0.5f).ToArray();
        new OperatorTester(Catalog, "Add").Arg("broadcast", 1).Arg("axis", 1).Input("A", a, 1, 20, 3, 3).Input("B", b, 20)
            .Output("C", _ => Tensor.From<float>(a.Select((v, i) => v + b[i / 9]).ToArray(), 1, 20, 3, 3)).Run();
        // Without broadcast=1 the same shapes are numpy's business, and numpy refuses them.
        new OperatorTester(Catalog, "Add").Input("A", a, 1, 20, 3, 3).Input("B", b, 20).Output("C")
            .ExpectError("do not broadcast").Run();
    }

    [Fact]
    public void NumpyBroadcast_BothSides()
    {
        float[] a = [1f, 2f, 3f];
        float[] b = [10f, 20f];
        new OperatorTester(Catalog, "Sub").Input("A", a, 3, 1).Input("B", b, 1, 2)
            .Output("C", _ => Tensor.From<float>([1f - 10, 1f - 20, 2f - 10, 2f - 20, 3f - 10, 3f - 20], 3, 2)).Run();
    }

    [Fact]
    public void MixedTypes_AreAClearError() =>
        new OperatorTester(Catalog, "Mul").Input<float>("A", [1f], 1).Input<double>("B", [1.0], 1).Output("C")
            .ExpectError("they must have the same type").Run();
}
