// Hand-written.
using Caffe2Sharp.Onnx.Proto;

namespace Caffe2Sharp.Onnx.Import;

/// <summary>
/// Inlines a model's local functions (<c>ModelProto.functions</c>): a node whose (domain, op type)
/// names one is replaced by the function's body, its formal inputs and outputs bound to the
/// node's, its internal values renamed apart, and attribute references (<c>ref_attr_name</c>)
/// taken from the calling node or the function's defaults. Functions may call functions.
/// </summary>
internal static class FunctionInliner
{
    private const int MaxDepth = 32;

    public static List<NodeProto> Inline(ModelProto model, GraphProto graph, string source)
    {
        if (model.Functions.Count == 0) return [.. graph.Node];
        var functions = new Dictionary<(string, string), FunctionProto>();
        foreach (var f in model.Functions)
            if (!functions.TryAdd((f.Domain, f.Name), f))
                throw new OnnxImportException(source, [new OnnxImportProblem(-1, "", 0, "", $"function '{f.Domain}:{f.Name}' is defined twice.")]);
        var result = new List<NodeProto>();
        int calls = 0;
        foreach (var node in graph.Node) Add(node, 0);
        return result;

        void Add(NodeProto node, int depth)
        {
            if (!functions.TryGetValue((node.Domain, node.OpType), out var f))
            {
                result.Add(node);
                return;
            }
            if (depth >= MaxDepth)
                throw new OnnxImportException(source, [new OnnxImportProblem(-1, node.OpType, 0, node.Name,
                    $"function '{f.Name}' calls functions more than {MaxDepth} deep (recursion?).")]);
            string prefix = $"__{f.Name}_{calls++}__";
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < f.Input.Count; i++) map[f.Input[i]] = i < node.Input.Count ? node.Input[i] : "";
            for (int i = 0; i < f.Output.Count; i++) map[f.Output[i]] = i < node.Output.Count ? node.Output[i] : "";
            string Rename(string v) => v.Length == 0 ? v : map.TryGetValue(v, out var actual) ? actual : prefix + v;
            var defaults = f.AttributeProto.ToDictionary(a => a.Name, StringComparer.Ordinal);
            foreach (var body in f.Node)
            {
                var copy = body.Clone();
                copy.Input.Clear();
                copy.Input.AddRange(body.Input.Select(Rename));
                copy.Output.Clear();
                copy.Output.AddRange(body.Output.Select(Rename));
                if (copy.Name.Length > 0) copy.Name = prefix + copy.Name;
                copy.Attribute.Clear();
                foreach (var a in body.Attribute)
                {
                    if (a.RefAttrName.Length == 0)
                    {
                        copy.Attribute.Add(a);
                        continue;
                    }
                    var given = node.Attribute.FirstOrDefault(x => x.Name == a.RefAttrName) ?? defaults.GetValueOrDefault(a.RefAttrName);
                    if (given is null) continue; // not given and no default: the attribute is absent
                    var bound = given.Clone();
                    bound.Name = a.Name;
                    copy.Attribute.Add(bound);
                }
                Add(copy, depth + 1);
            }
        }
    }
}
