// Hand-written.
namespace Caffe2Sharp.Schema.Gradients;

/// <summary>The gradient net appended by <see cref="BackwardPass.AddGradientOperators"/>.</summary>
/// <param name="Net">The forward net followed by the seed, gradient and accumulation ops.</param>
/// <param name="Gradients">For every forward blob that received a gradient, the blob holding it (e.g. X -> X_grad).</param>
public sealed record BackwardPassResult(NetDef Net, IReadOnlyDictionary<string, string> Gradients)
{
    /// <summary>
    /// The operator types the appended gradient ops use, sorted: the makers' gradient operators,
    /// plus <c>ConstantFill</c> (loss seeds) and <c>Sum</c> (accumulation) when they were needed.
    /// A catalog must register each of them to run <see cref="Net"/>.
    /// </summary>
    public IReadOnlyList<string> RequiredOperatorTypes { get; init; } = [];
}

/// <summary>
/// Builds the backward pass of a net (Caffe2's <c>AddGradientOperators</c>): seeds each loss with
/// ones, walks the forward ops in reverse asking each op's gradient maker for its gradient ops,
/// and sums gradients that several consumers send to one blob.
/// </summary>
/// <remarks>
/// Blobs are versioned as the forward pass writes them (Caffe2's SSA bookkeeping). A gradient op
/// runs after the whole forward net, so it sees each blob's final version; when it reads a forward
/// blob that a later op overwrote (an in-place op downstream, say), the gradient would silently use
/// the wrong values, so this is an error naming both ops and the blob instead.
/// </remarks>
public static class BackwardPass
{
    /// <summary>Suffix of the seed blob of a loss (Caffe2's <c>_autogen_grad</c>).</summary>
    public const string AutogenSuffix = "_autogen_grad";

    /// <summary>
    /// Returns <paramref name="net"/> with its gradient ops appended, for the scalar or tensor
    /// blobs in <paramref name="losses"/> (each seeded with ones of its own shape by a
    /// <c>ConstantFill</c>, so the fill pack must be registered to run the result).
    /// </summary>
    /// <param name="net">The forward net.</param>
    /// <param name="registry">The gradient makers.</param>
    /// <param name="losses">The blobs whose gradients seed the pass.</param>
    /// <param name="isKnownOperator">
    /// When given, every operator type the pass appends must satisfy it (pass the catalog's
    /// kernel registry, as <c>OperatorCatalog.AddGradientOperators</c> does), so a net that names
    /// an operator nobody registered is refused here, listing them all, rather than at run time.
    /// </param>
    /// <exception cref="EnforceNotMetException">A loss is never produced, an op has no gradient maker, a gradient would read an overwritten blob, or an appended operator type is unknown.</exception>
    public static BackwardPassResult AddGradientOperators(NetDef net, GradientRegistry registry, IEnumerable<string> losses, Func<string, bool>? isKnownOperator = null)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(losses);

        // Play the forward pass: the version of each blob each op read and wrote.
        var version = new Dictionary<string, int>(StringComparer.Ordinal);
        var writer = new Dictionary<(string, int), int>();
        var inVersions = new int[net.Op.Count][];
        var outVersions = new int[net.Op.Count][];
        for (int k = 0; k < net.Op.Count; k++)
        {
            var op = net.Op[k];
            // A blob read before anything writes it (an external input) is at version 0.
            foreach (var b in op.Input) version.TryAdd(b, 0);
            inVersions[k] = op.Input.Select(b => version[b]).ToArray();
            outVersions[k] = new int[op.Output.Count];
            for (int o = 0; o < op.Output.Count; o++)
            {
                var b = op.Output[o];
                int v = version.TryGetValue(b, out int old) ? old + 1 : 0;
                version[b] = v;
                outVersions[k][o] = v;
                writer[(b, v)] = k;
            }
        }

        var result = net.Clone();
        // Gradient of (blob, version) -> blob holding it.
        var grads = new Dictionary<(string Blob, int Version), string>();
        foreach (var loss in losses)
        {
            if (!version.TryGetValue(loss, out int v))
                throw new EnforceNotMetException($"Loss blob '{loss}' is not produced by any op of {net.DisplayName}.");
            var seed = loss + AutogenSuffix;
            result.Op.Add(OperatorDef.Create("ConstantFill", "", [loss], [seed], [ArgumentHelper.MakeArgument("value", 1.0f)]));
            grads[(loss, v)] = seed;
        }

