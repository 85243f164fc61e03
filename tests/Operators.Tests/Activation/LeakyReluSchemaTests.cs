using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.Activation;

/// <summary>Schema, registration and gradient-maker tests: pure OperatorDef in, OperatorDef out.</summary>
public class LeakyReluSchemaTests
{
    private static readonly OperatorCatalog Catalog = new OperatorCatalog().Add(LeakyRelu.Register);
    private static OpSchema Forward => Catalog.Schemas.Find("LeakyRelu")!;
    private static OpSchema Backward => Catalog.Schemas.Find("LeakyReluGradient")!;

    private static OperatorDef Op(string type, string[] inputs, string[] outputs, float? alpha = null)
    {
        var def = OperatorDef.Create(type, "", inputs, outputs);
        if (alpha is { } a) def.SetArgument("alpha", a);
        return def;
    }

    [Fact]
    public void Registration_ThroughDI_AddsSchemasKernelsAndGradient()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddLeakyRelu();
        using var sp = services.BuildServiceProvider();
        var catalog = sp.GetRequiredService<OperatorCatalog>();
        Assert.NotNull(catalog.Schemas.Find("LeakyRelu"));
        Assert.NotNull(catalog.Schemas.Find("LeakyReluGradient"));
        Assert.Contains(new OperatorKey(0, "", "LeakyRelu"), catalog.Operators.Keys);
        Assert.Contains(new OperatorKey(0, "", "LeakyReluGradient"), catalog.Operators.Keys);
        Assert.True(catalog.Gradients.Contains("LeakyRelu"));
        Assert.False(catalog.Gradients.Contains("LeakyReluGradient"));
    }

    [Fact]
    public void AddLeakyReluTwice_IsANoOp()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddLeakyRelu().AddLeakyRelu();
        using var sp = services.BuildServiceProvider();
        Assert.True(sp.GetRequiredService<OperatorCatalog>().Operators.Contains("LeakyRelu"));
    }

    [Fact]
    public void Forward_Schema_Counts_InPlace_Alpha()
    {
        Assert.Null(Forward.Verify(Op("LeakyRelu", ["X"], ["Y"])));
        Assert.Null(Forward.Verify(Op("LeakyRelu", ["X"], ["X"], 0.2f)));
        Assert.Contains("has 2 input(s); expected 1", Forward.Verify(Op("LeakyRelu", ["X", "Z"], ["Y"])));
        Assert.Contains("has 2 output(s); expected 1", Forward.Verify(Op("LeakyRelu", ["X"], ["Y", "Z"])));
        Assert.Equal(0.01f, Forward.FindArg("alpha")!.DefaultValue);
        Assert.Equal(ArgumentKind.Float, Forward.FindArg("alpha")!.Kind);
    }

    [Fact]
    public void Gradient_Schema_InPlaceOnlyDyToDx()
    {
        Assert.Null(Backward.Verify(Op("LeakyReluGradient", ["Y", "dY"], ["dX"])));
        Assert.Null(Backward.Verify(Op("LeakyReluGradient", ["Y", "dY"], ["dY"])));
        Assert.Contains("input 0 and output 0", Backward.Verify(Op("LeakyReluGradient", ["Y", "dY"], ["Y"])));
        Assert.Contains("has 1 input(s); expected 2", Backward.Verify(Op("LeakyReluGradient", ["Y"], ["dX"])));
    }

    [Fact]
    public void NonNumericOrUntypedAlpha_FailsVerify()
    {
        var s = Op("LeakyRelu", ["X"], ["Y"]).SetArgument("alpha", "big");
        Assert.Contains("argument 'alpha' of the wrong kind: expected field f (float), found s", Forward.Verify(s));
        var untyped = Op("LeakyRelu", ["X"], ["Y"]);
        untyped.Arg.Add(new Argument { Name = "alpha" });
        Assert.Contains("found no value", Forward.Verify(untyped));
        Assert.Null(Forward.Verify(Op("LeakyRelu", ["X"], ["Y"]).SetArgument("alpha", 1))); // integer alpha (Python alpha=1) is accepted
    }

    [Fact]
    public void ShapeInference_IsIdentical_ForwardAndFromInput1ForGradient()
    {
        var y = Forward.InferTensor(Op("LeakyRelu", ["X"], ["Y"]), [TensorShape.Create([2, 5], DataType.Double)]).Single();
        Assert.Equal([2L, 5L], y.Dims);
        Assert.Equal(DataType.Double, y.DataType);
        var dx = Backward.InferTensor(Op("LeakyReluGradient", ["Y", "dY"], ["dX"]), [TensorShape.Create([10]), TensorShape.Create([2, 5])]).Single();
        Assert.Equal([2L, 5L], dx.Dims);
    }

    [Fact]
    public void Cost_IsTwoFlopsPerElement_BytesByElementSize()
    {
        Assert.Equal(new Cost(200, 400, 400), Forward.InferCost(Op("LeakyRelu", ["X"], ["Y"]), [TensorShape.Create([10, 10])]));
        Assert.Equal(new Cost(200, 800, 800), Forward.InferCost(Op("LeakyRelu", ["X"], ["Y"]), [TensorShape.Create([100], DataType.Double)]));
        Assert.Equal(new Cost(200, 200, 200), Forward.InferCost(Op("LeakyRelu", ["X"], ["Y"]), [TensorShape.Create([100], DataType.Float16)]));
        // Gradient reads Y and dY, writes dX.
        Assert.Equal(new Cost(200, 800, 400), Backward.InferCost(Op("LeakyReluGradient", ["Y", "dY"], ["dX"]), [TensorShape.Create([100]), TensorShape.Create([100])]));
    }

    [Fact]
    public void OnnxSchema_IsOnTheForwardOp_NotTheGradient()
    {
        // Deliberate: upstream puts InheritOnnxSchema on LeakyReluGradient, which has no ONNX counterpart.
        Assert.Equal("LeakyRelu", Forward.OnnxSchema);
        Assert.Null(Backward.OnnxSchema);
    }

    [Fact]
    public void Docs_HoldTheFormulaAndTheUpstreamExample()
    {
        Assert.Contains("alpha \\cdot X", Forward.Doc);
        Assert.Contains("-0.00910602", Forward.Doc);
        Assert.Equal("X", Forward.Inputs[0].Name);
        Assert.Equal("Y", Forward.Outputs[0].Name);
    }

    [Fact]
    public void GradientMaker_OutOfPlace_UsesX_ExactForEveryAlpha()
    {
        foreach (var alpha in new float?[] { null, 0.2f, 0f, -0.5f, 2f })
        {
            var fwd = Op("LeakyRelu", ["X"], ["Y"], alpha);
            fwd.Engine = "E";
            fwd.DeviceOption = new DeviceOption { DeviceType = 0, RandomSeed = 3 };
            var g = Catalog.GetGradientForOp(fwd).Ops.Single();
            Assert.Equal("LeakyReluGradient", g.Type);
            Assert.Equal(["X", "Y_grad"], g.Input);
            Assert.Equal(["X_grad"], g.Output);
            Assert.True(g.IsGradientOp);
            Assert.Equal("E", g.Engine);
            Assert.Equal(3u, g.DeviceOption.RandomSeed);
            Assert.Equal(alpha is null ? 0 : 1, g.Arg.Count);
            if (alpha is { } a) Assert.Equal(a, g.GetSingleArgument("alpha", float.NaN));
        }
    }

    [Fact]
    public void GradientMaker_InPlace_PositiveAlpha_UsesY_AsCaffe2Does()
    {
        var g = Catalog.GetGradientForOp(Op("LeakyRelu", ["X"], ["X"], 0.2f)).Ops.Single();
        Assert.Equal(["X", "X_grad"], g.Input); // Y is X here: Caffe2's (Y, Y_grad) -> X_grad
        Assert.Equal(["X_grad"], g.Output);
        var dflt = Catalog.GetGradientForOp(Op("LeakyRelu", ["A"], ["A"])).Ops.Single();
        Assert.Equal(["A", "A_grad"], dflt.Input);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-0.5f)]
    public void GradientMaker_InPlace_NonPositiveAlpha_RefusesClearly(float alpha)
    {
        var e = Assert.Throws<EnforceNotMetException>(() => Catalog.GetGradientForOp(OperatorDef.Create("LeakyRelu", "act", ["X"], ["X"]).SetArgument("alpha", alpha)));
        Assert.Contains("'LeakyRelu' \"act\"", e.Message);
        Assert.Contains("runs in place on 'X'", e.Message);
        Assert.Contains("Run the forward op out of place", e.Message);
    }

    [Fact]
    public void GradientMaker_CustomOutputGradientName_IsUsed()
    {
        var meta = Catalog.GetGradientForOp(Op("LeakyRelu", ["X"], ["Y"]), [new GradientWrapper(Dense: "loss_grad")]);
        Assert.Equal(["X", "loss_grad"], meta.Ops[0].Input);
        Assert.Equal("X_grad", meta.InputGradients[0].Dense);
    }

    [Fact]
    public void GradientMaker_VerifiesTheForwardDef()
    {
        var e = Assert.Throws<EnforceNotMetException>(() => Catalog.GetGradientForOp(Op("LeakyRelu", ["X", "Z"], ["Y"])));
        Assert.Contains("has 2 input(s)", e.Message);
    }
}
