namespace Caffe2Sharp.Models.Tests;

/// <summary>The exact OperatorDefs each ModelHelper method writes into the init and predict nets.</summary>
public class ModelHelperTests
{
    private static string[] Ops(NetDef net) => [.. net.Op.Select(o => o.Describe())];

    [Fact]
    public void Conv_AddsXavierWeightAndZeroBias_AndConvWithBrewsArguments()
    {
        var model = new ModelHelper("m");
        var y = model.Conv("data", "conv1", dimIn: 3, dimOut: 8, kernel: 5);
        Assert.Equal(BlobReference.Absolute("conv1"), y);
        Assert.Equal(
        [
            "XavierFill () -> (conv1_w) [shape=[8, 3, 5, 5]]",
            "ConstantFill () -> (conv1_b) [shape=[8], value=0]",
        ], Ops(model.InitNet));
        Assert.Equal(["Conv (data, conv1_w, conv1_b) -> (conv1) [kernel=5, stride=1, pad=0, order=\"NCHW\"]"], Ops(model.PredictNet));
        Assert.Equal(["data", "conv1_w", "conv1_b"], model.PredictNet.ExternalInput);
    }

    [Fact]
    public void Conv_WithGroupDilationNoBiasAndInitializers_WritesThemAll()
    {
        var model = new ModelHelper("m");
        model.Conv("x", "c", dimIn: 4, dimOut: 6, kernel: 3, stride: 2, pad: 1, group: 2, dilation: 2, noBias: true,
            weightInit: Initializer.Gaussian(std: 0.01f));
        Assert.Equal(["GaussianFill () -> (c_w) [shape=[6, 2, 3, 3], mean=0, std=0.01]"], Ops(model.InitNet));
        Assert.Equal(["Conv (x, c_w) -> (c) [kernel=3, stride=2, pad=1, group=2, dilation=2, order=\"NCHW\"]"], Ops(model.PredictNet));
        Assert.Throws<ArgumentException>(() => model.Conv("x", "bad", dimIn: 3, dimOut: 6, kernel: 3, group: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Conv("x", "bad2", dimIn: 3, dimOut: 6, kernel: 0));
    }

    [Fact]
    public void FC_AddsWeightDimOutByDimIn_AndBias()
    {
        var model = new ModelHelper("m");
        model.FC("x", "fc", dimIn: 800, dimOut: 500, biasInit: Initializer.Constant(0.5f));
        model.FC("fc", "fc2", dimIn: 500, dimOut: 10, weightInit: Initializer.Msra(), axis: 2);
        Assert.Equal(
        [
            "XavierFill () -> (fc_w) [shape=[500, 800]]",
            "ConstantFill () -> (fc_b) [shape=[500], value=0.5]",
            "MSRAFill () -> (fc2_w) [shape=[10, 500]]",
            "ConstantFill () -> (fc2_b) [shape=[10], value=0]",
        ], Ops(model.InitNet));
        Assert.Equal(
        [
            "FC (x, fc_w, fc_b) -> (fc)",
            "FC (fc, fc2_w, fc2_b) -> (fc2) [axis=2]",
        ], Ops(model.PredictNet));
    }

    [Fact]
    public void ConstantFills_HoldAFloatValue_SoTheyFillFloatTensors()
    {
        // An integer 'value' would make ConstantFill an INT64 fill.
        var model = new ModelHelper("m");
        model.SpatialBN("x", "bn", dimIn: 4);
        Assert.All(model.InitNet.Op, op => Assert.True(op.Arg.Single(a => a.Name == "value").HasF, op.Describe()));
    }

    [Fact]
    public void SpatialBN_TestMode_AddsScaleBiasAndRunningStats_AndOneOutput()
    {
        var model = new ModelHelper("m");
        model.SpatialBN("x", "bn", dimIn: 16);
        Assert.Equal(
        [
            "ConstantFill () -> (bn_s) [shape=[16], value=1]",
            "ConstantFill () -> (bn_b) [shape=[16], value=0]",
            "ConstantFill () -> (bn_rm) [shape=[16], value=0]",
            "ConstantFill () -> (bn_riv) [shape=[16], value=1]",
        ], Ops(model.InitNet));
        Assert.Equal(["SpatialBN (x, bn_s, bn_b, bn_rm, bn_riv) -> (bn) [epsilon=1E-05, is_test=1, order=\"NCHW\"]"], Ops(model.PredictNet));
        Assert.Equal([false, false, true, true], model.Parameters.Select(p => p.IsComputed));
    }

    [Fact]
    public void SpatialBN_TrainingMode_UpdatesRunningStatsInPlace_AndSavesMeanAndInvStd()
    {
        var model = new ModelHelper("m");
        model.SpatialBN("x", "bn", dimIn: 2, epsilon: 1e-3f, isTest: false, momentum: 0.8f, initScale: 2f, initBias: 0.5f);
        Assert.Equal("ConstantFill () -> (bn_s) [shape=[2], value=2]", model.InitNet.Op[0].Describe());
        Assert.Equal("ConstantFill () -> (bn_b) [shape=[2], value=0.5]", model.InitNet.Op[1].Describe());
        Assert.Equal(["SpatialBN (x, bn_s, bn_b, bn_rm, bn_riv) -> (bn, bn_rm, bn_riv, bn_sm, bn_siv) [epsilon=0.001, is_test=0, order=\"NCHW\", momentum=0.8]"],
            Ops(model.PredictNet));
    }

    [Fact]
    public void ParameterFreeLayers_WriteCaffe2sArgumentsAndSecondOutputs()
    {
        var model = new ModelHelper("m");
        model.Relu("x", "r");
        model.MaxPool("r", "p", kernel: 3, stride: 2, pad: 1);
        model.AveragePool("p", "a", kernel: 2, pads: [0, 0, 1, 1], legacyPad: LegacyPadding.CaffeLegacyPooling);
        model.AveragePool("a", "g", globalPooling: true);
        model.Concat(["p", "a"], "cat");
        model.Concat(["p", "a"], "cat2", axis: 0);
        model.Softmax("g", "s");
        model.Softmax("g", "s2", axis: 2);
        model.Dropout("s", "d", ratio: 0.3f, isTest: true);
        model.LRN("x", "n", size: 5, alpha: 1e-4f, beta: 0.75f);
        model.Sum(["x", "r"], "sum");
        model.Add("x", "b", "add", broadcast: true, axis: 1);
        model.Flatten("x", "flat");
        model.Reshape("x", "rs", [-1, 800]);
        Assert.Empty(model.InitNet.Op);
        Assert.Equal(
        [
            "Relu (x) -> (r)",
            "MaxPool (r) -> (p) [kernel=3, stride=2, pad=1, order=\"NCHW\"]",
            "AveragePool (p) -> (a) [kernel=2, stride=1, pads=[0, 0, 1, 1], order=\"NCHW\", legacy_pad=3]",
            "AveragePool (a) -> (g) [stride=1, pad=0, order=\"NCHW\", global_pooling=1]",
            "Concat (p, a) -> (cat, _cat_dims) [order=\"NCHW\"]",
            "Concat (p, a) -> (cat2, _cat2_dims) [axis=0]",
            "Softmax (g) -> (s)",
            "Softmax (g) -> (s2) [axis=2]",
            "Dropout (s) -> (d, _d_mask) [ratio=0.3, is_test=1]",
            "LRN (x) -> (n, _n_scale) [size=5, alpha=0.0001, beta=0.75, bias=1, order=\"NCHW\"]",
            "Sum (x, r) -> (sum)",
            "Add (x, b) -> (add) [broadcast=1, axis=1]",
            "Flatten (x) -> (flat)",
            "Reshape (x) -> (rs, _rs_old_shape) [shape=[-1, 800]]",
        ], Ops(model.PredictNet));
        Assert.Equal(["x", "b"], model.PredictNet.ExternalInput);
    }

    [Fact]
    public void Dropout_DefaultsToTrainingMode_LikeBrew()
    {
        var model = new ModelHelper("m");
        model.Dropout("x", "d");
        Assert.Equal("Dropout (x) -> (d, _d_mask) [ratio=0.5, is_test=0]", model.PredictNet.Op[0].Describe());
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Dropout("x", "e", ratio: 1f));
    }

