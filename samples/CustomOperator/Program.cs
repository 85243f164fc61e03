// Sample: write a custom operator plugin (schema, kernel, gradient), register it through DI
// exactly as Caffe2Sharp's own operators are, run it, and check its gradient numerically.
using System.Runtime.Intrinsics;
using Caffe2Sharp.Schema;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddCaffe2Sharp().AddSquarePack();
using var provider = services.BuildServiceProvider();
var ws = provider.GetRequiredService<Workspace>();

ws.FeedBlob<float>("X", [-1.5f, 0.5f, 2f], 3);
ws.RunOperatorOnce(OperatorDef.Create("Square", "", ["X"], ["Y"]));
Console.WriteLine($"Square(X) = {ws.FetchBlob("Y")}");

var checker = new GradientChecker(provider.GetRequiredService<OperatorCatalog>());
var result = checker.CheckOrThrow(
    OperatorDef.Create("Square", "", ["X"], ["Y"]),
    new Dictionary<string, Tensor> { ["X"] = Tensor.From<float>([-1.5f, 0.5f, 2f], 3) },
    inputIndex: 0);
Console.WriteLine(result);

/// <summary>A user's operator pack: Square (y = x * x) and its gradient (dx = 2 * x * dy).</summary>
public static class SquarePack
{
    public static Caffe2SharpBuilder AddSquarePack(this Caffe2SharpBuilder builder) => builder.AddOperatorPack("Sample.Square", Register);

    public static void Register(OperatorCatalog catalog)
    {
        catalog.Schemas.Schema("Square").NumInputs(1).NumOutputs(1).AllowInplace((0, 0))
            .IdenticalTypeAndShape().CostInferenceFunction(CostFunctions.Pointwise(1))
            .SetDoc("y = x * x, element-wise.");
        catalog.Operators.Register("Square", (def, ws) => new SquareOp(def, ws));

        catalog.Schemas.Schema("SquareGradient").NumInputs(2).NumOutputs(1).AllowInplace((1, 0))
            .IdenticalTypeAndShapeOfInput(1).SetDoc("dx = 2 * x * dy.");
        catalog.Operators.Register("SquareGradient", (def, ws) => new SquareGradientOp(def, ws));
        catalog.Gradients.Register("Square", (def, g) => new GetSquareGradient(def, g));
    }

    private readonly struct SquareKernel : IUnaryOperator<float>
    {
        public float Invoke(float x) => x * x;
        public Vector128<float> Invoke(Vector128<float> x) => x * x;
        public Vector256<float> Invoke(Vector256<float> x) => x * x;
        public Vector512<float> Invoke(Vector512<float> x) => x * x;
    }

    private readonly struct SquareGradientKernel : IBinaryOperator<float>
    {
        public float Invoke(float x, float dy) => 2f * x * dy;
        public Vector128<float> Invoke(Vector128<float> x, Vector128<float> dy) => 2f * x * dy;
        public Vector256<float> Invoke(Vector256<float> x, Vector256<float> dy) => 2f * x * dy;
        public Vector512<float> Invoke(Vector512<float> x, Vector512<float> dy) => 2f * x * dy;
    }

    private sealed class SquareOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run()
        {
            var x = Input(0);
            if (x.DataType != DataType.Float) throw Error($"input '{Def.Input[0]}' must be FLOAT, got {x.Describe()}.");
            var y = Output(0);
            y.Resize(DataType.Float, x.Dims);
            ElementwiseDriver.Unary(new SquareKernel(), x.Data<float>(), y.Data<float>(), MaxDegreeOfParallelism);
        }
    }

    private sealed class SquareGradientOp(OperatorDef def, Workspace ws) : OperatorBase(def, ws)
    {
        public override void Run()
        {
            var x = Input(0);
            var dy = Input(1);
            if (x.Size != dy.Size) throw Error($"'{Def.Input[0]}' {x.Describe()} and '{Def.Input[1]}' {dy.Describe()} differ in size.");
            var dx = Output(0);
            dx.Resize(DataType.Float, dy.Dims);
            ElementwiseDriver.Binary(new SquareGradientKernel(), x.Data<float>(), dy.Data<float>(), dx.Data<float>(), MaxDegreeOfParallelism);
        }
    }

    private sealed class GetSquareGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs()
        {
            if (I(0) == O(0)) throw new EnforceNotMetException($"Square ran in place on '{I(0)}': its gradient needs X.");
            return SingleGradientDef("SquareGradient", "", [I(0), GO(0)], [GI(0)]);
        }
    }
}
