using Caffe2Sharp.Cli;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Cli.Tests;

/// <summary>The user's job on real nets: run with weights and an input, the top classes, inspect with the init net, and nets placed on another device.</summary>
public sealed class RealNetCliTests() : CliTestBase("c2s-realnet-")
{
    private static string Sample(string name) => Path.Combine(TestData.RepoRoot, "samples", "nets", "leakyrelu", name);

    // A deterministic image-like input: values in [-128, 128).
    private string SqueezeNetInput()
    {
        var rng = new Random(5);
        var x = new float[3 * 227 * 227];
        for (int k = 0; k < x.Length; k++) x[k] = (float)(rng.NextDouble() * 256 - 128);
        string path = Temp("data.npy");
        Npy.WriteFile(path, Tensor.From<float>(x, 1, 3, 227, 227));
        return path;
    }

    [SkippableFact]
    public void Run_SqueezeNet_FedOverItsInitNetPlaceholder_PrintsTheTopClassesOfItsOutput()
    {
        string net = TestData.Path("squeezenet", "predict_net.pb"), init = TestData.Path("squeezenet", "init_net.pb");
        string input = SqueezeNetInput();
        var saved = Run("run", net, "--init", init, "--input", $"data={input}", "--output", $"prob={Temp("prob.npy")}");
        Assert.True(saved.Code == 0, saved.Err);
        var prob = Npy.ReadFile(Temp("prob.npy"));
        Assert.Equal([1L, 3, 1, 1], prob.Dims.ToArray());
        var p = prob.ToArray<float>();
        Assert.Equal(1.0, p.Sum(), 1e-5);
        var order = Enumerable.Range(0, 3).OrderByDescending(c => p[c]).ToArray();

        var top = Run("run", net, "--init", init, "--input", $"data={input}", "--top", "3");
        Assert.True(top.Code == 0, top.Err);
        Assert.Contains("prob: FLOAT[1, 3, 1, 1], top 3 of 3 classes per row", top.Out);
        Assert.Contains($"  [0] class {order[0]} (", top.Out);
        int[] printed = [.. System.Text.RegularExpressions.Regex.Matches(top.Out, @"class (\d) \(").Select(m => int.Parse(m.Groups[1].Value))];
        Assert.Equal(order, printed);

        // Not fed, the placeholder (FLOAT[1]) reaches the first Conv (optimised into its NCHWc
        // form, named after the Conv the net wrote), which says what X must be.
        var unfed = Run("run", net, "--init", init);
        Assert.Equal(1, unfed.Code);
        Assert.Contains("op #0 'NchwcConv' \"Conv conv1\"", unfed.Err);
        Assert.Contains("X 'data' [1] must be [N, C, H, W]", unfed.Err);
        var plain = Run("run", net, "--init", init, "--no-optimize");
        Assert.Contains("op #0 'Conv'", plain.Err);
    }

    [SkippableFact]
    public void Inspect_SqueezeNetWithItsInitNet_KnowsEveryShape_AndTotalsTheCost()
    {
        var r = Run("inspect", TestData.Path("squeezenet", "predict_net.pb"), "--init", TestData.Path("squeezenet", "init_net.pb"), "--shape", "data=1,3,227,227");
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("conv1: FLOAT[1, 96, 111, 111]", r.Out);
        Assert.Contains("pool10: FLOAT[1, 3, 1, 1]", r.Out);
        Assert.Contains("every op output known", r.Out);
        Assert.DoesNotContain("no kernel", r.Out);
        Assert.DoesNotContain("unknown", r.Out);
        var total = System.Text.RegularExpressions.Regex.Match(r.Out, @"total cost \(ops with known cost\): ([\d,]+) flops");
        Assert.True(total.Success, r.Out);
        // SqueezeNet 1.0 at 227x227 is about 0.85 G multiply-adds (1.7 GFLOPs).
        Assert.InRange(long.Parse(total.Groups[1].Value.Replace(",", "")), 1_500_000_000L, 2_000_000_000L);

        // Without --init the weights are unknown, and so is every shape after the first op.
        Assert.Contains("conv1: unknown", Run("inspect", TestData.Path("squeezenet", "predict_net.pb"), "--shape", "data=1,3,227,227").Out);
    }

    [Fact]
    public void Inspect_ListsEveryOperatorWithoutAKernel_OnceWithACount()
    {
        File.WriteAllText(Temp("lack.pbtxt"),
            "op { input: \"X\" output: \"A\" type: \"RoIAlign\" } op { input: \"A\" output: \"B\" type: \"Foo\" } " +
            "op { input: \"B\" output: \"C\" type: \"RoIAlign\" } op { input: \"C\" output: \"D\" type: \"Relu\" }");
        var r = Run("inspect", Temp("lack.pbtxt"));
        Assert.Equal(0, r.Code);
        Assert.Contains("no kernel: 2 operator type(s) in 3 op(s): Foo x1, RoIAlign x2", r.Out);
    }

