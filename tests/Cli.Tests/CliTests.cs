using Caffe2Sharp.Cli;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Cli.Tests;

/// <summary>Every command through the real entry point, in process, success and failure.</summary>
public sealed class CliTests() : CliTestBase("c2s-cli-")
{
    private static string Sample(string name) => Path.Combine(TestData.RepoRoot, "samples", "nets", "leakyrelu", name);

    private static void AssertUserError((int Code, string Out, string Err) r, string expected)
    {
        Assert.Equal(1, r.Code);
        Assert.Contains(expected, r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.StartsWith("caffe2sharp: ", r.Err);
    }

    [Fact]
    public void Run_BundledExample_PrintsUpstreamNumbers()
    {
        var r = Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"));
        Assert.Equal(0, r.Code);
        Assert.Contains("Y: FLOAT[3, 3]", r.Out);
        Assert.Contains("[[-0.00910602, 0.09374836, 2.1429708],", r.Out);
        Assert.Contains(" [-0.00295398, -0.0085307, 0.7673204]]", r.Out);
    }

    [Fact]
    public void Run_Profile_PrintsTheOutputsThenOneRowPerOp()
    {
        var r = Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"), "--profile");
        Assert.Equal(0, r.Code);
        int outputs = r.Out.IndexOf("Y: FLOAT[3, 3]", StringComparison.Ordinal);
        int table = r.Out.IndexOf("profile of net 'leakyrelu_predict' (one run,", StringComparison.Ordinal);
        Assert.InRange(outputs, 0, int.MaxValue);
        Assert.True(table > outputs, r.Out);
        var lines = r.Out[table..].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\s+#\s+op\s+mean\s+share\s+flops\s+bytes moved\s+GB/s\s+GFLOP/s$", lines[1]);
        // One op, so 100% of the time; 18 flops (2 per element), 9 floats read + 9 written = 72 bytes.
        Assert.Matches(@"^\s+0 LeakyRelu ""leaky""\s+[0-9.]+ (ns|us|ms)\s+100\.0%\s+18\s+72\s+[0-9.]+\s+[0-9.]+$", lines[2]);
        Assert.StartsWith("total: ", lines[3]);
        Assert.Contains("(1 run(s))", lines[3]);
        Assert.DoesNotContain("profile of", Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt")).Out);
    }

    [Fact]
    public void Run_OutputMayNameAnyBlob_AndAnUnknownOneIsAUserError()
    {
        var r = Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"), "--output", $"X={Temp("x.npy")}");
        Assert.Equal(0, r.Code);
        Assert.Equal(9, Npy.ReadFile(Temp("x.npy")).Size); // X is a weight of the init net, not an output
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"), "--output", $"Q={Temp("q.npy")}"),
            "--output Q: the net produced no blob named 'Q'.");
    }

    [Fact]
    public void Run_InputGivenTwice_IsAUserError()
    {
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([1f], 1));
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("x.npy")}", "--input", $"X={Temp("x.npy")}"), "--input X: given twice.");
    }

    [Fact]
    public void Run_WithNpyInput_AndOutputsToNpyAndTensorProto()
    {
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([-4f, 5f], 2));
        var r = Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("x.npy")}", "--output", $"Y={Temp("y.npy")}", "--output", $"Y={Temp("y.pbtxt")}", "--threads", "1");
        Assert.Equal(0, r.Code);
        Assert.Equal([-0.04f, 5f], Npy.ReadFile(Temp("y.npy")).ToArray<float>());
        Assert.Equal([-0.04f, 5f], ProtoFile.Read<TensorProto>(Temp("y.pbtxt")).ToTensor().ToArray<float>());
    }

    [Fact]
    public void Run_TensorProtoInput_Works()
    {
        ProtoFile.Write(Temp("x.pb"), Tensor.From<double>([-1.0], 1).ToProto("X"));
        var r = Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("x.pb")}");
        Assert.Equal(0, r.Code);
        Assert.Contains("Y: DOUBLE[1]", r.Out);
        Assert.Contains("[-0.01", r.Out);
    }

    [Fact]
    public void Run_UndeclaredInput_IsRejected()
    {
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([1f], 1));
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", $"Z={Temp("x.npy")}"),
            "Predictor of net 'leakyrelu_predict': unknown input 'Z'; expected inputs: X.");
    }

    [Fact]
    public void Run_InputTheNetRejects_IsAUserError()
    {
        Npy.WriteFile(Temp("i.npy"), Tensor.From<int>([1], 1));
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("i.npy")}"),
            "op #0 'LeakyRelu' \"leaky\": input 0 'X' is INT32[1]; LeakyRelu takes FLOAT, DOUBLE or FLOAT16.");
    }

    [Fact]
    public void Run_MissingInputBlob_IsAUserError()
    {
        AssertUserError(Run("run", Sample("predict_net.pbtxt")), "Predictor of net 'leakyrelu_predict': input 'X' is missing; expected inputs: X.");
    }

    [Fact]
    public void Run_BadNpy_IsAUserError()
    {
        File.WriteAllText(Temp("bad.npy"), "definitely not numpy");
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("bad.npy")}"), "not an .npy file");
        var good = new MemoryStream();
        Npy.Write(good, Tensor.From<float>([1f, 2f], 2));
        File.WriteAllBytes(Temp("short.npy"), good.ToArray()[..^3]);
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("short.npy")}"), "(truncated)");
    }

    [SkippableFact]
    public void Run_NetWithOperatorsWeLack_FailsWithUnknownOperator()
    {
        // Conv is registered now; RoIAlign (a Caffe2 operator) is not.
        File.WriteAllText(Temp("lack.pbtxt"), "op { input: \"X\" input: \"W\" output: \"Y\" type: \"RoIAlign\" }");
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([1f], 1));
        AssertUserError(Run("run", Temp("lack.pbtxt"), "--input", $"X={Temp("x.npy")}", "--input", $"W={Temp("x.npy")}"), "Unknown operator type 'RoIAlign'");
    }

    [SkippableFact]
    public void Run_MissingFile_WrongExtension_Truncated_Malformed()
    {
        AssertUserError(Run("run", Temp("nope.pb")), "nope.pb: file not found.");
        File.WriteAllText(Temp("net.tflite"), "x");
        AssertUserError(Run("run", Temp("net.tflite")), "unknown extension '.tflite'");
        File.WriteAllBytes(Temp("net.onnx"), [0x0a, 0xff]); // a length past the end
        AssertUserError(Run("run", Temp("net.onnx")), "net.onnx: not a valid ONNX model");
        var bytes = File.ReadAllBytes(TestData.Path("mnist-lenet", "predict_net.pb"));
        File.WriteAllBytes(Temp("cut.pb"), bytes[..100]);
        AssertUserError(Run("run", Temp("cut.pb")), "not a valid binary NetDef");
        File.WriteAllText(Temp("bad.pbtxt"), "op {\n  type: \"LeakyRelu\"\n  input: \"X\"\n  output: \"Y\"\n");
        AssertUserError(Run("run", Temp("bad.pbtxt")), "bad.pbtxt:5:1:");
    }

    [Fact]
    public void Run_ExtremeArgumentsAndDims_AreUserErrors()
    {
        File.WriteAllText(Temp("alpha.pbtxt"), "op { input: \"X\" output: \"Y\" type: \"LeakyRelu\" arg { name: \"alpha\" i: -9223372036854775808 } }");
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([1f], 1));
        AssertUserError(Run("run", Temp("alpha.pbtxt"), "--input", $"X={Temp("x.npy")}"), "argument 'alpha' of the wrong kind");
        Assert.Contains("INVALID", Run("inspect", Temp("alpha.pbtxt")).Out);
        File.WriteAllText(Temp("big.pbtxt"), "dims: 4611686018427387904 dims: 4 data_type: FLOAT");
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", $"X={Temp("big.pbtxt")}"), "has too many elements");
    }

    [Fact]
    public void Run_BadPairSyntax_And_BadThreads()
    {
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--input", "X"), "--input expects NAME=VALUE, got 'X'.");
        AssertUserError(Run("run", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"), "--threads", "0"), "--threads must be at least 1");
    }

    // One placeholder row when ../shared/testdata is absent: discovery never fails, the run skips.
    public static TheoryData<string> EveryTestNet() => TestData.Caffe2NetFiles("*.pb*");

    [SkippableTheory]
    [MemberData(nameof(EveryTestNet))]
    public void Inspect_WorksOnEveryRealNet(string relative)
    {
        var r = Run("inspect", TestData.Path(relative));
        Assert.Equal(0, r.Code);
        Assert.Contains("total cost", r.Out);
    }

    [Fact]
    public void Inspect_InfersShapesAndCosts()
    {
        var r = Run("inspect", Sample("predict_net.pbtxt"), "--shape", "X=4,8", "--dtype", "X=double");
        Assert.Equal(0, r.Code);
        Assert.Contains("schema: verified; kernel: yes", r.Out);
        Assert.Contains("Y: DOUBLE[4, 8]", r.Out);
        Assert.Contains("cost: 64 flops, 256 B read, 256 B written", r.Out);
    }

    [Fact]
    public void Inspect_ReportsAnInvalidOp()
    {
        File.WriteAllText(Temp("inv.pbtxt"), "op { type: \"LeakyRelu\" input: \"A\" input: \"B\" output: \"C\" }");
        var r = Run("inspect", Temp("inv.pbtxt"));
        Assert.Equal(0, r.Code);
        Assert.Contains("INVALID: it has 2 input(s); expected 1", r.Out);
    }

    [Fact]
    public void Inspect_UndeclaredArguments_AreWarningsAndExitZero()
    {
        File.WriteAllText(Temp("warn.pbtxt"), """
            op { type: "Copy" input: "X" output: "C" }
            op { type: "LeakyRelu" name: "leaky" input: "C" output: "Y"
                 arg { name: "alpah" f: 0.2 } arg { name: "order" s: "NCHW" } arg { name: "alpha" f: 0.1 } }
            op { type: "Copy" input: "Y" output: "Z" arg { name: "use_cudnn" i: 1 } }
            """);
        var r = Run("inspect", Temp("warn.pbtxt"));
        Assert.Equal(0, r.Code);
        Assert.Equal("", r.Err);
        var lines = r.Out.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("warning:", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "warning: op #1 LeakyRelu \"leaky\": argument 'alpah' is not declared by the schema (closest: 'alpha')",
            "warning: op #1 LeakyRelu \"leaky\": argument 'order' is not declared by the schema (no declared argument is close)",
            "warning: op #2 Copy: argument 'use_cudnn' is not declared by the schema (the schema declares no arguments)",
        ], lines);
        // Warnings do not make an op invalid.
        Assert.Equal(3, r.Out.Split("schema: verified").Length - 1);
        Assert.Contains("3 warning(s)", r.Out);
    }

    [Fact]
    public void Inspect_DeclaredArgumentsOnly_PrintsNoWarning()
    {
        var r = Run("inspect", Sample("predict_net.pbtxt"));
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain("warning", r.Out, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Inspect_BadShape_IsAUserError()
    {
        AssertUserError(Run("inspect", Sample("predict_net.pbtxt"), "--shape", "X=4,x"), "--shape X: 'x' is not a non-negative integer dim.");
        AssertUserError(Run("inspect", Sample("predict_net.pbtxt"), "--shape", "X=4", "--dtype", "X=complex"), "unknown type 'complex'");
    }

    [Fact]
    public void Schema_ListsTheCatalog_AndShowsOneOp()
    {
        var all = Run("schema");
        Assert.Equal(0, all.Code);
        Assert.Contains("LeakyRelu ", all.Out);
        Assert.Contains("GivenTensorFill ", all.Out);
        var one = Run("schema", "LeakyRelu");
        Assert.Equal(0, one.Code);
        Assert.Contains("alpha (Float) default 0.01", one.Out);
        Assert.Contains("In-place: allowed (0,0)", one.Out);
    }

    [Fact]
    public void Schema_UnknownOp_SuggestsCloseNames()
    {
        AssertUserError(Run("schema", "LeakyReLU2"), "No schema for operator 'LeakyReLU2'. Did you mean: LeakyRelu");
    }

    [SkippableFact]
    public void Convert_RoundTripsLosslessly()
    {
        var source = TestData.Path("mnist-lenet", "predict_net.pb");
        Assert.Equal(0, Run("convert", source, Temp("m.pbtxt")).Code);
        Assert.Equal(0, Run("convert", Temp("m.pbtxt"), Temp("m.json")).Code);
        Assert.Equal(0, Run("convert", Temp("m.json"), Temp("m.pb")).Code);
        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(Temp("m.pb")));
    }

    [Fact]
    public void Convert_UnknownTargetExtension_IsAUserError()
    {
        AssertUserError(Run("convert", Sample("predict_net.pbtxt"), Temp("x.yaml")), "unknown extension '.yaml'");
        Assert.False(File.Exists(Temp("x.yaml")));
    }

    [Fact]
    public void Bench_ReportsPerOpTimeAndBandwidth()
    {
        var r = Run("bench", Sample("predict_net.pbtxt"), "--init", Sample("init_net.pbtxt"), "--iterations", "5", "--warmup", "1");
        Assert.Equal(0, r.Code);
        Assert.Contains("LeakyRelu \"leaky\"", r.Out);
        Assert.Contains("GB/s", r.Out);
        Assert.Contains("net 'leakyrelu_predict': 5 runs after 1 warm-up", r.Out);
        Assert.Matches(@"\n\s+0 LeakyRelu ""leaky""\s+[0-9.]+ (ns|us|ms)\s+100\.0%\s+18\s+72\s", r.Out); // 9 floats read + 9 written = 72 bytes moved
        Assert.Contains("(5 run(s))", r.Out); // the observer saw exactly the timed runs
        AssertUserError(Run("bench", Sample("predict_net.pbtxt"), "--iterations", "0"), "--iterations must be at least 1");
    }

    [Fact]
    public void UnknownCommandOrOption_IsAUserError()
    {
        var r = Run("frobnicate");
        Assert.Equal(1, r.Code);
        Assert.Contains("caffe2sharp:", r.Err);
        Assert.Equal(1, Run("run").Code);
    }

    [Fact]
    public void Help_ListsTheCommands()
    {
        var r = Run("--help");
        Assert.Equal(0, r.Code);
        foreach (var c in new[] { "run", "inspect", "schema", "convert", "bench" }) Assert.Contains(c, r.Out);
    }
}
