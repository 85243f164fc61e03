using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;
using Xunit.Abstractions;
using static Caffe2Sharp.Onnx.Tests.Export.ExportHarness;
using Caffe2Tensor = Caffe2Sharp.Runtime.Tensor;

namespace Caffe2Sharp.Onnx.Tests.RealNets;

/// <summary>
/// One optimised predictor fed batch 1, then a larger batch, then 1 again: each result is bit for
/// bit a fresh predictor's for that batch (shared buffers that grew, shrank and changed shape keep
/// no stale state), and once the shapes have settled a run of the net, and each of its ops,
/// allocates nothing.
/// </summary>
public class RealNetShapeChangeTests(ITestOutputHelper output)
{
    [SkippableFact]
    public void LeNet_Batch1Then8Then1_EqualsFreshPredictors_AndSteadyStateAllocatesNothing() =>
        Check(RealNetCatalog.LeNet(), [1, 8, 1]);

    [SkippableFact]
    public void SqueezeNet_Batch1Then4Then1_EqualsFreshPredictors_AndSteadyStateAllocatesNothing() =>
        Check(RealNetCatalog.SqueezeNet(), [1, 4, 1]);

    [SkippableFact]
    public void ResNet50_Batch1Then2Then1_EqualsFreshPredictors_AndSteadyStateAllocatesNothing() =>
        Check(RealNetCatalog.ResNet50(), [1, 2, 1]);

    [SkippableFact]
    public void AlexNet_Batch1Then2Then1_EqualsFreshPredictors_AndSteadyStateAllocatesNothing() =>
        Check(RealNetCatalog.AlexNet(), [1, 2, 1]);

    private void Check(RealNet net, int[] batches)
    {
        var predictor = new Predictor(Catalog, net.Init, net.Predict);
        Assert.Equal(1, predictor.Workspace.IntraOpThreads);
        // A fresh predictor's result per batch size (the input depends on the batch only).
        var fresh = new Dictionary<int, IReadOnlyDictionary<string, Caffe2Tensor>>();
        foreach (int batch in batches)
        {
            var feeds = new Dictionary<string, Caffe2Tensor> { [net.Input] = net.MakeInput(batch, 600 + batch) };
            var actual = predictor.Run(feeds);
            if (!fresh.TryGetValue(batch, out var expected))
                fresh[batch] = expected = new Predictor(Catalog, net.Init, net.Predict).Run(feeds);
            foreach (var name in predictor.OutputNames)
            {
                Assert.Equal(batch, actual[name].Dims[0]);
                Assert.True(expected[name].Shape.SequenceEqual(actual[name].Shape) && expected[name].ContentEquals(actual[name]),
                    $"{net.Name} batch {batch}: '{name}' differs from a fresh predictor's");
            }
        }

        // Steady state: the last batch's input stays fed; the net runs over the tensors it has.
        // Net.Run, not Predictor.Run, which returns copies. One thread, so this thread's count is
        // every allocation of the run.
        for (int k = 0; k < 3; k++) predictor.Net.Run();
        const int Runs = 5;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < Runs; k++) predictor.Net.Run();
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / Runs;

        // Each op on its own, to name any that allocates.
        var ops = predictor.Net.Operators;
        for (int i = 0; i < ops.Count; i++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            ops[i].Run();
            long bytes = GC.GetAllocatedBytesForCurrentThread() - start;
            Assert.True(bytes == 0, $"{net.Name}: op #{i} {ops[i].Def.Type} allocated {bytes} bytes in a steady-state run");
        }
        output.WriteLine($"{net.Name}: {perRun} bytes per steady-state run of the net");
        Assert.Equal(0, perRun);
    }
}