        int splits = 0;
        for (int k = net.Op.Count - 1; k >= 0; k--)
        {
            var op = net.Op[k];
            var gOut = new GradientWrapper[op.Output.Count];
            bool any = false;
            for (int o = 0; o < op.Output.Count; o++)
            {
                gOut[o] = grads.TryGetValue((op.Output[o], outVersions[k][o]), out var g) ? new GradientWrapper(Dense: g) : GradientWrapper.None;
                any |= !gOut[o].IsEmpty;
            }
            if (!any) continue;
            if (!registry.Contains(op.Type))
                throw new EnforceNotMetException($"Backward pass of {net.DisplayName}: op #{k} {op.DisplayName} has no gradient maker, but its output receives a gradient.");
            var meta = registry.GetGradientForOp(op, gOut);
            CheckReads(net, k, meta.Ops, inVersions[k], outVersions[k], version, writer);

            var ops = meta.Ops.Select(d => d.Clone()).ToList();
            for (int i = 0; i < op.Input.Count; i++)
            {
                var gi = meta.InputGradients[i];
                if (!gi.IsDense) continue;
                var key = (op.Input[i], inVersions[k][i]);
                if (!grads.TryGetValue(key, out var existing))
                {
                    grads[key] = gi.Dense;
                    continue;
                }
                // A second consumer sends a gradient to the same blob version. If this op's gradient
                // ops write it, they write it aside instead; a gradient passed through by name
                // (Sum's, the loss seed) is used as it is.
                var aside = gi.Dense;
                if (ops.Any(g => g.Output.Contains(gi.Dense)))
                {
                    aside = $"_{gi.Dense}_autosplit_{splits++}";
                    foreach (var g in ops)
                        for (int o = 0; o < g.Output.Count; o++)
                            if (g.Output[o] == gi.Dense) g.Output[o] = aside;
                }
                // Add into the existing blob only when no other blob's gradient is that blob too;
                // otherwise into a new one.
                string target = existing;
                if (grads.Any(p => p.Key != key && p.Value == existing))
                {
                    target = $"{op.Input[i]}_grad";
                    if (grads.ContainsValue(target) || target == aside || target == existing)
                        target = $"_{op.Input[i]}_grad_sum_{splits++}";
                }
                var sum = OperatorDef.Create("Sum", "", [existing, aside], [target]);
                sum.IsGradientOp = true;
                ops.Add(sum);
                grads[key] = target;
            }
            result.Op.AddRange(ops);
        }

        var map = grads.GroupBy(p => p.Key.Blob).ToDictionary(g => g.Key, g => g.OrderBy(p => p.Key.Version).First().Value, StringComparer.Ordinal);
        var required = result.Op.Skip(net.Op.Count).Select(o => o.Type).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (isKnownOperator is not null)
        {
            var missing = required.Where(t => !isKnownOperator(t)).ToList();
            if (missing.Count > 0)
                throw new EnforceNotMetException(
                    $"The backward pass of {net.DisplayName} uses operator type(s) the catalog does not register: {string.Join(", ", missing)}. " +
                    "Add their packs (AddStandardOperators() adds every built-in one, including ConstantFill and Sum).");
        }
        return new BackwardPassResult(result, map) { RequiredOperatorTypes = required };
    }

    private static void CheckReads(NetDef net, int k, IReadOnlyList<OperatorDef> gradOps, int[] inVersions, int[] outVersions,
        Dictionary<string, int> finalVersion, Dictionary<(string, int), int> writer)
    {
        var op = net.Op[k];
        foreach (var g in gradOps)
            foreach (var name in g.Input)
            {
                // After op k the blob holds its output version; an input it did not overwrite keeps the version it read.
                int o = op.Output.IndexOf(name);
                int i = op.Input.IndexOf(name);
                if (o < 0 && i < 0) continue;
                int needed = o >= 0 ? outVersions[o] : inVersions[i];
                int final = finalVersion[name];
                if (final == needed) continue;
                int culprit = writer[(name, needed + 1)];
                throw new EnforceNotMetException(
                    $"Backward pass of {net.DisplayName}: the gradient of op #{k} {op.DisplayName} reads '{name}' as op #{k} left it, " +
                    $"but op #{culprit} {net.Op[culprit].DisplayName} overwrites '{name}' later, so the gradient would use the wrong values. " +
                    $"Give op #{culprit}'s output its own blob.");
            }
    }
}
