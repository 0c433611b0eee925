using System.Security.Cryptography;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Publishing;

public sealed class PluginPublisherTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PublishAsync_BuildOutput_WritesVersionFolderWithManifestAndFlipsCurrent()
    {
        PublishResult result = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");

        string pluginDirectory = _root.PluginDirectory("alpha");
        Assert.Equal(result.Version + "\n", await File.ReadAllTextAsync(Path.Combine(pluginDirectory, "current")));
        Assert.Equal(Path.Combine(pluginDirectory, result.Version), result.VersionDirectory);
        Assert.Matches(@"^\d{8}T\d{6}Z-[0-9a-f]{8}$", result.Version);
        PluginManifest manifest = result.Manifest;
        Assert.Equal(1, manifest.FormatVersion);
        Assert.Equal("alpha", manifest.Name);
        Assert.Equal("Greeter.dll", manifest.EntryAssembly);
        Assert.Equal(".NETCoreApp,Version=v10.0", manifest.TargetFramework);
        Assert.Contains(manifest.SharedAssemblies, a => a.Name == "Hotswap.Abstractions");
        Assert.Contains(manifest.SharedAssemblies, a => a.Name == "TestContracts");
        Assert.DoesNotContain(manifest.Files, f => f.Path.StartsWith("Hotswap.Abstractions", StringComparison.Ordinal));
        foreach (PluginManifestFile file in manifest.Files)
        {
            byte[] bytes = await File.ReadAllBytesAsync(Path.Combine(result.VersionDirectory, file.Path));
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file.Sha256);
            Assert.Equal(bytes.Length, file.Size);
        }

        Assert.Empty(Directory.GetDirectories(pluginDirectory, ".staging-*"));
        Assert.True((await PluginPublisher.VerifyAsync(result.VersionDirectory)).IsValid);
    }

    [Fact]
    public async Task PublishAsync_BuildOutputPathWithTrailingSeparator_FindsTheEntryAssembly()
    {
        // Issue 6: a path ending in '/' used to find "0 *.deps.json files".
        string output = Fixtures.PathOf(Fixtures.GreeterV1) + Path.DirectorySeparatorChar;

        PublishResult result = await PluginPublisher.PublishAsync(output, _root.PluginsRoot, "alpha");

        Assert.Equal("Greeter.dll", result.Manifest.EntryAssembly);
    }

    [Fact]
    public async Task PublishAsync_WithoutActivate_LeavesCurrentOnThePreviousVersion()
    {
        PublishResult first = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult second = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);

        Assert.False(second.Activated);
        Assert.NotEqual(first.Version, second.Version);
        Assert.Equal(first.Version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("alpha"), "current"))).Trim());

        PluginPublisher.Activate(_root.PluginsRoot, "alpha", second.Version);
        Assert.Equal(second.Version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("alpha"), "current"))).Trim());
        Assert.Empty(Directory.GetFiles(_root.PluginDirectory("alpha"), ".current-*"));
    }

    [Fact]
    public async Task PublishAsync_SkipIfUnchanged_IdenticalOutputPublishesNothing()
    {
        PublishResult first = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        var options = new PublishOptions { SkipIfUnchanged = true };

        PublishResult same = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV1), _root.PluginsRoot, "alpha", options);
        PublishResult changed = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV2), _root.PluginsRoot, "alpha", options);

        Assert.True(same.Unchanged);
        Assert.False(same.Activated);
        Assert.Equal(first.Version, same.Version);
        Assert.False(changed.Unchanged);
        Assert.NotEqual(first.Version, changed.Version);
        Assert.Equal(2, Directory.GetDirectories(_root.PluginDirectory("alpha")).Length);
    }

    [Fact]
    public void Activate_UnpublishedVersion_Throws()
    {
        Directory.CreateDirectory(_root.PluginDirectory("alpha"));

        Assert.Throws<DirectoryNotFoundException>(() => PluginPublisher.Activate(_root.PluginsRoot, "alpha", "20990101T000000Z-00000000"));
        Assert.Throws<ArgumentException>(() => PluginPublisher.Activate(_root.PluginsRoot, "alpha", "../escape"));
    }

    [Fact]
    public async Task PublishAsync_InvalidPluginName_Throws()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _root.PublishAsync(Fixtures.GreeterV1, "../evil"));
        await Assert.ThrowsAsync<ArgumentException>(() => _root.PublishAsync(Fixtures.GreeterV1, ".hidden"));
    }

    [Fact]
    public async Task PublishAsync_TruncatedEntryAssembly_RefusedNamingTheFileAndLeavesNothingBehind()
    {
        string copy = Fixtures.CopyOf(Fixtures.GreeterV1, _root.Scratch);
        string dll = Path.Combine(copy, "Greeter.dll");
        byte[] bytes = await File.ReadAllBytesAsync(dll);
        await File.WriteAllBytesAsync(dll, bytes[..(bytes.Length / 3)]);

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => _root.PublishFromAsync(copy, "alpha"));

        Assert.Contains($"'{dll}' is not a valid .NET assembly", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root.PluginDirectory("alpha")));
    }

    [Fact]
    public async Task VerifyAsync_ChangedByteMissingFileAndExtraFile_EachNamed()
    {
        PublishResult result = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        string dll = Path.Combine(result.VersionDirectory, "Greeter.dll");
        byte[] bytes = await File.ReadAllBytesAsync(dll);
        bytes[100] ^= 0x01;
        await File.WriteAllBytesAsync(dll, bytes);
        string pdb = Path.Combine(result.VersionDirectory, "Greeter.pdb");
        File.Delete(pdb);
        string extra = Path.Combine(result.VersionDirectory, "extra.txt");
        await File.WriteAllTextAsync(extra, "not listed");

        VerificationResult verification = await PluginPublisher.VerifyAsync(result.VersionDirectory);

        Assert.False(verification.IsValid);
        Assert.Equal(3, verification.Problems.Count);
        Assert.Contains(verification.Problems, p => p.FilePath == dll && p.Message.Contains("SHA-256", StringComparison.Ordinal));
        Assert.Contains(verification.Problems, p => p.FilePath == pdb && p.Message.Contains("missing", StringComparison.Ordinal));
        Assert.Contains(verification.Problems, p => p.FilePath == extra && p.Message.Contains("not listed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PublishAsync_SameSecondAsAnIntactVersionFolder_ReusesItAndFlipsCurrent()
    {
        var clock = new ManualTimeProvider();
        PublishResult serving = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV2), _root.PluginsRoot, "alpha", new PublishOptions { TimeProvider = clock });
        clock.Advance(TimeSpan.FromSeconds(1));
        PublishResult staged = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV1), _root.PluginsRoot, "alpha", new PublishOptions { TimeProvider = clock, Activate = false });

        PublishResult again = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV1), _root.PluginsRoot, "alpha", new PublishOptions { TimeProvider = clock });

        Assert.Equal(staged.Version, again.Version);
        Assert.True(again.Activated);
        Assert.Equal(staged.Version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("alpha"), "current"))).Trim());
        Assert.Equal([serving.Version, staged.Version], Directory.GetDirectories(_root.PluginDirectory("alpha")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task VerifyRootAsync_DamagedFolderAndCurrentNamingNoFolder_EachNamedAndDotFoldersSkipped()
    {
        PublishResult good = await _root.PublishAsync(Fixtures.GreeterV1, "good");
        PublishResult bad = await _root.PublishAsync(Fixtures.GreeterV1, "bad");
        string dll = Path.Combine(bad.VersionDirectory, "Greeter.dll");
        byte[] bytes = await File.ReadAllBytesAsync(dll);
        bytes[100] ^= 0x01;
        await File.WriteAllBytesAsync(dll, bytes);
        string lostCurrent = Path.Combine(Directory.CreateDirectory(_root.PluginDirectory("lost")).FullName, "current");
        await File.WriteAllTextAsync(lostCurrent, "20990101T000000Z-00000000\n");
        Directory.CreateDirectory(Path.Combine(_root.PluginDirectory("good"), ".staging-leftover"));
        Directory.CreateDirectory(Path.Combine(_root.PluginsRoot, ".hidden", "20990101T000000Z-00000000"));

        RootVerificationResult result = await PluginPublisher.VerifyRootAsync(_root.PluginsRoot);

        Assert.False(result.IsValid);
        Assert.Equal([bad.VersionDirectory, good.VersionDirectory], result.Versions.Select(v => v.VersionDirectory));
        VerificationProblem problem = Assert.Single(result.Versions[0].Problems);
        Assert.Equal(dll, problem.FilePath);
        Assert.True(result.Versions[1].IsValid);
        Assert.Equal([new VerificationProblem(lostCurrent, SR.CurrentNamesMissingFolder("20990101T000000Z-00000000", Path.Combine(Path.GetDirectoryName(lostCurrent)!, "20990101T000000Z-00000000")))], result.CurrentProblems);
        Assert.Equal(2, result.ProblemCount);
    }

    [Fact]
    public async Task ListPublished_Root_ListsPluginFoldersByNameWithCurrentAndVersionsOldestFirst()
    {
        PublishResult first = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult second = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        Directory.CreateDirectory(_root.PluginDirectory("unpublished"));
        Directory.CreateDirectory(Path.Combine(_root.PluginsRoot, ".hotswap"));

        IReadOnlyList<PublishedPlugin> plugins = PluginPublisher.ListPublished(_root.PluginsRoot);

        Assert.Equal(["alpha", "unpublished"], plugins.Select(p => p.Name));
        Assert.Equal(first.Version, plugins[0].Current);
        Assert.Equal([first.Version, second.Version], plugins[0].Versions);
        Assert.Equal(_root.PluginDirectory("alpha"), plugins[0].Directory);
        Assert.Null(plugins[1].Current);
        Assert.Empty(plugins[1].Versions);
    }

    [Fact]
    public async Task Rollback_CurrentIsTheNewest_FlipsCurrentDurablyToThePreviousVersionAndReturnsBoth()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string pluginDirectory = _root.PluginDirectory("alpha");

        RollbackResult result;
        List<string> flushed;
        using (Durable.Recording recording = Durable.Record())
        {
            result = PluginPublisher.Rollback(_root.PluginsRoot, "alpha");
            flushed = recording.Flushed;
        }

        Assert.Equal("alpha", result.PluginName);
        Assert.Equal(v2.Version, result.FromVersion);
        Assert.Equal(v1.Version, result.ToVersion);
        Assert.Equal(v1.VersionDirectory, result.VersionDirectory);
        Assert.Equal(v1.Version + "\n", await File.ReadAllTextAsync(Path.Combine(pluginDirectory, "current")));
        Assert.Empty(Directory.GetFiles(pluginDirectory, ".current-*"));
        Assert.Equal([v1.Version, v2.Version], Directory.GetDirectories(pluginDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        // First the allow-downgrade marker, then the same durable flip as Activate: each temporary
        // file flushed, renamed, then the plugin folder flushed.
        Assert.Equal(v1.Version + "\n", await File.ReadAllTextAsync(Path.Combine(pluginDirectory, "allow-downgrade")));
        Assert.Empty(Directory.GetFiles(pluginDirectory, ".allow-downgrade-*"));
        string[] files = [.. flushed.Where(static f => f.StartsWith("file ", StringComparison.Ordinal))];
        Assert.Equal(2, files.Length);
        Assert.StartsWith("file " + Path.Combine(pluginDirectory, ".allow-downgrade-"), files[0], StringComparison.Ordinal);
        Assert.StartsWith("file " + Path.Combine(pluginDirectory, ".current-"), files[1], StringComparison.Ordinal);
        Assert.Equal(OperatingSystem.IsWindows() ? files : [files[0], "directory " + pluginDirectory, files[1], "directory " + pluginDirectory], flushed);
    }

    [Fact]
    public async Task Rollback_Repeated_StepsBackOneVersionEachTimeSkippingPrunedOnes()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        PublishResult v3 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v4 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        Directory.Delete(v3.VersionDirectory, recursive: true); // as a prune would

        RollbackResult first = PluginPublisher.Rollback(_root.PluginsRoot, "alpha");
        RollbackResult second = PluginPublisher.Rollback(_root.PluginsRoot, "alpha");

        Assert.Equal((v4.Version, v2.Version), (first.FromVersion, first.ToVersion));
        Assert.Equal((v2.Version, v1.Version), (second.FromVersion, second.ToVersion));
        Assert.Equal(v1.Version, PluginPublisher.ListPublished(_root.PluginsRoot)[0].Current);
    }

    [Fact]
    public async Task Rollback_CurrentIsTheOldest_ThrowsNamingPluginAndFolderAndLeavesCurrent()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        string pluginDirectory = _root.PluginDirectory("alpha");

        var ex = Assert.Throws<InvalidOperationException>(() => PluginPublisher.Rollback(_root.PluginsRoot, "alpha"));

        Assert.Equal($"Cannot roll back plugin 'alpha': 'current' names '{v1.Version}', the oldest version folder in '{pluginDirectory}', so there is no earlier version to roll back to. 'current' is unchanged.", ex.Message);
        Assert.Equal(v1.Version + "\n", await File.ReadAllTextAsync(Path.Combine(pluginDirectory, "current")));
    }

    [Fact]
    public async Task Rollback_NoCurrentFile_ThrowsNamingPluginAndFolder()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha", activate: false);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        string pluginDirectory = _root.PluginDirectory("alpha");

        var ex = Assert.Throws<InvalidOperationException>(() => PluginPublisher.Rollback(_root.PluginsRoot, "alpha"));

        Assert.Equal($"Cannot roll back plugin 'alpha': its folder '{pluginDirectory}' has no 'current' file, so no version is published yet. Publish a version first.", ex.Message);
        Assert.False(File.Exists(Path.Combine(pluginDirectory, "current")));
    }

    [Fact]
    public async Task Rollback_CurrentNamesNoVersionFolder_ThrowsNamingPluginAndFolder()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string pluginDirectory = _root.PluginDirectory("alpha");
        await File.WriteAllTextAsync(Path.Combine(pluginDirectory, "current"), "../elsewhere\n");

        var ex = Assert.Throws<InvalidOperationException>(() => PluginPublisher.Rollback(_root.PluginsRoot, "alpha"));

        Assert.Equal($"Cannot roll back plugin 'alpha': its 'current' file names '../elsewhere', which is not a version folder in '{pluginDirectory}'. Make a version current with PluginPublisher.Activate, or publish again.", ex.Message);
        Assert.Equal("../elsewhere\n", await File.ReadAllTextAsync(Path.Combine(pluginDirectory, "current")));
    }

    [Fact]
    public void Rollback_UnknownPluginOrMissingRoot_ThrowsNamingTheFolder()
    {
        string missingRoot = Path.Combine(_root.Directory, "nowhere");

        var unknown = Assert.Throws<DirectoryNotFoundException>(() => PluginPublisher.Rollback(_root.PluginsRoot, "ghost"));
        var noRoot = Assert.Throws<DirectoryNotFoundException>(() => PluginPublisher.Rollback(missingRoot, "ghost"));

        Assert.Equal($"Cannot roll back plugin 'ghost': the plugins root '{_root.PluginsRoot}' has no folder of that name. Check the name (hotswap status lists the plugins).", unknown.Message);
        Assert.Equal($"Cannot roll back: the plugins root '{missingRoot}' does not exist. Check the path.", noRoot.Message);
        Assert.False(Directory.Exists(_root.PluginDirectory("ghost")));
        Assert.False(Directory.Exists(missingRoot));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData(" alpha")]
    public async Task Rollback_InvalidPluginName_ThrowsAndWritesNothingOutsideTheRoot(string name)
    {
        // A real plugin folder beside the root, which "../outside" would reach.
        string outside = Path.Combine(_root.Directory, "outside");
        PublishResult old = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV1), _root.Directory, "outside", new PublishOptions { TimeProvider = new ManualTimeProvider() });
        var later = new ManualTimeProvider();
        later.Advance(TimeSpan.FromMinutes(1));
        PublishResult newer = await PluginPublisher.PublishAsync(Fixtures.PathOf(Fixtures.GreeterV2), _root.Directory, "outside", new PublishOptions { TimeProvider = later });
        Assert.NotEqual(old.Version, newer.Version);

        var ex = Assert.Throws<ArgumentException>(() => PluginPublisher.Rollback(_root.PluginsRoot, name));

        Assert.Equal($"'{name}' is not a valid plugin name: use one folder name that does not start with a dot. (Parameter 'pluginName')", ex.Message);
        Assert.Equal(newer.Version + "\n", await File.ReadAllTextAsync(Path.Combine(outside, "current")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(_root.PluginsRoot), e => !Path.GetFileName(e).StartsWith('.'));
    }
}
