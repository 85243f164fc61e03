using Caffe2Sharp.Schema.Gradients;
using Caffe2Sharp.Runtime.Testing;

namespace Caffe2Sharp.Runtime.Tests.Testing;

public class GradientCheckerTests
{
    private sealed class WrongGradient(OperatorDef def, IReadOnlyList<GradientWrapper> g) : GradientMakerBase(def, g)
    {
        // Claims d(x*f)/dx = 1 by dropping the factor: must be caught.
        public override bool CopyArguments => false;
        protected override IReadOnlyList<OperatorDef> GetGradientDefs() =>
            SingleGradientDef("Scale", "", [GO(0)], [GI(0)], [ArgumentHelper.MakeArgument("factor", 1.0f)]);
    }

    [Fact]
    public void CorrectGradient_Passes()
    {
        var checker = new GradientChecker(TestOps.Catalog());
        var x = Tensor.From<float>([0.5f, -1.5f, 2f, 3f, -0.25f, 1f], 2, 3);
        var result = checker.CheckOrThrow(TestOps.Scale("X", "Y", 3f), new Dictionary<string, Tensor> { ["X"] = x }, 0);
        Assert.True(result.Passed);
        Assert.All(result.Analytic.Zip(result.Numeric), p => Assert.Equal(p.First, p.Second, 2));
    }

    [Fact]
    public void InPlaceForward_IsCheckedCorrectly()
    {
        var checker = new GradientChecker(TestOps.Catalog());
        var x = Tensor.From<float>([0.5f, -1.5f, 2f], 3);
        Assert.True(checker.Check(TestOps.Scale("X", "X", -2f), new Dictionary<string, Tensor> { ["X"] = x }, 0).Passed);
    }

    [Fact]
    public void WrongGradient_Fails_NamingTheElement()
    {
        var catalog = new OperatorCatalog();
        catalog.Schemas.Schema("Scale").NumInputs(1).NumOutputs(1).AllowInplace((0, 0));
        catalog.Operators.Register("Scale", (d, ws) => new TestOps.ScaleOp(d, ws));
        catalog.Gradients.Register("Scale", (d, g) => new WrongGradient(d, g));
        var checker = new GradientChecker(catalog);
        var x = Tensor.From<float>([1f, 2f], 2);
        var e = Assert.Throws<EnforceNotMetException>(() => checker.CheckOrThrow(TestOps.Scale("X", "Y", 3f), new Dictionary<string, Tensor> { ["X"] = x }, 0));
        Assert.Contains("Gradient check of 'Scale' failed: gradient of 'X' differs at element", e.Message);
    }

    [Fact]
    public void MissingInputTensor_OrNonFloatInput_IsRejected()
    {
        var checker = new GradientChecker(TestOps.Catalog());
        Assert.Throws<ArgumentException>(() => checker.Check(TestOps.Scale("X", "Y"), new Dictionary<string, Tensor>(), 0));
        Assert.Throws<ArgumentException>(() => checker.Check(TestOps.Scale("X", "Y"), new Dictionary<string, Tensor> { ["X"] = Tensor.From<int>([1], 1) }, 0));
    }
}
