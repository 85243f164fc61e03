// Hand-written.
namespace Caffe2Sharp.Schema.Tests;

/// <summary>
/// Locates shared test data in place. The repository root is the nearest directory above the
/// test binaries that holds <c>Caffe2Sharp.sln</c>; shared data lives next to the repository in
/// <c>../shared</c> and is read where it is, never copied into the repository.
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>The directory containing <c>Caffe2Sharp.sln</c>.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary><c>RepoRoot/../shared</c>.</summary>
    public static string SharedDir => System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared"));

    /// <summary><c>RepoRoot/../shared/testdata/caffe2-nets</c>: real nets written by Caffe2 and other tools.</summary>
    public static string Caffe2Nets => System.IO.Path.Combine(SharedDir, "testdata", "caffe2-nets");

    /// <summary>A path under <see cref="Caffe2Nets"/>, e.g. <c>Path("glow", "sigmoid.pbtxt")</c>.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Caffe2Nets, .. parts]);

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Caffe2Sharp.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no directory containing Caffe2Sharp.sln above {AppContext.BaseDirectory}");
    }
}
