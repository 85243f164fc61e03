// Hand-written.
using System.Globalization;
using Caffe2Sharp.Onnx.Export;
using Caffe2Sharp.Runtime;
using Google.Protobuf;

namespace Caffe2Sharp.Cli;

/// <summary>The options of <c>convert</c> for ONNX (Caffe2's convert-caffe2-to-onnx and convert-onnx-to-caffe2).</summary>
/// <param name="Init">To ONNX: the init net whose weights become initializers.</param>
/// <param name="InitOut">From ONNX: where the init net (the weights) is written.</param>
/// <param name="Shapes">To ONNX: NAME=d1,d2,... for each input.</param>
/// <param name="Opset">To ONNX: the opset (default <see cref="OnnxExporter.DefaultOpset"/>).</param>
internal sealed record ConvertSettings(string? Init = null, string? InitOut = null, string[]? Shapes = null, int? Opset = null);

/// <summary>
/// <c>convert</c>: a net between .pb, .pbtxt and .json; a net pair to an ONNX model
/// (<c>.onnx</c>, or text <c>.onnxtxt</c>); an ONNX model to a net pair. Formats by extension.
/// </summary>
internal sealed class ConvertCommand(TextWriter output, CliRuntime runtime)
{
    public void Execute(string source, string target, ConvertSettings settings)
    {
        if (!File.Exists(source)) throw new CliException($"{source}: file not found.");
        bool fromOnnx = ModelFiles.IsOnnx(source), toOnnx = ModelFiles.IsOnnx(target);
        if (fromOnnx && toOnnx) throw new CliException($"{source} -> {target}: both are ONNX; convert to a Caffe2 net or from one.");
        if (toOnnx)
        {
            ToOnnx(source, target, settings);
            return;
        }
        ProtoFile.FormatOf(target); // reject an unknown target extension before reading
        if (settings.Init is not null) throw new CliException("--init is for a conversion to ONNX (the weights become initializers).");
        if (fromOnnx)
        {
            if (settings.InitOut is null) throw new CliException($"{source} carries its weights: give --init-out FILE for the init net.");
            ProtoFile.FormatOf(settings.InitOut);
            var model = ModelFiles.Load(source, null, runtime);
            ProtoFile.Write(target, model.Predict);
            ProtoFile.Write(settings.InitOut, model.Init!);
            output.WriteLine($"{source} (ONNX opset {model.Onnx!.Opset}) -> {target}: {model.Predict.Op.Count} ops; {settings.InitOut}: {model.Init!.Op.Count} weights");
            return;
        }
        if (settings.InitOut is not null || settings.Shapes is { Length: > 0 } || settings.Opset is not null)
            throw new CliException("--init-out, --shape and --opset are for conversions to and from ONNX.");
        var net = ProtoFile.ReadNetDef(source);
        ProtoFile.Write(target, net);
        output.WriteLine($"{source} ({ProtoFile.FormatOf(source)}) -> {target} ({ProtoFile.FormatOf(target)}): {net.Op.Count} ops");
    }

    private void ToOnnx(string source, string target, ConvertSettings settings)
    {
        if (settings.InitOut is not null) throw new CliException("--init-out is for a conversion from ONNX.");
        var predict = CliRuntime.LoadNet(source, "predict");
        var init = settings.Init is null ? new NetDef { Name = "init" } : CliRuntime.LoadNet(settings.Init, "init");
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        foreach (var s in settings.Shapes ?? [])
        {
            var (name, dims) = CliRuntime.SplitPair(s, "--shape");
            shapes[name] = TensorShape.Create(dims.Split(',', StringSplitOptions.TrimEntries).Select(d =>
                long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
                : throw new CliException($"--shape {name}: '{d}' is not a non-negative integer dim.")));
        }
        int opset = settings.Opset ?? OnnxExporter.DefaultOpset;
        if (opset < OnnxExporter.MinOpset || opset > OnnxExporter.MaxOpset)
            throw new CliException($"--opset {opset}: the exporter writes opsets {OnnxExporter.MinOpset} to {OnnxExporter.MaxOpset}.");
        var model = OnnxExporter.Export(init, predict, shapes, new OnnxExportOptions { Opset = opset, Catalog = runtime.Catalog });
        if (Path.GetExtension(target).Equals(".onnxtxt", StringComparison.OrdinalIgnoreCase)) File.WriteAllText(target, TextFormat.ProtoText.Print(model));
        else File.WriteAllBytes(target, model.ToByteArray());
        output.WriteLine($"{source} -> {target} (ONNX opset {opset}): {model.Graph.Node.Count} nodes, {model.Graph.Initializer.Count} initializers");
    }
}
