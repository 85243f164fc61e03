// Hand-written.
using Caffe2Sharp.Kernels;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Operators.Vision;

/// <summary>
/// The layout pass (ONNX Runtime's <c>NchwcTransformer</c>): every Conv with a constant 4-D
/// filter that an NCHWc kernel serves becomes <c>NchwcConv</c>; MaxPool and AveragePool of a
/// blocked tensor whose channels fill whole blocks become their NCHWc forms; Relu and Sum of
/// blocked tensors and a channel Concat of whole blocks run on the blocked tensors as they are.
/// Reorders are inserted only where a blocked value meets an NCHW consumer (and at the end, for
/// the net's outputs and every blob the caller asks for).
/// </summary>
/// <remarks>
/// Outputs agree with the NCHW net to rounding (the kernels sum each output in the same order,
/// so in practice bit for bit). Blocked tensors get new names (<c>{blob}__nchwc</c>); the NCHW
/// names they replace are reported as removed unless a reorder writes them back.
/// </remarks>
internal sealed class NchwcTransform : INetPass
{
    public string Name => "NCHWc layout for Conv and pooling";

    public NetPassStage Stage => NetPassStage.Layout;

    private sealed record BlockedBlob(string Name, long Channels);

    public int Apply(NetPassContext context)
    {
        var net = context.Net;
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in net.Op)
        {
            used.UnionWith(op.Input);
            used.UnionWith(op.Output);
        }
        used.UnionWith(net.ExternalInput);
        used.UnionWith(net.ExternalOutput);
        string Fresh(string baseName)
        {
            string name = baseName;
            for (int k = 1; used.Contains(name) || context.Constants.HasBlob(name); k++) name = $"{baseName}_{k}";
            used.Add(name);
            return name;
        }

        var blocked = new Dictionary<string, BlockedBlob>(StringComparer.Ordinal);
        var stale = new HashSet<string>(StringComparer.Ordinal); // NCHW names whose value lives only in blocked form
        var result = new List<OperatorDef>();
        int converted = 0;
        float[] scratch = [];

        void EnsureNchw(string blob)
        {
            if (!stale.Remove(blob)) return;
            var b = blocked[blob];
            result.Add(OperatorDef.Create("NchwcReorderOutput", "", [b.Name], [blob]).SetArgument("channels", b.Channels));
        }
        string EnsureBlocked(string blob, long channels)
        {
            if (blocked.TryGetValue(blob, out var b)) return b.Name;
            string name = Fresh(blob + "__nchwc");
            result.Add(OperatorDef.Create("NchwcReorderInput", "", [blob], [name]));
            blocked[blob] = new BlockedBlob(name, channels);
            return name;
        }
        void WroteBlocked(string blob, string name, long channels)
        {
            blocked[blob] = new BlockedBlob(name, channels);
            stale.Add(blob);
            if (context.IsProtected(blob)) EnsureNchw(blob);
        }
        bool WholeBlocks(string blob) => blocked.TryGetValue(blob, out var b) && b.Channels % Kernels.Nchwc.BlockSize == 0;

