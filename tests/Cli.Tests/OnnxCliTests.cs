using Caffe2Sharp.Cli;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Cli.Tests;

/// <summary>ONNX models wherever the CLI takes a net: run (ONNX TensorProto files in and out), inspect, and convert both ways.</summary>
public sealed class OnnxCliTests() : CliTestBase("c2s-onnx-cli-")
{
    private static Tensor ReadOnnxTensor(string path) =>
        Onnx.OnnxTensors.ToTensor(Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path)), path);

    [SkippableFact]
    public void Run_AnOnnxNodeTest_ReadsAndWritesOnnxTensorProtos()
    {
        string dir = Path.Combine(TestData.OnnxNode, "test_conv_with_strides_padding");
        string data = Path.Combine(dir, "test_data_set_0");
        var result = Run("run", Path.Combine(dir, "model.onnx"), "--input", $"x={Path.Combine(data, "input_0.pb")}", $"W={Path.Combine(data, "input_1.pb")}",
            "--output", $"y={Temp("y.pb")}");
        Assert.True(result.Code == 0, result.Err);
        var expected = ReadOnnxTensor(Path.Combine(data, "output_0.pb"));
        var actual = ReadOnnxTensor(Temp("y.pb"));
        Assert.Equal(expected.Shape, actual.Shape);
        var e = expected.ToArray<float>();
        var a = actual.ToArray<float>();
        for (int k = 0; k < e.Length; k++) Assert.True(Math.Abs(a[k] - e[k]) <= 1e-7 + 1e-3 * Math.Abs(e[k]), $"element {k}: {a[k]} vs {e[k]}");

        // The same input read as a Caffe2 TensorProto is refused (other field numbers), naming the file.
        var wrong = Run("run", Path.Combine(dir, "model.onnx"), "--input", $"x={Path.Combine(data, "input_0.pb")}", $"W={Path.Combine(data, "input_1.pb")}", "--tensor-format", "caffe2");
        Assert.Equal(CliApp.UserError, wrong.Code);
        // A fed input of the wrong shape names the input and both shapes.
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>(new float[25], 1, 1, 5, 5));
        var misfed = Run("run", Path.Combine(dir, "model.onnx"), "--input", $"x={Temp("x.npy")}", $"W={Path.Combine(data, "input_1.pb")}");
        Assert.Equal(CliApp.UserError, misfed.Code);
        Assert.Contains("input 'x' is declared FLOAT[1, 1, 7, 5]; it was fed FLOAT[1, 1, 5, 5]", misfed.Err);
        // An ONNX model carries its weights.
        var withInit = Run("run", Path.Combine(dir, "model.onnx"), "--init", Temp("init.pb"));
        Assert.Equal(CliApp.UserError, withInit.Code);
        Assert.Contains("is an ONNX model, which carries its own weights", withInit.Err);
    }

    [SkippableFact]
    public void Convert_LeNetToOnnxAndBack_RunsAlike_AndInspectShowsTheImportedNet()
    {
        string predict = TestData.Path("mnist-lenet", "predict_net.pb"), init = TestData.Path("mnist-lenet", "init_net.pb");
        var toOnnx = Run("convert", predict, Temp("lenet.onnx"), "--init", init, "--shape", "1=2,1,28,28", "--opset", "13");
        Assert.True(toOnnx.Code == 0, toOnnx.Err);
        Assert.Contains("(ONNX opset 13)", toOnnx.Out);
        var back = Run("convert", Temp("lenet.onnx"), Temp("predict.pbtxt"), "--init-out", Temp("init.pb"));
        Assert.True(back.Code == 0, back.Err);

        var rng = new Random(3);
        Npy.WriteFile(Temp("x.npy"), Tensor.From<float>([.. Enumerable.Range(0, 2 * 784).Select(_ => (float)rng.NextDouble())], 2, 1, 28, 28));
        var original = Run("run", predict, "--init", init, "--input", $"1={Temp("x.npy")}", "--output", $"26={Temp("a.npy")}");
        var viaOnnx = Run("run", Temp("lenet.onnx"), "--input", $"1={Temp("x.npy")}", "--output", $"26={Temp("b.npy")}");
        var viaNets = Run("run", Temp("predict.pbtxt"), "--init", Temp("init.pb"), "--input", $"1={Temp("x.npy")}", "--output", $"26={Temp("c.npy")}");
        Assert.True(original.Code == 0 && viaOnnx.Code == 0 && viaNets.Code == 0, original.Err + viaOnnx.Err + viaNets.Err);
        var r = Npy.ReadFile(Temp("a.npy")).ToArray<float>();
        float max = r.Max(Math.Abs);
        foreach (var f in new[] { "b.npy", "c.npy" })
        {
            var v = Npy.ReadFile(Temp(f)).ToArray<float>();
            for (int k = 0; k < r.Length; k++) Assert.True(Math.Abs(v[k] - r[k]) <= 1e-4 * Math.Abs(r[k]) + 1e-5 * max, $"{f} element {k}: {v[k]} vs {r[k]}");
        }

        var inspect = Run("inspect", Temp("lenet.onnx"));
        Assert.True(inspect.Code == 0, inspect.Err);
        Assert.Contains("opset 13, imported as", inspect.Out);
        Assert.Contains("input 1: FLOAT[2, 1, 28, 28]", inspect.Out);
        Assert.Contains("26: FLOAT[2, 10]", inspect.Out);
        Assert.Contains("every op output known", inspect.Out);

        var noInitOut = Run("convert", Temp("lenet.onnx"), Temp("p.pb"));
        Assert.Equal(CliApp.UserError, noInitOut.Code);
        Assert.Contains("--init-out", noInitOut.Err);
        var noShape = Run("convert", predict, Temp("x.onnx"), "--init", init);
        Assert.Equal(CliApp.UserError, noShape.Code);
        Assert.Contains("input '1' has no shape", noShape.Err);
    }
}
