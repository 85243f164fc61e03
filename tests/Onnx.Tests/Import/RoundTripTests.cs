using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Onnx.Proto;
using Caffe2Sharp.Onnx.Tests.RealNets;
using Caffe2Sharp.Runtime;
using Google.Protobuf;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;

namespace Caffe2Sharp.Onnx.Tests.Import;

/// <summary>
/// The real nets exported to ONNX and imported back: the imported pair of nets gives the original
/// nets' outputs (within 1e-4 relative), the weights arrive as fills in the init net, and the
/// model read back from its bytes imports the same.
/// </summary>
public class RoundTripTests
{
    [SkippableTheory]
    [InlineData("LeNet")]
    [InlineData("SqueezeNet")]
    [InlineData("ResNet50")]
    public void ExportedThenImported_GivesTheOriginalOutputs(string name)
    {
        var net = name switch
        {
            "LeNet" => RealNetCatalog.LeNet(),
            "SqueezeNet" => RealNetCatalog.SqueezeNet(),
            _ => RealNetCatalog.ResNet50(),
        };
        var model = net.Export(batch: 1);
        var imported = OnnxImporter.Import(ModelProto.Parser.ParseFrom(model.ToByteArray()), source: name);
        var input = Assert.Single(imported.Inputs);
        Assert.Equal(net.Input, input.Name);
        Assert.Equal([1L, .. net.Image], input.Dims!.Select(d => d!.Value));
        // Weights arrive as fills: the initializers the nodes read, and what the importer computed
        // from constants (a bias unsqueezed at import, Gemm's zero bias); a Reshape's shape became an argument.
        Assert.NotEmpty(imported.Init.Op);
        Assert.All(imported.Init.Op, op => Assert.StartsWith("GivenTensor", op.Type, StringComparison.Ordinal));

        var x = net.MakeInput(1, seed: 3);
        var feeds = new Dictionary<string, Runtime.Tensor> { [net.Input] = x };
        var original = RunOurs(net.Init, net.Predict, feeds);
        imported.CheckInputs(feeds);
        var back = RunOurs(imported.Init, imported.Predict, feeds);
        AssertClose(original[net.Output], back[net.Output], $"{name} {net.Output}");

        // The imported nets also run through an optimised Predictor (folding, NCHWc).
        var predictor = imported.CreatePredictor(Catalog);
        AssertClose(original[net.Output], imported.Run(predictor, feeds)[net.Output], $"{name} {net.Output} (optimised)");
        Assert.Throws<EnforceNotMetException>(() => imported.Run(predictor, new Dictionary<string, Runtime.Tensor> { [net.Input] = net.MakeInput(2, seed: 3) }));
    }

    [SkippableTheory]
    [InlineData("LeNet")]
    [InlineData("SqueezeNet")]
    [InlineData("ResNet50")]
    public void ExportedThenImported_OptimisesToTheNativeNetsOperators(string name)
    {
        // What the round trip adds (Flatten before Gemm, Identity, Softmax's Flatten/Reshape, an
        // unsqueezed bias) folds away, so the optimised imported net runs the native one's kernels.
        var net = name switch
        {
            "LeNet" => RealNetCatalog.LeNet(),
            "SqueezeNet" => RealNetCatalog.SqueezeNet(),
            _ => RealNetCatalog.ResNet50(),
        };
        var imported = OnnxImporter.Import(net.Export(batch: 1), source: name);
        var native = new Predictor(Catalog, net.Init, net.Predict);
        var fromOnnx = imported.CreatePredictor(Catalog);
        Assert.Equal(native.RunNetDef.Op.Select(o => o.Type), fromOnnx.RunNetDef.Op.Select(o => o.Type));

        // And, like the native net, it allocates nothing in a steady-state run (one thread, so
        // this thread's count is every allocation).
        fromOnnx.Run(new Dictionary<string, Runtime.Tensor> { [net.Input] = net.MakeInput(1, seed: 5) });
        for (int k = 0; k < 3; k++) fromOnnx.Net.Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 5; k++) fromOnnx.Net.Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
