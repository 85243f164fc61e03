using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Schema.Tests.Schemas;

// Arguments a schema does not declare: warnings, never errors.
public class OpSchemaWarningTests
{
    private static OpSchema LeakyLike() =>
        new OpSchemaRegistry().Schema("Leaky").NumInputs(1).NumOutputs(1).Arg("alpha", "Coefficient of leakage.", 0.01f).AllowInplace((0, 0));

    private static OperatorDef Def(string name = "") => OperatorDef.Create("Leaky", name, ["X"], ["Y"]);

    [Fact]
    public void VerifyWithWarnings_DeclaredArgument_HasNoWarning()
    {
        var result = LeakyLike().VerifyWithWarnings(Def("leaky").SetArgument("alpha", 0.2f));
        Assert.True(result.IsValid);
        Assert.Null(result.Error);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void VerifyWithWarnings_UndeclaredArgument_WarnsNamingOpArgumentAndThatNothingIsClose()
    {
        var result = LeakyLike().VerifyWithWarnings(Def("leaky").SetArgument("alpha", 0.2f).SetArgument("order", "NCHW"));
        Assert.True(result.IsValid);
        var w = Assert.Single(result.Warnings);
        Assert.Equal("Leaky", w.OpType);
        Assert.Equal("leaky", w.OpName);
        Assert.Equal("order", w.Argument);
        Assert.Null(w.Suggestion);
        Assert.Equal("argument 'order' is not declared by the schema (no declared argument is close)", w.Message);
        Assert.Equal("Leaky \"leaky\": argument 'order' is not declared by the schema (no declared argument is close)", w.ToString());
    }

    [Fact]
    public void VerifyWithWarnings_MisspeltArgument_SuggestsTheDeclaredName()
    {
        var w = Assert.Single(LeakyLike().VerifyWithWarnings(Def().SetArgument("alpah", 0.2f)).Warnings);
        Assert.Equal("alpah", w.Argument);
        Assert.Equal("alpha", w.Suggestion);
        Assert.Equal("argument 'alpah' is not declared by the schema (closest: 'alpha')", w.Message);
        Assert.Null(w.OpName);
        Assert.StartsWith("Leaky: ", w.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyWithWarnings_ClosestOfSeveralDeclaredNames_IsChosen()
    {
        var s = new OpSchemaRegistry().Schema("Conv").Arg("kernel", "").Arg("stride", "").Arg("pad", "");
        var warnings = s.VerifyWithWarnings(OperatorDef.Create("Conv", "conv1", ["X", "W"], ["Y"])
            .SetArgument("strides", 2).SetArgument("kernal", 3).SetArgument("ws_nbytes_limit", 1 << 20)).Warnings;
        Assert.Equal(["strides", "kernal", "ws_nbytes_limit"], warnings.Select(w => w.Argument));
        Assert.Equal(["stride", "kernel", null], warnings.Select(w => w.Suggestion));
    }

    [Fact]
    public void VerifyWithWarnings_SchemaWithoutArguments_WarnsForEveryArgument()
    {
        var s = new OpSchemaRegistry().Schema("NoArgs").NumInputs(1).NumOutputs(1);
        var result = s.VerifyWithWarnings(OperatorDef.Create("NoArgs", "", ["X"], ["Y"]).SetArgument("use_cudnn", 1).SetArgument("order", "NHWC"));
        Assert.Equal(["use_cudnn", "order"], result.Warnings.Select(w => w.Argument));
        Assert.All(result.Warnings, w => Assert.EndsWith("(the schema declares no arguments)", w.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void VerifyWithWarnings_RepeatedUndeclaredArgument_IsReportedOnce()
    {
        var def = Def();
        def.Arg.Add(new Argument { Name = "order", S = Google.Protobuf.ByteString.CopyFromUtf8("NCHW") });
        def.Arg.Add(new Argument { Name = "order", S = Google.Protobuf.ByteString.CopyFromUtf8("NCHW") });
        Assert.Single(LeakyLike().VerifyWithWarnings(def).Warnings);
    }

    [Fact]
    public void VerifyWithWarnings_InvalidDef_KeepsTheErrorAndStillWarns()
    {
        var def = OperatorDef.Create("Leaky", "", ["X", "Z"], ["Y"]).SetArgument("cudnn_exhaustive_search", 1);
        var result = LeakyLike().VerifyWithWarnings(def);
        Assert.False(result.IsValid);
        Assert.Equal(LeakyLike().Verify(def), result.Error);
        Assert.Contains("has 2 input(s); expected 1", result.Error);
        Assert.Equal("cudnn_exhaustive_search", Assert.Single(result.Warnings).Argument);
    }

    [Fact]
    public void Verify_UndeclaredArgument_StaysValid()
    {
        // Compatibility: Verify keeps returning null (valid) for a def whose only finding is a warning.
        Assert.Null(LeakyLike().Verify(Def().SetArgument("order", "NCHW").SetArgument("alpah", 1f)));
    }

    [Fact]
    public void Suggestions_Closest_IsAvailableInTheSchemaLayer()
    {
        Assert.Equal(["alpha"], Suggestions.Closest("alpah", ["alpha", "beta", "order"]));
        Assert.Empty(Suggestions.Closest("order", ["kernel", "stride"]));
    }
}
