// Hand-written.
namespace Caffe2Sharp.Cli;

/// <summary><c>convert</c>: a net between .pb, .pbtxt and .json, by extension.</summary>
internal sealed class ConvertCommand(TextWriter output)
{
    public void Execute(string source, string target)
    {
        if (!File.Exists(source)) throw new CliException($"{source}: file not found.");
        ProtoFile.FormatOf(target); // reject an unknown target extension before reading
        var net = ProtoFile.ReadNetDef(source);
        ProtoFile.Write(target, net);
        output.WriteLine($"{source} ({ProtoFile.FormatOf(source)}) -> {target} ({ProtoFile.FormatOf(target)}): {net.Op.Count} ops");
    }
}
