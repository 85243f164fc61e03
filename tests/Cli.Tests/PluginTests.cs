using System.Reflection;
using System.Reflection.Emit;
using Caffe2Sharp.Cli;
using Caffe2Sharp.Cli.Tests;
using Caffe2Sharp.Runtime;
using Caffe2Sharp.Tests;

// This test assembly is itself a plugin whose pack clashes with the CLI's own LeakyRelu.
[assembly: Caffe2SharpOperatorPack(typeof(LeakyReluAgainPack))]

namespace Caffe2Sharp.Cli.Tests;

/// <summary>A pack that registers an operator the CLI already has.</summary>
public sealed class LeakyReluAgainPack : IOperatorPack
{
    /// <inheritdoc/>
    public string Name => "Tests.LeakyReluAgain";

    /// <inheritdoc/>
    public void Register(OperatorCatalog catalog) => catalog.Schemas.Schema("LeakyRelu").NumInputs(1).NumOutputs(1);
}

/// <summary><c>--plugin</c>: the sample Square pack through every command, and each way a plugin is refused.</summary>
public sealed class PluginTests : IDisposable
{
    private static readonly string SquarePack = typeof(PluginTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "SquarePackPath").Value!;

    private readonly string _dir = Directory.CreateTempSubdirectory("c2s-plugin-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Net(string name) => Path.Combine(TestData.RepoRoot, "samples", "nets", "square", name);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Run(args);
        return (code, output.ToString(), error.ToString());
    }

    private static void AssertRefused((int Code, string Out, string Err) r, string file, string expected)
    {
        Assert.Equal(1, r.Code);
        Assert.StartsWith($"caffe2sharp: {file}: ", r.Err);
        Assert.Contains(expected, r.Err);
        Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // one line, no stack trace
    }

    [Fact]
    public void Run_WithThePlugin_SquaresTheInput()
    {
        var r = Run("--plugin", SquarePack, "run", Net("predict_net.pbtxt"), "--init", Net("init_net.pbtxt"));
        Assert.True(r.Code == 0, r.Err);
        Assert.Contains("Y: FLOAT[2, 3]", r.Out);
        Assert.Contains("[[2.25, 0.25, 4],", r.Out);
        Assert.Contains(" [9, 0.0625, 100]]", r.Out);
    }

    [Fact]
    public void Run_WithoutThePlugin_DoesNotKnowSquare()
    {
        var r = Run("run", Net("predict_net.pbtxt"), "--init", Net("init_net.pbtxt"));
        Assert.Equal(1, r.Code);
        Assert.Contains("Square", r.Err);
    }

    [Fact]
    public void Schema_WithThePluginAfterTheCommand_ListsItsOperators()
    {
        var r = Run("schema", "--plugin", SquarePack);
        Assert.Equal(0, r.Code);
        Assert.Matches(@"(?m)^Square\s+inputs 1\s+outputs 1\s+CPU; gradient maker registered", r.Out);
        Assert.Matches(@"(?m)^SquareGradient\s+inputs 2", r.Out);
        Assert.Matches(@"(?m)^LeakyRelu\s", r.Out); // the CLI's own packs are still there
        Assert.Contains("y = x * x", Run("--plugin", SquarePack, "schema", "Square").Out);
        Assert.DoesNotMatch(@"(?m)^Square\s", Run("schema").Out);
    }

    [Fact]
    public void InspectAndBench_WithThePlugin_SeeSquare()
    {
        var inspect = Run("--plugin", SquarePack, "inspect", Net("predict_net.pbtxt"), "--shape", "X=2,3");
        Assert.True(inspect.Code == 0, inspect.Err);
        Assert.Contains("Square", inspect.Out);
        Assert.Contains("FLOAT[2, 3]", inspect.Out);
        var bench = Run("--plugin", SquarePack, "bench", Net("predict_net.pbtxt"), "--init", Net("init_net.pbtxt"), "--iterations", "2", "--warmup", "0");
        Assert.True(bench.Code == 0, bench.Err);
        Assert.Contains("Square \"square\"", bench.Out);
    }

    [Fact]
    public void Plugin_Missing_IsRefusedNamingTheFile()
    {
        var missing = Path.Combine(_dir, "missing.dll");
        AssertRefused(Run("--plugin", missing, "schema"), missing, "file not found");
    }

    [Fact]
    public void Plugin_NotAnAssembly_IsRefusedNamingTheFile()
    {
        var text = Path.Combine(_dir, "x.dll");
        File.WriteAllText(text, "not an assembly");
        AssertRefused(Run("--plugin", text, "schema"), text, "not a .NET assembly");
    }

    [Fact]
    public void Plugin_WithoutPackAttribute_IsRefusedNamingTheFile()
    {
        var kernels = typeof(Caffe2Sharp.Kernels.IUnaryFunctor).Assembly.Location;
        AssertRefused(Run("--plugin", kernels, "schema"), kernels,
            "declares no operator pack: add [assembly: Caffe2SharpOperatorPack(typeof(...))]");
    }

    [Fact]
    public void Plugin_PackTypeNotAPack_IsRefusedNamingTheFileAndType()
    {
        // An assembly whose attribute names System.String, written with PersistedAssemblyBuilder.
        var path = Path.Combine(_dir, "NotAPack.dll");
        var builder = new PersistedAssemblyBuilder(new AssemblyName("NotAPack"), typeof(object).Assembly);
        builder.DefineDynamicModule("NotAPack");
        builder.SetCustomAttribute(new CustomAttributeBuilder(typeof(Caffe2SharpOperatorPackAttribute).GetConstructor([typeof(Type)])!, [typeof(string)]));
        builder.Save(path);
        AssertRefused(Run("--plugin", path, "schema"), path, "pack type System.String does not implement Caffe2Sharp.Runtime.IOperatorPack");
    }

    [Fact]
    public void Plugin_GivenTwice_IsRefusedNamingTheFileAndPack()
    {
        AssertRefused(Run("--plugin", SquarePack, "--plugin", SquarePack, "schema"), SquarePack,
            "operator pack 'Sample.Square' failed to register: Operator pack 'Sample.Square' is added twice");
    }

    [Fact]
    public void Plugin_RegisteringAnExistingOperator_IsRefusedNamingTheFileAndPack()
    {
        var self = typeof(PluginTests).Assembly.Location;
        var r = Run("--plugin", self, "run", Path.Combine(TestData.RepoRoot, "samples", "nets", "leakyrelu", "predict_net.pbtxt"));
        AssertRefused(r, self, "operator pack 'Tests.LeakyReluAgain' failed to register: Operator schema 'LeakyRelu' is registered twice");
    }

    [Fact]
    public void Plugin_FailsEvenForConvert()
    {
        var missing = Path.Combine(_dir, "missing.dll");
        AssertRefused(Run("--plugin", missing, "convert", Net("predict_net.pbtxt"), Path.Combine(_dir, "net.json")), missing, "file not found");
        Assert.False(File.Exists(Path.Combine(_dir, "net.json")));
    }
}
