// Hand-written.
using System.Globalization;
using System.Text;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Runtime;

/// <summary>One operator's line of a <see cref="ProfileReport"/>.</summary>
/// <param name="Index">Index of the op in its net.</param>
/// <param name="Type">Operator type.</param>
/// <param name="Name">Operator name (may be empty).</param>
/// <param name="Calls">Completed runs of the op.</param>
/// <param name="MeanSeconds">Mean time per run, in seconds.</param>
/// <param name="Share">Fraction (0 to 1) of the time of all the net's ops.</param>
/// <param name="Cost">The cost its schema infers for the current input shapes; null when the op has no cost function or a shape is unknown.</param>
public sealed record OperatorProfile(int Index, string Type, string Name, long Calls, double MeanSeconds, double Share, Cost? Cost)
{
    /// <summary>The op as shown in tables: its type, then its name in quotes when it has one.</summary>
    public string Label => Type + (string.IsNullOrEmpty(Name) ? "" : $" \"{Name}\"");

    /// <summary>Bytes moved (read plus written) per second, in 1e9 per second; null without a cost or a time.</summary>
    public double? GigabytesPerSecond => Cost is { } c && MeanSeconds > 0 ? c.BytesMoved / MeanSeconds / 1e9 : null;

    /// <summary>Floating-point operations per second, in 1e9 per second; null without a cost or a time.</summary>
    public double? GigaflopsPerSecond => Cost is { } c && MeanSeconds > 0 ? c.Flops / MeanSeconds / 1e9 : null;
}

/// <summary>
/// Per-operator timing of a net over some runs, with achieved bandwidth and arithmetic rate from
/// the schemas' cost inference; made by <see cref="TimingObserver.CreateReport"/>. <see cref="Format"/>
/// is the one table layout the tools print.
/// </summary>
/// <param name="NetName">The net's name.</param>
/// <param name="Runs">Completed net runs measured.</param>
/// <param name="NetMeanSeconds">Mean time of a whole run, observer hooks included.</param>
/// <param name="Operators">One line per op, in net order.</param>
public sealed record ProfileReport(string NetName, int Runs, double NetMeanSeconds, IReadOnlyList<OperatorProfile> Operators)
{
    /// <summary>Sum of the operators' mean times: the time per run spent inside operators.</summary>
    public double OperatorSeconds => Operators.Sum(o => o.MeanSeconds);

    /// <summary>
    /// The report as a table: one row per op with mean time, share, flops, bytes moved, GB/s and
    /// GFLOP/s ("-" where there is no cost), then a total line.
    /// </summary>
    public string Format()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"{"#",3} {"op",-28} {"mean",12} {"share",7} {"flops",14} {"bytes moved",14} {"GB/s",8} {"GFLOP/s",8}");
        ulong bytes = 0, flops = 0;
        double costSeconds = 0;
        foreach (var o in Operators)
        {
            string flopsText = "-", bytesText = "-", gbs = "-", gflops = "-";
            if (o.Cost is { } c)
            {
                bytes += c.BytesMoved;
                flops += c.Flops;
                costSeconds += o.MeanSeconds;
                flopsText = c.Flops.ToString("N0", inv);
                bytesText = c.BytesMoved.ToString("N0", inv);
                gbs = o.GigabytesPerSecond?.ToString("F2", inv) ?? "-";
                gflops = o.GigaflopsPerSecond?.ToString("F2", inv) ?? "-";
            }
            sb.AppendLine(inv, $"{o.Index,3} {o.Label,-28} {Time(o.MeanSeconds),12} {o.Share * 100,6:F1}% {flopsText,14} {bytesText,14} {gbs,8} {gflops,8}");
        }
        sb.Append(inv, $"total: {Time(OperatorSeconds)} per run in operators, {Time(NetMeanSeconds)} per net run ({Runs} run(s))");
        if (costSeconds > 0 && bytes > 0)
            sb.Append(inv, $"; {bytes / costSeconds / 1e9:F2} GB/s, {flops / costSeconds / 1e9:F2} GFLOP/s over ops with a cost");
        sb.AppendLine();
        return sb.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Format();

    /// <summary>A duration with a readable unit (s, ms, us or ns), invariant culture.</summary>
    public static string Time(double seconds) => seconds switch
    {
        >= 1 => string.Create(CultureInfo.InvariantCulture, $"{seconds:F3} s"),
        >= 1e-3 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e3:F3} ms"),
        >= 1e-6 or 0 => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e6:F3} us"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds * 1e9:F1} ns"),
    };

    // The cost of one op for the shapes its inputs hold now; null when it cannot be inferred. A
    // cost function that rejects the shapes is not an error of the run being profiled.
    internal static Cost? InferCost(OperatorBase op)
    {
        var schema = op.Workspace.Catalog.Schemas.Find(op.Def.Type);
        if (schema is not { HasCostInferenceFunction: true }) return null;
        var shapes = new TensorShape[op.Def.Input.Count];
        for (int i = 0; i < shapes.Length; i++)
        {
            if (op.Workspace.GetBlob(op.Def.Input[i])?.Value is not Tensor t) return null;
            shapes[i] = TensorShape.Create(t.Dims.ToArray(), t.DataType);
        }
        try
        {
            return schema.InferCost(op.Def, shapes);
        }
        catch (EnforceNotMetException)
        {
            return null;
        }
    }
}
