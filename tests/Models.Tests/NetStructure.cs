using System.Globalization;

namespace Caffe2Sharp.Models.Tests;

/// <summary>
/// A net's structure in a canonical form, so that nets written by different tools compare equal
/// when they mean the same: one line per op, its type, inputs, outputs and arguments, with the
/// window arguments of Conv and pooling expanded to per-axis lists (<c>kernel: 5</c>,
/// <c>kernels: [5, 5]</c> and <c>kernel_h/kernel_w</c> all read <c>kernel=[5,5]</c>; <c>pad</c>,
/// <c>pads</c> and <c>pad_t/l/b/r</c> all read <c>pads=[t,l,b,r]</c>) and Caffe2's defaults dropped
/// (<c>order: "NCHW"</c>, <c>group: 1</c>, dilation 1, pad 0, <c>legacy_pad: 0</c>; FC/Softmax/Flatten
/// <c>axis: 1</c>). Floats are compared to 6 significant digits (the zoo's epsilon is written
/// 1.00000006569e-05, brew's is 1e-5 in float). The kernel of a global pooling is ignored.
/// </summary>
internal static class NetStructure
{
    private static readonly HashSet<string> WindowOps = ["Conv", "MaxPool", "AveragePool"];

    /// <summary>The canonical line of every op, with blob names passed through <paramref name="rename"/>.</summary>
    public static List<string> Lines(NetDef net, Func<string, string>? rename = null)
    {
        rename ??= n => n;
        return [.. net.Op.Select(op => Line(op, rename))];
    }

    /// <summary>The op's canonical line.</summary>
    public static string Line(OperatorDef op, Func<string, string> rename)
    {
        var args = WindowOps.Contains(op.Type) ? WindowArgs(op) : OtherArgs(op);
        return $"{op.Type}({string.Join(", ", op.Input.Select(rename))}) -> ({string.Join(", ", op.Output.Select(rename))}) "
            + "{" + string.Join(", ", args.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")) + "}";
    }

    /// <summary>
    /// Asserts the two nets have the same canonical lines, reporting the first difference with its
    /// index and both lines (and the op counts when they differ).
    /// </summary>
    public static void AssertSame(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        for (int k = 0; k < Math.Min(expected.Count, actual.Count); k++)
            if (expected[k] != actual[k])
                Assert.Fail($"op {k} differs:\n  real:    {expected[k]}\n  builder: {actual[k]}");
        Assert.True(expected.Count == actual.Count, $"op counts differ: real {expected.Count}, builder {actual.Count}");
    }

