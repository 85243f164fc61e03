using System.Numerics;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Arithmetic;

[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class SumTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(Sum.Register);

    /// <summary>((x0 + x1) + x2) ... element by element; <paramref name="add"/> rounds each step once.</summary>
    private static Func<IReadOnlyList<Tensor>, Tensor> Reference<T>(Func<T, T, T> add) where T : unmanaged => inputs =>
    {
        var y = inputs[0].Clone();
        var acc = y.Data<T>();
        for (int i = 1; i < inputs.Count; i++)
        {
            var x = inputs[i].Data<T>();
            for (int k = 0; k < acc.Length; k++) acc[k] = add(acc[k], x[k]);
        }
        return y;
    };

    private static OperatorTester SumOf<T>(int inputs, Func<int, int, T[]> data, long[] dims, Func<T, T, T> add) where T : unmanaged
    {
        var t = new OperatorTester(Catalog, "Sum");
        for (int i = 0; i < inputs; i++) t.Input($"X{i}", data(i, (int)dims.Aggregate(1L, (a, b) => a * b)), dims);
        return t.Output("S", Reference(add));
    }

    public static TheoryData<int, int> LengthsAndInputCounts()
    {
        var data = new TheoryData<int, int>();
        foreach (var n in OperatorTesterReference.Lengths)
            data.Add(n, n % 3 + 1);
        data.Add(65, 4);
        return data;
    }

    private static T[] Floats<T>(int input, int n) where T : unmanaged, IFloatingPointIeee754<T>, IMinMaxValue<T> =>
        OperatorTesterReference.SpecialAndRandom<T>(n, seed: n * 7 + input);

    [Theory]
    [MemberData(nameof(LengthsAndInputCounts))]
    public void Run_Float_AddsLeftToRight_BitForBit(int n, int inputs) =>
        SumOf<float>(inputs, Floats<float>, [n], (a, b) => a + b).Run();

    [Theory]
    [MemberData(nameof(LengthsAndInputCounts))]
    public void Run_Double_AddsLeftToRight_BitForBit(int n, int inputs) =>
        SumOf<double>(inputs, Floats<double>, [1, n], (a, b) => a + b).Run();

    [Theory]
    [MemberData(nameof(LengthsAndInputCounts))]
    public void Run_Half_RoundsEachStepOnce(int n, int inputs) =>
        SumOf<Half>(inputs, Floats<Half>, [n, 1], (a, b) => (Half)((double)a + (double)b)).Run();

    [Theory]
    [MemberData(nameof(LengthsAndInputCounts))]
    public void Run_Integers_WrapAround(int n, int inputs)
    {
        SumOf<int>(inputs, (i, len) => [.. Enumerable.Range(0, len).Select(k => k % 5 == 0 ? int.MaxValue - i : k * 37 - 1000 * i)], [n], (a, b) => unchecked(a + b)).Run();
        SumOf<long>(inputs, (i, len) => [.. Enumerable.Range(0, len).Select(k => k % 5 == 0 ? long.MinValue + i : k * 1234567890123L - i)], [n], (a, b) => unchecked(a + b)).Run();
    }

    [Fact]
    public void Sum_AddsLeftToRight_InPlaceOnInput0()
    {
        new OperatorTester(Catalog, "Sum").Input<float>("A", [1f, 2f]).Input<float>("B", [10f, 20f]).Input<float>("C", [100f, 200f])
            .Output<float>("S", [111f, 222f]).Run();
        // Left to right matters: (1e8 + -1e8) + 1 = 1 but 1e8 + (-1e8 + 1) = 0 in float.
        new OperatorTester(Catalog, "Sum").Input<float>("A", [1e8f]).Input<float>("B", [-1e8f]).Input<float>("C", [1f]).Output<float>("S", [1f]).Run();
        new OperatorTester(Catalog, "Sum").Input<long>("I", [1, 2]).Input<long>("I", [1, 2]).Output<long>("J", [2, 4]).Run();
        new OperatorTester(Catalog, "Sum").Input<float>("A", [1f, -0f], 1, 2).Output<float>("S", [1f, -0f], 1, 2).Run();
    }

    [Fact]
    public void Sum_Gradient_IsTheOutputGradient_ForEveryInput() =>
        new OperatorTester(Catalog, "Sum").Input<double>("A", [0.5, -1.5, 2], 3).Input<double>("B", [1, 2, 3], 3)
            .Output<double>("S", (a, b) => a + b).GradientCheck(0).GradientCheck(1).Run();

    [Fact]
    public void Sum_MismatchedInputs_AreClearErrors()
    {
        new OperatorTester(Catalog, "Sum").Input<float>("A", [1f, 2f]).Input<double>("B", [1.0, 2.0]).Output("S")
            .ExpectError("input 1 'B' is DOUBLE[2] but input 0 'A' is FLOAT[2]").Run();
        new OperatorTester(Catalog, "Sum").Input<float>("A", [1f, 2f]).Input<float>("B", [1f, 2f, 3f]).Output("S")
            .ExpectError("input 1 'B' is FLOAT[3] but input 0 'A' is FLOAT[2]").Run();
        new OperatorTester(Catalog, "Sum").Input<byte>("A", [1]).Output("S").ExpectError("Sum takes FLOAT").Run();
    }

    [Fact]
    public void Sum_InPlaceOnAnInputOtherThan0_IsRefused()
    {
        // The schema allows 0->0 only; the harness never tries 1->0, so this is checked directly.
        var ws = new Workspace(Catalog);
        ws.FeedBlob<float>("A", [1f, 2f], 2);
        ws.FeedBlob<float>("B", [1f, 2f], 2);
        Assert.Contains("in-place pair the schema does not allow", Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("Sum", "", ["B", "A"], ["A"]))).Message);
    }

    [Fact]
    public void Sum_GradientPassesTheOutputGradientToEveryInput()
    {
        var meta = Catalog.GetGradientForOp(OperatorDef.Create("Sum", "", ["A", "B"], ["S"]));
        Assert.Empty(meta.Ops);
        Assert.Equal(["S_grad", "S_grad"], meta.InputGradients.Select(g => g.Dense));
        var cost = Catalog.Schemas.Find("Sum")!.InferCost(OperatorDef.Create("Sum", "", ["A", "B"], ["S"]), [TensorShape.Create([4]), TensorShape.Create([4])]);
        Assert.Equal(new Cost(4, 32, 16), cost);
    }
}
