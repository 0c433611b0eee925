using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Hosting;

/// <summary>Each bad input is refused naming plugin, phase and file, while the previous generation keeps serving.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private readonly TestRoot _root = new();
    private PluginHost _host = null!;

    public async Task InitializeAsync()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        _host = _root.CreateHost();
        (await _host.LoadAsync()).EnsureSuccess();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task Reload_AssemblyWithoutHotswapPluginAttribute_RefusedInLoadPhase()
    {
        await _root.PublishAsync(Fixtures.NoAttribute, "bad");

        PluginLoadException error = await ReloadFailsAsync("bad", ReloadPhase.Load);

        Assert.StartsWith(_root.PluginDirectory("bad"), error.FilePath);
        Assert.EndsWith("NoAttribute.dll", error.FilePath);
        Assert.Contains("has no [assembly: HotswapPlugin(typeof(...))] attribute", error.Message);
    }

    [Fact]
    public async Task Reload_EntryTypeNotDerivingFromPlugin_RefusedInLoadPhase()
    {
        await _root.PublishAsync(Fixtures.WrongEntryType, "bad");

        PluginLoadException error = await ReloadFailsAsync("bad", ReloadPhase.Load);

        Assert.EndsWith("WrongEntryType.dll", error.FilePath);
        Assert.Contains("names 'WrongEntryType.NotAPlugin', which does not derive from Hotswap.Plugin", error.Message);
    }

    [Fact]
    public async Task Reload_TruncatedDll_RefusedInVerifyPhase()
    {
        // A build that was truncated before publishing: the manifest matches the damaged file.
        PublishResult published = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string dll = Path.Combine(published.VersionDirectory, "Greeter.dll");
        byte[] bytes = await File.ReadAllBytesAsync(dll);
        byte[] truncated = bytes[..(bytes.Length / 3)];
        await File.WriteAllBytesAsync(dll, truncated);
        string manifest = Path.Combine(published.VersionDirectory, "plugin.json");
        JsonNode json = JsonNode.Parse(await File.ReadAllTextAsync(manifest))!;
        JsonNode entry = json["files"]!.AsArray().Single(f => (string)f!["path"]! == "Greeter.dll")!;
        entry["size"] = truncated.Length;
        entry["sha256"] = Convert.ToHexStringLower(SHA256.HashData(truncated));
        await File.WriteAllTextAsync(manifest, json.ToJsonString());
        Assert.True((await PluginPublisher.VerifyAsync(published.VersionDirectory)).IsValid);

        PluginLoadException error = await ReloadFailsAsync("alpha", ReloadPhase.Verify);

        Assert.Equal(dll, error.FilePath);
        Assert.Contains("is not a valid .NET assembly (truncated or corrupt)", error.Message);
    }

    [Fact]
    public async Task Reload_MissingPrivateDependency_RefusedInVerifyPhaseNamingTheAssembly()
    {
        // A library the host does not have either (a plugin that does not ship what the host has gets the host's).
        string copy = Fixtures.CopyOf(Fixtures.SqliteUser, _root.Scratch);
        File.Delete(Path.Combine(copy, "Microsoft.Data.Sqlite.dll"));
        await _root.PublishFromAsync(copy, "bad");

        PluginLoadException error = await ReloadFailsAsync("bad", ReloadPhase.Verify);

        Assert.EndsWith("SqliteUser.deps.json", error.FilePath);
        Assert.Contains("'SqliteUser.dll' needs Microsoft.Data.Sqlite, Version=", error.Message);
        Assert.Contains("the version folder does not contain", error.Message);
    }

    [Fact]
    public async Task Reload_PrivateDependencyTheHostHas_NotShipped_TheHostsCopyServes()
    {
        string copy = Fixtures.CopyOf(Fixtures.LibUserOne, _root.Scratch);
        File.Delete(Path.Combine(copy, "VersionedLib.dll")); // the host (the tests) has VersionedLib 1.0 too
        await _root.PublishFromAsync(copy, "lean");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("Default", host.Invoke("lean", "libraryContext"));
    }

    [Fact]
    public async Task Reload_FileWhoseHashDiffersFromManifest_RefusedInVerifyPhase()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string dll = Path.Combine(published.VersionDirectory, "Greeter.dll");
        byte[] bytes = await File.ReadAllBytesAsync(dll);
        bytes[bytes.Length / 2] ^= 0xFF;
        await File.WriteAllBytesAsync(dll, bytes);

        PluginLoadException error = await ReloadFailsAsync("alpha", ReloadPhase.Verify);

        Assert.Equal(dll, error.FilePath);
        Assert.Contains("SHA-256", error.Message);
        Assert.Contains("changed after publishing", error.Message);
    }

    [Fact]
    public async Task Reload_CurrentNamesMissingFolder_RefusedInDiscoverPhase()
    {
        string current = Path.Combine(_root.PluginDirectory("alpha"), "current");
        await File.WriteAllTextAsync(current, "20991231T000000Z-deadbeef\n");

        PluginLoadException error = await ReloadFailsAsync("alpha", ReloadPhase.Discover);

        Assert.Equal(current, error.FilePath);
        Assert.Contains("names version folder '20991231T000000Z-deadbeef', which does not exist", error.Message);
    }

    [Fact]
    public async Task Reload_MalformedManifest_RefusedInVerifyPhase()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string manifest = Path.Combine(published.VersionDirectory, "plugin.json");
        await File.WriteAllTextAsync(manifest, "{ \"formatVersion\": 1, \"name\": ");

        PluginLoadException error = await ReloadFailsAsync("alpha", ReloadPhase.Verify);

        Assert.Equal(manifest, error.FilePath);
        Assert.Contains("plugin.json is malformed", error.Message);
    }

    [Fact]
    public async Task Reload_MissingManifest_RefusedInVerifyPhase()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string manifest = Path.Combine(published.VersionDirectory, "plugin.json");
        File.Delete(manifest);

        PluginLoadException error = await ReloadFailsAsync("alpha", ReloadPhase.Verify);

        Assert.Equal(manifest, error.FilePath);
        Assert.Contains("plugin.json is missing", error.Message);
    }

    [Fact]
    public async Task Reload_ManifestPathEscapingTheFolder_RefusedInVerifyPhase()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        string manifest = Path.Combine(published.VersionDirectory, "plugin.json");
        JsonNode json = JsonNode.Parse(await File.ReadAllTextAsync(manifest))!;
        json["files"]!.AsArray().Add(new JsonObject { ["path"] = "../../alpha-evil.dll", ["size"] = 1, ["sha256"] = "00" });
        await File.WriteAllTextAsync(manifest, json.ToJsonString());

        PluginLoadException error = await ReloadFailsAsync("alpha", ReloadPhase.Verify);

        Assert.Equal(manifest, error.FilePath);
        Assert.Contains("lists the path '../../alpha-evil.dll', which escapes the version folder", error.Message);
    }

    [Fact]
    public async Task Reload_TwoPluginFoldersDifferingOnlyInCase_Refused()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "World");
        await _root.PublishAsync(Fixtures.GreeterV1, "world");

        PluginLoadException error = await ReloadFailsAsync("world", ReloadPhase.Discover);

        Assert.Equal(_root.PluginDirectory("world"), error.FilePath);
        Assert.Contains("differs only in case from 'World'", error.Message);
    }

    private async Task<PluginLoadException> ReloadFailsAsync(string plugin, ReloadPhase phase)
    {
        ReloadResult result = await _host.ReloadAsync();

        Assert.False(result.Succeeded);
        PluginLoadException error = result.Error!;
        Assert.Equal(plugin, error.PluginName);
        Assert.Equal(phase, error.Phase);
        Assert.NotNull(error.FilePath);
        Assert.Contains($"Plugin '{plugin}' failed in phase {phase}", error.Message);
        Assert.Contains(error.FilePath, error.Message);

        // The previous generation serves, untouched.
        Assert.Equal(1, _host.GenerationNumber);
        Assert.Equal("v1:hello you", _host.Invoke("alpha", "greet", "you"));
        return error;
    }
}
