using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>Issue 15: a publish copies, hashes and flushes in fewer steps, and stays durable.</summary>
public sealed class PublishingIssuesTests15 : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PublishAsync_WithoutActivate_FlushesThePluginFolderAfterTheRenameIntoPlace()
    {
        string pluginDirectory = _root.PluginDirectory("alpha");
        List<string> flushed;
        using (Durable.Recording recording = Durable.Record())
        {
            await _root.PublishAsync(Fixtures.GreeterV1, "alpha", activate: false);
            flushed = recording.Flushed;
        }

        // No flip follows to make the rename durable: the publish flushes the folder itself, last.
        Assert.DoesNotContain(flushed, static f => f.Contains(".current-", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal("directory " + pluginDirectory, flushed[^1]);
        }
    }

    [Fact]
    public async Task PublishAsync_AnyBuild_CopiesKeepTheBytesModeAndModificationTimeOfTheBuildOutput()
    {
        string build = Fixtures.CopyOf(Fixtures.GreeterV1, _root.Scratch);
        string entry = Directory.GetFiles(build, "*.dll").Order(StringComparer.Ordinal).First();
        var written = new DateTime(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(entry, written);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(entry, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead);
        }

        PublishResult result = await _root.PublishFromAsync(build, "alpha");

        string copy = Path.Combine(result.VersionDirectory, Path.GetFileName(entry));
        Assert.Equal(await File.ReadAllBytesAsync(entry), await File.ReadAllBytesAsync(copy));
        Assert.Equal(written, File.GetLastWriteTimeUtc(copy));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(File.GetUnixFileMode(entry), File.GetUnixFileMode(copy));
        }

        Assert.True((await PluginVerifier.VerifyAsync(result.VersionDirectory, CancellationToken.None)).IsValid);
    }
}
