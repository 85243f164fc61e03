using System.Reflection;

namespace Caffe2Sharp.Runtime.Tests.Plugins;

public class OperatorPackLibraryTests
{
    private static readonly AssemblyName Host = new("Caffe2Sharp.Runtime, Version=1.4.0.0");

    [Fact]
    public void IncompatibleReference_OtherMajorOfCaffe2Sharp_IsReported()
    {
        var refs = new[] { new AssemblyName("System.Runtime, Version=10.0.0.0"), new AssemblyName("Caffe2Sharp.Runtime, Version=2.0.0.0") };
        Assert.Equal("Caffe2Sharp.Runtime", OperatorPackLibrary.IncompatibleReference(refs, Host)?.Name);
        Assert.Equal("Caffe2Sharp.Kernels", OperatorPackLibrary.IncompatibleReference([new AssemblyName("Caffe2Sharp.Kernels, Version=0.9.0.0")], Host)?.Name);
    }

    [Fact]
    public void IncompatibleReference_SameMajorOrOtherLibraries_AreFine()
    {
        var refs = new[]
        {
            new AssemblyName("Caffe2Sharp.Runtime, Version=1.0.0.0"), new AssemblyName("Caffe2Sharp.Schema, Version=1.9.3.0"),
            new AssemblyName("Google.Protobuf, Version=3.0.0.0"), new AssemblyName("Caffe2SharpContrib, Version=7.0.0.0"),
        };
        Assert.Null(OperatorPackLibrary.IncompatibleReference(refs, Host));
    }

    [Fact]
    public void Load_MissingFile_NamesTheFile()
    {
        var e = Assert.Throws<OperatorPackLoadException>(() => OperatorPackLibrary.Load("no/such/plugin.dll"));
        Assert.Equal("no/such/plugin.dll: file not found.", e.Message);
    }
}
