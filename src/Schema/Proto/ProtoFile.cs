// Hand-written.
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Caffe2Sharp.Schema.Proto;

/// <summary>The encodings a Caffe2 message file can be in.</summary>
public enum ProtoFormat
{
    /// <summary>Protobuf binary wire format (<c>.pb</c>).</summary>
    Binary,
    /// <summary>Protobuf text format (<c>.pbtxt</c>, <c>.prototxt</c>).</summary>
    Text,
    /// <summary>Protobuf's JSON mapping (<c>.json</c>).</summary>
    Json,
}

/// <summary>A message file could not be read or written; the message names the file and what was wrong.</summary>
public sealed class ProtoFileException(string message, Exception? inner = null) : EnforceNotMetException(message, inner);

/// <summary>
/// Reads and writes Caffe2 messages (NetDef, TensorProto, ...) in binary, text or JSON form,
/// chosen by file extension, with errors that name the file.
/// </summary>
public static class ProtoFile
{
    /// <summary>The format implied by <paramref name="path"/>'s extension.</summary>
    /// <exception cref="ProtoFileException">The extension is not one we know.</exception>
    public static ProtoFormat FormatOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".pb" or ".bin" or ".pbbin" or ".protobuf" => ProtoFormat.Binary,
            ".pbtxt" or ".prototxt" or ".txt" or ".textproto" => ProtoFormat.Text,
            ".json" => ProtoFormat.Json,
            var ext => throw new ProtoFileException(
                $"{path}: unknown extension '{ext}'; expected .pb (binary), .pbtxt/.prototxt (text) or .json."),
        };
    }

    /// <summary>Reads a NetDef from <paramref name="path"/> in the format its extension names.</summary>
    public static NetDef ReadNetDef(string path) => Read<NetDef>(path);

    /// <summary>Reads a message of type <typeparamref name="T"/> from <paramref name="path"/>.</summary>
    /// <exception cref="ProtoFileException">The file is missing, unreadable, or not a valid message; the message names the file.</exception>
    public static T Read<T>(string path) where T : IMessage<T>, new()
    {
        var format = FormatOf(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProtoFileException($"{path}: cannot read: {e.Message}", e);
        }
        return Parse<T>(bytes, format, path);
    }

    /// <summary>Parses <paramref name="content"/> in <paramref name="format"/>; <paramref name="sourceName"/> names it in errors.</summary>
    public static T Parse<T>(byte[] content, ProtoFormat format, string sourceName) where T : IMessage<T>, new()
    {
        ArgumentNullException.ThrowIfNull(content);
        var descriptor = new T().Descriptor;
        try
        {
            return format switch
            {
                ProtoFormat.Binary => ParseBinary<T>(content, sourceName),
                ProtoFormat.Json => JsonParser.Default.Parse<T>(DecodeText(content, sourceName)),
                _ => TextFormat.ProtoText.Parse<T>(DecodeText(content, sourceName), sourceName),
            };
        }
        catch (InvalidProtocolBufferException e) when (format == ProtoFormat.Binary)
        {
            throw new ProtoFileException($"{sourceName}: not a valid binary {descriptor.Name} ({e.Message})", e);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ProtoFileException($"{sourceName}: not valid {descriptor.Name} JSON ({e.Message})", e);
        }
        catch (InvalidJsonException e)
        {
            throw new ProtoFileException($"{sourceName}: not valid {descriptor.Name} JSON ({e.Message})", e);
        }
        catch (TextFormat.TextFormatException e)
        {
            throw new ProtoFileException(e.Message, e);
        }
    }

    /// <summary>Writes <paramref name="message"/> to <paramref name="path"/> in the format its extension names.</summary>
    public static void Write(string path, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var format = FormatOf(path);
        try
        {
            switch (format)
            {
                case ProtoFormat.Binary: File.WriteAllBytes(path, message.ToByteArray()); break;
                case ProtoFormat.Json: File.WriteAllText(path, JsonFormatter.Default.Format(message) + "\n"); break;
                default: File.WriteAllText(path, TextFormat.ProtoText.Print(message)); break;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ProtoFileException($"{path}: cannot write: {e.Message}", e);
        }
    }

    private static T ParseBinary<T>(byte[] content, string sourceName) where T : IMessage<T>, new()
    {
        var message = new T();
        message.MergeFrom(content);
        // proto2 required fields (PartitionInfo.name, Segment.begin, ...) must be present.
        if (!message.IsInitialized())
            throw new ProtoFileException($"{sourceName}: not a valid binary {message.Descriptor.Name} (a required field is missing)");
        return message;
    }

    private static string DecodeText(byte[] content, string sourceName)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new ProtoFileException($"{sourceName}: not UTF-8 text (byte offset {e.Index}); is it a binary file with a text extension?", e);
        }
    }

    /// <summary>The descriptor of <typeparamref name="T"/>, for generic tooling.</summary>
    public static MessageDescriptor DescriptorOf<T>() where T : IMessage<T>, new() => new T().Descriptor;
}
