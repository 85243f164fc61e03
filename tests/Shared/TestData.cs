// Shared by every test project (linked in by Directory.Build.props).
namespace Caffe2Sharp.Tests;

/// <summary>
/// Finds the shared test data in place: <c>../shared/testdata</c> beside the repository root
/// (the directory holding Caffe2Sharp.sln). Files there are never copied into the repository.
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Caffe2Sharp.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Caffe2Sharp.sln not found above {AppContext.BaseDirectory}.");
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shared directory beside the repository.</summary>
    public static string SharedDir => System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>The real Caffe2 nets.</summary>
    public static string Caffe2Nets => System.IO.Path.Combine(SharedDir, "testdata", "caffe2-nets");

    /// <summary>A path under <see cref="Caffe2Nets"/>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Caffe2Nets, .. parts]);
}
