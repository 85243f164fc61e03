using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Tests.Fill;

public class FillOperatorTests
{
    private static Workspace NewWorkspace() => new(new OperatorCatalog().Add(FillOperators.Register));

    [Fact]
    public void ConstantFill_WithShapeAndValue()
    {
        var ws = NewWorkspace();
        ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", [], ["Y"]).SetRepeatedArgument("shape", new long[] { 2, 3 }).SetArgument("value", 1.5f));
        var y = ws.FetchBlob("Y");
        Assert.Equal([2L, 3L], y.Shape);
        Assert.All(y.ToArray<float>(), v => Assert.Equal(1.5f, v));
    }

    [Fact]
    public void ConstantFill_DefaultsToFloatZero_ScalarShape()
    {
        var ws = NewWorkspace();
        ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", [], ["Y"]));
        var y = ws.FetchBlob("Y");
        Assert.Equal(DataType.Float, y.DataType);
        Assert.Equal(0, y.Rank);
        Assert.Equal([0f], y.ToArray<float>());
    }

    [Theory]
    [InlineData(DataType.Int32)]
    [InlineData(DataType.Int64)]
    [InlineData(DataType.Double)]
    [InlineData(DataType.Bool)]
    [InlineData(DataType.Uint8)]
    [InlineData(DataType.Float16)]
    public void ConstantFill_Dtype_ProducesThatType(DataType dtype)
    {
        var ws = NewWorkspace();
        ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", [], ["Y"]).SetRepeatedArgument("shape", new long[] { 4 })
            .SetArgument("dtype", (int)dtype).SetArgument("value", 1));
        var y = ws.FetchBlob("Y");
        Assert.Equal(dtype, y.DataType);
        Assert.Equal("1", dtype == DataType.Bool ? (y.FormatElement(3) == "true" ? "1" : "0") : y.FormatElement(3));
    }

    [Fact]
    public void ConstantFill_FromInputShape_PlusExtraShape()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<double>("X", new double[6], 2, 3);
        ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", ["X"], ["Y"]).SetRepeatedArgument("extra_shape", new long[] { 4 }).SetArgument("value", 2f));
        Assert.Equal([2L, 3L, 4L], ws.FetchBlob("Y").Shape);
    }

    [Fact]
    public void ConstantFill_InputAsShape_ReadsValues()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<long>("S", [3, 2], 2);
        ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", ["S"], ["Y"]).SetArgument("input_as_shape", 1).SetArgument("value", 7f));
        Assert.Equal([3L, 2L], ws.FetchBlob("Y").Shape);
        ws.FeedBlob<float>("F", [3], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", ["F"], ["Y"]).SetArgument("input_as_shape", 1)));
        Assert.Contains("must be INT64 or INT32", e.Message);
    }

    [Fact]
    public void ConstantFill_ShapeAndInputTogether_IsRejected()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<float>("X", [1], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(
            OperatorDef.Create("ConstantFill", "", ["X"], ["Y"]).SetRepeatedArgument("shape", new long[] { 1 })));
        Assert.Contains("cannot take both an input and the 'shape' argument", e.Message);
    }

    [Fact]
    public void ConstantFill_NonIntegerValueForIntDtype_IsRejected()
    {
        var e = Assert.Throws<OperatorException>(() => NewWorkspace().RunOperatorOnce(
            OperatorDef.Create("ConstantFill", "", [], ["Y"]).SetArgument("dtype", (int)DataType.Int32).SetArgument("value", 1.5f)));
        Assert.Contains("value 1.5 is not an integer", e.Message);
    }

    [Fact]
    public void ConstantFill_Int64_KeepsEveryBit()
    {
        var ws = NewWorkspace();
        ws.RunOperatorOnce(OperatorDef.Create("ConstantFill", "", [], ["Y"]).SetRepeatedArgument("shape", new long[] { 1 })
            .SetArgument("dtype", (int)DataType.Int64).SetArgument("value", 9007199254740993L));
        Assert.Equal([9007199254740993L], ws.FetchBlob<long>("Y"));
    }

    [Fact]
    public void ConstantFill_ValueOutOfRangeForDtype_IsRejected()
    {
        var e = Assert.Throws<OperatorException>(() => NewWorkspace().RunOperatorOnce(
            OperatorDef.Create("ConstantFill", "", [], ["Y"]).SetArgument("dtype", (int)DataType.Int8).SetArgument("value", 300)));
        Assert.Contains("value 300 does not fit dtype INT8", e.Message);
    }

    [Fact]
    public void GivenTensorFill_FillsValuesInShape()
    {
        var ws = NewWorkspace();
        ws.RunOperatorOnce(OperatorDef.Create("GivenTensorFill", "", [], ["W"]).SetRepeatedArgument("shape", new long[] { 2, 2 })
            .SetRepeatedArgument("values", new[] { 1f, 2f, 3f, 4f }));
        Assert.Equal([1f, 2f, 3f, 4f], ws.FetchBlob<float>("W"));
        Assert.Equal([2L, 2L], ws.FetchBlob("W").Shape);
    }

    [Fact]
    public void TypedGivenTensorFills_ProduceTheirTypes()
    {
        var ws = NewWorkspace();
        ws.RunOperatorOnce(OperatorDef.Create("GivenTensorDoubleFill", "", [], ["D"]).SetRepeatedArgument("shape", new long[] { 2 }).SetRepeatedArgument("values", new[] { 0.5f, 0.25f }));
        ws.RunOperatorOnce(OperatorDef.Create("GivenTensorIntFill", "", [], ["I"]).SetRepeatedArgument("shape", new long[] { 2 }).SetRepeatedArgument("values", new[] { -1, 2 }));
        ws.RunOperatorOnce(OperatorDef.Create("GivenTensorInt64Fill", "", [], ["L"]).SetRepeatedArgument("shape", new long[] { 1 }).SetRepeatedArgument("values", new[] { long.MaxValue }));
        ws.RunOperatorOnce(OperatorDef.Create("GivenTensorBoolFill", "", [], ["B"]).SetRepeatedArgument("shape", new long[] { 2 }).SetRepeatedArgument("values", new[] { true, false }));
        Assert.Equal([0.5, 0.25], ws.FetchBlob<double>("D"));
        Assert.Equal([-1, 2], ws.FetchBlob<int>("I"));
        Assert.Equal([long.MaxValue], ws.FetchBlob<long>("L"));
        Assert.Equal([true, false], ws.FetchBlob<bool>("B"));
    }

    [Fact]
    public void GivenTensorFill_CountMismatch_NamesOpAndCounts()
    {
        var e = Assert.Throws<OperatorException>(() => NewWorkspace().RunOperatorOnce(
            OperatorDef.Create("GivenTensorFill", "w_fill", [], ["W"]).SetRepeatedArgument("shape", new long[] { 2, 2 }).SetRepeatedArgument("values", new[] { 1f })));
        Assert.Contains("'GivenTensorFill' \"w_fill\"", e.Message);
        Assert.Contains("'values' has 1 values but shape [2, 2] needs 4", e.Message);
    }

    [Fact]
    public void GivenTensorFill_WithoutValues_FailsVerify()
    {
        var e = Assert.Throws<OperatorException>(() => NewWorkspace().RunOperatorOnce(OperatorDef.Create("GivenTensorFill", "", [], ["W"])));
        Assert.Contains("missing required argument 'values'", e.Message);
    }

    [Fact]
    public void GivenTensorIntFill_FloatValues_IsWrongKind()
    {
        var e = Assert.Throws<OperatorException>(() => NewWorkspace().RunOperatorOnce(
            OperatorDef.Create("GivenTensorIntFill", "", [], ["W"]).SetRepeatedArgument("values", new[] { 1f })));
        Assert.Contains("argument 'values' of the wrong kind: expected field ints, found floats", e.Message);
    }

    [Fact]
    public void Copy_CopiesAnyType_AndHasPointwiseCost()
    {
        var catalog = new OperatorCatalog().Add(FillOperators.Register);
        var ws = new Workspace(catalog);
        ws.FeedBlob<short>("X", [1, -2], 2);
        ws.RunOperatorOnce(OperatorDef.Create("Copy", "", ["X"], ["Y"]));
        Assert.Equal([(short)1, (short)-2], ws.FetchBlob<short>("Y"));
        var cost = catalog.Schemas.Find("Copy")!.InferCost(OperatorDef.Create("Copy", "", ["X"], ["Y"]), [TensorShape.Create([10], DataType.Int16)]);
        Assert.Equal(new Cost(0, 20, 20), cost);
        var grad = catalog.GetGradientForOp(OperatorDef.Create("Copy", "", ["X"], ["Y"]));
        Assert.Equal("Copy", grad.Ops[0].Type);
        Assert.Equal(["Y_grad"], grad.Ops[0].Input);
        Assert.Equal(["X_grad"], grad.Ops[0].Output);
    }

    [Fact]
    public void FillSchemas_InferShapes()
    {
        var schemas = new OperatorCatalog().Add(FillOperators.Register).Schemas;
        var fill = OperatorDef.Create("GivenTensorInt64Fill", "", [], ["W"]).SetRepeatedArgument("shape", new long[] { 3, 1 }).SetRepeatedArgument("values", new long[] { 1, 2, 3 });
        var shape = schemas.Find("GivenTensorInt64Fill")!.InferTensor(fill, []).Single();
        Assert.Equal([3L, 1L], shape.Dims);
        Assert.Equal(DataType.Int64, shape.DataType);
        var cf = OperatorDef.Create("ConstantFill", "", [], ["Y"]).SetRepeatedArgument("shape", new long[] { 5 }).SetArgument("dtype", (int)DataType.Double);
        Assert.Equal(DataType.Double, schemas.Find("ConstantFill")!.InferTensor(cf, []).Single().DataType);
    }

    [Fact]
    public void FillSchemas_DeclareEveryArgumentTheOperatorsRead()
    {
        // FillOpBase reads shape, extra_shape and input_as_shape for every fill; an argument an
        // operator reads must never be reported as undeclared.
        var schemas = new OperatorCatalog().Add(FillOperators.Register).Schemas;
        var constant = OperatorDef.Create("ConstantFill", "c", ["S"], ["Y"]).SetArgument("value", 2f).SetArgument("dtype", (int)DataType.Float)
            .SetRepeatedArgument("extra_shape", new long[] { 2 }).SetArgument("input_as_shape", true);
        Assert.Empty(schemas.Find("ConstantFill")!.VerifyWithWarnings(constant).Warnings);
        foreach (var type in new[] { "GivenTensorFill", "GivenTensorDoubleFill", "GivenTensorIntFill", "GivenTensorInt64Fill", "GivenTensorBoolFill" })
        {
            var values = type is "GivenTensorFill" or "GivenTensorDoubleFill"
                ? OperatorDef.Create(type, "g", ["S"], ["W"]).SetRepeatedArgument("values", new[] { 1f })
                : OperatorDef.Create(type, "g", ["S"], ["W"]).SetRepeatedArgument("values", new[] { 1 });
            var def = values.SetRepeatedArgument("extra_shape", new long[] { 1 }).SetArgument("input_as_shape", false);
            var result = schemas.Find(type)!.VerifyWithWarnings(def);
            Assert.Null(result.Error);
            Assert.Empty(result.Warnings);
        }
        // GivenTensorFill reads no dtype (its type is its name), so a dtype on it is reported.
        var withDtype = OperatorDef.Create("GivenTensorFill", "", [], ["W"]).SetRepeatedArgument("values", new[] { 1f }).SetArgument("dtype", 1);
        Assert.Equal("dtype", Assert.Single(schemas.Find("GivenTensorFill")!.VerifyWithWarnings(withDtype).Warnings).Argument);
    }

    [Fact]
    public void GivenTensorFill_InputAsShape_ReadsValues()
    {
        var ws = NewWorkspace();
        ws.FeedBlob<long>("S", [2, 2], 2);
        ws.RunOperatorOnce(OperatorDef.Create("GivenTensorFill", "", ["S"], ["W"]).SetRepeatedArgument("values", new[] { 1f, 2f, 3f, 4f }).SetArgument("input_as_shape", true));
        Assert.Equal([2L, 2L], ws.FetchBlob("W").Shape);
        Assert.Equal([1f, 2f, 3f, 4f], ws.FetchBlob<float>("W"));
    }
}
