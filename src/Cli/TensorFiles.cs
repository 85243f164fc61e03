// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary>Tensors in files: numpy <c>.npy</c>, or a TensorProto (Caffe2's in binary, text or JSON form; ONNX's in binary or text form).</summary>
internal static class TensorFiles
{
    public static Tensor Read(string path, TensorFormat format = TensorFormat.Caffe2)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: file not found.");
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase)) return Npy.ReadFile(path);
        if (format == TensorFormat.Onnx) return ReadOnnx(path);
        var proto = ProtoFile.Read<TensorProto>(path);
        try
        {
            return proto.ToTensor();
        }
        catch (EnforceNotMetException e)
        {
            throw new CliException($"{path}: {e.Message}");
        }
    }

    public static void Write(string path, Tensor tensor, string name, TensorFormat format = TensorFormat.Caffe2)
    {
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase))
        {
            Npy.WriteFile(path, tensor);
            return;
        }
        if (format == TensorFormat.Onnx)
        {
            var proto = Onnx.OnnxTensors.FromTensor(tensor, name);
            if (IsText(path)) File.WriteAllText(path, TextFormat.ProtoText.Print(proto));
            else File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(proto));
            return;
        }
        ProtoFile.Write(path, tensor.ToProto(name));
    }

    private static bool IsText(string path) => Path.GetExtension(path).ToLowerInvariant() is ".pbtxt" or ".prototxt" or ".txt";

    // ONNX's TensorProto (the node tests' input_N.pb), binary or text.
    private static Tensor ReadOnnx(string path)
    {
        try
        {
            var proto = IsText(path)
                ? TextFormat.ProtoText.Parse<Onnx.Proto.TensorProto>(File.ReadAllText(path), path)
                : Onnx.Proto.TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
            return Onnx.OnnxTensors.ToTensor(proto, path);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException e)
        {
            throw new CliException($"{path}: not an ONNX TensorProto: {e.Message}");
        }
        catch (TextFormat.TextFormatException e)
        {
            throw new CliException($"{path}: not an ONNX TensorProto: {e.Message}");
        }
    }
}
