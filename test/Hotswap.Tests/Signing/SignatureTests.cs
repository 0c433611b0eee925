using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Signing;

/// <summary>Signed manifests, trusted keys and downgrade protection, on a real plugins root with the Greeter fixtures.</summary>
public sealed class SignatureTests : IDisposable
{
    private readonly TestRoot _root = new();
    private readonly string _keyA = PluginPublisher.CreateSigningKey();
    private readonly string _keyB = PluginPublisher.CreateSigningKey();
    private long _publishes;

    public void Dispose() => _root.Dispose();

    private string PublicA => PluginPublisher.GetPublicKey(_keyA);

    private string PublicB => PluginPublisher.GetPublicKey(_keyB);

    [Fact]
    public async Task Reload_UnsignedVersionWithTrustedKeys_RefusedNamingPluginFolderAndKeysAndPreviousServes()
    {
        await PublishAsync(Fixtures.GreeterV1, _keyA);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult unsigned = await PublishAsync(Fixtures.GreeterV2, signingKey: null);

        ReloadResult result = await host.ReloadAsync();

        AssertRefused(result, unsigned,
            $"Plugin 'greeter': the version folder '{unsigned.VersionDirectory}' is not signed, and trusted keys are configured ({PluginPublisher.GetKeyId(_keyA)}), so only signed versions load. Sign it with 'hotswap sign' or publish with 'hotswap build --sign'.");
        Assert.Equal("v1:hello you", host.Invoke("greeter", "greet", "you"));
    }

    [Fact]
    public async Task Reload_SignedByUnknownKey_RefusedNamingTheKeyIdAndPreviousServes()
    {
        await PublishAsync(Fixtures.GreeterV1, _keyA);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult other = await PublishAsync(Fixtures.GreeterV2, _keyB);

        ReloadResult result = await host.ReloadAsync();

        AssertRefused(result, other,
            $"Plugin 'greeter': the version folder '{other.VersionDirectory}' is signed by key {PluginPublisher.GetKeyId(_keyB)}, which is not trusted (trusted: {PluginPublisher.GetKeyId(_keyA)}). Add its public key to the trusted keys, or sign the folder with a trusted key.");
        Assert.Equal("v1:hello you", host.Invoke("greeter", "greet", "you"));
    }

    [Fact]
    public async Task Reload_ManifestChangedAfterSigning_RefusedNamingTheKeyIdAndPreviousServes()
    {
        await PublishAsync(Fixtures.GreeterV1, _keyA);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult changed = await PublishAsync(Fixtures.GreeterV2, _keyA);
        EditManifest(changed.VersionDirectory, m => m["sourceCommit"] = "0000000000000000000000000000000000000000");

        ReloadResult result = await host.ReloadAsync();

        AssertRefused(result, changed,
            $"Plugin 'greeter': the signature by key {PluginPublisher.GetKeyId(_keyA)} does not match the manifest of the version folder '{changed.VersionDirectory}': plugin.json was changed after signing. Publish and sign the version again.");
        Assert.Equal("v1:hello you", host.Invoke("greeter", "greet", "you"));
    }

    [Fact]
    public async Task Reload_SignedVersionOlderThanTheNewestServed_RefusedAsDowngradeAndNewestServes()
    {
        PublishResult v1 = await PublishAsync(Fixtures.GreeterV1, _keyA);
        PublishResult v2 = await PublishAsync(Fixtures.GreeterV2, _keyA);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal((1L, 2L), (v1.Manifest.Sequence!.Value, v2.Manifest.Sequence!.Value));
        PluginPublisher.Activate(_root.PluginsRoot, "greeter", v1.Version);

        ReloadResult result = await host.ReloadAsync();

        AssertRefused(result, v1,
            $"Plugin 'greeter': the version folder '{v1.VersionDirectory}' has sequence 1, lower than 2, the newest this host has served, so it is refused as a downgrade. To roll back on purpose, use 'hotswap rollback' (it writes the allow-downgrade marker for exactly that version).");
        Assert.Equal("v2:hello you", host.Invoke("greeter", "greet", "you"));
    }

