using Caffe2Sharp.Schema.Gradients;

namespace Caffe2Sharp.Schema.Tests.Gradients;

public class GradientMakerTests
{
    private sealed class MulGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
        [
            OperatorDef.Create("Mul", "", [GO(0), I(1)], [GI(0)]),
            OperatorDef.Create("Mul", "", [GO(0), I(0)], [GI(1)]),
        ];
    }

    private sealed class SparseGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
            SingleGradientDef("SparseGrad", "", [I(1), GO(0)], [GI_I(0), GI_V(0)]);
    }

    private sealed class HalfSparse(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() => SingleGradientDef("G", "", [GO(0)], [GI_I(0)]);
    }

    private static OperatorDef Forward()
    {
        var def = OperatorDef.Create("Mul", "m", ["A", "B"], ["C"]).SetArgument("broadcast", 1);
        def.Engine = "FAST";
        def.DeviceOption = new DeviceOption { DeviceType = 0, DeviceId = 0, RandomSeed = 5 };
        return def;
    }

    [Fact]
    public void Registry_ProducesGradientOps_WithCaffe2Names_AndCopiedContext()
    {
        var r = new GradientRegistry();
        r.Register("Mul", (d, g) => new MulGradient(d, g));
        var meta = r.GetGradientForOp(Forward());
        Assert.Equal(2, meta.Ops.Count);
        var g0 = meta.Ops[0];
        Assert.Equal(["C_grad", "B"], g0.Input);
        Assert.Equal(["A_grad"], g0.Output);
        Assert.True(g0.IsGradientOp);
        Assert.Equal("FAST", g0.Engine);
        Assert.Equal(5u, g0.DeviceOption.RandomSeed);
        Assert.Equal(1, g0.GetSingleArgument("broadcast", 0));
        Assert.Equal(["A_grad", "B_grad"], meta.InputGradients.Select(w => w.Dense));
    }

    [Fact]
    public void SuppliedOutputGradientNames_AreUsed()
    {
        var r = new GradientRegistry();
        r.Register("Mul", (d, g) => new MulGradient(d, g));
        var meta = r.GetGradientForOp(Forward(), [new GradientWrapper(Dense: "loss_seed")]);
        Assert.Equal("loss_seed", meta.Ops[0].Input[0]);
    }

    [Fact]
    public void MissingOutputGradient_IsAClearError()
    {
        var r = new GradientRegistry();
        r.Register("Mul", (d, g) => new MulGradient(d, g));
        var e = Assert.Throws<EnforceNotMetException>(() => r.GetGradientForOp(Forward(), [GradientWrapper.None]));
        Assert.Contains("gradient of output 0 ('C') is not provided", e.Message);
    }

    [Fact]
    public void SparseGradients_AreNamedIndicesAndValues()
    {
        var r = new GradientRegistry();
        r.Register("Gather", (d, g) => new SparseGradient(d, g));
        var meta = r.GetGradientForOp(OperatorDef.Create("Gather", "", ["DATA", "IDX"], ["OUT"]));
        Assert.Equal(["DATA_grad_indices", "DATA_grad_values"], meta.Ops[0].Output);
        Assert.True(meta.InputGradients[0].IsSparse);
        Assert.True(meta.InputGradients[1].IsEmpty);
    }

    [Fact]
    public void HalfSparseGradient_IsRejected()
    {
        var r = new GradientRegistry();
        r.Register("G", (d, g) => new HalfSparse(d, g));
        Assert.Throws<EnforceNotMetException>(() => r.GetGradientForOp(OperatorDef.Create("G", "", ["X"], ["Y"])));
    }

    [Fact]
    public void NoGradient_GivesNoOps()
    {
        var r = new GradientRegistry();
        r.NoGradient("Fill");
        var meta = r.GetGradientForOp(OperatorDef.Create("Fill", "", [], ["Y"]));
        Assert.Empty(meta.Ops);
    }

    [Fact]
    public void GradientNotImplemented_AndThrowInTheTowel_Throw()
    {
        var r = new GradientRegistry();
        r.Register("A", (d, g) => new GradientNotImplementedYet(d, g));
        r.Register("B", (d, g) => new ThrowInTheTowelIfGradientIsCalled(d, g));
        Assert.Contains("not implemented yet", Assert.Throws<NotSupportedException>(() => r.GetGradientForOp(OperatorDef.Create("A", "", ["x"], ["y"]))).Message);
        Assert.Throws<InvalidOperationException>(() => r.GetGradientForOp(OperatorDef.Create("B", "", ["x"], ["y"])));
    }

    [Fact]
    public void UnknownType_AndDuplicateRegistration_AreClearErrors()
    {
        var r = new GradientRegistry();
        Assert.Contains("'Nope'", Assert.Throws<EnforceNotMetException>(() => r.GetGradientForOp(OperatorDef.Create("Nope", "", [], []))).Message);
        r.NoGradient("X", "a.cs", 1);
        var e = Assert.Throws<InvalidOperationException>(() => r.NoGradient("X", "b.cs", 2));
        Assert.Contains("a.cs:1", e.Message);
        Assert.Contains("b.cs:2", e.Message);
    }

    private sealed class ExplicitArgGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
            SingleGradientDef("G", "", [GO(0)], [GI(0)], [ArgumentHelper.MakeArgument("broadcast", 0)]);
    }

    [Fact]
    public void ArgumentTheMakerSets_IsKept_NotDuplicated()
    {
        var r = new GradientRegistry();
        r.Register("Mul", (d, g) => new ExplicitArgGradient(d, g));
        var op = r.GetGradientForOp(Forward()).Ops.Single();
        Assert.Single(op.Arg, a => a.Name == "broadcast");
        Assert.Equal(0, op.GetSingleArgument("broadcast", -1));
    }

    [Fact]
    public void Maker_DoesNotMutateTheForwardDef()
    {
        var r = new GradientRegistry();
        r.Register("Mul", (d, g) => new MulGradient(d, g));
        var fwd = Forward();
        var before = fwd.Clone();
        r.GetGradientForOp(fwd);
        Assert.Equal(before, fwd);
    }
}
