using System.IO.Compression;
using System.Security.Cryptography;
using Hotswap.Tests.Fleet.Support;
using Hotswap.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap.Tests.Fleet;

/// <summary>
/// Fleet artifacts on real files and a real loopback HTTP server: packing a version folder, and
/// fetching, checking and publishing one into a host's plugins root.
/// </summary>
public sealed class ArtifactTests : IAsyncLifetime
{
    private const string Plugin = "alpha";
    private static readonly TimeSpan s_bound = TimeSpan.FromMinutes(1);

    private readonly TestRoot _source = new();
    private readonly TestRoot _target = new();
    private readonly HttpClient _http = new();
    private ArtifactServer _server = null!; // set in InitializeAsync, before any test runs.
    private string _served = null!; // likewise.

    public async Task InitializeAsync()
    {
        _served = Path.Combine(_source.Scratch, "served");
        Directory.CreateDirectory(_served);
        _server = await ArtifactServer.StartAsync(_served);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _source.Dispose();
        _target.Dispose();
    }

    [Fact]
    public async Task PackAsync_TwoPacksOfOneFolder_AreByteIdenticalSortedAndNamedByTheManifestDigest()
    {
        PublishResult published = await _source.PublishAsync(Fixtures.GreeterV1, Plugin);

        FleetArtifact first = await FleetArtifacts.PackAsync(published.VersionDirectory, Path.Combine(_served, "first.zip"));
        FleetArtifact second = await FleetArtifacts.PackAsync(published.VersionDirectory, Path.Combine(_served, "second.zip"));

        Assert.Equal(await File.ReadAllBytesAsync(first.Path), await File.ReadAllBytesAsync(second.Path));
        string manifestSha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(published.VersionDirectory, PluginManifest.FileName))));
        Assert.Equal(new FleetArtifact(Plugin, published.Manifest.Version, manifestSha, Path.Combine(_served, "first.zip")), first);
        Assert.Equal(manifestSha, FleetArtifacts.ComputeDigest(published.VersionDirectory));
        Assert.Equal(first.Digest, second.Digest);

        using ZipArchive zip = ZipFile.OpenRead(first.Path);
        string[] expected = [.. published.Manifest.Files.Select(f => f.Path).Append(PluginManifest.FileName).Order(StringComparer.Ordinal)];
        Assert.Equal(expected, zip.Entries.Select(e => e.FullName));
        Assert.All(zip.Entries, e => Assert.Equal(new DateTime(1980, 1, 1), e.LastWriteTime.DateTime));
        Assert.Empty(Directory.EnumerateFiles(_served, ".*"));
    }

    [Fact]
    public async Task PackAsync_FolderThatDoesNotVerify_RefusedNamingTheFileAndNothingWritten()
    {
        PublishResult published = await _source.PublishAsync(Fixtures.GreeterV1, Plugin);
        string pdb = Path.Combine(published.VersionDirectory, "Greeter.pdb");
        await File.AppendAllTextAsync(pdb, "x");
        string output = Path.Combine(_served, "damaged.zip");

        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => FleetArtifacts.PackAsync(published.VersionDirectory, output));

        Assert.Contains($"The version folder '{published.VersionDirectory}' does not verify, so it is not packed: {pdb}: The file has {new FileInfo(pdb).Length} bytes but plugin.json says {new FileInfo(pdb).Length - 1}", refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_served));
    }

    [Fact]
    public async Task FetchAsync_FromFileUrl_IntoAnEmptyRoot_PublishesAFolderAHostLoadsAndCalls()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);

        string folder = await FetchAsync(CreateFetcher(), artifact.Version, new Uri(artifact.Path), artifact.Digest);

        Assert.Equal(Path.Combine(_target.PluginsRoot, Plugin, artifact.Version), folder);
        Assert.Equal([artifact.Version], Entries(_target.PluginDirectory(Plugin)));
        await AssertServesAsync(artifact.Version, "v1:hello you");
    }

    [Fact]
    public async Task FetchAsync_FromHttpUrl_IntoAnEmptyRoot_PublishesAFolderAHostLoadsAndCalls()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV2);
        string name = Path.GetFileName(artifact.Path);

        string folder = await FetchAsync(CreateFetcher(), artifact.Version, _server.UrlOf(name), artifact.Digest);

        Assert.Equal(Path.Combine(_target.PluginsRoot, Plugin, artifact.Version), folder);
        Assert.Equal(1, _server.RequestsFor(name));
        Assert.Equal([artifact.Version], Entries(_target.PluginDirectory(Plugin)));
        await AssertServesAsync(artifact.Version, "v2:hello you");
    }

    [Fact]
    public async Task FetchAsync_WrongDigest_FetchErrorNamingBothDigestsAndTheUrl_NothingLeftAndTheServingVersionUntouched()
    {
        PublishResult serving = await _target.PublishAsync(Fixtures.GreeterV1, Plugin);
        await using PluginHost host = _target.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV2);
        Uri url = _server.UrlOf(Path.GetFileName(artifact.Path));
        string wrong = new('0', 64);
        string[] before = Tree(_target.PluginDirectory(Plugin));

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, url, wrong));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal(Plugin, error.PluginName);
        Assert.Equal(url.ToString(), error.FilePath);
        Assert.Equal($"The artifact at {url} holds a plugin.json whose SHA-256 is {artifact.Digest}, but the desired record's digest is {wrong}: it is not the version asked for (or it was changed in transit), so nothing in it was used.", error.Reason);
        Assert.Equal(before, Tree(_target.PluginDirectory(Plugin)));
        Assert.Equal(serving.Manifest.Version, PluginLayout.ReadCurrentOf(_target.PluginDirectory(Plugin)));
        Assert.Equal("v1:hello you", host.Invoke(Plugin, "greet", "you"));
    }

    [Fact]
    public async Task FetchAsync_FileChangedInsideTheArchiveWithTheManifestKept_VerifyErrorNamingThatFile()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string changed = Repack(artifact, "changed.zip", (name, bytes) =>
        {
            if (name == "Greeter.dll")
            {
                bytes[bytes.Length / 2] ^= 0xFF;
            }

            return bytes;
        });
        Uri url = _server.UrlOf(changed);

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, url, artifact.Digest));

        string final = Path.Combine(_target.PluginsRoot, Plugin, artifact.Version);
        Assert.Equal(ReloadPhase.Verify, error.Phase);
        Assert.Equal(Path.Combine(final, "Greeter.dll"), error.FilePath);
        Assert.StartsWith($"The artifact at {url} matches its digest but its version folder does not verify: Greeter.dll: The file's SHA-256 is ", error.Reason, StringComparison.Ordinal);
        Assert.EndsWith("it was changed after publishing. Nothing was published.", error.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_TamperedManifest_DigestErrorNamingBothDigests()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        byte[]? tampered = null;
        string name = Repack(artifact, "tampered.zip", (entry, bytes) => entry == PluginManifest.FileName ? tampered = [.. bytes, (byte)'\n'] : bytes);
        string found = Convert.ToHexStringLower(SHA256.HashData(tampered!)); // the manifest is always in the archive.

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, _server.UrlOf(name), artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Contains($"holds a plugin.json whose SHA-256 is {found}, but the desired record's digest is {artifact.Digest}", error.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_Http404_FetchErrorNamingTheStatusAndTheUrl()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Path.GetFileName(artifact.Path);
        _server.Fail(name, 404);
        Uri url = _server.UrlOf(name);

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, url, artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal(url.ToString(), error.FilePath);
        Assert.Equal($"GET {url} answered HTTP 404 (Not Found); expected 200 with the artifact. Check that the artifact is published at that URL.", error.Reason);
        Assert.Equal(1, _server.RequestsFor(name));
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_TruncatedResponse_FetchErrorNamingTheUrlAndTheAnnouncedLength()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Path.GetFileName(artifact.Path);
        long size = new FileInfo(artifact.Path).Length;
        _server.CutShort(name, 1000);
        Uri url = _server.UrlOf(name);

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, url, artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal(url.ToString(), error.FilePath);
        Assert.StartsWith($"The download of {url} broke off after 1000 bytes of the {size} announced: ", error.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Theory]
    [InlineData("../x", "it has a '..' segment, which leads outside the version folder.")]
    [InlineData("sub/../../x", "it has a '..' segment, which leads outside the version folder.")]
    [InlineData("/tmp/x", "it is an absolute path; an artifact's paths are relative to the version folder.")]
    [InlineData("..\\x", "its name holds a backslash; an artifact's paths use '/'.")]
    [InlineData("sub//x", "it has an empty or '.' path segment.")]
    [InlineData("sub/", "it is a directory entry; an artifact holds regular files only.")]
    public async Task FetchAsync_EntryLeadingOutsideOrNotAFile_RefusedAndNothingWritten(string entry, string why)
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Repack(artifact, "evil.zip", static (_, bytes) => bytes, (entry, "owned"u8.ToArray(), 0));
        Uri url = _server.UrlOf(name);
        string[] before = Tree(_target.Directory);

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, url, artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal($"The artifact at {url} holds the entry '{entry}', which is refused: {why} Nothing was extracted.", error.Reason);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
        Assert.Equal(before, Tree(_target.Directory));
        Assert.False(File.Exists("/tmp/x") && File.ReadAllText("/tmp/x") == "owned");
    }

    [Fact]
    public async Task FetchAsync_SymbolicLinkEntry_Refused()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Repack(artifact, "link.zip", static (_, bytes) => bytes, ("link", "/etc/passwd"u8.ToArray(), (0xA000 | 0x1FF) << 16));

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, _server.UrlOf(name), artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.EndsWith("holds the entry 'link', which is refused: it is a symbolic link; an artifact holds regular files only. Nothing was extracted.", error.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_DuplicateEntry_Refused()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Repack(artifact, "twice.zip", static (_, bytes) => bytes, ("Greeter.pdb", [1, 2, 3], 0));

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, _server.UrlOf(name), artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.EndsWith("holds the entry 'Greeter.pdb' twice; an artifact holds each file once. Nothing was extracted.", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_MoreUncompressedBytesThanTheCap_RefusedBeforeExtracting()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        ArtifactFetcher fetcher = new(_http, TimeProvider.System, s_bound, NullLogger.Instance) { MaxExtractedBytes = 4096 };

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(fetcher, artifact.Version, new Uri(artifact.Path), artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal(artifact.Path, error.FilePath);
        Assert.Equal($"The artifact at {artifact.Path} declares more than 4096 bytes of files once extracted, more than a fetch extracts (a zip bomb, or not a plugin version). Nothing was extracted.", error.Reason);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_ManifestNamesAnotherPlugin_RefusedNamingBoth()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(
            () => CreateFetcher().FetchAsync(_target.PluginsRoot, "beta", artifact.Version, new Uri(artifact.Path), artifact.Digest, trustedKeys: null, CancellationToken.None).WaitAsync(s_bound));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal("beta", error.PluginName);
        Assert.Equal($"The artifact at {artifact.Path} matches its digest but holds plugin '{Plugin}' version '{artifact.Version}', not plugin 'beta' version '{artifact.Version}' as the desired record says; fix the desired record.", error.Reason);
        Assert.False(Directory.Exists(Path.Combine(_target.PluginsRoot, "beta")));
    }

    [Fact]
    public async Task FetchAsync_VersionAlreadyPresent_ReturnedWithoutAnyRequest()
    {
        PublishResult present = await _target.PublishAsync(Fixtures.GreeterV1, Plugin);
        FleetArtifact artifact = await FleetArtifacts.PackAsync(present.VersionDirectory, Path.Combine(_served, "present.zip"));
        string[] before = Tree(_target.PluginDirectory(Plugin));

        string folder = await FetchAsync(CreateFetcher(), artifact.Version, _server.UrlOf("present.zip"), artifact.Digest);

        Assert.Equal(present.VersionDirectory, folder);
        Assert.Equal(0, _server.TotalRequests);
        Assert.Equal(before, Tree(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_VersionPresentWithOtherContent_RefusedNamingBothDigestsAndLeftAsItIs()
    {
        PublishResult present = await _target.PublishAsync(Fixtures.GreeterV1, Plugin);
        string presentDigest = FleetArtifacts.ComputeDigest(present.VersionDirectory);
        FleetArtifact other = await PackAsync(Fixtures.GreeterV2);
        string[] before = Tree(_target.PluginDirectory(Plugin));

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(
            () => FetchAsync(CreateFetcher(), present.Manifest.Version, _server.UrlOf(Path.GetFileName(other.Path)), other.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal(Path.Combine(present.VersionDirectory, PluginManifest.FileName), error.FilePath);
        Assert.Equal($"The version folder '{present.VersionDirectory}' already exists with another content: its plugin.json has SHA-256 {presentDigest}, the desired record's digest is {other.Digest}. An existing version folder is never overwritten; publish the new content as a new version.", error.Reason);
        Assert.Equal(0, _server.TotalRequests);
        Assert.Equal(before, Tree(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_WithTrustedKeys_UnsignedArtifactRefusedAndSignedOneAccepted()
    {
        string key = PluginPublisher.CreateSigningKey();
        TrustedKeySet keys = TrustedKeySet.Create([PluginPublisher.GetPublicKey(key)])!; // one key given, so a set.
        FleetArtifact unsigned = await PackAsync(Fixtures.GreeterV1);
        FleetArtifact signed = await PackAsync(Fixtures.GreeterV2, signingKey: key);
        ArtifactFetcher fetcher = CreateFetcher();
        Uri unsignedUrl = _server.UrlOf(Path.GetFileName(unsigned.Path));

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(fetcher, unsigned.Version, unsignedUrl, unsigned.Digest, keys));
        string folder = await FetchAsync(fetcher, signed.Version, _server.UrlOf(Path.GetFileName(signed.Path)), signed.Digest, keys);

        string refusedFolder = Path.Combine(_target.PluginsRoot, Plugin, unsigned.Version);
        Assert.Equal(ReloadPhase.Verify, error.Phase);
        Assert.Equal(Path.Combine(refusedFolder, PluginManifest.FileName), error.FilePath);
        Assert.StartsWith($"The artifact at {unsignedUrl} matches its digest but its version folder does not verify: plugin.json: Plugin '{Plugin}': the version folder '{refusedFolder}' is not signed, and trusted keys are configured ({PluginPublisher.GetKeyId(key)})", error.Reason, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(_target.PluginsRoot, Plugin, signed.Version), folder);
        Assert.Equal([signed.Version], Entries(_target.PluginDirectory(Plugin)));
        await AssertServesAsync(signed.Version, "v2:hello you", o => o.TrustedKeys.Add(PluginPublisher.GetPublicKey(key)));
    }

    [Fact]
    public async Task FetchAsync_TwoFetchesOfOneVersionAtOnce_BothReturnTheOneFolderPublished()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Path.GetFileName(artifact.Path);
        ArtifactServer.HeldResponse held = _server.Hold(name);
        ArtifactFetcher fetcher = CreateFetcher();
        Uri url = _server.UrlOf(name);

        Task<string> first = FetchAsync(fetcher, artifact.Version, url, artifact.Digest);
        Task<string> second = FetchAsync(fetcher, artifact.Version, url, artifact.Digest);
        await held.WaitForArrivalsAsync(2).WaitAsync(s_bound);
        Assert.Equal(2, Directory.GetDirectories(_target.PluginDirectory(Plugin), ".fetch-*").Length);
        held.Release();
        string[] folders = await Task.WhenAll(first, second);

        string final = Path.Combine(_target.PluginsRoot, Plugin, artifact.Version);
        Assert.Equal([final, final], folders);
        Assert.Equal([artifact.Version], Entries(_target.PluginDirectory(Plugin)));
        await AssertServesAsync(artifact.Version, "v1:hello you");
    }

    [Fact]
    public async Task FetchAsync_MissingFile_FetchErrorNamingThePath()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string missing = Path.Combine(_served, "missing.zip");

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => FetchAsync(CreateFetcher(), artifact.Version, new Uri(missing), artifact.Digest));

        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal(missing, error.FilePath);
        Assert.Equal($"The artifact file '{missing}' does not exist.", error.Reason);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_CanceledWhileTheResponseIsHeld_ThrowsCanceledAndCleansUp()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Path.GetFileName(artifact.Path);
        ArtifactServer.HeldResponse held = _server.Hold(name);
        using var cancel = new CancellationTokenSource();

        Task<string> fetch = CreateFetcher().FetchAsync(_target.PluginsRoot, Plugin, artifact.Version, _server.UrlOf(name), artifact.Digest, trustedKeys: null, cancel.Token);
        await held.Arrived.WaitAsync(s_bound);
        string working = Assert.Single(Directory.GetDirectories(_target.PluginDirectory(Plugin)));
        Assert.StartsWith(".fetch-", Path.GetFileName(working), StringComparison.Ordinal);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch.WaitAsync(s_bound));
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    [Fact]
    public async Task FetchAsync_ResponseHeldPastTheFetchTimeout_FetchErrorNamingTheTimeout()
    {
        FleetArtifact artifact = await PackAsync(Fixtures.GreeterV1);
        string name = Path.GetFileName(artifact.Path);
        ArtifactServer.HeldResponse held = _server.Hold(name);
        var clock = new ManualTimeProvider();
        var fetcher = new ArtifactFetcher(_http, clock, TimeSpan.FromSeconds(30), NullLogger.Instance);
        Uri url = _server.UrlOf(name);

        Task<string> fetch = FetchAsync(fetcher, artifact.Version, url, artifact.Digest);
        await held.Arrived.WaitAsync(s_bound);
        clock.Advance(TimeSpan.FromSeconds(31));

        PluginLoadException error = await Assert.ThrowsAsync<PluginLoadException>(() => fetch);
        Assert.Equal(ReloadPhase.Fetch, error.Phase);
        Assert.Equal($"The download of {url} did not finish within 30 s, the fetch timeout.", error.Reason);
        Assert.False(Directory.Exists(_target.PluginDirectory(Plugin)));
    }

    /// <summary>Publishes a fixture as <see cref="Plugin"/> in the source root and packs it into the served folder.</summary>
    private async Task<FleetArtifact> PackAsync(string fixture, string? signingKey = null)
    {
        PublishResult published = signingKey is null
            ? await _source.PublishAsync(fixture, Plugin)
            : await PluginPublisher.PublishAsync(Fixtures.PathOf(fixture), _source.PluginsRoot, Plugin, new PublishOptions { SigningKey = signingKey, TimeProvider = new ManualTimeProvider() });
        return await FleetArtifacts.PackAsync(published.VersionDirectory, Path.Combine(_served, $"{Plugin}-{published.Manifest.Version}.zip"));
    }

    private ArtifactFetcher CreateFetcher() => new(_http, TimeProvider.System, s_bound, NullLogger.Instance);

    private Task<string> FetchAsync(ArtifactFetcher fetcher, string version, Uri url, string digest, TrustedKeySet? keys = null)
        => fetcher.FetchAsync(_target.PluginsRoot, Plugin, version, url, digest, keys, CancellationToken.None).WaitAsync(s_bound);

    /// <summary>Publishes the fetched version in the target root, starts a host on it and checks what it answers.</summary>
    private async Task AssertServesAsync(string version, string expected, Action<PluginHostOptions>? configure = null)
    {
        PluginPublisher.Activate(_target.PluginsRoot, Plugin, version);
        var options = new PluginHostOptions { PluginsRoot = _target.PluginsRoot };
        configure?.Invoke(options);
        await using PluginHost host = PluginHost.Create(options);
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal(expected, host.Invoke(Plugin, "greet", "you"));
    }

    /// <summary>Writes a copy of an artifact into the served folder, each entry's bytes through <paramref name="transform"/>, then the extra entries; returns its name.</summary>
    private string Repack(FleetArtifact artifact, string name, Func<string, byte[], byte[]> transform, params (string Name, byte[] Bytes, int Attributes)[] extra)
    {
        string output = Path.Combine(_served, name);
        using ZipArchive source = ZipFile.OpenRead(artifact.Path);
        using ZipArchive target = ZipFile.Open(output, ZipArchiveMode.Create);
        foreach (ZipArchiveEntry entry in source.Entries)
        {
            using var bytes = new MemoryStream();
            using (Stream read = entry.Open())
            {
                read.CopyTo(bytes);
            }

            Write(target, entry.FullName, transform(entry.FullName, bytes.ToArray()), entry.ExternalAttributes);
        }

        foreach ((string entryName, byte[] bytes, int attributes) in extra)
        {
            Write(target, entryName, bytes, attributes);
        }

        return name;

        static void Write(ZipArchive zip, string entryName, byte[] bytes, int attributes)
        {
            ZipArchiveEntry entry = zip.CreateEntry(entryName);
            entry.ExternalAttributes = attributes;
            using Stream write = entry.Open();
            write.Write(bytes);
        }
    }

    /// <summary>The names directly in a folder, sorted; empty when it does not exist.</summary>
    private static string[] Entries(string directory)
        => Directory.Exists(directory) ? [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];

    /// <summary>Every file and folder under a folder, relative with '/', with each file's SHA-256, sorted.</summary>
    private static string[] Tree(string directory)
        => [.. Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories)
            .Select(p => PluginLayout.ToManifestPath(directory, p) + (File.Exists(p) ? " " + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p))) : ""))
            .Order(StringComparer.Ordinal)];
}
