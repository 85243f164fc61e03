// Hand-written.
using System.Globalization;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary>The options of <c>run</c> beyond the files.</summary>
internal sealed record RunSettings(int? Threads, int? Device, bool Optimize, bool Profile, int? Top, string? TensorFormat = null);

/// <summary><c>run</c>: through a <see cref="Predictor"/>: init net once, then the net; outputs printed or saved; optionally a per-op profile and the top classes.</summary>
internal sealed class RunCommand(TextWriter output, CliRuntime runtime)
{
    public void Execute(string netPath, string? initPath, string[] inputs, string[] outputs, RunSettings settings)
    {
        if (settings.Top is { } k && k < 1) throw new CliException($"--top must be at least 1; got {k}.");
        var model = ModelFiles.Load(netPath, initPath, runtime);
        var (net, init) = (model.Predict, model.Init);
        var format = model.TensorFormatFor(settings.TensorFormat);
        var targets = outputs.Select(o => CliRuntime.SplitPair(o, "--output")).ToList();
        var fed = CliRuntime.ReadInputs(inputs, format);
        model.CheckInputs(fed);
        // A blob asked for with --output is kept by the optimiser, even an intermediate one.
        var written = net.Op.SelectMany(op => op.Output).ToHashSet(StringComparer.Ordinal);
        var predictor = runtime.NewPredictor(settings.Threads, init, net, settings.Device, settings.Optimize, [.. targets.Select(t => t.Name).Where(written.Contains)]);
        var timing = settings.Profile ? TimingObserver.AttachTo(predictor.Net) : null;
        var results = predictor.Run(fed);

        if (targets.Count > 0)
        {
            foreach (var (name, file) in targets)
            {
                // Any blob the run left may be saved, not only the net's outputs.
                var t = results.TryGetValue(name, out var r) ? r
                    : predictor.Workspace.HasBlob(name) || predictor.RemovedBlobs.ContainsKey(name) ? predictor.Fetch(name)
                    : throw new CliException($"--output {name}: the net produced no blob named '{name}'.");
                TensorFiles.Write(file, t, name, format);
                output.WriteLine($"{name} -> {file}");
            }
        }
        else if (settings.Top is null)
        {
            foreach (var name in predictor.OutputNames)
            {
                var t = results[name];
                output.WriteLine($"{name}: {t.Describe()}");
                output.WriteLine(TensorPrinter.Format(t));
            }
        }
        if (settings.Top is { } top) PrintTop(predictor.OutputNames, results, top);
        if (timing is not null)
        {
            output.WriteLine();
            PrintOptimizations(output, predictor);
            output.WriteLine($"profile of net '{predictor.Net.Name}' (one run, {predictor.Workspace.IntraOpThreads} thread(s) per op):");
            output.Write(timing.CreateReport().Format());
        }
    }

    // Every output shaped [N, classes] or [N, classes, 1, 1] gets its rows' K largest entries
    // (ties: the lower class first, as a stable sort gives; NaN sorts last, as double.CompareTo puts it lowest).
    private void PrintTop(IReadOnlyList<string> names, IReadOnlyDictionary<string, Tensor> results, int k)
    {
        var eligible = names.Where(n => IsClassScores(results[n])).ToList();
        if (eligible.Count == 0)
            throw new CliException($"--top {k}: no output is shaped [N, classes] or [N, classes, 1, 1] of a floating type; the outputs are " +
                string.Join(", ", names.Select(n => $"{n} {results[n].Describe()}")) + ".");
        var inv = CultureInfo.InvariantCulture;
        foreach (var name in eligible)
        {
            var t = results[name];
            long rows = t.Dims[0], classes = t.Dims[1];
            var scores = t.ToDoubleArray();
            output.WriteLine($"{name}: {t.Describe()}, top {Math.Min(k, classes)} of {classes} classes per row");
            for (long row = 0; row < rows; row++)
            {
                var best = Enumerable.Range(0, (int)classes)
                    .Select(c => (Class: c, Score: scores[row * classes + c]))
                    .OrderByDescending(x => x.Score)
                    .Take(k);
                output.WriteLine($"  [{row}] " + string.Join(", ", best.Select(b => $"class {b.Class} ({b.Score.ToString("G6", inv)})")));
            }
        }
    }

    /// <summary>One line saying what the optimiser did to the net that runs.</summary>
    public static void PrintOptimizations(TextWriter output, Predictor predictor)
    {
        var applied = predictor.AppliedOptimizations;
        output.WriteLine(applied.Count == 0 ? "optimisations: none"
            : "optimisations: " + string.Join("; ", applied.Select(a => $"{a.Pass} x{a.Rewrites}")));
    }

    private static bool IsClassScores(Tensor t) =>
        DataTypes.IsFloatingPoint(t.DataType) &&
        (t.Rank == 2 || (t.Rank == 4 && t.Dims[2] == 1 && t.Dims[3] == 1)) && t.Dims[1] > 0;
}