    /// <summary>
    /// The renaming that maps <paramref name="from"/>'s blob names onto <paramref name="to"/>'s by
    /// position: external inputs in order, then each op's inputs and outputs in order. Fails when the
    /// positions disagree (one name would map to two, or two to one): the nets' dataflow differs.
    /// </summary>
    public static Dictionary<string, string> PositionalRenaming(NetDef from, NetDef to)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var inverse = new Dictionary<string, string>(StringComparer.Ordinal);
        void Pair(string a, string b)
        {
            if (map.TryGetValue(a, out var known)) Assert.True(known == b, $"blob '{a}' maps to both '{known}' and '{b}'");
            else if (inverse.TryGetValue(b, out var other)) Assert.Fail($"blobs '{other}' and '{a}' both map to '{b}'");
            else
            {
                map[a] = b;
                inverse[b] = a;
            }
        }
        Assert.Equal(from.ExternalInput.Count, to.ExternalInput.Count);
        for (int k = 0; k < from.ExternalInput.Count; k++) Pair(from.ExternalInput[k], to.ExternalInput[k]);
        Assert.Equal(from.Op.Count, to.Op.Count);
        for (int k = 0; k < from.Op.Count; k++)
        {
            var (a, b) = (from.Op[k], to.Op[k]);
            Assert.True(a.Input.Count == b.Input.Count && a.Output.Count == b.Output.Count, $"op {k}: {a.Describe()} vs {b.Describe()}");
            for (int j = 0; j < a.Input.Count; j++) Pair(a.Input[j], b.Input[j]);
            for (int j = 0; j < a.Output.Count; j++) Pair(a.Output[j], b.Output[j]);
        }
        return map;
    }

    private static Dictionary<string, string> WindowArgs(OperatorDef op)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        bool global = op.GetSingleArgument("global_pooling", 0) != 0;
        if (!global) result["kernel"] = List(PerAxis(op, "kernel", 0));
        else result["global_pooling"] = "1";
        var stride = PerAxis(op, "stride", 1);
        if (stride.Any(s => s != 1)) result["stride"] = List(stride);
        var dilation = PerAxis(op, "dilation", 1);
        if (dilation.Any(d => d != 1)) result["dilation"] = List(dilation);
        var pads = Pads(op);
        if (pads.Any(p => p != 0)) result["pads"] = List(pads);
        long group = op.GetSingleArgument("group", 1L);
        if (group != 1) result["group"] = group.ToString(CultureInfo.InvariantCulture);
        long legacy = op.GetSingleArgument("legacy_pad", 0L);
        if (legacy != 0) result["legacy_pad"] = legacy.ToString(CultureInfo.InvariantCulture);
        string order = op.GetSingleArgument("order", "NCHW");
        if (order != "NCHW") result["order"] = order;
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            "kernel", "kernels", "kernel_h", "kernel_w", "stride", "strides", "stride_h", "stride_w",
            "dilation", "dilations", "dilation_h", "dilation_w", "pad", "pads", "pad_t", "pad_l", "pad_b", "pad_r",
            "group", "legacy_pad", "order", "global_pooling",
        };
        foreach (var arg in op.Arg.Where(a => !known.Contains(a.Name))) result[arg.Name] = Value(arg);
        return result;
    }

    private static long[] PerAxis(OperatorDef op, string single, long fallback)
    {
        if (op.HasArgument(single + "s")) return op.GetRepeatedArgument<long>(single + "s");
        if (op.HasArgument(single + "_h")) return [op.GetSingleArgument(single + "_h", fallback), op.GetSingleArgument(single + "_w", fallback)];
        long v = op.GetSingleArgument(single, fallback);
        return [v, v];
    }

    private static long[] Pads(OperatorDef op)
    {
        if (op.HasArgument("pads")) return op.GetRepeatedArgument<long>("pads");
        if (op.HasArgument("pad_t") || op.HasArgument("pad_l") || op.HasArgument("pad_b") || op.HasArgument("pad_r"))
            return [op.GetSingleArgument("pad_t", 0L), op.GetSingleArgument("pad_l", 0L), op.GetSingleArgument("pad_b", 0L), op.GetSingleArgument("pad_r", 0L)];
        long p = op.GetSingleArgument("pad", 0L);
        return [p, p, p, p];
    }

    private static Dictionary<string, string> OtherArgs(OperatorDef op)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in op.Arg)
        {
            var value = Value(arg);
            bool isDefault = (arg.Name, value) switch
            {
                ("order", "\"NCHW\"") => true,
                ("axis", "1") => op.Type is "FC" or "Softmax" or "Flatten" or "Concat",
                ("broadcast", "0") => true,
                _ => false,
            };
            if (!isDefault) result[arg.Name] = value;
        }
        return result;
    }

    private static string Value(Argument arg)
    {
        var inv = CultureInfo.InvariantCulture;
        if (arg.HasF) return arg.F.ToString("G6", inv);
        if (arg.HasI) return arg.I.ToString(inv);
        if (arg.HasS) return "\"" + arg.S.ToStringUtf8() + "\"";
        if (arg.Floats.Count > 0) return "[" + string.Join(",", arg.Floats.Select(f => f.ToString("G6", inv))) + "]";
        if (arg.Ints.Count > 0) return List(arg.Ints);
        return ArgumentHelper.Describe(arg);
    }

    private static string List(IEnumerable<long> values) => "[" + string.Join(",", values) + "]";
}
