using System.Numerics;
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime.Testing;
using Caffe2Sharp.Tests;
using Caffe2Sharp.Operators.Activation;
using Caffe2Sharp.Operators.Arithmetic;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema.Builders;
using Microsoft.Extensions.DependencyInjection;

namespace Caffe2Sharp.Operators.Tests.EndToEnd;

/// <summary>The execution core seen from real operators: the shared pool, the standard library, the checked backward pass.</summary>
public class ExecutionCoreTests
{
    private static float[] Input(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void TwoWorkspaces_RunningLargeNetsAtOnce_BothGetParallelRegions_AndSerialBits()
    {
        const int N = 1 << 20, Runs = 20;
        // One runtime: one catalog, one pool of 4 threads (3 helpers), two workspaces each
        // allowed 2 threads per op. Two regions at once need 2 helpers: always available.
        var catalog = new OperatorCatalog().AddStandardOperators();
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 4 });
        var x = new[] { Input(N, 1), Input(N, 2) };
        var workspaces = x.Select(input =>
        {
            var ws = new Workspace(catalog, pool) { IntraOpThreads = 2 };
            ws.FeedBlob<float>("X", input, N);
            ws.CreateNet(new NetBuilder("big").ExternalInput("X").LeakyRelu("X", "Y", alpha: 0.3f).ExternalOutput("Y").Build());
            return ws;
        }).ToArray();

