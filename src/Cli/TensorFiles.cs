// Hand-written.
using Caffe2Sharp.Runtime;

namespace Caffe2Sharp.Cli;

/// <summary>Tensors in files: numpy <c>.npy</c>, or a Caffe2 TensorProto in binary, text or JSON form.</summary>
internal static class TensorFiles
{
    public static Tensor Read(string path)
    {
        if (!File.Exists(path)) throw new CliException($"{path}: file not found.");
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase)) return Npy.ReadFile(path);
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

    public static void Write(string path, Tensor tensor, string name)
    {
        if (Path.GetExtension(path).Equals(".npy", StringComparison.OrdinalIgnoreCase))
        {
            Npy.WriteFile(path, tensor);
            return;
        }
        ProtoFile.Write(path, tensor.ToProto(name));
    }
}
