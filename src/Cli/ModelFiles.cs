// Hand-written.
using Caffe2Sharp.Onnx.Import;
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary>How a tensor file that is not <c>.npy</c> is read or written: Caffe2's TensorProto or ONNX's.</summary>
internal enum TensorFormat
{
    Caffe2,
    Onnx,
}

/// <summary>A model the commands run or inspect: a Caffe2 net (with its init net, if given) or an imported ONNX model.</summary>
/// <param name="Init">The init net, or null.</param>
/// <param name="Predict">The predict net.</param>
/// <param name="Onnx">The import, for an ONNX model (its inputs' declarations).</param>
/// <param name="Path">The model file.</param>
internal sealed record LoadedModel(NetDef? Init, NetDef Predict, OnnxImportedModel? Onnx, string Path)
{
    /// <summary>The tensor format for <c>--input</c>/<c>--output</c> files: the model's own unless <paramref name="option"/> (<c>--tensor-format</c>) says.</summary>
    public TensorFormat TensorFormatFor(string? option) => option?.ToLowerInvariant() switch
    {
        null => Onnx is null ? TensorFormat.Caffe2 : TensorFormat.Onnx,
        "onnx" => TensorFormat.Onnx,
        "caffe2" => TensorFormat.Caffe2,
        _ => throw new CliException($"--tensor-format {option}: expected 'onnx' or 'caffe2'."),
    };

    /// <summary>Checks fed tensors against an ONNX model's declared inputs (nothing for a Caffe2 net).</summary>
    public void CheckInputs(IReadOnlyDictionary<string, Tensor> fed) => Onnx?.CheckInputs(fed, Path);
}

/// <summary>Model files: <c>.onnx</c>/<c>.onnxtxt</c> are imported, anything else is a NetDef (<see cref="ProtoFile"/>).</summary>
internal static class ModelFiles
{
    public static bool IsOnnx(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".onnx" or ".onnxtxt";

    public static LoadedModel Load(string netPath, string? initPath, CliRuntime runtime, string fallbackName = "predict")
    {
        if (!IsOnnx(netPath)) return new(initPath is null ? null : CliRuntime.LoadNet(initPath, "init"), CliRuntime.LoadNet(netPath, fallbackName), null, netPath);
        if (initPath is not null) throw new CliException($"--init {initPath}: {netPath} is an ONNX model, which carries its own weights; give no init net.");
        if (!File.Exists(netPath)) throw new CliException($"{netPath}: file not found.");
        var imported = OnnxImporter.Load(netPath, new OnnxImportOptions { Catalog = runtime.Catalog });
        return new(imported.Init, imported.Predict, imported, netPath);
    }
}