        using var barrier = new Barrier(2);
        var threads = workspaces.Select(ws => new Thread(() =>
        {
            for (int k = 0; k < Runs; k++)
            {
                barrier.SignalAndWait();
                ws.RunNet("big");
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var stats = pool.Statistics;
        Assert.Equal(2 * Runs, stats.Regions);              // every run split its range...
        Assert.Equal(2 * Runs, stats.HelpersWanted);
        Assert.Equal(2 * Runs, stats.HelpersGranted);       // ...and got the helper it asked for
        Assert.Equal(0, stats.RegionsShortOfHelpers);       // neither was ever silently single-threaded
        for (int w = 0; w < 2; w++)
        {
            var serial = new float[N];
            LeakyReluKernels.Forward<float>(x[w], serial, 0.3f);
            Assert.Equal(serial, workspaces[w].FetchBlob<float>("Y"));
        }
    }

    [Fact]
    public void ParallelNet_OfEveryOperatorBase_SteadyState_DoesNotAllocate()
    {
        // Unary (LeakyRelu), binary without broadcasting (its gradient), fold (Sum), FLOAT16
        // widening, on a 2-thread pool with regions split from 64 elements.
        const int N = 1 << 16;
        using var pool = new ComputePool(new ComputePoolOptions { ThreadCount = 2, ParallelWorkThreshold = 64 });
        var ws = new Workspace(new OperatorCatalog().AddStandardOperators(), pool);
        ws.FeedBlob<float>("X", Input(N, 3), N);
        ws.FeedBlob<Half>("H", Input(N, 4).Select(v => (Half)v).ToArray(), N);
        ws.CreateNet(new NetBuilder("n").ExternalInput("X", "H")
            .LeakyRelu("X", "Y", 0.1f).LeakyReluGradient("X", "Y", "dX", 0.1f)
            .Op("Sum", ["X", "Y", "dX"], ["S"])
            .LeakyRelu("H", "HY", 0.1f)
            .Build());
        ws.RunNet("n");
        ws.RunNet("n");
        long regions = pool.Statistics.Regions;
        SteadyState.AllocatesNothing(() => ws.RunNet("n"), runs: 20);
        Assert.True(pool.Statistics.Regions > regions, "the runs should have split across the pool");
    }

    [Fact]
    public void Workspace_WithoutAPool_RunsSerially_AndPoolIsNeverTouched()
    {
        var ws = new Workspace(new OperatorCatalog().AddStandardOperators());
        Assert.Same(ComputePool.Serial, ws.Pool);
        Assert.Equal(1, ws.IntraOpThreads);
    }

    [Fact]
    public void StandardOperators_AddsEveryBuiltInPack_AndTakesTheSamePackAgain()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddStandardOperators().AddLeakyRelu().AddSum().AddStandardOperators();
        using var sp = services.BuildServiceProvider();
        var catalog = sp.GetRequiredService<OperatorCatalog>();
        foreach (var type in new[] { "ConstantFill", "GivenTensorFill", "Copy", "Sum", "LeakyRelu", "LeakyReluGradient" })
            Assert.True(catalog.Operators.Contains(type), type);
    }

    [Fact]
    public void ADifferentPack_RegisteringAStandardOperatorName_IsStillAnError()
    {
        var services = new ServiceCollection();
        services.AddCaffe2Sharp().AddStandardOperators()
            .AddOperatorPack("Mine.LeakyRelu", c => c.RegisterUnaryElementwise("LeakyRelu", _ => new LeakyReluFunctor(0.5f), DataTypeSet.Floating));
        using var sp = services.BuildServiceProvider();
        var e = Assert.Throws<InvalidOperationException>(() => sp.GetRequiredService<OperatorCatalog>());
        Assert.Contains("Mine.LeakyRelu", e.Message);
        Assert.Contains("LeakyRelu", e.Message);
    }

    [Fact]
    public void BackwardPass_ThroughACatalogMissingSumAndFills_NamesEveryMissingOperator()
    {
        var catalog = new OperatorCatalog().Add(LeakyRelu.Register);
        // Y feeds two ops, so its gradient needs Sum; the loss seed needs ConstantFill.
        var net = new NetBuilder("train").ExternalInput("X")
            .LeakyRelu("X", "Y", alpha: 0.2f).LeakyRelu("Y", "A", alpha: 0.2f).LeakyRelu("Y", "B", alpha: 0.2f)
            .Op("Sum", ["A", "B"], ["L"]).Build();
        // Sum's gradient maker without its kernel: the pass can be built, not run.
        var catalogWithSumGradient = catalog.Add(c => c.Gradients.Register("Sum", (d, g) => new PassThroughGradient(d, g)));
        var e = Assert.Throws<EnforceNotMetException>(() => catalogWithSumGradient.AddGradientOperators(net, ["L"]));
        Assert.Contains("ConstantFill", e.Message);
        Assert.Contains("Sum", e.Message);
        Assert.Contains("AddStandardOperators", e.Message);

        var full = new OperatorCatalog().AddStandardOperators();
        var result = full.AddGradientOperators(net, ["L"]);
        Assert.Equal(["ConstantFill", "LeakyReluGradient", "Sum"], result.RequiredOperatorTypes);
    }

    // Exactly the README's example of a new activation: a scalar functor, a schema chain, one line.
    private readonly struct Softsign : IUnaryFunctor
    {
        public T Invoke<T>(T x) where T : unmanaged, INumber<T> => x / (T.One + T.Abs(x));
    }

    [Fact]
    public void ANewActivation_IsAFunctor_ASchemaChain_AndOneLine()
    {
        var catalog = new OperatorCatalog();
        catalog.RegisterUnaryElementwise("Softsign", _ => new Softsign(), DataTypeSet.Floating)
            .AllowInplace((0, 0)).InheritOnnxSchema().SetDoc("y = x / (1 + |x|)");
        var x = Enumerable.Range(-300, 601).Select(i => i / 37f).ToArray();
        new OperatorTester(catalog, "Softsign")
            .Input<float>("X", x, x.Length)
            .Output<float>("Y", v => v / (1f + MathF.Abs(v)))
            .Run();
        new OperatorTester(catalog, "Softsign")
            .Input<double>("X", [-2.0, 0.5], 2)
            .Output<double>("Y", v => v / (1.0 + Math.Abs(v)))
            .Run();
        new OperatorTester(catalog, "Softsign").Input<int>("X", [1, 2], 2).Output("Y").ExpectError("Softsign takes FLOAT, DOUBLE or FLOAT16").Run();
    }

    [Fact]
    public void ReadmeCSharpExample_IsTheSampleCIBuildsAndRuns()
    {
        var readme = File.ReadAllText(System.IO.Path.Combine(TestData.RepoRoot, "README.md")).ReplaceLineEndings("\n");
        int section = readme.IndexOf("## Using it from C#", StringComparison.Ordinal);
        int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        var sample = File.ReadAllText(System.IO.Path.Combine(TestData.RepoRoot, "samples", "ReadmeExample", "Program.cs")).ReplaceLineEndings("\n");
        Assert.Equal(sample.TrimEnd(), readme[start..end].TrimEnd());
    }

    private sealed class PassThroughGradient(OperatorDef def, IReadOnlyList<Caffe2Sharp.Schema.Gradients.GradientWrapper> g)
        : Caffe2Sharp.Schema.Gradients.GradientMakerBase(def, g)
    {
        protected override IReadOnlyList<OperatorDef> GetGradientDefs()
        {
            for (int i = 0; i < Def.Input.Count; i++) SetDense(i, GO(0));
            return [];
        }
    }
}