    [Fact]
    public void NetForCuda_FailsNamingTheDeviceAndOption_AndRunsWithDeviceCpu()
    {
        File.WriteAllText(Temp("cuda.pbtxt"), File.ReadAllText(Sample("predict_net.pbtxt")) + "device_option { device_type: 1 device_id: 2 }\n");
        File.WriteAllText(Temp("init.pbtxt"), File.ReadAllText(Sample("init_net.pbtxt")) + "device_option { device_type: 1 }\n");
        var failed = Run("run", Temp("cuda.pbtxt"), "--init", Temp("init.pbtxt"));
        Assert.Equal(1, failed.Code);
        Assert.Contains("no kernel for CUDA (device_type 1)", failed.Err);
        Assert.Contains("--device cpu", failed.Err);
        Assert.Single(failed.Err.TrimEnd().Split('\n'));

        var ran = Run("run", Temp("cuda.pbtxt"), "--init", Temp("init.pbtxt"), "--device", "cpu");
        Assert.True(ran.Code == 0, ran.Err);
        Assert.Contains("[[-0.00910602, 0.09374836, 2.1429708],", ran.Out);
        Assert.Contains("kernel: yes", Run("inspect", Temp("cuda.pbtxt"), "--device", "cpu").Out);
        Assert.Contains("kernel: none", Run("inspect", Temp("cuda.pbtxt")).Out);

        var gpu = Run("run", Temp("cuda.pbtxt"), "--device", "gpu");
        Assert.Equal(1, gpu.Code);
        Assert.Contains("--device gpu: unknown device; this runtime has kernels for 'cpu' only.", gpu.Err);
    }

    [Fact]
    public void Top_OnAnOutputThatIsNotClassScores_IsAUserError()
    {
        var r = Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"), "--top", "2");
        Assert.Equal(0, r.Code); // Y is [3, 3]: three rows of three "classes"
        Assert.Contains("Y: FLOAT[3, 3], top 2 of 3 classes per row", r.Out);
        Assert.Contains("  [0] class 2 (2.14297), class 1 (0.0937484)", r.Out);
        File.WriteAllText(Temp("flat.pbtxt"), "op { input: \"X\" output: \"Y\" type: \"Relu\" } external_input: \"X\" external_output: \"Y\"");
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([1f, 2f], 2));
        var flat = Run("run", Temp("flat.pbtxt"), "--input", $"X={Temp("x.npy")}", "--top", "1");
        Assert.Equal(1, flat.Code);
        Assert.Contains("--top 1: no output is shaped [N, classes] or [N, classes, 1, 1] of a floating type; the outputs are Y FLOAT[2].", flat.Err);
        Assert.Contains("--top must be at least 1; got 0.", Run("run", Temp("flat.pbtxt"), "--top", "0").Err);
    }

    // The real zoo predict nets with init nets from the model helper (same blob names and shapes),
    // run from the CLI: the printed top-5 and the saved logits equal an in-process Predictor's.
    [SkippableTheory]
    [InlineData("resnet50", "gpu_0/data", "gpu_0/softmax", "gpu_0/pred")]
    [InlineData("bvlc_alexnet", "data", "prob", "fc8")]
    public void Run_RealZooNet_WithTheModelHelpersInitNet_MatchesThePredictor(string zoo, string input, string output, string logits)
    {
        var predict = ProtoFile.ReadNetDef(TestData.Path("caffe2-models", zoo, "predict_net.pbtxt"));
        var model = zoo == "resnet50" ? Caffe2Sharp.Models.Zoo.ResNet50.Create(seed: 7) : Caffe2Sharp.Models.Zoo.AlexNet.Create(seed: 7);
        long[] shape = zoo == "resnet50" ? [.. Caffe2Sharp.Models.Zoo.ResNet50.InputShape] : [.. Caffe2Sharp.Models.Zoo.AlexNet.InputShape];
        ProtoFile.Write(Temp("init.pb"), model.InitNet);
        var rng = new Random(3);
        var x = Tensor.From<float>([.. Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)(rng.NextDouble() * 2 - 1))], shape);
        Npy.WriteFile(Temp("x.npy"), x);

        var r = Run("run", TestData.Path("caffe2-models", zoo, "predict_net.pbtxt"), "--init", Temp("init.pb"), "--input", $"{input}={Temp("x.npy")}",
            "--output", $"{logits}={Temp("logits.npy")}", "--top", "5");
        Assert.True(r.Code == 0, r.Err);

        var predictor = new Runtime.Predictor(new OperatorCatalog().AddStandardOperators(), model.InitNet, predict, new PredictorOptions { KeepBlobs = [logits] });
        var probs = predictor.Run(new Dictionary<string, Tensor> { [input] = x })[output].ToArray<float>();
        Assert.True(predictor.Fetch(logits).ContentEquals(Npy.ReadFile(Temp("logits.npy"))));
        var top5 = Enumerable.Range(0, probs.Length).OrderByDescending(c => probs[c]).Take(5);
        Assert.Contains($"  [0] {string.Join(", ", top5.Select(c => $"class {c} ("))}", System.Text.RegularExpressions.Regex.Replace(r.Out, @"\([^)]*\)", "("));
    }
}
