using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Operators.Fill;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.EndToEnd;

/// <summary>A user-written operator pack, registered exactly as ours are.</summary>
internal static class AxpyPack
{
    public static Caffe2SharpBuilder AddAxpy(this Caffe2SharpBuilder builder) => builder.AddOperatorPack("Test.Axpy", Register);

    private static void Register(OperatorCatalog c)
    {
        c.Schemas.Schema("Axpy").NumInputs(2).NumOutputs(1).AllowInplace((1, 0)).IdenticalTypeAndShapeOfInput(1)
            .Arg("a", "scale of x", 1.0f).CostInferenceFunction(CostFunctions.Pointwise(2));
        c.Operators.Register("Axpy", (d, ws) => new AxpyOp(d, ws));
        c.Gradients.Register("Axpy", (d, g) => new AxpyGradient(d, g));
    }

    private sealed class AxpyOp : OperatorBase
    {
        private readonly float _a;
        public AxpyOp(OperatorDef def, Workspace ws) : base(def, ws) => _a = GetSingleArgument("a", 1.0f);

        public override void Run()
        {
            var x = Input(0);
            var y = Input(1);
            if (x.Size != y.Size) throw Error($"x '{Def.Input[0]}' {x.Describe()} and y '{Def.Input[1]}' {y.Describe()} differ in size.");
            var xs = x.Data<float>();
            var ys = y.Data<float>();
            var output = Output(0);
            output.ResizeLike(y);
            var o = output.Data<float>();
            for (int k = 0; k < o.Length; k++) o[k] = _a * xs[k] + ys[k];
        }
    }

    private sealed class AxpyGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
            SingleGradientDef("Copy", "", [GO(0)], [GI(1)]);
    }
}

public class CustomOperatorPluginTests
{
    [Fact]
    public void InitNetOfFills_ThenNetWithCustomOperator_EndToEnd()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddFillOperators().AddAxpy();
        using var sp = services.BuildServiceProvider();
        var ws = sp.GetRequiredService<Workspace>();

        var init = new NetDef { Name = "init" };
        init.Op.Add(OperatorDef.Create("GivenTensorFill", "", [], ["x"]).SetRepeatedArgument("shape", new long[] { 3 }).SetRepeatedArgument("values", new[] { 1f, 2f, 3f }));
        init.Op.Add(OperatorDef.Create("ConstantFill", "", [], ["y"]).SetRepeatedArgument("shape", new long[] { 3 }).SetArgument("value", 10f));
        ws.RunNetOnce(init);

        var predict = new NetDef { Name = "predict" };
        predict.ExternalInput.Add(["x", "y"]);
        predict.ExternalOutput.Add("y");
        predict.Op.Add(OperatorDef.Create("Axpy", "axpy", ["x", "y"], ["y"]).SetArgument("a", 2f));
        ws.CreateNet(predict);
        ws.RunNet("predict");
        Assert.Equal([12f, 14f, 16f], ws.FetchBlob<float>("y"));
        ws.RunNet("predict");
        Assert.Equal([14f, 18f, 22f], ws.FetchBlob<float>("y"));

        var catalog = sp.GetRequiredService<OperatorCatalog>();
        var grad = catalog.GetGradientForOp(predict.Op[0]);
        Assert.Equal(["y_grad"], grad.Ops[0].Output);
        Assert.Equal(2f, grad.Ops[0].GetSingleArgument("a", 0f));
    }

    [Fact]
    public void CustomOperator_ShapeMismatch_IsAClearError()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddAxpy();
        using var sp = services.BuildServiceProvider();
        var ws = sp.GetRequiredService<Workspace>();
        ws.FeedBlob<float>("x", [1, 2], 2);
        ws.FeedBlob<float>("y", [1], 1);
        var e = Assert.Throws<OperatorException>(() => ws.RunOperatorOnce(OperatorDef.Create("Axpy", "", ["x", "y"], ["z"])));
        Assert.Contains("x 'x' FLOAT[2] and y 'y' FLOAT[1] differ in size", e.Message);
        Assert.False(ws.GetBlob("z")!.IsTensor);
    }
}
