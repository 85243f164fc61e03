using Caffe2Sharp.Cli;

namespace Caffe2Sharp.Cli.Tests;

/// <summary>What the CLI test classes share: a temporary folder per test class instance, and the tool run in process.</summary>
public abstract class CliTestBase : IDisposable
{
    private readonly string _dir;

    /// <summary>Creates the folder, named with <paramref name="prefix"/>.</summary>
    protected CliTestBase(string prefix) => _dir = Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>Deletes the folder.</summary>
    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A path in the folder.</summary>
    protected string Temp(string name) => Path.Combine(_dir, name);

    /// <summary>Runs caffe2sharp with <paramref name="args"/>: exit code, standard output and standard error.</summary>
    protected static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Run(args);
        return (code, output.ToString(), error.ToString());
    }
}
