// Sample: a user's operator pack as a library. Programs add it with AddOperatorPack(new SquarePack());
// the CLI loads the built dll with --plugin and finds the pack through the assembly attribute.
using System.Numerics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Gradients;

[assembly: Caffe2SharpOperatorPack(typeof(CustomOperator.Pack.SquarePack))]

namespace CustomOperator.Pack;

/// <summary>Square (y = x * x) and its gradient (dx = 2 * x * dy).</summary>
public sealed class SquarePack : IOperatorPack
{
    public string Name => "Sample.Square";

    public void Register(OperatorCatalog catalog)
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
