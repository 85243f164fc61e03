// Shared by every test project (linked in by Directory.Build.props).
namespace Caffe2Sharp.Tests;

/// <summary>What a test that reads the shared data does when the data is there or not.</summary>
public enum TestDataAvailability
{
    /// <summary>The data is there: run.</summary>
    Available,
    /// <summary>Absent outside CI (a user's clone without <c>../shared</c>): report the test as skipped, with the reason.</summary>
    Skip,
    /// <summary>Absent under CI (<c>CI=true</c>), where it is always laid beside the clone: fail, saying where it was looked for.</summary>
    Fail,
}

/// <summary>
/// Finds the shared test data in place: <c>../shared/testdata</c> beside the repository root
/// (the directory holding Caffe2Sharp.sln). Files there are never copied into the repository.
/// </summary>
/// <remarks>
/// The data is not part of the repository, so a plain clone lacks it. Every test that reads it goes
/// through <see cref="Path"/> or <see cref="Caffe2Nets"/>, which call <see cref="RequireCaffe2Nets"/>:
/// the test is then skipped with the reason (it must be a <c>[SkippableFact]</c> or
/// <c>[SkippableTheory]</c>, from Xunit.SkippableFact), or fails under CI. Theories whose rows come
/// from the folder use <see cref="Caffe2NetFiles"/>, which never touches a missing folder during
/// discovery: it yields one placeholder row, whose run then skips or fails like any other.
/// </remarks>
internal static class TestData
{
    /// <summary>The single theory row <see cref="Caffe2NetFiles"/> yields when the folder is absent.</summary>
    public const string AbsentPlaceholder = "(shared test data absent)";

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

    /// <summary>Where the real Caffe2 nets are looked for; does not check that they are there.</summary>
    public static string Caffe2NetsDir => System.IO.Path.Combine(SharedDir, "testdata", "caffe2-nets");

    /// <summary>The real Caffe2 nets; skips the calling test (fails under CI) when they are absent.</summary>
    public static string Caffe2Nets
    {
        get
        {
            RequireCaffe2Nets();
            return Caffe2NetsDir;
        }
    }

    /// <summary>Where ONNX's node conformance tests are looked for; does not check that they are there.</summary>
    public static string OnnxNodeDir => System.IO.Path.Combine(SharedDir, "testdata", "onnx-node");

    /// <summary>ONNX's node conformance tests; skips the calling test (fails under CI) when they are absent.</summary>
    public static string OnnxNode
    {
        get
        {
            Require(Directory.Exists(OnnxNodeDir), Environment.GetEnvironmentVariable("CI"), OnnxNodeDir);
            return OnnxNodeDir;
        }
    }

    /// <summary>A path under <see cref="Caffe2Nets"/>; skips the calling test (fails under CI) when the nets are absent.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Caffe2Nets, .. parts]);

    /// <summary>
    /// The decision, as a pure function: data present runs; absent skips, unless
    /// <paramref name="ciVariable"/> (the value of the <c>CI</c> environment variable) is
    /// <c>true</c> or <c>1</c> (any case), which fails.
    /// </summary>
    public static TestDataAvailability Availability(bool exists, string? ciVariable) =>
        exists ? TestDataAvailability.Available
        : IsCi(ciVariable) ? TestDataAvailability.Fail
        : TestDataAvailability.Skip;

    /// <summary>
    /// Skips the calling test (xunit reports it as skipped, with the reason) when the shared nets are
    /// absent, or fails it under CI; returns when they are there.
    /// </summary>
    public static void RequireCaffe2Nets() =>
        Require(Directory.Exists(Caffe2NetsDir), Environment.GetEnvironmentVariable("CI"), Caffe2NetsDir);

    /// <summary><see cref="RequireCaffe2Nets"/> with its inputs given, so the throwing is testable.</summary>
    /// <exception cref="SkipException">Absent outside CI.</exception>
    /// <exception cref="InvalidOperationException">Absent under CI.</exception>
    public static void Require(bool exists, string? ciVariable, string path)
    {
        switch (Availability(exists, ciVariable))
        {
            case TestDataAvailability.Skip:
                throw new SkipException(
                    $"Shared test data not found at {path} (../shared/testdata beside the repository); " +
                    "this test reads files from there. Set CI=true to make its absence a failure.");
            case TestDataAvailability.Fail:
                throw new InvalidOperationException(
                    $"Shared test data not found at {path}. Under CI (CI={ciVariable}) ../shared/testdata must be " +
                    "laid beside the repository; the tests that read it cannot run without it.");
        }
    }

    /// <summary>
    /// Theory rows: the paths, relative to <see cref="Caffe2NetsDir"/> and in ordinal order, of the
    /// files matching <paramref name="pattern"/>; when the folder is absent, the single row
    /// <see cref="AbsentPlaceholder"/>, so that discovery never fails and the run skips or fails
    /// through <see cref="Path"/>.
    /// </summary>
    public static TheoryData<string> Caffe2NetFiles(string pattern) => FilesUnder(Caffe2NetsDir, pattern);

    /// <summary><see cref="Caffe2NetFiles"/> over any directory, so the absent case is testable.</summary>
    public static TheoryData<string> FilesUnder(string dir, string pattern)
    {
        var data = new TheoryData<string>();
        if (!Directory.Exists(dir))
        {
            data.Add(AbsentPlaceholder);
            return data;
        }
        foreach (var file in Directory.EnumerateFiles(dir, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            data.Add(System.IO.Path.GetRelativePath(dir, file));
        return data;
    }

    private static bool IsCi(string? value) =>
        value is not null && (value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) || value.Trim() == "1");
}
