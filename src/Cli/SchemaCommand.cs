// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary><c>schema</c>: the operator catalog from the schema registry.</summary>
internal sealed class SchemaCommand(TextWriter output, CliRuntime runtime)
{
    public void Execute(string? op)
    {
        var catalog = runtime.Catalog;
        if (op is null)
        {
            foreach (var s in catalog.Schemas.All.Where(s => !s.IsPrivate))
            {
                var kernels = catalog.Operators.Keys.Where(k => k.Type == s.Name).Select(k => OperatorKey.DeviceName(k.DeviceType) + (k.Engine.Length > 0 ? "/" + k.Engine : ""));
                var gradient = catalog.Gradients.Contains(s.Name) ? "gradient maker registered" : "no gradient maker";
                output.WriteLine($"{s.Name,-24} inputs {Count(s.MinInput, s.MaxInput),-8} outputs {Count(s.MinOutput, s.MaxOutput),-8} {string.Join(",", kernels)}; {gradient}");
            }
            return;
        }
        var schema = catalog.Schemas.Find(op);
        if (schema is null)
        {
            var close = Suggestions.Closest(op, catalog.Schemas.Types);
            throw new CliException($"No schema for operator '{op}'." + (close.Count > 0 ? $" Did you mean: {string.Join(", ", close)}?" : ""));
        }
        output.Write(schema.ToString());
    }

    private static string Count(int min, int max) => min == max ? $"{min}" : max == int.MaxValue ? $"{min}+" : $"{min}-{max}";
}
