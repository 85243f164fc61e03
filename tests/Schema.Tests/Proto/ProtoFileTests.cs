using Caffe2Sharp.Tests;
using Google.Protobuf;

namespace Caffe2Sharp.Schema.Tests.Proto;

public sealed class ProtoFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("c2s-protofile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Temp(string name) => Path.Combine(_dir, name);

    [Theory]
    [InlineData("a.pb", ProtoFormat.Binary)]
    [InlineData("a.PBTXT", ProtoFormat.Text)]
    [InlineData("a.prototxt", ProtoFormat.Text)]
    [InlineData("a.json", ProtoFormat.Json)]
    public void FormatOf_UsesTheExtension(string path, ProtoFormat format) => Assert.Equal(format, ProtoFile.FormatOf(path));

    [Fact]
    public void UnknownExtension_IsAClearError()
    {
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.FormatOf("net.onnx"));
        Assert.Contains("net.onnx: unknown extension '.onnx'", e.Message);
    }

    [SkippableFact]
    public void PbAndPbtxtOfTheSameNet_LoadIdentically_AndConvertLosslessly()
    {
        var fromPb = ProtoFile.ReadNetDef(TestData.Path("squeezenet", "predict_net.pb"));
        foreach (var ext in new[] { ".pbtxt", ".json", ".pb" })
        {
            var path = Temp("net" + ext);
            ProtoFile.Write(path, fromPb);
            Assert.Equal(fromPb, ProtoFile.ReadNetDef(path));
        }
        // text -> binary -> text is byte-stable
        ProtoFile.Write(Temp("a.pbtxt"), fromPb);
        ProtoFile.Write(Temp("b.pb"), ProtoFile.ReadNetDef(Temp("a.pbtxt")));
        ProtoFile.Write(Temp("c.pbtxt"), ProtoFile.ReadNetDef(Temp("b.pb")));
        Assert.Equal(File.ReadAllText(Temp("a.pbtxt")), File.ReadAllText(Temp("c.pbtxt")));
        Assert.Equal(File.ReadAllBytes(Temp("b.pb")), fromPb.ToByteArray());
    }

    [SkippableFact]
    public void RealTextNet_Loads_AndMatchesItsBinaryEncoding()
    {
        var init = ProtoFile.ReadNetDef(TestData.Path("glow", "fc_init_net.pbtxt"));
        Assert.Contains(init.Op, o => o.Type == "GivenTensorFill");
        Assert.Empty(ProtoFile.ReadNetDef(TestData.Path("glow", "empty_init_net.pbtxt")).Op);
    }

    [SkippableFact]
    public void TruncatedBinary_NamesTheFile()
    {
        var bytes = File.ReadAllBytes(TestData.Path("mnist-lenet", "predict_net.pb"));
        File.WriteAllBytes(Temp("cut.pb"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("cut.pb")));
        Assert.StartsWith(Temp("cut.pb") + ": not a valid binary NetDef", e.Message);
    }

    [Fact]
    public void GarbageBinary_IsRejected()
    {
        File.WriteAllBytes(Temp("garbage.pb"), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x34]);
        Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("garbage.pb")));
    }

    [Fact]
    public void MissingRequiredField_IsRejected()
    {
        // partition_info { } without its required name.
        File.WriteAllBytes(Temp("req.pb"), [0x4A, 0x00]);
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("req.pb")));
        Assert.Contains("required field", e.Message);
    }

    [Fact]
    public void MalformedText_GivesFileLineAndColumn()
    {
        File.WriteAllText(Temp("bad.pbtxt"), "name: \"n\"\nop {\n  type: \"Relu\"\n  bogus: 1\n}\n");
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("bad.pbtxt")));
        Assert.StartsWith(Temp("bad.pbtxt") + ":4:3:", e.Message);
        Assert.Contains("bogus", e.Message);
    }

    [SkippableFact]
    public void BinaryBytesWithTextExtension_AreRejectedClearly()
    {
        File.Copy(TestData.Path("mnist-lenet", "predict_net.pb"), Temp("wrong.pbtxt"));
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("wrong.pbtxt")));
        Assert.Contains(Temp("wrong.pbtxt"), e.Message);
    }

    [Fact]
    public void MissingFile_IsAClearError()
    {
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("nope.pb")));
        Assert.Contains("nope.pb: cannot read", e.Message);
    }

    [Fact]
    public void BadJson_IsAClearError()
    {
        File.WriteAllText(Temp("bad.json"), "{ \"op\": 5 }");
        var e = Assert.Throws<ProtoFileException>(() => ProtoFile.ReadNetDef(Temp("bad.json")));
        Assert.StartsWith(Temp("bad.json") + ": not valid NetDef JSON", e.Message);
    }
}
