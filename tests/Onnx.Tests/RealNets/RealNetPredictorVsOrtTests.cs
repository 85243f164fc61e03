using System.Diagnostics;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Xunit.Abstractions;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.RealNets;

/// <summary>
/// The real ResNet-50 and AlexNet predict nets (with the zoo builders' seeded init nets), exported
/// to ONNX and run in ONNX Runtime, against our optimised <see cref="Predictor"/> (the default:
/// SpatialBN folded, Dropout dropped, buffers reused): every element of the output and of the
/// logits within <c>|a - r| &lt;= 1e-4 |r| + 1e-5 max|r|</c>, and the same top-5 classes. The
/// logits are an intermediate the predictor keeps through <see cref="PredictorOptions.KeepBlobs"/>.
/// </summary>
public class RealNetPredictorVsOrtTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void ResNet50_OptimisedPredictor_MatchesOnnxRuntime() =>
        Compare(RealNetCatalog.ResNet50(), seed: 300);

    [SkippableFact]
    public void AlexNet_OptimisedPredictor_MatchesOnnxRuntime() =>
        Compare(RealNetCatalog.AlexNet(), seed: 301);

    private void Compare(RealNet net, int seed)
    {
        var clock = Stopwatch.StartNew();
        var x = net.MakeInput(batch: 1, seed);
        var feeds = new Dictionary<string, Caffe2Tensor> { [net.Input] = x };
        var ort = RunOrt(net.Export(batch: 1), feeds);
        var ortTime = clock.Elapsed;

        var predictor = new Predictor(Catalog, net.Init, net.Predict, new PredictorOptions { KeepBlobs = [net.Logits!] });
        Assert.NotEmpty(predictor.AppliedOptimizations);
        var ours = predictor.Run(feeds);
        var logits = predictor.Fetch(net.Logits!);
        output.WriteLine($"{net.Name}: export + ONNX Runtime {ortTime.TotalSeconds:0.0} s, ours (init, optimise, run) {(clock.Elapsed - ortTime).TotalSeconds:0.0} s");

        AssertClose(ours[net.Output], ort[net.Output], net.Output);
        AssertClose(logits, ort[net.Logits!], net.Logits!);
        // Random Xavier weights give small, flat logits; the top-5 comparison means something only
        // if neighbouring scores are further apart than the tolerance (the seed is chosen so).
        double gap = RealNetCatalog.SmallestTopGap(logits);
        output.WriteLine($"{net.Name}: smallest top-5 gap {gap:E2} of max|logit|");
        Assert.True(gap > 1e-3, $"{net.Name}: top-5 logits only {gap:E2} of max|logit| apart; choose another seed");
        RealNetCatalog.AssertSameTopClasses(logits, ort[net.Logits!], net.Logits!);
        RealNetCatalog.AssertSameTopClasses(ours[net.Output], ort[net.Output], net.Output);
    }
}
