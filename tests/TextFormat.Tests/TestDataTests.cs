// Hand-written.
using Caffe2Sharp.Tests;

namespace Caffe2Sharp.Schema.Tests.TextFormat;

// The shared-data helper linked into every test project (tests/Shared/TestData.cs): its decision
// and its throwing, checked with the inputs given, without removing ../shared.
public sealed class TestDataTests
{
    [Theory]
    [InlineData(true, null, TestDataAvailability.Available)]
    [InlineData(true, "true", TestDataAvailability.Available)]
    [InlineData(false, null, TestDataAvailability.Skip)]
    [InlineData(false, "", TestDataAvailability.Skip)]
    [InlineData(false, "false", TestDataAvailability.Skip)]
    [InlineData(false, "0", TestDataAvailability.Skip)]
    [InlineData(false, "true", TestDataAvailability.Fail)]
    [InlineData(false, "True", TestDataAvailability.Fail)]
    [InlineData(false, "1", TestDataAvailability.Fail)]
    public void Availability_AbsentSkipsOutsideCi_AndFailsUnderCi(bool exists, string? ci, TestDataAvailability expected)
    {
        Assert.Equal(expected, TestData.Availability(exists, ci));
    }

    [Fact]
    public void Require_Absent_OutsideCi_ThrowsSkipWithTheReason()
    {
        var e = Assert.Throws<SkipException>(() => TestData.Require(false, null, "/nowhere/caffe2-nets"));
        Assert.Contains("Shared test data not found at /nowhere/caffe2-nets", e.Message);
        Assert.Contains("CI=true", e.Message);
    }

    [Fact]
    public void Require_Absent_UnderCi_FailsNamingThePath()
    {
        var e = Assert.Throws<InvalidOperationException>(() => TestData.Require(false, "true", "/nowhere/caffe2-nets"));
        Assert.Contains("Shared test data not found at /nowhere/caffe2-nets", e.Message);
        Assert.Contains("Under CI", e.Message);
    }

    [Fact]
    public void Require_Present_Returns()
    {
        TestData.Require(true, "true", "/anywhere");
        TestData.Require(true, null, "/anywhere");
    }

    [Fact]
    public void FilesUnder_AbsentFolder_YieldsOnePlaceholderRow()
    {
        var rows = TestData.FilesUnder(Path.Combine(Path.GetTempPath(), "c2s-absent-" + Guid.NewGuid().ToString("N")), "*.pb*");
        var row = Assert.Single(rows.Cast<object[]>());
        Assert.Equal(TestData.AbsentPlaceholder, row[0]);
    }

    [Fact]
    public void FilesUnder_PresentFolder_YieldsRelativePathsInOrdinalOrder()
    {
        var dir = Directory.CreateTempSubdirectory("c2s-data-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "b"));
            File.WriteAllText(Path.Combine(dir, "b", "x.pb"), "");
            File.WriteAllText(Path.Combine(dir, "a.pbtxt"), "");
            File.WriteAllText(Path.Combine(dir, "c.txt"), "");
            var rows = TestData.FilesUnder(dir, "*.pb*").Cast<object[]>().Select(r => (string)r[0]);
            Assert.Equal(["a.pbtxt", Path.Combine("b", "x.pb")], rows);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
