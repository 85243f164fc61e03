// Hand-written.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace Caffe2Sharp.Bench;

/// <summary>
/// Entry point. <c>threshold [--quick]</c> runs <see cref="ThresholdProbe"/>; <c>port [--quick]</c>
/// runs <see cref="PortProbe"/> (issue #8, ported kernels against the baseline, interleaved); <c>peakmem ...</c>
/// runs <see cref="PeakMemory"/> (bench/peak-memory.sh); <c>gemm [--quick] [--only TEXT] [--threads 1|2]</c>
/// runs <see cref="GemmConvProbe"/> (issue 9, GEMM and Conv against ONNX Runtime, interleaved); <c>--smoke</c> runs
/// every benchmark once at two sizes, in process (CI); anything else goes to BenchmarkDotNet with
/// the <see cref="BenchConfig.Measure"/> job unless a <c>--job</c> is given. Without a
/// <c>--filter</c> every benchmark runs (no interactive menu). <c>--sizes 1K,1M</c> (elements;
/// K = 1024, M = 1024 * 1024) limits the sizes of any run. <c>--in-process</c> runs the
/// <see cref="BenchConfig.Measure"/> job in this process (<see cref="BenchConfig.MeasureInProcess"/>):
/// no generated project to build, which on a loaded machine can exceed BenchmarkDotNet's 2-minute
/// build timeout.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "threshold")
            return ThresholdProbe.Run(quick: args.Contains("--quick"));
        if (args.Length > 0 && args[0] == "port")
            return PortProbe.Run(quick: args.Contains("--quick"), sizes: [1 << 16, 1 << 20, 1 << 22]);
        if (args.Length > 0 && args[0] == "peakmem")
            return PeakMemory.Run(args[1..]);
        if (args.Length > 0 && args[0] == "profile")
            return OpProfile.Run(args[1..]);
        if (args.Length > 0 && args[0] == "gemm")
            return GemmConvProbe.Run(args);

        bool smoke = args.Contains("--smoke");
        bool inProcess = args.Contains("--in-process");
        var rest = args.Where(a => a is not ("--smoke" or "--in-process")).ToList();
        int[]? sizes = null;
        int sizesAt = rest.IndexOf("--sizes");
        if (sizesAt >= 0)
        {
            if (sizesAt + 1 >= rest.Count || ParseSizes(rest[sizesAt + 1]) is not { } parsed)
            {
                Console.Error.WriteLine("--sizes takes a comma-separated list of element counts such as 1K,64K,1M (K = 1024, M = 1024 * 1024).");
                return 2;
            }
            sizes = parsed;
            rest.RemoveRange(sizesAt, 2);
        }
        if (!rest.Any(a => a is "--filter" or "-f" || a.StartsWith("--filter=", StringComparison.Ordinal)))
            rest.AddRange(["--filter", "*"]);

        Sizes.Current = sizes ?? (smoke ? Sizes.Smoke : Sizes.Full);
        IConfig config = DefaultConfig.Instance;
        if (smoke) config = config.AddJob(BenchConfig.Smoke);
        else if (!rest.Any(a => a is "--job" or "-j")) config = config.AddJob(inProcess ? BenchConfig.MeasureInProcess : BenchConfig.Measure);

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], config);
        // A benchmark whose setup check threw, or that failed to build or run, fails the process.
        bool failed = !summaries.Any() || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
        return failed ? 1 : 0;
    }

    private static int[]? ParseSizes(string text)
    {
        var sizes = new List<int>();
        foreach (string part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int scale = part[^1] switch { 'K' or 'k' => 1 << 10, 'M' or 'm' => 1 << 20, _ => 1 };
            string digits = scale == 1 ? part : part[..^1];
            if (!int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int value)
                || value < 1 || (long)value * scale > int.MaxValue / 2)
                return null;
            sizes.Add(value * scale);
        }
        return sizes.Count > 0 ? [.. sizes] : null;
    }
}