        foreach (var op in net.Op)
        {
            if (TryConv(op, out long channels, out long filters, out var kind))
            {
                string x = op.Input[0], y = op.Output[0];
                string xIn;
                if (kind == NchwcConvKind.NchwInput)
                {
                    EnsureNchw(x);
                    xIn = x;
                }
                else xIn = EnsureBlocked(x, channels);
                var conv = op.Clone();
                conv.Type = "NchwcConv";
                conv.Name = OriginalName(op);
                conv.Input[0] = xIn;
                PackFilters(conv, channels, filters);
                string yc = Fresh(y + "__nchwc");
                conv.Output[0] = yc;
                result.Add(conv);
                WroteBlocked(y, yc, filters);
                converted++;
                continue;
            }
            if (op.Type is "MaxPool" or "AveragePool" && op.Input.Count == 1 && op.Output.Count == 1 && WholeBlocks(op.Input[0])
                && op.GetSingleArgument("order", "NCHW") == "NCHW" && op.Input[0] != op.Output[0] && !DilatedPool(op))
            {
                var b = blocked[op.Input[0]];
                var pool = op.Clone();
                pool.Type = "Nchwc" + op.Type;
                pool.Name = OriginalName(op);
                pool.Input[0] = b.Name;
                string yc = Fresh(op.Output[0] + "__nchwc");
                pool.Output[0] = yc;
                result.Add(pool);
                WroteBlocked(op.Output[0], yc, b.Channels);
                converted++;
                continue;
            }
            if (op.Type == "Relu" && op.Input.Count == 1 && op.Output.Count == 1 && blocked.ContainsKey(op.Input[0]) && stale.Contains(op.Input[0]))
            {
                // Relu keeps zeros zero, so padded channels stay harmless.
                var b = blocked[op.Input[0]];
                string yc = op.Input[0] == op.Output[0] ? b.Name : Fresh(op.Output[0] + "__nchwc");
                result.Add(OperatorDef.Create("Relu", op.Name, [b.Name], [yc]));
                WroteBlocked(op.Output[0], yc, b.Channels);
                continue;
            }
            if (op.Type == "Sum" && op.Input.Count == 2 && op.Output.Count == 1 && op.Arg.Count == 0
                && op.Input.All(i => blocked.ContainsKey(i) && stale.Contains(i)) && blocked[op.Input[0]].Channels == blocked[op.Input[1]].Channels)
            {
                // Padded channels: 0 + 0, or the residual's own padding, which no consumer reads.
                var a = blocked[op.Input[0]];
                var c = blocked[op.Input[1]];
                string yc = Fresh(op.Output[0] + "__nchwc");
                result.Add(OperatorDef.Create("Sum", op.Name, [a.Name, c.Name], [yc]));
                WroteBlocked(op.Output[0], yc, a.Channels);
                continue;
            }
            if (op.Type == "Concat" && op.Output.Count == 2 && op.Input.Count >= 1 && op.Input.All(WholeBlocks) && op.Input.All(stale.Contains)
                && op.GetSingleArgument("add_axis", 0) == 0 && ConcatAxisIsChannels(op) && !context.IsProtected(op.Output[1])
                && !net.Op.Any(o => o.Input.Contains(op.Output[1])) && !op.Input.Contains(op.Output[0]))
            {
                // Concatenating whole 16-channel blocks along the block axis of [N, C/16, H, W, 16]
                // is the NCHW channel concat; split_info would count blocks, so it is not kept.
                var concat = OperatorDef.Create("Concat", op.Name, [.. op.Input.Select(i => blocked[i].Name)],
                    [Fresh(op.Output[0] + "__nchwc"), Fresh(op.Output[1] + "__nchwc")]).SetArgument("axis", 1);
                result.Add(concat);
                context.MarkRemoved(op.Output[1], $"Concat '{op.Output[0]}' runs on 16-channel blocks (NCHWc layout) and keeps no split_info");
                WroteBlocked(op.Output[0], concat.Output[0], op.Input.Sum(i => blocked[i].Channels));
                converted++;
                continue;
            }
            // Any other op reads NCHW and writes NCHW.
            foreach (var input in op.Input) EnsureNchw(input);
            result.Add(op);
            foreach (var output in op.Output)
            {
                blocked.Remove(output);
                stale.Remove(output);
            }
        }
        if (converted == 0) return 0;

        // The net's outputs and the blobs the caller fetches are NCHW at the end.
        foreach (var blob in stale.ToList())
            if (context.IsProtected(blob) || net.ExternalOutput.Contains(blob)) EnsureNchw(blob);
        foreach (var blob in stale) context.MarkRemoved(blob, $"it is computed in the NCHWc layout as '{blocked[blob].Name}' and never reordered to NCHW");
        net.Op.Clear();
        net.Op.AddRange(result);
        return converted;

        // The filters are packed now, once, into a constant [PaddedChannels(M), C/group, kH, kW]
        // (the layout depends on the filter shape and group only); a bias of M values not a
        // multiple of 16 gets zeros for the padded filters. The user's filters stay as they are;
        // filters an earlier pass made (SpatialBN folded in) that only this op reads are packed in
        // place, through one scratch copy of one layer, so the net never holds a third copy.
        void PackFilters(OperatorDef conv, long channels, long filters)
        {
            string wName = conv.Input[1];
            var w = context.Constant(wName);
            int group = conv.GetSingleArgument("group", 1), kh = (int)w.Dims[2], kw = (int)w.Dims[3];
            long padded = Kernels.Nchwc.PaddedChannels((int)filters);
            if (padded == filters && context.IsOwnedConstant(wName))
            {
                int length = (int)w.Size;
                if (scratch.Length < length) scratch = new float[length];
                w.Data<float>().CopyTo(scratch);
                Kernels.Nchwc.PackFilter(scratch.AsSpan(0, length), (int)filters, (int)channels, group, kh, kw, w.Data<float>());
                conv.Input[1] = context.RenameConstant(wName, wName + "__nchwc");
            }
            else
            {
                var packed = new Tensor(DataType.Float, padded, w.Dims[1], kh, kw); // every element is written
                Kernels.Nchwc.PackFilter(w.Data<float>(), (int)filters, (int)channels, group, kh, kw, packed.Data<float>());
                conv.Input[1] = context.AddConstant(wName + "__nchwc", packed);
            }
            if (conv.Input.Count > 2 && padded != filters)
            {
                var bias = context.Constant(conv.Input[2]);
                var paddedBias = new Tensor(DataType.Float, padded);
                bias.Data<float>().CopyTo(paddedBias.Data<float>());
                paddedBias.Data<float>()[(int)filters..].Clear();
                conv.Input[2] = context.AddConstant(conv.Input[2] + "__nchwc", paddedBias);
            }
        }