    [Fact]
    public async Task Rollback_WritesTheAllowMarker_HostLoadsTheOlderSignedVersionAndOnlyThatOne()
    {
        PublishResult v1 = await PublishAsync(Fixtures.GreeterV1, _keyA);
        PublishResult v2 = await PublishAsync(Fixtures.GreeterV1, _keyA);
        PublishResult v3 = await PublishAsync(Fixtures.GreeterV2, _keyA);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();

        RollbackResult rollback = PluginPublisher.Rollback(_root.PluginsRoot, "greeter");
        ReloadResult back = await host.ReloadAsync();

        Assert.Equal(v2.Version, rollback.ToVersion);
        Assert.Equal(v2.Version + "\n", await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("greeter"), "allow-downgrade")));
        back.EnsureSuccess();
        Assert.Equal((ReloadOutcome.Loaded, v2.Version), (back.Find("greeter")!.Outcome, back.Find("greeter")!.Version));
        Assert.Equal("v1:hello you", host.Invoke("greeter", "greet", "you"));

        // The marker names v2 only: flipping current to v1 by hand is still a downgrade.
        PluginPublisher.Activate(_root.PluginsRoot, "greeter", v1.Version);
        ReloadResult older = await host.ReloadAsync();
        AssertRefused(older, v1,
            $"Plugin 'greeter': the version folder '{v1.VersionDirectory}' has sequence 1, lower than 3, the newest this host has served, so it is refused as a downgrade. To roll back on purpose, use 'hotswap rollback' (it writes the allow-downgrade marker for exactly that version).");
        Assert.Equal(back.Generation, host.GenerationNumber);
    }

    [Fact]
    public async Task Rollback_TheAllowMarkerEndsWithTheNextPublish_TheOlderVersionIsADowngradeAgain()
    {
        await PublishAsync(Fixtures.GreeterV1, _keyA);
        PublishResult v2 = await PublishAsync(Fixtures.GreeterV1, _keyA);
        await PublishAsync(Fixtures.GreeterV2, _keyA);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();
        PluginPublisher.Rollback(_root.PluginsRoot, "greeter");
        (await host.ReloadAsync()).EnsureSuccess(); // v2, allowed by the marker
        string marker = Path.Combine(_root.PluginDirectory("greeter"), "allow-downgrade");

        PublishResult v4 = await PublishAsync(Fixtures.GreeterV2, _keyA);
        Assert.False(File.Exists(marker)); // the publish ended what the rollback allowed
        (await host.ReloadAsync()).EnsureSuccess();
        await File.WriteAllTextAsync(Path.Combine(_root.PluginDirectory("greeter"), "current"), v2.Version); // flipped back by hand, without a rollback

        ReloadResult older = await host.ReloadAsync();

        AssertRefused(older, v2,
            $"Plugin 'greeter': the version folder '{v2.VersionDirectory}' has sequence 2, lower than 4, the newest this host has served, so it is refused as a downgrade. To roll back on purpose, use 'hotswap rollback' (it writes the allow-downgrade marker for exactly that version).");
        Assert.Equal(v4.Version, host.Acquire().Generation.Plugins.Single().Version);
    }

    [Fact]
    public async Task Signature_TheOtherValidFormOfTheSameSignature_IsRefused()
    {
        PublishResult signed = await PublishAsync(Fixtures.GreeterV1, _keyA);
        System.Numerics.BigInteger n = System.Numerics.BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        string value = signed.Manifest.Signature!;
        string[] parts = value.Split(':');
        byte[] bytes = Convert.FromBase64String(parts[2]);
        var s = new System.Numerics.BigInteger(bytes.AsSpan(32), isUnsigned: true, isBigEndian: true);
        Assert.True(s <= n / 2, "the signer writes the low form");
        byte[] high = (n - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        Array.Clear(bytes, 32, 32);
        high.CopyTo(bytes, 64 - high.Length);
        EditManifest(signed.VersionDirectory, m => m["signature"] = $"{parts[0]}:{parts[1]}:{Convert.ToBase64String(bytes)}");

        VerificationResult result = await PluginPublisher.VerifyAsync(signed.VersionDirectory, [PublicA]);

        Assert.False(result.IsValid); // (r, n - s) verifies mathematically, but is not the one spelling accepted
    }

    [Fact]
    public async Task SignAsync_AFolderClaimingTheLastSequence_RefusesToWrapAround()
    {
        PublishResult claiming = await PublishAsync(Fixtures.GreeterV1, signingKey: null, activate: false);
        EditManifest(claiming.VersionDirectory, m => m["sequence"] = long.MaxValue);
        PublishResult unsigned = await PublishAsync(Fixtures.GreeterV2, signingKey: null);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => PluginPublisher.SignAsync(unsigned.VersionDirectory, _keyA));

        Assert.Contains("claims the highest possible sequence, so no next one exists", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_TwoTrustedKeys_VersionsSignedByEitherLoad_AfterTheOldKeyIsRemovedItsVersionsAreRefused()
    {
        PublishResult byA = await PublishAsync(Fixtures.GreeterV1, _keyA);
        await using (PluginHost both = _root.CreateHost(o =>
        {
            o.TrustedKeys.Add(PublicA);
            o.TrustedKeys.Add(PublicB);
        }))
        {
            (await both.LoadAsync()).EnsureSuccess();
            Assert.Equal("v1:hello you", both.Invoke("greeter", "greet", "you"));
            await PublishAsync(Fixtures.GreeterV2, _keyB);
            (await both.ReloadAsync()).EnsureSuccess();
            Assert.Equal("v2:hello you", both.Invoke("greeter", "greet", "you"));
        }

        PluginPublisher.Activate(_root.PluginsRoot, "greeter", byA.Version);
        await using PluginHost newOnly = _root.CreateHost(o => o.TrustedKeys.Add(PublicB));
        ReloadResult refused = await newOnly.LoadAsync();

        AssertRefused(refused, byA,
            $"Plugin 'greeter': the version folder '{byA.VersionDirectory}' is signed by key {PluginPublisher.GetKeyId(_keyA)}, which is not trusted (trusted: {PluginPublisher.GetKeyId(_keyB)}). Add its public key to the trusted keys, or sign the folder with a trusted key.");
        VerificationResult offline = await PluginPublisher.VerifyAsync(byA.VersionDirectory, [PublicB]);
        Assert.Equal(refused.Error!.Reason, Assert.Single(offline.Problems).Message);
        Assert.True((await PluginPublisher.VerifyAsync(byA.VersionDirectory, [PublicA, PublicB])).IsValid);
    }

    [Fact]
    public async Task SignAsync_FolderPublishedUnsigned_SignsWithTheNextSequenceAndAHostWithTheKeyLoadsIt()
    {
        await PublishAsync(Fixtures.GreeterV1, _keyA, sequence: 7);
        PublishResult unsigned = await PublishAsync(Fixtures.GreeterV2, signingKey: null, activate: false);

        PluginManifest signed = await PluginPublisher.SignAsync(unsigned.VersionDirectory, _keyA);

        Assert.Equal(8, signed.Sequence);
        Assert.StartsWith($"ecdsa-p256-sha256:{PluginPublisher.GetKeyId(_keyA)}:", signed.Signature);
        Assert.Equal(signed.Signature, PluginVerifier.ReadManifest(Path.Combine(unsigned.VersionDirectory, "plugin.json")).Signature);
        Assert.DoesNotContain(Directory.GetFiles(unsigned.VersionDirectory), static f => Path.GetFileName(f).StartsWith('.')); // the temporary manifest was renamed over plugin.json
        Assert.True((await PluginPublisher.VerifyAsync(unsigned.VersionDirectory, [PublicA])).IsValid);
        PluginPublisher.Activate(_root.PluginsRoot, "greeter", unsigned.Version);
        await using PluginHost host = _root.CreateHost(o => o.TrustedKeys.Add(PublicA));
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("v2:hello you", host.Invoke("greeter", "greet", "you"));
    }

    [Fact]
    public async Task SignAsync_DamagedFolder_RefusedNamingTheFileAndNothingChanged()
    {
        PublishResult published = await PublishAsync(Fixtures.GreeterV1, signingKey: null);
        string manifestBefore = await File.ReadAllTextAsync(Path.Combine(published.VersionDirectory, "plugin.json"));
        await File.AppendAllTextAsync(Path.Combine(published.VersionDirectory, "Greeter.deps.json"), " ");

        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => PluginPublisher.SignAsync(published.VersionDirectory, _keyA));

        Assert.Contains($"The version folder '{published.VersionDirectory}' was not signed: it does not verify ({Path.Combine(published.VersionDirectory, "Greeter.deps.json")}:", refused.Message);
        Assert.Equal(manifestBefore, await File.ReadAllTextAsync(Path.Combine(published.VersionDirectory, "plugin.json")));
        await Assert.ThrowsAsync<ArgumentException>(() => PluginPublisher.SignAsync(published.VersionDirectory, PublicA));
    }

    [Fact]
    public async Task Signature_AsDocumented_RebuiltFromTheJsonAloneVerifiesWithThePublicKey()
    {
        PublishResult published = await PublishAsync(Fixtures.GreeterV2, _keyA);
        JsonObject manifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(published.VersionDirectory, "plugin.json")))!.AsObject();

        // docs/plugin-format.md, "Signed manifests", followed with a JSON reader and nothing of Hotswap.
        var text = new StringBuilder("hotswap-manifest-signature-v1\n");
        text.Append("formatVersion\t").Append((int)manifest["formatVersion"]!).Append('\n');
        foreach (string field in new[] { "name", "version", "entryAssembly", "targetFramework" })
        {
            text.Append(field).Append('\t').Append((string?)manifest[field]).Append('\n');
        }

        DateTimeOffset builtAt = DateTimeOffset.Parse((string)manifest["builtAt"]!, CultureInfo.InvariantCulture);
        text.Append("builtAt\t").Append(builtAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)).Append('\n');
        text.Append("sourceCommit\t").Append((string?)manifest["sourceCommit"]).Append('\n');
        text.Append("sequence\t").Append((long?)manifest["sequence"]).Append('\n');
        foreach (JsonNode? file in manifest["files"]!.AsArray())
        {
            text.Append("file\t").Append((string)file!["path"]!).Append('\t').Append((long)file["size"]!).Append('\t').Append((string)file["sha256"]!).Append('\n');
        }

        foreach (JsonNode? shared in manifest["sharedAssemblies"]!.AsArray())
        {
            text.Append("sharedAssembly\t").Append((string)shared!["name"]!).Append('\t').Append((string)shared["version"]!).Append('\n');
        }

        string[] parts = ((string)manifest["signature"]!).Split(':');
        using var key = ECDsa.Create();
        key.ImportFromPem(PublicA);
        string keyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()))[..16];

        Assert.Equal(["ecdsa-p256-sha256", keyId], parts[..2]);
        Assert.Equal(Encoding.UTF8.GetBytes(text.ToString()), ManifestSignature.CanonicalBytes(published.Manifest));
        Assert.True(key.VerifyData(Encoding.UTF8.GetBytes(text.ToString()), Convert.FromBase64String(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Create_TrustedKeyThatIsNoKey_ThrowsNamingTheOption()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => _root.CreateHost(o => o.TrustedKeys.Add("not a key")));

        Assert.Contains("TrustedKeys: Trusted key 1 is not usable: The text holds no readable PEM key", error.Message);
    }

    private static void AssertRefused(ReloadResult result, PublishResult version, string reason)
    {
        Assert.False(result.Succeeded, result.ToString());
        PluginLoadException error = result.Error!;
        Assert.Equal("greeter", error.PluginName);
        Assert.Equal(ReloadPhase.Verify, error.Phase);
        Assert.Equal(Path.Combine(version.VersionDirectory, "plugin.json"), error.FilePath);
        Assert.Equal(reason, error.Reason);
    }

    private static void EditManifest(string versionDirectory, Action<JsonObject> edit)
    {
        string path = Path.Combine(versionDirectory, "plugin.json");
        JsonObject manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private Task<PublishResult> PublishAsync(string fixture, string? signingKey, long? sequence = null, bool activate = true)
    {
        var clock = new ManualTimeProvider();
        clock.Advance(TimeSpan.FromSeconds(Interlocked.Increment(ref _publishes)));
        return PluginPublisher.PublishAsync(Fixtures.PathOf(fixture), _root.PluginsRoot, "greeter", new PublishOptions
        {
            Activate = activate,
            TimeProvider = clock,
            SigningKey = signingKey,
            Sequence = sequence,
        });
    }
}
