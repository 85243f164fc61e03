using System.Diagnostics;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Xunit.Abstractions;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.RealNets;

/// <summary>
/// Every real net gives the same outputs optimised (<see cref="PredictorOptions.Optimize"/>, the
/// default) and unoptimised, within <c>|a - r| &lt;= 1e-4 |r| + 1e-5 max|r|</c> (r: unoptimised),
/// the optimiser applied the passes each net calls for, and the weights the user's init net wrote
/// are unchanged afterwards (folded weights are new blobs).
/// </summary>
public class RealNetOptimizationTests(ITestOutputHelper output)
{
    private const string FoldSpatialBN = "fold SpatialBN into Conv";
    private const string DropDropout = "drop test-mode Dropout";

    [SkippableFact]
    public void LeNet_OptimisedMatchesUnoptimised_AndReusesBuffers()
    {
        var applied = CompareOptimisedWithUnoptimised(RealNetCatalog.LeNet(), batch: 4);
        Assert.DoesNotContain(applied, a => a.Pass is FoldSpatialBN or DropDropout);
    }

    [SkippableFact]
    public void SqueezeNet_OptimisedMatchesUnoptimised_DropsDropout_AndReusesBuffers()
    {
        var applied = CompareOptimisedWithUnoptimised(RealNetCatalog.SqueezeNet(), batch: 1);
        Assert.Contains((DropDropout, 1), applied);
    }

    [SkippableFact]
    public void ResNet50_OptimisedMatchesUnoptimised_Folds53SpatialBN_AndReusesBuffers()
    {
        var applied = CompareOptimisedWithUnoptimised(RealNetCatalog.ResNet50(), batch: 1);
        Assert.Contains((FoldSpatialBN, 53), applied);
    }

    [SkippableFact]
    public void AlexNet_OptimisedMatchesUnoptimised_DropsDropout_AndReusesBuffers()
    {
        var applied = CompareOptimisedWithUnoptimised(RealNetCatalog.AlexNet(), batch: 1);
        Assert.Contains((DropDropout, 2), applied);
    }

    [SkippableFact]
    public void SqueezeNet_FetchingAReusedIntermediate_NamesTheBlobAndKeepBlobs()
    {
        var net = RealNetCatalog.SqueezeNet();
        var predictor = new Predictor(Catalog, net.Init, net.Predict);
        Assert.Contains("fire2/squeeze1x1", predictor.RemovedBlobs.Keys);
        predictor.Run(new Dictionary<string, Caffe2Tensor> { [net.Input] = net.MakeInput(1, 400) });
        var e = Assert.Throws<EnforceNotMetException>(() => predictor.Fetch("fire2/squeeze1x1"));
        Assert.Contains("'fire2/squeeze1x1'", e.Message);
        Assert.Contains("KeepBlobs", e.Message);
    }

    [SkippableFact]
    public void SqueezeNet_KeepBlobs_KeepsPool10Fetchable_WithTheUnoptimisedValue()
    {
        var net = RealNetCatalog.SqueezeNet();
        var feeds = new Dictionary<string, Caffe2Tensor> { [net.Input] = net.MakeInput(1, 401) };
        var plain = new Predictor(Catalog, net.Init, net.Predict, new PredictorOptions { Optimize = false });
        plain.Run(feeds);
        var kept = new Predictor(Catalog, net.Init, net.Predict, new PredictorOptions { KeepBlobs = ["pool10"] });
        Assert.DoesNotContain("pool10", kept.RemovedBlobs.Keys);
        Assert.Contains(kept.AppliedOptimizations, a => a.Pass == MemoryPlanner.Name);
        kept.Run(feeds);
        AssertClose(plain.Fetch("pool10"), kept.Fetch("pool10"), "pool10");
    }

    /// <summary>
    /// Runs <paramref name="net"/> on one weights workspace through an unoptimised and an optimised
    /// predictor; compares outputs (and logits, kept), checks that buffers were reused and that the
    /// weights are bit for bit what the init net wrote; returns the applied passes.
    /// </summary>
    private IReadOnlyList<(string Pass, int Rewrites)> CompareOptimisedWithUnoptimised(RealNet net, int batch)
    {
        var clock = Stopwatch.StartNew();
        var weights = new Workspace(Catalog);
        weights.RunNetOnce(net.Init);
        var before = weights.Blobs.Where(n => weights.GetBlob(n)!.Value is Caffe2Tensor)
            .ToDictionary(n => n, n => weights.GetBlob(n)!.GetTensor().Clone(), StringComparer.Ordinal);

        var feeds = new Dictionary<string, Caffe2Tensor> { [net.Input] = net.MakeInput(batch, 500) };
        var plain = new Predictor(weights, null, net.Predict, new PredictorOptions { Optimize = false });
        Assert.Empty(plain.AppliedOptimizations);
        var expected = plain.Run(feeds);
        var keep = net.Logits is null ? [] : new[] { net.Logits };
        var optimised = new Predictor(weights, null, net.Predict, new PredictorOptions { KeepBlobs = keep });
        var actual = optimised.Run(feeds);
        output.WriteLine($"{net.Name}: {string.Join("; ", optimised.AppliedOptimizations.Select(a => $"{a.Pass}: {a.Rewrites}"))}; {clock.Elapsed.TotalSeconds:0.0} s");

        foreach (var name in plain.OutputNames) AssertClose(expected[name], actual[name], name);
        if (net.Logits is { } logits) AssertClose(plain.Fetch(logits), optimised.Fetch(logits), logits);
        Assert.Contains(optimised.AppliedOptimizations, a => a.Pass == MemoryPlanner.Name && a.Rewrites > 0);

        // The user's weights: same names, shapes and bits (folding wrote new blobs elsewhere).
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), weights.Blobs.Where(n => weights.GetBlob(n)!.Value is Caffe2Tensor));
        foreach (var (name, tensor) in before)
        {
            var now = weights.GetBlob(name)!.GetTensor();
            Assert.True(tensor.Shape.SequenceEqual(now.Shape) && tensor.ContentEquals(now), $"weight '{name}' changed");
        }
        return optimised.AppliedOptimizations;
    }
}
