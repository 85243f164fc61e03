// Hand-written.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Caffe2Sharp.Bench;

/// <summary>
/// Entry point. <c>threshold [--quick]</c> runs <see cref="ThresholdProbe"/>; <c>--smoke</c> runs
/// every benchmark once at two sizes, in process (CI); anything else goes to BenchmarkDotNet with
/// the <see cref="BenchConfig.Measure"/> job unless a <c>--job</c> is given. Without a
/// <c>--filter</c> every benchmark runs (no interactive menu).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "threshold")
            return ThresholdProbe.Run(quick: args.Contains("--quick"));

        bool smoke = args.Contains("--smoke");
        var rest = args.Where(a => a != "--smoke").ToList();
        if (!rest.Any(a => a is "--filter" or "-f" || a.StartsWith("--filter=", StringComparison.Ordinal)))
            rest.AddRange(["--filter", "*"]);

        IConfig config = DefaultConfig.Instance;
        if (smoke)
        {
            Sizes.Current = Sizes.Smoke;
            config = config.AddJob(BenchConfig.Smoke);
        }
        else if (!rest.Any(a => a is "--job" or "-j"))
        {
            config = config.AddJob(BenchConfig.Measure);
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config);
        // A benchmark whose setup check threw, or that failed to build or run, fails the process.
        bool failed = !summaries.Any() || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }
}