    [Fact]
    public void Pooling_WithoutKernel_IsRefusedUnlessGlobal()
    {
        var model = new ModelHelper("m");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.MaxPool("x", "p"));
        Assert.Throws<ArgumentException>(() => model.MaxPool("x", "p", kernel: 2, pads: [1, 1]));
        Assert.Empty(model.PredictNet.Op);
    }

    [Fact]
    public void NameScope_PrefixesEveryRelativeName_AndNests_AndRestores()
    {
        var model = new ModelHelper("m");
        using (model.NameScope("gpu_0"))
        {
            Assert.Equal("gpu_0/", model.CurrentNameScope);
            var conv = model.Conv("data", "conv1", 3, 4, 1, noBias: true);
            Assert.Equal("gpu_0/conv1", conv.Name);
            var relu = model.Relu(conv, conv);
            var drop = model.Dropout(relu, relu, isTest: true);
            using (model.NameScope("inner"))
            {
                Assert.Equal("gpu_0/inner/", model.CurrentNameScope);
                model.FC(drop, "fc", 4, 2);
                using (model.NameScope("")) Assert.Equal("gpu_0/inner/", model.CurrentNameScope);
            }
            Assert.Equal("gpu_0/", model.CurrentNameScope);
            model.AddExternalOutput("inner/fc");
        }
        Assert.Equal("", model.CurrentNameScope);
        model.Relu("y", "z");
        Assert.Equal(
        [
            "Conv (gpu_0/data, gpu_0/conv1_w) -> (gpu_0/conv1) [kernel=1, stride=1, pad=0, order=\"NCHW\"]",
            "Relu (gpu_0/conv1) -> (gpu_0/conv1)",
            // brew's "_" + blob_out + "_mask" on an absolute (scoped) output, as Caffe2's BlobReference.__radd__ gives.
            "Dropout (gpu_0/conv1) -> (gpu_0/conv1, _gpu_0/conv1_mask) [ratio=0.5, is_test=1]",
            "FC (gpu_0/conv1, gpu_0/inner/fc_w, gpu_0/inner/fc_b) -> (gpu_0/inner/fc)",
            "Relu (y) -> (z)",
        ], Ops(model.PredictNet));
        Assert.Equal(["XavierFill () -> (gpu_0/conv1_w) [shape=[4, 3, 1, 1]]", "XavierFill () -> (gpu_0/inner/fc_w) [shape=[2, 4]]",
            "ConstantFill () -> (gpu_0/inner/fc_b) [shape=[2], value=0]"], Ops(model.InitNet));
        Assert.Equal(["gpu_0/data", "y", "gpu_0/conv1_w", "gpu_0/inner/fc_w", "gpu_0/inner/fc_b"], model.PredictNet.ExternalInput);
        Assert.Equal(["gpu_0/inner/fc"], model.PredictNet.ExternalOutput);
    }

    [Fact]
    public void StringNames_AreRelative_EvenWhenTheyLookScoped()
    {
        var model = new ModelHelper("m");
        using (model.NameScope("gpu_0"))
        {
            Assert.Equal("gpu_0/gpu_0/x", model.Scoped("gpu_0/x").Name);
            Assert.Equal("gpu_0/x", model.Scoped(BlobReference.Absolute("gpu_0/x")).Name);
        }
        Assert.Throws<ArgumentException>(() => model.Relu(default, "y"));
        Assert.Throws<ArgumentException>(() => model.Relu("", "y"));
    }

    [Fact]
    public void ExternalInputs_AreInputsThenTrainableThenComputedParameters_AndOutputsAsDeclared()
    {
        var model = new ModelHelper("m");
        var bn = model.SpatialBN(model.Conv("data", "c", 1, 2, 1, noBias: true), "bn", 2);
        model.AddExternalInput("extra");
        var fc = model.FC(bn, "fc", 2, 3);
        model.AddExternalOutput(fc, "c");
        Assert.Equal(["data", "extra", "c_w", "bn_s", "bn_b", "fc_w", "fc_b", "bn_rm", "bn_riv"], model.PredictNet.ExternalInput);
        Assert.Equal(["fc", "c"], model.PredictNet.ExternalOutput);
        Assert.Equal(["data", "extra"], model.Inputs);
        Assert.Equal("m", model.PredictNet.Name);
        Assert.Equal("m_init", model.InitNet.Name);
        Assert.Empty(model.InitNet.ExternalInput);
    }

    [Fact]
    public void CreateParam_RefusesADuplicateOrAnExistingBlob()
    {
        var model = new ModelHelper("m");
        model.FC("x", "fc", 2, 3);
        Assert.Throws<InvalidOperationException>(() => model.FC("x", "fc", 2, 3));
        Assert.Throws<InvalidOperationException>(() => model.CreateParam("x", [1], Initializer.Constant(0f)));
        var p = model.CreateParam("p", [2, 2], Initializer.Uniform(-1f, 1f));
        Assert.Equal("UniformFill () -> (p) [shape=[2, 2], min=-1, max=1]", model.InitNet.Op[^1].Describe());
        Assert.Equal(new ModelParameter("p", model.Parameters[^1].Shape, model.Parameters[^1].Initializer, false), model.Parameters[^1]);
        Assert.Equal(BlobReference.Absolute("p"), p);
    }

    [Fact]
    public void Seed_SetsTheInitNetsRandomSeed_AndOnlyWhenGiven()
    {
        Assert.Null(new ModelHelper("m").InitNet.DeviceOption);
        var seeded = new ModelHelper("m", seed: 42);
        Assert.Equal(42u, seeded.InitNet.DeviceOption.RandomSeed);
        Assert.Equal(42u, seeded.Seed);
        Assert.Null(seeded.PredictNet.DeviceOption);
    }

    [Fact]
    public void Nets_AreCopies()
    {
        var model = new ModelHelper("m");
        model.Relu("x", "y");
        model.PredictNet.Op.Clear();
        Assert.Single(model.PredictNet.Op);
    }

    [Fact]
    public void Initializer_DescribesItself_AndCopiesItsArguments()
    {
        var init = Initializer.Gaussian(1f, 2f);
        Assert.Equal("GaussianFill(mean=1, std=2)", init.ToString());
        init.Arguments[0].F = 9f;
        Assert.Equal(1f, init.Arguments[0].F);
    }
}
