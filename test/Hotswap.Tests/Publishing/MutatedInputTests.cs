using System.Text;
using System.Text.Json.Nodes;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Publishing;

/// <summary>
/// Seeded mutation loops over real published inputs: manifests (flipped, inserted and removed bytes,
/// truncations, duplicated and reordered entries, huge and negative sizes, odd Unicode, deep
/// nesting, wrong types), version folders (files changed, cut, added, removed) and <c>current</c>
/// files. Verify never throws and refuses each one with a problem naming a file, unless the mutation
/// left the manifest's meaning intact; a host never loads one and keeps serving its version.
/// </summary>
/// <remarks>A fixed seed per loop: a failure names the iteration, which reproduces it exactly.</remarks>
public sealed class MutatedInputTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Verify_TenThousandMutatedManifests_NeverThrowsAndRefusesEachNamingAFile()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        string folder = published.VersionDirectory;
        string manifestPath = Path.Combine(folder, PluginManifest.FileName);
        byte[] original = await File.ReadAllBytesAsync(manifestPath);
        string meaning = Meaning((await PluginPublisher.VerifyAsync(folder)).Manifest!);
        var random = new Random(20261201);
        int refused = 0;
        int intact = 0;

        for (int i = 0; i < 10_000; i++)
        {
            byte[] mutated = Mutate(original, random);
            await File.WriteAllBytesAsync(manifestPath, mutated);
            VerificationResult result;
            try
            {
                result = await PluginPublisher.VerifyAsync(folder);
            }
            catch (Exception ex)
            {
                Assert.Fail($"iteration {i}: Verify threw {ex.GetType().Name}: {ex.Message}\nmanifest: {Printable(mutated)}");
                throw;
            }

            if (result.IsValid)
            {
                // Only a mutation that kept the meaning may pass (whitespace, a property moved).
                Assert.True(Meaning(result.Manifest!) == meaning, $"iteration {i}: a changed manifest passed Verify\nmeaning: {Meaning(result.Manifest!)}\nwas: {meaning}");
                intact++;
            }
            else
            {
                Assert.All(result.Problems, p => Assert.False(string.IsNullOrWhiteSpace(p.FilePath), $"iteration {i}: a problem names no file: {p.Message}"));
                Assert.All(result.Problems, p => Assert.StartsWith(folder, p.FilePath, StringComparison.Ordinal));
                refused++;
            }
        }

        Assert.True(refused >= 9_000, $"{refused} refused, {intact} intact");
    }

    [Fact]
    public async Task Host_MutatedVersionFoldersAndCurrentFiles_NeverLoadsOneAndKeepsServing()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult template = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        string meaning = Meaning((await PluginPublisher.VerifyAsync(template.VersionDirectory)).Manifest!, version: "copied");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        string pluginDirectory = _root.PluginDirectory("alpha");
        string current = Path.Combine(pluginDirectory, PluginLayout.CurrentFileName);
        var random = new Random(1201);

        for (int i = 0; i < 300; i++)
        {
            string version = $"fuzz-{i:D4}";
            string folder = Path.Combine(pluginDirectory, version);
            CopyFolder(template.VersionDirectory, folder);
            string manifestPath = Path.Combine(folder, PluginManifest.FileName);
            JsonNode manifest = JsonNode.Parse(await File.ReadAllTextAsync(manifestPath))!;
            manifest["version"] = version; // only the mutation makes it invalid
            await File.WriteAllTextAsync(manifestPath, manifest.ToJsonString());
            string kind = MutateFolder(folder, random);
            await File.WriteAllTextAsync(current, version);

            ReloadResult result = await host.ReloadAsync().WaitAsync(s_guard);

            if (result.Published)
            {
                VerificationResult verified = await PluginPublisher.VerifyAsync(folder);
                Assert.True(verified.IsValid && Meaning(verified.Manifest!, version) == meaning, $"iteration {i} ({kind}): a changed version was loaded: {result}\nmeaning: {Meaning(verified.Manifest!, version)}\nwas: {meaning}");
                (await host.ReloadAsync()).EnsureSuccess(); // nothing changed
                await File.WriteAllTextAsync(current, v1.Version);
                (await host.ReloadAsync()).EnsureSuccess();
                continue;
            }

            Assert.False(result.Succeeded, $"iteration {i} ({kind}): {result}");
            Assert.Equal("alpha", result.Error!.PluginName);
            Assert.False(string.IsNullOrEmpty(result.Error.FilePath), $"iteration {i} ({kind}): the error names no file: {result.Error.Message}");
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
            Directory.Delete(folder, recursive: true);
        }

        long serving = host.GenerationNumber;
        foreach (string garbage in CurrentFiles(random))
        {
            await File.WriteAllTextAsync(current, garbage);

            ReloadResult result = await host.ReloadAsync().WaitAsync(s_guard);

            Assert.False(result.Published, $"current '{Printable(Encoding.UTF8.GetBytes(garbage))}' loaded something: {result}");
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
            Assert.Equal(serving, host.GenerationNumber);
        }
    }

    /// <summary>
    /// What a manifest means for what is loaded: the plugin, the version, the entry assembly and
    /// every file's path, size and hash. Formatting, property order, and the fields that describe
    /// rather than select bytes (build time, commit, target framework, the shared assemblies the
    /// plugin expects, which the host checks against its own) may change unnoticed in an unsigned
    /// manifest: only a signature protects those.
    /// </summary>
    private static string Meaning(PluginManifest manifest, string? version = null)
        => string.Join(
            "\n",
            [
                manifest.FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture),
                manifest.Name,
                version is null ? manifest.Version : "(copied)",
                manifest.EntryAssembly,
                .. manifest.Files.Select(static f => $"{f.Path}|{f.Size}|{f.Sha256.ToUpperInvariant()}").Order(StringComparer.Ordinal),
            ]);

    private static byte[] Mutate(byte[] original, Random random)
    {
        switch (random.Next(12))
        {
            case 0:
            {
                byte[] flipped = [.. original];
                int at = random.Next(flipped.Length);
                flipped[at] ^= (byte)random.Next(1, 256);
                return flipped;
            }

            case 1:
                return original[..random.Next(original.Length)];
            case 2:
            {
                int at = random.Next(original.Length);
                byte[] inserted = new byte[random.Next(1, 8)];
                random.NextBytes(inserted);
                return [.. original[..at], .. inserted, .. original[at..]];
            }

            case 3:
            {
                int at = random.Next(original.Length);
                return [.. original[..at], .. original[Math.Min(original.Length, at + random.Next(1, 16))..]];
            }

            default:
                return MutateJson(original, random);
        }
    }

    private static byte[] MutateJson(byte[] original, Random random)
    {
        JsonObject manifest = JsonNode.Parse(original)!.AsObject();
        JsonArray files = manifest["files"]!.AsArray();
        JsonObject AnyFile() => files[random.Next(files.Count)]!.AsObject();
        string[] odd = ["", " ", "..", "../outside.dll", "/etc/passwd", "C:\\Windows\\x.dll", "a\\..\\..\\b", "ﬁle.dll", "\u0000.dll", "\ud800.dll", "💥.dll", new string('a', 5000), "./Greeter.dll", "Greeter.dll/", "GREETER.DLL"];
        switch (random.Next(14))
        {
            case 0:
                files.Add(AnyFile().DeepClone()); // listed twice
                break;
            case 1:
                if (files.Count > 1)
                {
                    JsonNode first = files[0]!;
                    files.RemoveAt(0);
                    files.Add(first); // reordered: the same meaning
                }
                else
                {
                    manifest.Remove("sourceCommit");
                }

                break;
            case 2:
                AnyFile()["size"] = random.Next(3) switch { 0 => long.MaxValue, 1 => -1, _ => (JsonNode)1e300 };
                break;
            case 3:
                AnyFile()["path"] = odd[random.Next(odd.Length)];
                break;
            case 4:
                manifest["name"] = odd[random.Next(odd.Length)];
                break;
            case 5:
                manifest["entryAssembly"] = random.Next(3) switch { 0 => null, 1 => 42, _ => (JsonNode)odd[random.Next(odd.Length)] };
                break;
            case 6:
            {
                JsonNode deep = "x";
                for (int i = 0; i < 200; i++)
                {
                    deep = new JsonArray(deep);
                }

                manifest[random.Next(2) == 0 ? "files" : "sharedAssemblies"] = deep;
                break;
            }

            case 7:
                files.Insert(random.Next(files.Count + 1), random.Next(3) switch { 0 => null, 1 => "Greeter.dll", _ => (JsonNode)new JsonObject() });
                break;
            case 8:
                manifest["formatVersion"] = random.Next(3) switch { 0 => 0, 1 => 2, _ => (JsonNode)"1" };
                break;
            case 9:
                AnyFile()["sha256"] = random.Next(3) switch { 0 => null, 1 => "", _ => (JsonNode)new string('0', 64) };
                break;
            case 10:
                files.RemoveAt(random.Next(files.Count));
                break;
            case 11:
                manifest["files"] = random.Next(2) == 0 ? new JsonObject() : null;
                break;
            case 12:
                manifest["version"] = odd[random.Next(odd.Length)];
                break;
            default:
                manifest["sharedAssemblies"] = new JsonArray(new JsonObject { ["name"] = odd[random.Next(odd.Length)], ["version"] = "not a version" });
                break;
        }

        return Encoding.UTF8.GetBytes(manifest.ToJsonString());
    }

    /// <summary>Changes one version folder on disk after its manifest was written; returns what it did.</summary>
    private static string MutateFolder(string folder, Random random)
    {
        string[] files = [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Where(static f => Path.GetFileName(f) != PluginManifest.FileName).Order(StringComparer.Ordinal)];
        string target = files[random.Next(files.Length)];
        switch (random.Next(6))
        {
            case 0:
            {
                byte[] bytes = File.ReadAllBytes(target);
                bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                File.WriteAllBytes(target, bytes);
                return "flipped a byte of " + Path.GetFileName(target);
            }

            case 1:
            {
                byte[] bytes = File.ReadAllBytes(target);
                File.WriteAllBytes(target, bytes[..random.Next(bytes.Length)]);
                return "truncated " + Path.GetFileName(target);
            }

            case 2:
                File.Delete(target);
                return "deleted " + Path.GetFileName(target);
            case 3:
                File.WriteAllText(Path.Combine(folder, "extra.dll"), "not listed");
                return "added an unlisted file";
            case 4:
            {
                string manifestPath = Path.Combine(folder, PluginManifest.FileName);
                byte[] bytes = File.ReadAllBytes(manifestPath);
                File.WriteAllBytes(manifestPath, Mutate(bytes, random));
                return "mutated the manifest";
            }

            default:
            {
                byte[] bytes = File.ReadAllBytes(target);
                File.WriteAllBytes(target, [.. bytes, 0]);
                return "grew " + Path.GetFileName(target);
            }
        }
    }

    private static IEnumerable<string> CurrentFiles(Random random)
    {
        yield return "";
        yield return "   ";
        yield return "..";
        yield return "../alpha";
        yield return "../../etc";
        yield return "/tmp";
        yield return ".staging-x";
        yield return "missing-version";
        yield return "\u0000";
        yield return "v\u0000x";
        yield return "💥";
        yield return new string('x', 100_000);
        yield return "a/b";
        yield return "a\\b";
        for (int i = 0; i < 50; i++)
        {
            byte[] bytes = new byte[random.Next(1, 64)];
            random.NextBytes(bytes);
            yield return Encoding.Latin1.GetString(bytes);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Printable(byte[] bytes)
    {
        string text = Encoding.UTF8.GetString(bytes);
        return text.Length > 400 ? text[..400] + "..." : text;
    }
}
