using Caffe2Sharp.Operators.Conversion;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Builders;
using Caffe2Sharp.Tests;
using static Caffe2Sharp.Operators.Tests.Logical.TestTensors;

namespace Caffe2Sharp.Operators.Tests.Conversion;

/// <summary>Cast and CastLike on the harness, against a plain reference of the documented rules.</summary>
[Trait(OperatorTester.Trait, OperatorTester.TraitValue)]
public class CastTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(CastOperators.Register);

    private static OperatorTester Cast(int to) => new OperatorTester(Catalog, "Cast").Arg("to", to);

    private static readonly DataType[] Types =
        [DataType.Float, DataType.Double, DataType.Float16, DataType.Int32, DataType.Int64, DataType.Int16, DataType.Int8, DataType.Uint8, DataType.Uint16, DataType.Bool];

    // The documented rules, one value at a time: to BOOL nonzero; floating to integer truncated,
    // saturated, NaN 0; integer to integer wraps; to floating the nearest value.
    private static double Convert(double v, DataType from, DataType to)
    {
        if (to == DataType.Bool) return v != 0 || double.IsNaN(v) ? 1 : 0;
        bool fromFloat = DataTypes.IsFloatingPoint(from);
        switch (to)
        {
            case DataType.Float: return (float)v;
            case DataType.Double: return v;
            case DataType.Float16: return (double)(Half)v;
        }
        var (min, max) = DataTypes.IntegerRange(to);
        if (fromFloat)
        {
            if (double.IsNaN(v)) return 0;
            double t = Math.Truncate(v);
            return t < min ? min : t > max ? max : t;
        }
        long bits = (long)v;
        return to switch
        {
            DataType.Int32 => (int)bits,
            DataType.Int16 => (short)bits,
            DataType.Int8 => (sbyte)bits,
            DataType.Uint8 => (byte)bits,
            DataType.Uint16 => (ushort)bits,
            _ => bits,
        };
    }

    private static Tensor CastReference(Tensor x, DataType to)
    {
        var y = new Tensor(to, x.Dims);
        for (long k = 0; k < x.Size; k++) Set(y, k, Convert(Get(x, k), x.DataType, to));
        return y;
    }

    private static double[] Values(DataType type)
    {
        if (type == DataType.Bool) return [0, 1, 1, 0, 1];
        if (DataTypes.IsFloatingPoint(type))
            return [0, -0.0, 1.5, -1.5, 2.7, -2.7, 255.9, 300, -129, 70000, -70000, 3e9, -3e10, double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.25];
        var (min, max) = DataTypes.IntegerRange(type);
        return [0, 1, -1, 127, 128, 255, 256, -129, 65535, 65536, 40000, min, max, 7, 3];
    }

    [Fact]
    public void Caffe2Numbering_IsTheDataTypeEnum()
    {
        // Caffe2's TensorProto.DataType numbers, not ONNX's (where 6 is INT32 and 2 UINT8).
        Assert.Equal(1, (int)DataType.Float);
        Assert.Equal(2, (int)DataType.Int32);
        Assert.Equal(5, (int)DataType.Bool);
        Assert.Equal(6, (int)DataType.Uint8);
        Assert.Equal(10, (int)DataType.Int64);
        Assert.Equal(12, (int)DataType.Float16);
        Assert.Equal(13, (int)DataType.Double);
        Cast(6).Input<int>("X", [1, 300], 2).Output<byte>("Y", [1, 44], 2).Run();
        Cast(2).Input<byte>("X", [1, 200], 2).Output<int>("Y", [1, 200], 2).Run();
    }

    [Fact]
    public void HandChecked_Truncation_Saturation_NaN_Bool()
    {
        Cast(2).Input<float>("X", [1.9f, -1.9f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e9f], 6)
            .Output<int>("Y", [1, -1, 0, int.MaxValue, int.MinValue, int.MaxValue], 6).Run();
        Cast(5).Input<float>("X", [0, -0f, 0.1f, float.NaN, -3], 5).Output<bool>("Y", [false, false, true, true, true], 5).Run();
        Cast(1).Input<bool>("X", [true, false], 2).Output<float>("Y", [1, 0], 2).Run();
        Cast(10).Input<double>("X", [-2.5, 1e300], 2).Output<long>("Y", [-2, long.MaxValue], 2).Run();
        Cast(1).Input<double>("X", [1e300, 0.1], 2).Output<float>("Y", [float.PositiveInfinity, 0.1f], 2).Run();
        Cast(7).Input<long>("X", [200, -1, 1L << 40], 3).Output<sbyte>("Y", [-56, -1, 0], 3).Run();
    }

    public static TheoryData<DataType, DataType> Pairs()
    {
        var data = new TheoryData<DataType, DataType>();
        foreach (var from in Types)
            foreach (var to in Types)
                data.Add(from, to);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void EveryPair_MatchesTheReference(DataType from, DataType to)
    {
        var values = Values(from);
        var x = Make(from, values, values.Length);
        Cast((int)to).Input("X", x).Output("Y", inputs => CastReference(inputs[0], to)).Run();
        new OperatorTester(Catalog, "CastLike").Input("X", x).Input("T", new Tensor(to, 0)).Output("Y", inputs => CastReference(inputs[0], to)).Run();
    }

    [Fact]
    public void Random_FloatToInt32_And_Back()
    {
        var r = new Random(3);
        var data = Enumerable.Range(0, 300).Select(_ => (float)(r.NextDouble() * 2000 - 1000)).ToArray();
        Cast(2).Input("X", data, 3, 100).Output("Y", inputs => CastReference(inputs[0], DataType.Int32)).Run();
        var ints = Enumerable.Range(0, 300).Select(_ => r.Next()).ToArray();
        Cast(13).Input("X", ints, 300).Output("Y", inputs => CastReference(inputs[0], DataType.Double)).Run();
    }

    [Fact]
    public void BadInputs_AndArguments_AreClearErrors()
    {
        new OperatorTester(Catalog, "Cast").Input<float>("X", [1], 1).Output("Y").ExpectError("missing required argument 'to'").Run();
        Cast(4).Input<float>("X", [1], 1).Output("Y").ExpectError("argument 'to' = 4 (STRING) is not a supported type").Run();
        Cast(99).Input<float>("X", [1], 1).Output("Y").ExpectError("argument 'to' = 99 (99) is not a supported type").Run();
        Cast(1).Input("X", Tensor.FromStrings(["a"], 1)).Output("Y").ExpectError("input 'X' is STRING[1]; Cast converts").Run();
        new OperatorTester(Catalog, "CastLike").Input<float>("X", [1], 1).Input("T", Tensor.FromStrings(["a"], 1)).Output("Y")
            .ExpectError("target type input 1 'T' is STRING[1]").Run();
        // In place only when the type stays.
        var inPlace = Cast(2).Input<float>("X", [1], 1);
        inPlace.Def.Output.Add("X");
        Assert.Throws<OperatorException>(() => { var ws = new Workspace(Catalog); ws.FeedBlob<float>("X", [1f], 1); ws.RunOperatorOnce(inPlace.Def); });
        new OperatorTester(Catalog, "CastLike").Input<float>("X", [1], 1).Output("Y").ExpectError("does not match its schema").Run();
        var schema = Catalog.Schemas.Find("Cast")!;
        Assert.Contains("to", schema.Verify(OperatorDef.Create("Cast", "", ["X"], ["Y"])), StringComparison.Ordinal);
        Assert.NotNull(schema.Verify(OperatorDef.Create("Cast", "", ["X", "Z"], ["Y"]).SetArgument("to", 1)));
    }

    [Fact]
    public void Schema_InfersTheTargetType_CostReadsAndWritesEachSize()
    {
        var schema = Catalog.Schemas.Find("Cast")!;
        var def = OperatorDef.Create("Cast", "", ["X"], ["Y"]).SetArgument("to", 10);
        var shapes = new[] { TensorShape.Create([2, 3], DataType.Float) };
        var y = Assert.Single(schema.InferTensor(def, shapes));
        Assert.Equal(DataType.Int64, y.DataType);
        Assert.Equal([2L, 3], y.Dims);
        Assert.Equal(new Cost(6, 24, 48), schema.InferCost(def, shapes));
        var like = Catalog.Schemas.Find("CastLike")!;
        Assert.Equal(DataType.Bool, Assert.Single(like.InferTensor(OperatorDef.Create("CastLike", "", ["X", "T"], ["Y"]),
            [TensorShape.Create([4], DataType.Float), TensorShape.Create([1], DataType.Bool)])).DataType);
    }

    [Fact]
    public void SteadyState_DoesNotAllocate()
    {
        var ws = new Workspace(Catalog) { IntraOpThreads = 1 };
        ws.FeedBlob<float>("X", [1.5f, -2, 3, float.NaN], 4);
        ws.FeedBlob<bool>("B", [true, false], 2);
        ws.CreateNet(new NetBuilder("n")
            .Cast("X", "i", DataType.Int32).Cast("X", "b", DataType.Bool).Cast("B", "f", DataType.Float).Cast("X", "same", DataType.Float)
            .CastLike("X", "B", "like")
            .Build());
        ws.RunNet("n");
        SteadyState.AllocatesNothing(() => ws.RunNet("n"));
    }
}
