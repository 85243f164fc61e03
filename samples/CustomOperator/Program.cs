// Sample: a custom operator plugin (schema, kernel, gradient) registered through DI exactly as
// Caffe2Sharp's own operators are, run, and its gradient checked numerically.
using System.Numerics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Schema.Gradients;
using Microsoft.Extensions.DependencyInjection;

var services = new ServiceCollection();
services.AddCaffe2Sharp().AddSquarePack();
using var provider = services.BuildServiceProvider();
var ws = provider.GetRequiredService<Workspace>();

ws.FeedBlob<float>("X", [-1.5f, 0.5f, 2f], 3);
ws.RunOperatorOnce(OperatorDef.Create("Square", "", ["X"], ["Y"]));
Console.WriteLine($"Square(X) = {ws.FetchBlob("Y")}");

var checker = new GradientChecker(provider.GetRequiredService<OperatorCatalog>());
Console.WriteLine(checker.CheckOrThrow(OperatorDef.Create("Square", "", ["X"], ["Y"]),
    new Dictionary<string, Tensor> { ["X"] = Tensor.From<float>([-1.5f, 0.5f, 2f], 3) }, inputIndex: 0));

/// <summary>A user's operator pack: Square (y = x * x) and its gradient (dx = 2 * x * dy).</summary>
public static class SquarePack
{
    public static Caffe2SharpBuilder AddSquarePack(this Caffe2SharpBuilder builder) => builder.AddOperatorPack("Sample.Square", Register);

    public static void Register(OperatorCatalog catalog)
    {
        catalog.RegisterUnaryElementwise("Square", _ => new Square(), DataTypeSet.Floating).AllowInplace((0, 0)).SetDoc("y = x * x, element-wise.");
        catalog.RegisterBinaryElementwise("SquareGradient", _ => new SquareGradient(), DataTypeSet.Floating, Broadcast.None, shapeInput: 1)
            .AllowInplace((1, 0)).SetDoc("dx = 2 * x * dy.");
        catalog.Gradients.Register("Square", (def, g) => new GetSquareGradient(def, g));
    }

    private readonly struct Square : IUnaryFunctor
    {
        public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x * x;
    }

    private readonly struct SquareGradient : IBinaryFunctor
    {
        public T Invoke<T>(T x, T dy) where T : unmanaged, INumber<T> => (x + x) * dy;
    }

    private sealed class GetSquareGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() => I(0) == O(0)
            ? throw new EnforceNotMetException($"Square ran in place on '{I(0)}': its gradient needs X.")
            : SingleGradientDef("SquareGradient", "", [I(0), GO(0)], [GI(0)]);
    }
}
