// Hand-written.
using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Caffe2Sharp.Bench;

/// <summary>
/// What a benchmark method moves and what it is compared with: read by <see cref="ThroughputColumn"/>
/// and <see cref="RelativeColumn"/>.
/// </summary>
/// <param name="bytesPerElement">Bytes read plus bytes written per element of <c>N</c>: 8 for a float
/// forward (read 4, write 4), 12 for the gradient (read 8, write 4).</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
internal sealed class TrafficAttribute(int bytesPerElement) : Attribute
{
    public int BytesPerElement { get; } = bytesPerElement;

    /// <summary>The method (same class, same parameters) whose time "vs copy" divides by this one's; null for none.</summary>
    public string? Copy { get; init; }

    /// <summary>The method (same class, same parameters) whose time "vs ORT" divides by this one's; null for none.</summary>
    public string? Ort { get; init; }

    /// <summary>The frozen pre-port baseline method (same class, same parameters) whose median "vs baseline" divides by this one's; null for none.</summary>
    public string? Baseline { get; init; }

    public static TrafficAttribute? Of(BenchmarkCase benchmark) =>
        benchmark.Descriptor.WorkloadMethod.GetCustomAttribute<TrafficAttribute>();
}

/// <summary>Shared plumbing of the custom columns: means, the <c>N</c> parameter, formatting.</summary>
internal abstract class CustomColumn : IColumn
{
    public abstract string Id { get; }
    public abstract string ColumnName { get; }
    public abstract string Legend { get; }
    public abstract int PriorityInCategory { get; }
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;

    public abstract string GetValue(Summary summary, BenchmarkCase benchmarkCase);
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public override string ToString() => ColumnName;

    /// <summary>Mean time of one operation in nanoseconds, or null when the case did not run.</summary>
    protected static double? MeanNanoseconds(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics?.Mean is double mean and > 0 ? mean : null;

    /// <summary>Median time of one operation in nanoseconds, or null when the case did not run.</summary>
    protected static double? MedianNanoseconds(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics?.Median is double median and > 0 ? median : null;

    protected static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);
}

/// <summary>"GB/s": bytes moved per operation (from <see cref="TrafficAttribute"/>) over the mean time; 1 GB = 10^9 bytes.</summary>
internal sealed class ThroughputColumn : CustomColumn
{
    public override string Id => "Caffe2Sharp.GBps";
    public override string ColumnName => "GB/s";
    public override string Legend => "Bytes read + written per operation / mean time, in 10^9 bytes per second";
    public override int PriorityInCategory => 0;

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (TrafficAttribute.Of(benchmarkCase) is not { } traffic || MeanNanoseconds(summary, benchmarkCase) is not { } ns) return "-";
        if (benchmarkCase.Parameters["N"] is not int n) return "-";
        // Bytes per nanosecond is 10^9 bytes per second.
        return Format((double)n * traffic.BytesPerElement / ns);
    }
}

/// <summary>
/// "vs copy" and "vs ORT": the reference method's mean time divided by this one's, measured in the
/// same run with the same parameters. Above 1 this benchmark is faster than the reference.
/// </summary>
internal sealed class RelativeColumn : CustomColumn
{
    private readonly Func<TrafficAttribute, string?> _reference;

    private readonly bool _median;

    private RelativeColumn(string id, string name, string legend, int priority, Func<TrafficAttribute, string?> reference, bool median = false)
    {
        _median = median;
        Id = id;
        ColumnName = name;
        Legend = legend;
        PriorityInCategory = priority;
        _reference = reference;
    }

    public static RelativeColumn VsCopy { get; } = new(
        "Caffe2Sharp.VsCopy", "vs copy",
        "Time of the plain copy named by the benchmark (same N) / this time; 1.00 = as fast as copying", 1, t => t.Copy);

    public static RelativeColumn VsOrt { get; } = new(
        "Caffe2Sharp.VsOrt", "vs ORT",
        "Time of ONNX Runtime's run (same N, thread count named by the benchmark) / this time; above 1 = faster than ORT", 2, t => t.Ort);

    /// <summary>
    /// Issue #8: the frozen pre-port kernel's median (same N, same thread count) / this median.
    /// Above 1 = the ported kernel is faster; the requirement is at least 0.95.
    /// </summary>
    public static RelativeColumn VsBaseline { get; } = new(
        "Caffe2Sharp.VsBaseline", "vs baseline",
        "Median of the pre-port kernel named by the benchmark (same N, same threads) / this median; >= 0.95 required (issue #8)", 3, t => t.Baseline, median: true);

    public override string Id { get; }
    public override string ColumnName { get; }
    public override string Legend { get; }
    public override int PriorityInCategory { get; }

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (TrafficAttribute.Of(benchmarkCase) is not { } traffic || _reference(traffic) is not { } referenceName) return "-";
        Func<Summary, BenchmarkCase, double?> time = _median ? MedianNanoseconds : MeanNanoseconds;
        if (time(summary, benchmarkCase) is not { } ns) return "-";
        var reference = summary.BenchmarksCases.FirstOrDefault(c =>
            c.Descriptor.Type == benchmarkCase.Descriptor.Type
            && c.Descriptor.WorkloadMethod.Name == referenceName
            && c.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo
            && c.Job.DisplayInfo == benchmarkCase.Job.DisplayInfo);
        // The reference may have been filtered out of this run.
        if (reference is null || time(summary, reference) is not { } referenceNs) return "?";
        return Format(referenceNs / ns);
    }
}
