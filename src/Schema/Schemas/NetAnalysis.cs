// Hand-written.
namespace Caffe2Sharp.Schema;

/// <summary>The inferred shapes of a net's blobs and the cost of each op.</summary>
/// <param name="Shapes">The shape of every blob known after the net, by name (later writes win).</param>
/// <param name="OpOutputShapes">For each op, the shapes inferred for its outputs.</param>
/// <param name="OpCosts">For each op, its cost, or null when it has no schema, no cost function or unknown input shapes.</param>
/// <param name="Problems">For each op that could not be analysed, why (op index and reason).</param>
public sealed record NetAnalysisResult(
    IReadOnlyDictionary<string, TensorShape> Shapes,
    IReadOnlyList<IReadOnlyList<TensorShape>> OpOutputShapes,
    IReadOnlyList<Cost?> OpCosts,
    IReadOnlyList<(int OpIndex, string Reason)> Problems)
{
    /// <summary>The sum of every known op cost.</summary>
    public Cost TotalCost => OpCosts.Aggregate(default(Cost), (sum, c) => c is { } v ? sum + v : sum);
}

/// <summary>Net-level helpers over the schema registry: shape and type inference, and cost.</summary>
public static class NetAnalysis
{
    /// <summary>
    /// Walks the ops of <paramref name="net"/> in order, inferring the shape and type of every blob
    /// from <paramref name="inputShapes"/> through each op's schema, and the cost of each op.
    /// An op without a schema, or whose inference fails, gets unknown output shapes and a problem
    /// entry; analysis continues so one unknown op does not hide the rest of the report.
    /// </summary>
    public static NetAnalysisResult Analyze(NetDef net, IReadOnlyDictionary<string, TensorShape> inputShapes, OpSchemaRegistry schemas)
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentNullException.ThrowIfNull(inputShapes);
        ArgumentNullException.ThrowIfNull(schemas);
        var shapes = new Dictionary<string, TensorShape>(inputShapes, StringComparer.Ordinal);
        var opShapes = new List<IReadOnlyList<TensorShape>>(net.Op.Count);
        var costs = new List<Cost?>(net.Op.Count);
        var problems = new List<(int, string)>();
        for (int k = 0; k < net.Op.Count; k++)
        {
            var op = net.Op[k];
            var ins = op.Input.Select(n => shapes.TryGetValue(n, out var s) ? s : TensorShape.Unknown()).ToArray();
            IReadOnlyList<TensorShape> outs;
            Cost? cost = null;
            var schema = schemas.Find(op.Type);
            if (schema is null)
            {
                problems.Add((k, $"no schema for operator type '{op.Type}'"));
                outs = op.Output.Select(_ => TensorShape.Unknown()).ToArray();
            }
            else
            {
                try
                {
                    outs = schema.InferTensor(op, ins);
                    if (outs.Count != op.Output.Count)
                        throw new EnforceNotMetException($"shape inference returned {outs.Count} shapes for {op.Output.Count} outputs");
                    if (schema.HasCostInferenceFunction && ins.All(s => !s.UnknownShape))
                        cost = schema.InferCost(op, ins);
                }
                catch (EnforceNotMetException e)
                {
                    problems.Add((k, e.Message));
                    outs = op.Output.Select(_ => TensorShape.Unknown()).ToArray();
                }
            }
            for (int o = 0; o < op.Output.Count; o++)
            {
                var s = outs[o].Clone();
                s.Name = op.Output[o];
                shapes[op.Output[o]] = s;
            }
            opShapes.Add(outs);
            costs.Add(cost);
        }
        return new NetAnalysisResult(shapes, opShapes, costs, problems);
    }

    /// <summary>Infers the shape of every blob; see <see cref="Analyze"/>.</summary>
    public static IReadOnlyDictionary<string, TensorShape> InferShapes(NetDef net, IReadOnlyDictionary<string, TensorShape> inputShapes, OpSchemaRegistry schemas) =>
        Analyze(net, inputShapes, schemas).Shapes;

    /// <summary>The total cost of the net, op by op; ops without a cost count as zero.</summary>
    public static Cost TotalCost(NetDef net, IReadOnlyDictionary<string, TensorShape> inputShapes, OpSchemaRegistry schemas) =>
        Analyze(net, inputShapes, schemas).TotalCost;
}
