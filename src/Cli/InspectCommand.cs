// Hand-written.
using System.Globalization;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Schema;

namespace Caffe2Sharp.Cli;

/// <summary>
/// <c>inspect</c>: ops, verification, warnings (arguments a schema does not declare), inferred
/// shapes and types, and cost per op and in total. Warnings do not change the exit code. With
/// <c>--init</c> the init net is analysed (not run), so the shapes of the weights it creates are
/// known; <c>--shape</c> overrides them (an init net may fill the data input with a placeholder).
/// </summary>
internal sealed class InspectCommand(TextWriter output, CliRuntime runtime)
{
    public void Execute(string netPath, string? initPath, string[] shapes, string[] dtypes, int? device)
    {
        var model = ModelFiles.Load(netPath, initPath, runtime, fallbackName: "");
        var net = model.Predict;
        if (device is { } placed) net = net.OnDevice(placed);
        var catalog = runtime.Catalog;
        var types = dtypes.Select(d => CliRuntime.SplitPair(d, "--dtype")).ToDictionary(p => p.Name, p => ParseType(p.Value), StringComparer.Ordinal);
        var known = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        if (model.Init is not null) AddWeightShapes(model.Init, known);
        if (model.Onnx is { } onnx)
        {
            // An ONNX model declares its inputs: their fixed shapes are known unless --shape says otherwise.
            output.WriteLine($"ONNX model {netPath}: opset {onnx.Opset}, imported as {model.Init!.Op.Count} weight fill(s) and {net.Op.Count} op(s)");
            foreach (var i in onnx.Inputs)
            {
                output.WriteLine($"  input {i.Name}: {i.Describe()}");
                if (i.Dims is { } dims && dims.All(d => d is not null) && i.DataType != DataType.Undefined)
                    known[i.Name] = TensorShape.Create(dims.Select(d => d!.Value), i.DataType);
            }
            foreach (var o in onnx.Outputs) output.WriteLine($"  output {o.Name}: {o.Describe()}");
        }
        foreach (var s in shapes)
        {
            var (name, dims) = CliRuntime.SplitPair(s, "--shape");
            var parsed = dims.Split(',', StringSplitOptions.TrimEntries).Select(d =>
                long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
                : throw new CliException($"--shape {name}: '{d}' is not a non-negative integer dim.")).ToArray();
            known[name] = TensorShape.Create(parsed, types.GetValueOrDefault(name, DataType.Float));
        }
        foreach (var name in types.Keys.Where(n => !known.ContainsKey(n)))
            throw new CliException($"--dtype {name}: give its shape with --shape {name}=... as well.");

        output.WriteLine($"net '{net.Name}' ({(string.IsNullOrEmpty(net.Type) ? "simple" : net.Type)}): {net.Op.Count} ops");
        if (net.ExternalInput.Count > 0) output.WriteLine($"  external inputs: {string.Join(", ", net.ExternalInput)}");
        if (net.ExternalOutput.Count > 0) output.WriteLine($"  external outputs: {string.Join(", ", net.ExternalOutput)}");

        var analysis = NetAnalysis.Analyze(net, known, catalog.Schemas);
        var problems = analysis.Problems.ToLookup(p => p.OpIndex, p => p.Reason);
        int warnings = 0;
        var noKernel = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int k = 0; k < net.Op.Count; k++)
        {
            var op = net.Op[k];
            output.WriteLine($"#{k} {op.Describe()}");
            var schema = catalog.Schemas.Find(op.Type);
            var verification = schema?.VerifyWithWarnings(op);
            string verdict = verification is null ? "no schema (unknown operator)" : verification.Error is { } reason ? "INVALID: it " + reason : "verified";
            bool hasKernel = catalog.Operators.Keys.Any(key => key.Type == op.Type && key.DeviceType == (op.DeviceOption?.DeviceType ?? net.DeviceOption?.DeviceType ?? 0));
            output.WriteLine($"    schema: {verdict}; kernel: {(hasKernel ? "yes" : "none")}");
            if (!hasKernel) noKernel[op.Type] = noKernel.GetValueOrDefault(op.Type) + 1;
            // Undeclared arguments warn and never change the exit code (see SchemaWarning).
            foreach (var w in verification?.Warnings ?? [])
            {
                output.WriteLine($"    warning: op #{k} {w}");
                warnings++;
            }
            foreach (var p in problems[k].Where(p => schema is not null && !p.Contains("does not match its schema", StringComparison.Ordinal)))
                output.WriteLine($"    inference: {p}");
            for (int o = 0; o < op.Output.Count; o++)
                output.WriteLine($"    {op.Output[o]}: {analysis.OpOutputShapes[k][o].Describe()}");
            if (analysis.OpCosts[k] is { } c) output.WriteLine($"    cost: {FormatCost(c)}");
        }
        int unknownShapes = analysis.OpOutputShapes.Sum(outs => outs.Count(o => o.UnknownShape));
        output.WriteLine($"blobs: {analysis.Shapes.Count} with inferred shapes" + (unknownShapes > 0 ? $", {unknownShapes} op output(s) unknown" : ", every op output known"));
        if (noKernel.Count > 0)
            output.WriteLine($"no kernel: {noKernel.Count} operator type(s) in {noKernel.Values.Sum()} op(s): " +
                string.Join(", ", noKernel.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} x{p.Value}")));
        output.WriteLine($"total cost (ops with known cost): {FormatCost(analysis.TotalCost)}");
        if (warnings > 0) output.WriteLine($"{warnings} warning(s): arguments the schemas do not declare are ignored by the operators");
    }

    // The shapes an init net's ops give the blobs they write, by its own shape inference (fills
    // declare their shapes in arguments), without running it.
    private void AddWeightShapes(NetDef init, Dictionary<string, TensorShape> known)
    {
        var analysis = NetAnalysis.Analyze(init, new Dictionary<string, TensorShape>(), runtime.Catalog.Schemas);
        foreach (var (name, shape) in analysis.Shapes)
            if (!shape.UnknownShape) known[name] = shape;
    }

    internal static string FormatCost(Cost c) =>
        $"{c.Flops:N0} flops, {c.BytesRead:N0} B read, {c.BytesWritten:N0} B written" + (c.ParamsBytes > 0 ? $", {c.ParamsBytes:N0} B params" : "");

    private static DataType ParseType(string name) =>
        DataTypes.FromName(name) is { HasStorage: true } info ? info.Type
        : throw new CliException($"--dtype: unknown type '{name}' ({string.Join(", ", DataTypes.All.Where(i => i.HasStorage).Select(i => i.ShortNames[0]))}).");
}
