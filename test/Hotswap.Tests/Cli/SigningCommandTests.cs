using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary><c>hotswap keygen</c>, <c>sign</c>, <c>build --sign</c> and <c>verify --trusted-key</c>, run as real processes; keys live in the test's temp folder.</summary>
[Collection(ProcessBuilds.Name)]
public sealed class SigningCommandTests : IDisposable
{
    private readonly TestRoot _root = new();
    private long _publishes;

    public void Dispose() => _root.Dispose();

    private string KeyPrefix(string name) => Path.Combine(_root.Directory, "keys-" + name);

    [Fact]
    public async Task Keygen_NewPrefix_WritesAPrivateKeyOnlyItsOwnerReadsAndAPublicKeyAndPrintsTheKeyId()
    {
        string prefix = KeyPrefix("a");

        CliResult text = await CliRunner.RunAsync("keygen", prefix);
        CliResult again = await CliRunner.RunAsync("keygen", prefix, "--json");
        CliResult json = await CliRunner.RunAsync("keygen", KeyPrefix("b"), "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        string privateKey = await File.ReadAllTextAsync(prefix + ".key");
        string publicKey = await File.ReadAllTextAsync(prefix + ".pub");
        string keyId = PluginPublisher.GetKeyId(privateKey);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", privateKey);
        Assert.StartsWith("-----BEGIN PUBLIC KEY-----", publicKey);
        Assert.Equal(keyId, PluginPublisher.GetKeyId(publicKey));
        Assert.EndsWith($"Key id {keyId}.{Environment.NewLine}", text.Stdout);
        Assert.Empty(text.Stderr);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(prefix + ".key"));
        }

        Assert.Equal(1, again.ExitCode);
        Assert.Equal($"'{prefix}.key' exists already; keygen never overwrites a key. Choose another prefix.{Environment.NewLine}", again.Stderr);
        Assert.False((bool)again.Json["succeeded"]!);
        Assert.Equal(privateKey, await File.ReadAllTextAsync(prefix + ".key"));
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal(PluginPublisher.GetKeyId(await File.ReadAllTextAsync(KeyPrefix("b") + ".pub")), (string)json.Json["keyId"]!);
        Assert.Equal(KeyPrefix("b") + ".key", (string)json.Json["privateKey"]!);
    }

    [Fact]
    public async Task SignThenVerify_TrustedKeyOrNot_ExitCodesAndMessagesNameTheKeyId()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("keygen", KeyPrefix("a"))).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync("keygen", KeyPrefix("b"))).ExitCode);
        string idA = PluginPublisher.GetKeyId(await File.ReadAllTextAsync(KeyPrefix("a") + ".pub"));
        string idB = PluginPublisher.GetKeyId(await File.ReadAllTextAsync(KeyPrefix("b") + ".pub"));
        PublishResult folder = await PublishAsync(Fixtures.GreeterV1);

        CliResult unsignedCheck = await CliRunner.RunAsync("verify", _root.PluginsRoot, "--trusted-key", KeyPrefix("a") + ".pub");
        CliResult sign = await CliRunner.RunAsync("sign", folder.VersionDirectory, KeyPrefix("a") + ".key", "--json");
        CliResult trusted = await CliRunner.RunAsync("verify", _root.PluginsRoot, "--trusted-key", KeyPrefix("b") + ".pub", "--trusted-key", KeyPrefix("a") + ".pub");
        CliResult untrusted = await CliRunner.RunAsync("verify", folder.VersionDirectory, "--trusted-key", KeyPrefix("b") + ".pub", "--json");
        CliResult publicAsKey = await CliRunner.RunAsync("sign", folder.VersionDirectory, KeyPrefix("a") + ".pub");
        CliResult noKey = await CliRunner.RunAsync("sign", folder.VersionDirectory, KeyPrefix("none") + ".key");
        CliResult badSequence = await CliRunner.RunAsync("sign", folder.VersionDirectory, KeyPrefix("a") + ".key", "--sequence", "0");

        Assert.Equal(1, unsignedCheck.ExitCode);
        Assert.Contains($"Plugin 'greeter': the version folder '{folder.VersionDirectory}' is not signed, and trusted keys are configured ({idA})", unsignedCheck.Stdout);
        Assert.True(sign.ExitCode == 0, sign.ToString());
        Assert.Equal((idA, 1L, folder.Version), ((string)sign.Json["keyId"]!, (long)sign.Json["sequence"]!, (string)sign.Json["version"]!));
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Contains("1 version folder(s) verified.", trusted.Stdout);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.False((bool)untrusted.Json["valid"]!);
        Assert.Equal(
            $"Plugin 'greeter': the version folder '{folder.VersionDirectory}' is signed by key {idA}, which is not trusted (trusted: {idB}). Add its public key to the trusted keys, or sign the folder with a trusted key.",
            (string)untrusted.Json["versions"]![0]!["problems"]![0]!["message"]!);
        Assert.Equal(1, publicAsKey.ExitCode);
        Assert.Contains($"holds the public key {idA}; signing needs the private key", publicAsKey.Stderr);
        Assert.Equal(1, noKey.ExitCode);
        Assert.Contains("cannot be read", noKey.Stderr);
        Assert.Equal(2, badSequence.ExitCode);
        Assert.Contains("--sequence must be at least 1.", badSequence.Stderr);
    }

    [Fact]
    public async Task BuildWithSign_PublishesASignedVersionWithTheNextSequenceThatAHostTrustingTheKeyLoads()
    {
        Assert.Equal(0, (await CliRunner.RunAsync("keygen", KeyPrefix("a"))).ExitCode);
        var plugin = new ScratchPlugin(_root.Scratch, tag: "signed");

        CliResult noSign = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--sequence", "3");
        CliResult build = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--sign", KeyPrefix("a") + ".key", "--json");

        Assert.Equal(2, noSign.ExitCode);
        Assert.Contains("--sequence needs --sign", noSign.Stderr);
        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(1L, (long)build.Json["sequence"]!);
        Assert.StartsWith($"ecdsa-p256-sha256:{PluginPublisher.GetKeyId(await File.ReadAllTextAsync(KeyPrefix("a") + ".pub"))}:", (string)build.Json["signature"]!);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(File.ReadAllText(KeyPrefix("a") + ".pub")));
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("signed", host.Invoke("demo", "tag"));
    }

    [Fact]
    public async Task Rollback_SignedVersions_WritesTheMarkerAndAHostTrustingTheKeyServesTheOlderVersion()
    {
        string key = PluginPublisher.CreateSigningKey();
        PublishResult v1 = await PublishAsync(Fixtures.GreeterV1, key);
        await PublishAsync(Fixtures.GreeterV2, key);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PluginPublisher.GetPublicKey(key)));
        (await host.LoadAsync()).EnsureSuccess();

        CliResult rollback = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "greeter");
        ReloadResult back = await host.ReloadAsync();

        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Equal(v1.Version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("greeter"), "allow-downgrade"))).Trim());
        back.EnsureSuccess();
        Assert.Equal("v1:hello you", host.Invoke("greeter", "greet", "you"));
    }

    private Task<PublishResult> PublishAsync(string fixture, string? signingKey = null)
    {
        var clock = new ManualTimeProvider();
        clock.Advance(TimeSpan.FromSeconds(Interlocked.Increment(ref _publishes)));
        return PluginPublisher.PublishAsync(Fixtures.PathOf(fixture), _root.PluginsRoot, "greeter", new PublishOptions { TimeProvider = clock, SigningKey = signingKey });
    }
}