        bool TryConv(OperatorDef op, out long channels, out long filters, out NchwcConvKind kind)
        {
            channels = filters = 0;
            kind = default;
            if (op.Type != "Conv" || op.Input.Count is not (2 or 3) || op.Output.Count != 1 || op.Input.Contains(op.Output[0])) return false;
            if (op.GetSingleArgument("order", "NCHW") != "NCHW") return false;
            if (!op.Input.Skip(1).All(context.IsConstant)) return false;
            var w = context.Constant(op.Input[1]);
            if (w.DataType != DataType.Float || w.Rank != 4) return false;
            // A bias the Conv itself would reject stays with the Conv (its error names it).
            if (op.Input.Count > 2 && context.Constant(op.Input[2]) is var b && (b.DataType != DataType.Float || b.Rank != 1 || b.Dims[0] != w.Dims[0])) return false;
            int group = op.GetSingleArgument("group", 1);
            if (group < 1) return false;
            filters = w.Dims[0];
            channels = w.Dims[1] * group;
            if (filters % group != 0 || channels > int.MaxValue || filters > int.MaxValue) return false;
            // The kind depends on the channel counts and the group only.
            var probe = new ConvGeometry((int)channels, 1, 1, (int)filters, group, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1);
            if (!Kernels.Nchwc.TryGetKind(in probe, out kind)) return false;
            // The input must be blocked already, or NCHW with whole blocks (a reorder pads nothing then).
            return kind == NchwcConvKind.NchwInput || channels % Kernels.Nchwc.BlockSize == 0;
        }
    }

    // An error in a converted op names the op the user wrote: its name, or its type and output.
    private static string OriginalName(OperatorDef op) => string.IsNullOrEmpty(op.Name) ? $"{op.Type} {op.Output[0]}" : op.Name;

    // A pool with a dilation other than 1 (a Caffe2Sharp extension) stays NCHW: the blocked
    // kernels have no dilated windows. Malformed dilation arguments leave it too, for the op to report.
    private static bool DilatedPool(OperatorDef op)
    {
        try
        {
            var (values, _) = ConvPoolArgs.ReadForms(op, "dilation", "dilations", "dilation_h", "dilation_w");
            return values is not null && values.Any(d => d != 1);
        }
        catch (EnforceNotMetException)
        {
            return true;
        }
    }

    private static bool ConcatAxisIsChannels(OperatorDef op)
    {
        bool hasAxis = op.Arg.Any(a => a.Name == "axis"), hasOrder = op.Arg.Any(a => a.Name == "order");
        if (hasAxis && hasOrder) return false;
        return hasAxis ? op.GetSingleArgument("axis", 1) == 1 : op.GetSingleArgument("order", "NCHW") == "NCHW";
    }
}

/// <summary>
/// Fuses into an <c>NchwcConv</c> the Sum that adds a residual to its output (ONNX Runtime fuses
/// the same into its NCHWc conv); the Relu that follows then fuses too ("fuse Relu into
/// NchwcConv"): a ResNet bottleneck's last convolution, its shortcut add and its Relu become one
/// pass over the output.
/// </summary>
internal sealed class FuseSumIntoNchwcConv : INetPass
{
    public string Name => "fuse residual Sum into NchwcConv";

