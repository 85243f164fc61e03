using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Operators;
using Caffe2Sharp.Runtime;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.Export;

/// <summary>
/// Exports a net pair, runs the model in ONNX Runtime and the nets in our own Workspace, and
/// compares every net output: same shape, same type, and every element within
/// <c>|a - r| &lt;= 1e-4 |r| + 1e-5 max|r|</c> (r: our runtime, a: ONNX Runtime); integer and
/// bool outputs exactly.
/// </summary>
internal static class ExportHarness
{
    public static readonly OperatorCatalog Catalog = new OperatorCatalog().AddStandardOperators();

    /// <summary>What a comparison ran: the model and both runs' outputs by name.</summary>
    public sealed record Result(ModelProto Model, IReadOnlyDictionary<string, Caffe2Tensor> Ours, IReadOnlyDictionary<string, Caffe2Tensor> Ort);

    public static Result ExportAndCompare(NetDef init, NetDef predict, IReadOnlyDictionary<string, Caffe2Tensor> feeds, int opset = OnnxExporter.DefaultOpset)
    {
        var shapes = feeds.ToDictionary(p => p.Key, p => TensorShape.Create(p.Value.Shape, p.Value.DataType));
        var model = OnnxExporter.Export(init, predict, shapes, new OnnxExportOptions { Opset = opset, Catalog = Catalog });
        var ours = RunOurs(init, predict, feeds);
        var ort = RunOrt(model, feeds);
        foreach (var name in predict.ExternalOutput)
        {
            Assert.True(ort.ContainsKey(name), $"ONNX Runtime produced no output '{name}'");
            AssertClose(ours[name], ort[name], name);
        }
        return new Result(model, ours, ort);
    }

    public static Dictionary<string, Caffe2Tensor> RunOurs(NetDef init, NetDef predict, IReadOnlyDictionary<string, Caffe2Tensor> feeds)
    {
        var ws = new Workspace(Catalog);
        if (init.Op.Count > 0) ws.RunNetOnce(init);
        foreach (var (name, t) in feeds) ws.FeedBlob(name, t.Clone());
        ws.RunNetOnce(predict);
        return predict.ExternalOutput.ToDictionary(n => n, ws.FetchBlob);
    }

    public static Dictionary<string, Caffe2Tensor> RunOrt(ModelProto model, IReadOnlyDictionary<string, Caffe2Tensor> feeds)
    {
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var inputs = model.Graph.Input.Select(i => ToOrt(i.Name, feeds[i.Name])).ToList();
        using var results = session.Run(inputs);
        var outputs = new Dictionary<string, Caffe2Tensor>(StringComparer.Ordinal);
        foreach (var r in results) outputs[r.Name] = FromOrt(r);
        return outputs;
    }

    public static void AssertClose(Caffe2Tensor expected, Caffe2Tensor actual, string what)
    {
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"'{what}': shape {actual.Describe()} from ONNX Runtime, {expected.Describe()} from Caffe2Sharp");
        Assert.True(expected.DataType == actual.DataType, $"'{what}': type {actual.Describe()} from ONNX Runtime, {expected.Describe()} from Caffe2Sharp");
        if (expected.DataType != DataType.Float)
        {
            Assert.True(expected.RawBytes.SequenceEqual(actual.RawBytes), $"'{what}': {actual.Describe()} values differ");
            return;
        }
        var r = expected.Data<float>();
        var a = actual.Data<float>();
        float max = 0;
        foreach (var v in r) max = Math.Max(max, Math.Abs(v));
        for (int k = 0; k < r.Length; k++)
        {
            double tolerance = 1e-4 * Math.Abs(r[k]) + 1e-5 * max;
            Assert.True(Math.Abs(a[k] - r[k]) <= tolerance || (float.IsNaN(a[k]) && float.IsNaN(r[k])),
                $"'{what}' element {k}: ONNX Runtime {a[k]}, Caffe2Sharp {r[k]} (tolerance {tolerance})");
        }
    }

    /// <summary>Deterministic pseudo-random values in [-1, 1) (a fixed-seed LCG).</summary>
    public static Caffe2Tensor Random(int seed, params long[] dims)
    {
        var t = new Caffe2Tensor(DataType.Float, dims);
        var data = t.Data<float>();
        ulong state = (ulong)seed * 6364136223846793005UL + 1442695040888963407UL;
        for (int k = 0; k < data.Length; k++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            data[k] = (float)((state >> 40) / (double)(1UL << 24) * 2 - 1);
        }
        return t;
    }

    public static NetDef Net(IEnumerable<string> inputs, IEnumerable<string> outputs, params OperatorDef[] ops)
    {
        var net = new NetDef { Name = "test" };
        net.ExternalInput.AddRange(inputs);
        net.ExternalOutput.AddRange(outputs);
        net.Op.AddRange(ops);
        return net;
    }

    /// <summary>An init net of GivenTensorFill ops, one per tensor.</summary>
    public static NetDef Init(params (string Name, Caffe2Tensor Value)[] tensors)
    {
        var net = new NetDef { Name = "init" };
        foreach (var (name, value) in tensors)
            net.Op.Add(OperatorDef.Create("GivenTensorFill", "", [], [name])
                .SetRepeatedArgument("shape", value.Shape).SetRepeatedArgument("values", value.ToArray<float>()));
        return net;
    }

    private static NamedOnnxValue ToOrt(string name, Caffe2Tensor t)
    {
        int[] dims = [.. t.Shape.Select(d => (int)d)];
        return t.DataType switch
        {
            DataType.Float => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(t.ToArray<float>(), dims)),
            DataType.Int64 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(t.ToArray<long>(), dims)),
            DataType.Int32 => NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(t.ToArray<int>(), dims)),
            _ => throw new NotSupportedException(t.Describe()),
        };
    }

    private static Caffe2Tensor FromOrt(DisposableNamedOnnxValue value)
    {
        switch (value.Value)
        {
            case DenseTensor<float> f: return Caffe2Tensor.From<float>(f.Buffer.Span, [.. f.Dimensions.ToArray().Select(d => (long)d)]);
            case DenseTensor<long> l: return Caffe2Tensor.From<long>(l.Buffer.Span, [.. l.Dimensions.ToArray().Select(d => (long)d)]);
            case DenseTensor<int> i: return Caffe2Tensor.From<int>(i.Buffer.Span, [.. i.Dimensions.ToArray().Select(d => (long)d)]);
            case DenseTensor<bool> b: return Caffe2Tensor.From<bool>(b.Buffer.Span, [.. b.Dimensions.ToArray().Select(d => (long)d)]);
            default: throw new NotSupportedException($"output '{value.Name}' of type {value.Value?.GetType()}");
        }
    }
}
