// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Onnx.Export;

/// <summary>Options of <see cref="OnnxExporter.Export"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>
    /// The ONNX operator set (default domain) the model imports, from <see cref="OnnxExporter.MinOpset"/>
    /// to <see cref="OnnxExporter.MaxOpset"/>; default 17. The model's <c>ir_version</c> follows it
    /// (<see cref="OnnxExporter.IrVersionFor"/>).
    /// </summary>
    public int Opset { get; init; } = OnnxExporter.DefaultOpset;

    /// <summary>
    /// The catalog that runs the init net and whose schemas infer the predict net's shapes; null
    /// uses one with the standard operators (<c>AddStandardOperators</c>).
    /// </summary>
    public OperatorCatalog? Catalog { get; init; }

    /// <summary>The ONNX graph's name; null takes the predict net's name (or "caffe2sharp" when it has none).</summary>
    public string? GraphName { get; init; }
}