    public NetPassStage Stage => NetPassStage.Layout;

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var op = ops[k];
            if (op.Type == "Sum" && op.Input.Count == 2 && op.Output.Count == 1 && op.Input[0] != op.Input[1] && TryFuseSum(context, k))
                return 1;
        }
        return 0;
    }

    // Sum(a, b) -> y at k, where a (or b) is written last by NchwcConv j, read by the Sum alone and
    // not protected; the conv has no activation or sum yet; the other input is ready when the
    // conv runs (last written before j) and not written between j and k; nothing between reads
    // or writes y. The conv then adds the other input and writes y; the Sum goes.
    private static bool TryFuseSum(NetPassContext context, int k)
    {
        var ops = context.Net.Op;
        var sum = ops[k];
        for (int side = 0; side < 2; side++)
        {
            string a = sum.Input[side], other = sum.Input[1 - side], y = sum.Output[0];
            int j = LastWriter(ops, a, k);
            if (j < 0 || ops[j].Type != "NchwcConv" || ops[j].Output.Count != 1) continue;
            var conv = ops[j];
            if (conv.GetSingleArgument(Conv.ActivationArg, "").Length > 0 || conv.GetSingleArgument(NchwcOperators.FusedSumArg, 0) != 0) continue;
            if (context.IsProtected(a) || context.Readers(a).Any(r => r != k)) continue;
            if (conv.Input.Contains(other) && other == y) continue; // the conv would overwrite its own input
            int otherWriter = LastWriter(ops, other, k);
            if (otherWriter >= j) continue;
            if (Enumerable.Range(j + 1, k - j - 1).Any(i => ops[i].Input.Contains(y) || ops[i].Output.Contains(y) || ops[i].Output.Contains(other))) continue;
            // In place on the residual (y == other) is fine: the kernel reads each sum element before writing it.
            if (y != other && context.Readers(y).Any(r => r < k && r > j)) continue;
            conv.Input.Add(other);
            conv.SetArgument(NchwcOperators.FusedSumArg, 1);
            conv.Output[0] = y;
            ops.RemoveAt(k);
            if (a != y) context.MarkRemoved(a, $"Sum #{k} was fused into NchwcConv #{j}, which now writes '{y}'");
            return true;
        }
        return false;
    }

    /// <summary>The index of the last op before <paramref name="before"/> that writes <paramref name="blob"/>, or -1.</summary>
    internal static int LastWriter(IList<OperatorDef> ops, string blob, int before)
    {
        for (int i = before - 1; i >= 0; i--)
            if (ops[i].Output.Contains(blob)) return i;
        return -1;
    }
}

/// <summary>
/// Makes the NchwcConvs that feed a channel Concat of blocked tensors write straight into its
/// output, each into its own 16-channel blocks (ONNX Runtime does the same for SqueezeNet's fire
/// modules): the Concat and its copies go.
/// </summary>
/// <remarks>
/// Applies when every input of the Concat is written last by an NchwcConv whose filters fill whole
/// blocks (M a multiple of 16), with no fused sum or block range yet, read by the Concat alone and
/// not protected; the Concat's <c>split_info</c> is not read (the layout pass already drops it),
/// its output not protected, and nothing between the first of those convs and the Concat reads or
/// writes that output.
/// </remarks>
internal sealed class ConcatIntoNchwcConvs : INetPass
{
    public string Name => "write Concat inputs in place (NCHWc)";

    public NetPassStage Stage => NetPassStage.Layout;

    public int Apply(NetPassContext context)
    {
        var ops = context.Net.Op;
        for (int k = 0; k < ops.Count; k++)
        {
            var concat = ops[k];
            if (concat.Type != "Concat" || concat.Output.Count != 2 || concat.Input.Count < 2 || concat.GetSingleArgument("axis", 1) != 1
                || concat.GetSingleArgument("add_axis", 0) != 0 || concat.Input.Distinct().Count() != concat.Input.Count) continue;
            string y = concat.Output[0];
            if (context.IsProtected(y) || context.IsProtected(concat.Output[1]) || context.Readers(concat.Output[1]).Count > 0) continue;
            var producers = new List<(int Index, long Blocks)>();
            foreach (var input in concat.Input)
            {
                int j = FuseSumIntoNchwcConv.LastWriter(ops, input, k);
                if (j < 0) break;
                var conv = ops[j];
                if (conv.Type != "NchwcConv" || conv.Output.Count != 1 || conv.GetSingleArgument(NchwcOperators.FusedSumArg, 0) != 0
                    || conv.GetSingleArgument(NchwcOperators.OutputBlocksArg, 0) != 0 || context.IsProtected(input)
                    || context.Readers(input).Any(r => r != k) || !context.IsConstant(conv.Input[1])) break;
                // The packed filters count whole blocks (PaddedChannels(M)); this Concat runs on
                // blocked inputs, which the layout pass makes only of whole blocks of real channels.
                long m = context.Constant(conv.Input[1]).Dims[0];
                producers.Add((j, m / Kernels.Nchwc.BlockSize));
            }
            if (producers.Count != concat.Input.Count) continue;
            int first = producers.Min(p => p.Index);
            if (context.Readers(y).Any(r => r > first && r < k) || context.Writers(y).Any(w => w > first && w < k)) continue;
            long total = producers.Sum(p => p.Blocks), offset = 0;
            foreach (var (index, blocks) in producers)
            {
                var conv = ops[index];
                context.MarkRemoved(conv.Output[0], $"its NchwcConv writes its channel blocks of '{y}' directly (Concat #{k} removed)");
                conv.Output[0] = y;
                conv.SetArgument(NchwcOperators.OutputBlocksArg, total);
                conv.SetArgument(NchwcOperators.OutputBlockOffsetArg, offset);
                offset += blocks;
            }
            context.MarkRemoved(concat.Output[1], $"Concat #{k} was removed: its inputs' NchwcConvs write '{y}' directly");
            ops.RemoveAt(k);
            return 1;
        }
        return 0;
    }
}
