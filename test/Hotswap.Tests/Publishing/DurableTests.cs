namespace Hotswap.Tests.Publishing;

public sealed class DurableTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("hotswap-durable-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void FlushDirectory_ExistingDirectory_FsyncsItOnUnixAndDoesNothingOnWindows()
    {
        bool flushed = Durable.FlushDirectory(_directory.FullName);

        Assert.Equal(!OperatingSystem.IsWindows(), flushed);
    }

    [Fact]
    public void FlushDirectory_MissingDirectory_ThrowsNamingIt()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows needs no directory flush, and the helper does nothing there.
        }

        string missing = Path.Combine(_directory.FullName, "missing");

        DirectoryNotFoundException error = Assert.Throws<DirectoryNotFoundException>(() => Durable.FlushDirectory(missing));

        Assert.Contains($"'{missing}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FlushTree_NestedFolders_FlushesTheDeepestFirstAndTheRootLast()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Windows needs no directory flush, and the helper does nothing there.
        }

        string deep = Directory.CreateDirectory(Path.Combine(_directory.FullName, "runtimes", "linux-x64")).FullName;

        using Durable.Recording recording = Durable.Record();
        Durable.FlushTree(_directory.FullName);

        Assert.Equal(["directory " + deep, "directory " + Path.GetDirectoryName(deep), "directory " + _directory.FullName], recording.Flushed);
    }
}
