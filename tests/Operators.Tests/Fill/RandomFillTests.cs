using Caffe2Sharp.Kernels;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Fill;

/// <summary>
/// UniformFill, GaussianFill, XavierFill and MSRAFill: on the harness against references built
/// from the counter form of the stream, statistics on large fills, determinism and errors.
/// </summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class RandomFillTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(FillOperators.Register);

    private static OperatorDef Def(string type, long[] shape, uint? seed, string output = "Y", params (string Name, float Value)[] args)
    {
        var def = OperatorDef.Create(type, "", [], [output]).SetRepeatedArgument("shape", shape);
        foreach (var (name, value) in args) def.SetArgument(name, value);
        if (seed is { } s) def.DeviceOption = new DeviceOption { RandomSeed = s };
        return def;
    }

    private static float[] Run(OperatorDef def)
    {
        var ws = new Workspace(Catalog);
        ws.RunOperatorOnce(def);
        return ws.FetchBlob(def.Output[0]).ToArray<float>();
    }

    private static long Size(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);

    // The references: the counter form of the stream (SplitMix64.Bits of element k), not the fill loops.
    private static float[] UniformReference(long n, ulong stream, double min, double max) =>
        [.. Enumerable.Range(0, (int)n).Select(k => (float)(min + (max - min) * SplitMix64.ToUnitDouble(SplitMix64.Bits(stream, k))))];

    private static float[] GaussianReference(long n, ulong stream, double mean, double std)
    {
        var y = new float[n];
        for (int k = 0; k < n; k += 2)
        {
            double u1 = SplitMix64.Uniform(stream, k), u2 = SplitMix64.Uniform(stream, k + 1);
            double r = Math.Sqrt(-2 * Math.Log(1 - u1)), t = 2 * Math.PI * u2;
            y[k] = (float)(mean + std * r * Math.Cos(t));
            if (k + 1 < n) y[k + 1] = (float)(mean + std * r * Math.Sin(t));
        }
        return y;
    }

    private static OperatorTester WithShape(OperatorTester t, long[] shape)
    {
        t.Def.SetRepeatedArgument("shape", shape);
        return t;
    }

    private static OperatorTester Tester(string type, long[] shape, uint seed)
    {
        var t = WithShape(new OperatorTester(Catalog, type), shape);
        t.Def.DeviceOption = new DeviceOption { RandomSeed = seed };
        return t;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(129)]
    public void UniformFill_OnTheHarness_MatchesTheCounterFormOfTheStream(int n) =>
        Tester("UniformFill", [n], 11).Arg("min", -2f).Arg("max", 3f)
            .Output("Y", UniformReference(n, 11, -2, 3), n).Run();

    [Theory]
    [InlineData(new long[] { 0 })]
    [InlineData(new long[] { 1 })]
    [InlineData(new long[] { 3, 5 })]
    [InlineData(new long[] { 2, 3, 4 })]
    public void GaussianFill_OnTheHarness_IsBoxMullerOverTheStream(long[] shape) =>
        Tester("GaussianFill", shape, 5).Arg("mean", 1.5f).Arg("std", 2f)
            .Output("Y", GaussianReference(Size(shape), 5, 1.5, 2), shape).Run();

    [Fact]
    public void XavierAndMsra_OnTheHarness_UseCaffe2sFans()
    {
        long[] shape = [4, 3, 2, 2];
        // fan_in = size / dims[0] = 12; fan_out = size / dims[1] = 16.
        double xavier = Math.Sqrt(3.0 / 12), msra = Math.Sqrt(2.0 / 16);
        Tester("XavierFill", shape, 3).Output("Y", UniformReference(48, 3, -xavier, xavier), shape).Run();
        Tester("MSRAFill", shape, 3).Output("Y", GaussianReference(48, 3, 0, msra), shape).Run();
    }

    [Fact]
    public void ShapeFromTheInput_PlusExtraShape_AndFromItsValues()
    {
        var t = new OperatorTester(Catalog, "UniformFill").Input("X", new double[6], 2, 3).Output("Y");
        t.Def.SetRepeatedArgument("extra_shape", new long[] { 2 });
        t.Def.DeviceOption = new DeviceOption { RandomSeed = 1 };
        t.Run();
        var ws = new Workspace(Catalog);
        ws.FeedBlob<long>("S", [2, 5], 2);
        var def = OperatorDef.Create("GaussianFill", "", ["S"], ["Y"]).SetArgument("input_as_shape", true);
        ws.RunOperatorOnce(def);
        Assert.Equal([2L, 5L], ws.FetchBlob("Y").Shape);
        Assert.Equal(DataType.Float, ws.FetchBlob("Y").DataType);
    }

    [Theory]
    [InlineData("UniformFill")]
    [InlineData("GaussianFill")]
    [InlineData("XavierFill")]
    [InlineData("MSRAFill")]
    public void SameSeed_SameValues_DifferentSeed_DifferentValues(string type)
    {
        long[] shape = [16, 8];
        var a = Run(Def(type, shape, 1234));
        Assert.Equal(a, Run(Def(type, shape, 1234)));
        Assert.Equal(a, Run(Def(type, shape, 1234, "Other")));
        var b = Run(Def(type, shape, 1235));
        Assert.NotEqual(a, b);
        Assert.True(a.Zip(b).Count(p => p.First == p.Second) < 4);
    }

    [Fact]
    public void Unseeded_TheStreamIsTheHashOfTheOutputName()
    {
        long[] shape = [64];
        var w1 = Run(Def("XavierFill", shape, null, "conv1_w"));
        Assert.Equal(w1, Run(Def("XavierFill", shape, null, "conv1_w")));
        Assert.NotEqual(w1, Run(Def("XavierFill", shape, null, "conv2_w")));
        // A device_option without random_seed is unseeded too.
        var def = Def("XavierFill", shape, null, "conv1_w");
        def.DeviceOption = new DeviceOption { DeviceType = 0 };
        Assert.Equal(w1, Run(def));
        // FNV-1a 64 of "a" as UTF-16 ("a", 0): pinned.
        ulong h = 0xCBF29CE484222325UL;
        h = unchecked((h ^ 0x61) * 0x100000001B3UL);
        h = unchecked((h ^ 0x00) * 0x100000001B3UL);
        Assert.Equal(h, RandomFills.Stream(OperatorDef.Create("UniformFill", "", [], ["a"]), "a"));
    }

    [Fact]
    public void Values_ArePinned_SoEveryMachineAgrees()
    {
        // Fixed integer arithmetic: these bits may never change without a deliberate note.
        var u = Run(Def("UniformFill", [4], 42));
        var g = Run(Def("GaussianFill", [4], 42));
        Assert.Equal(UniformReference(4, 42, 0, 1), u);
        Assert.Equal(PinnedUniform, u.Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal(PinnedGaussian, g.Select(BitConverter.SingleToUInt32Bits));
        Assert.Equal(GaussianReference(4, 42, 0, 1), g);
    }

    private static readonly uint[] PinnedUniform = [1058577215, 1042560723, 1042965552, 1027913394];
    private static readonly uint[] PinnedGaussian = [1060637474, 1066515927, 1058240719, 1043831753];

    [Fact]
    public void UniformFill_LargeFill_StaysInRange_AndHasTheRightMoments()
    {
        const int N = 1 << 20;
        var y = Run(Def("UniformFill", [N], 7, "Y", ("min", -2f), ("max", 3f)));
        Assert.All(y, v => Assert.True(v >= -2f && v < 3f, $"{v} outside [-2, 3)"));
        var (mean, std) = Moments(y);
        // Standard error of the mean: (5 / sqrt(12)) / 1024 ~ 0.0014; 0.02 is over 14 of them.
        Assert.InRange(mean, 0.5 - 0.02, 0.5 + 0.02);
        Assert.InRange(std, 5 / Math.Sqrt(12) * 0.99, 5 / Math.Sqrt(12) * 1.01);
        Assert.True(y.Min() < -1.99f && y.Max() > 2.99f);
    }

    [Fact]
    public void UniformFill_MinEqualsMax_FillsMin_AndATinyRangeNeverReachesMax()
    {
        Assert.All(Run(Def("UniformFill", [100], 1, "Y", ("min", 2f), ("max", 2f))), v => Assert.Equal(2f, v));
        float lo = 1f, hi = MathF.BitIncrement(1f);
        Assert.All(Run(Def("UniformFill", [1000], 1, "Y", ("min", lo), ("max", hi))), v => Assert.Equal(lo, v));
    }

    [Fact]
    public void GaussianFill_LargeFill_HasTheRightMoments()
    {
        const int N = 1 << 20;
        var y = Run(Def("GaussianFill", [N], 9, "Y", ("mean", 1.5f), ("std", 2f)));
        var (mean, std) = Moments(y);
        // Standard error of the mean 2 / 1024 ~ 0.002; of the std ~ 2 / sqrt(2N) ~ 0.0014.
        Assert.InRange(mean, 1.5 - 0.03, 1.5 + 0.03);
        Assert.InRange(std, 2 * 0.99, 2 * 1.01);
        double withinOne = y.Count(v => Math.Abs(v - 1.5) < 2) / (double)N;
        Assert.InRange(withinOne, 0.6827 - 0.01, 0.6827 + 0.01);
        Assert.All(y, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void XavierFill_ScaleIsSqrtOf3OverFanIn()
    {
        long[] shape = [64, 32, 3, 3];
        var y = Run(Def("XavierFill", shape, 21));
        double scale = Math.Sqrt(3.0 / (32 * 3 * 3));
        Assert.All(y, v => Assert.True(Math.Abs(v) <= scale, $"{v} outside +-{scale}"));
        Assert.True(y.Max() > 0.99 * scale && y.Min() < -0.99 * scale);
        var (mean, std) = Moments(y);
        Assert.InRange(mean, -0.05 * scale, 0.05 * scale);
        Assert.InRange(std, scale / Math.Sqrt(3) * 0.97, scale / Math.Sqrt(3) * 1.03);
    }

    [Fact]
    public void MSRAFill_StdIsSqrtOf2OverFanOut()
    {
        long[] shape = [64, 32, 3, 3];
        var y = Run(Def("MSRAFill", shape, 22));
        double std0 = Math.Sqrt(2.0 / (64 * 3 * 3));
        var (mean, std) = Moments(y);
        Assert.InRange(mean, -0.05 * std0, 0.05 * std0);
        Assert.InRange(std, std0 * 0.97, std0 * 1.03);
    }

    private static (double Mean, double Std) Moments(float[] y)
    {
        double mean = y.Average(v => (double)v);
        double var = y.Sum(v => (v - mean) * (v - mean)) / (y.Length - 1);
        return (mean, Math.Sqrt(var));
    }

    [Fact]
    public void UniformFill_MinAboveMax_IsAnError() =>
        WithShape(new OperatorTester(Catalog, "UniformFill"), [2]).Arg("min", 2f).Arg("max", 1f).Output("Y")
            .ExpectError("argument 'min' = 2 must not exceed 'max' = 1").Run();

    [Fact]
    public void GaussianFill_NegativeStd_IsAnError() =>
        WithShape(new OperatorTester(Catalog, "GaussianFill"), [2]).Arg("std", -1f).Output("Y")
            .ExpectError("argument 'std' = -1 must be 0 or more").Run();

    [Fact]
    public void XavierAndMsra_NeedEnoughRank()
    {
        WithShape(new OperatorTester(Catalog, "XavierFill"), []).Output("Y").ExpectError("rank 1 or more").Run();
        WithShape(new OperatorTester(Catalog, "MSRAFill"), [5]).Output("Y").ExpectError("rank 2 or more").Run();
    }

    [Fact]
    public void Schemas_HaveTheArguments_AndCostCountsTheOutput()
    {
        var u = Catalog.Schemas.Find("UniformFill")!;
        Assert.Contains(u.Args, a => a.Name == "min");
        Assert.Contains(Catalog.Schemas.Find("GaussianFill")!.Args, a => a.Name == "std");
        Assert.Contains("fan_out = size / dims[1]", Catalog.Schemas.Find("MSRAFill")!.Doc, StringComparison.Ordinal);
        var cost = u.InferCost(Def("UniformFill", [3, 4], 1), []);
        Assert.Equal(48UL, cost.BytesWritten);
    }
}
