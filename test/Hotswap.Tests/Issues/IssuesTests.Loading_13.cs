using System.Security.Cryptography;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>Loading exactly the bytes that were verified (issue 13, item 3).</summary>
public partial class IssuesTests
{
    // A private dependency that loads lazily was read from disk when first needed, long after Verify:
    // after load, VersionedLib.dll was overwritten with another build, and the plugin ran the new bytes
    // ("VersionedLib 2.0.0.0 says two"). Now every load re-reads the file into memory, hashes it and
    // compares with the manifest the version was verified with; changed bytes are refused, never loaded.

    [Fact]
    public async Task Invoke_LazyDependencyOverwrittenAfterLoad_RefusesNamingPluginFolderAndFile()
    {
        using var root = new TestRoot();
        using var logs = new RecordingLoggerFactory();
        PublishResult published = await root.PublishAsync(Fixtures.LibUserOne, "one");
        // Precompile off, so nothing needs VersionedLib before the call below: it loads lazily, there.
        await using PluginHost host = root.CreateHost(o =>
        {
            o.LoggerFactory = logs;
            o.Precompile = false;
        });
        (await host.LoadAsync()).EnsureSuccess();

        string dll = Path.Combine(published.VersionDirectory, "VersionedLib.dll");
        byte[] other = await File.ReadAllBytesAsync(Path.Combine(Fixtures.PathOf(Fixtures.LibUserTwo), "VersionedLib.dll"));
        ReplaceByRename(dll, other);

        Exception thrown = Assert.ThrowsAny<Exception>(() => host.Invoke("one", "describe"));

        FileLoadException refused = FindDeepest<FileLoadException>(thrown);
        string folder = Path.GetFullPath(published.VersionDirectory);
        PluginManifestFile listed = ListedFile(published.VersionDirectory, "VersionedLib.dll");
        string detail = other.Length != listed.Size
            ? $"{other.Length} bytes, expected {listed.Size}"
            : $"SHA-256 {Convert.ToHexStringLower(SHA256.HashData(other))}, expected {listed.Sha256}";
        Assert.Equal(SR.LoadChanged("one", folder, dll, detail), refused.Message);
        Assert.Contains("Plugin 'one'", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"'{folder}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"'{dll}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId == 40 && e.Message.Contains(dll, StringComparison.Ordinal));
        Assert.DoesNotContain("says two", thrown.ToString(), StringComparison.Ordinal);
        Assert.Contains(refused.Message, thrown.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_LazyDependencyUnchanged_LoadsFromVerifiedBytes()
    {
        using var root = new TestRoot();
        await root.PublishAsync(Fixtures.LibUserOne, "one");
        await using PluginHost host = root.CreateHost(o => o.Precompile = false);
        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("VersionedLib 1.0.0.0 says one", host.Invoke("one", "describe"));
    }

    [Fact]
    public async Task Invoke_DependencyPrecompiledThenOverwritten_RunsTheVerifiedBytes()
    {
        using var root = new TestRoot();
        PublishResult published = await root.PublishAsync(Fixtures.LibUserOne, "one");
        await using PluginHost host = root.CreateHost(); // Precompile on: compiling the plugin's methods loads VersionedLib before the switch.
        (await host.LoadAsync()).EnsureSuccess();

        ReplaceByRename(Path.Combine(published.VersionDirectory, "VersionedLib.dll"), await File.ReadAllBytesAsync(Path.Combine(Fixtures.PathOf(Fixtures.LibUserTwo), "VersionedLib.dll")));

        Assert.Equal("VersionedLib 1.0.0.0 says one", host.Invoke("one", "describe"));
    }

    [Fact]
    public async Task Load_EntryAssemblyChangedBetweenVerifyAndLoad_IsRefusedAndPreviousKeepsServing()
    {
        using var root = new TestRoot();
        PublishResult serving = await root.PublishAsync(Fixtures.LibUserOne, "one");
        await using PluginHost host = root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult next = await root.PublishAsync(Fixtures.LibUserTwo, "one");
        VerifiedFiles files = VerifiedFiles.From("one", next.VersionDirectory, PluginVerifier.ReadManifest(Path.Combine(next.VersionDirectory, PluginManifest.FileName)));
        string dll = Path.Combine(next.VersionDirectory, "VersionedLib.dll");
        ReplaceByRename(dll, await File.ReadAllBytesAsync(Path.Combine(serving.VersionDirectory, "VersionedLib.dll")));

        FileLoadException refused = Assert.Throws<FileLoadException>(() => files.Read(dll));

        Assert.StartsWith($"Plugin 'one': the file '{dll}' in version folder '{Path.GetFullPath(next.VersionDirectory)}' no longer matches plugin.json", refused.Message, StringComparison.Ordinal);
        Assert.Equal("VersionedLib 1.0.0.0 says one", host.Invoke("one", "describe"));
    }

    [Fact]
    public async Task Read_FileNotInManifest_IsRefusedNamingIt()
    {
        using var root = new TestRoot();
        PublishResult published = await root.PublishAsync(Fixtures.LibUserOne, "one");
        VerifiedFiles files = VerifiedFiles.From("one", published.VersionDirectory, PluginVerifier.ReadManifest(Path.Combine(published.VersionDirectory, PluginManifest.FileName)));
        string added = Path.Combine(published.VersionDirectory, "Added.dll");
        await File.WriteAllBytesAsync(added, [1, 2, 3]);

        FileLoadException refused = Assert.Throws<FileLoadException>(() => files.Read(added));

        Assert.Equal(SR.LoadNotListed("one", Path.GetFullPath(published.VersionDirectory), added), refused.Message);
    }

    /// <summary>Swaps a file's content the way an attacker or a careless deploy would: a new file renamed over it, so no loaded mapping is touched.</summary>
    private static void ReplaceByRename(string path, byte[] content)
    {
        string temp = path + ".new";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    private static PluginManifestFile ListedFile(string versionDirectory, string relativePath)
        => PluginVerifier.ReadManifest(Path.Combine(versionDirectory, PluginManifest.FileName)).Files.Single(f => f.Path == relativePath);

    private static T FindDeepest<T>(Exception exception)
        where T : Exception
    {
        // The runtime wraps what a load context throws in its own "Could not load file or assembly"; the deepest is ours.
        T? found = null;
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            found = e as T ?? found;
        }

        return found ?? throw new Xunit.Sdk.XunitException($"No {typeof(T).Name} in: {exception}");
    }
}
