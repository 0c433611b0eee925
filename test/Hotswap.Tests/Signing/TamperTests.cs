using Hotswap.Tests.Support;

namespace Hotswap.Tests.Signing;

/// <summary>Every single-byte change of every file of a small signed version folder, the manifest included, is refused.</summary>
public sealed class TamperTests : IDisposable
{
    private readonly TestRoot _root = new();
    private readonly string _key = PluginPublisher.CreateSigningKey();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Verify_EverySingleByteChangeOfASignedVersionFolder_IsRefused()
    {
        PublishResult published = await PluginPublisher.PublishAsync(
            Fixtures.PathOf(Fixtures.WebGreeterV1), _root.PluginsRoot, "web", new PublishOptions { SigningKey = _key, Sequence = 1 });
        string folder = published.VersionDirectory;
        string[] trusted = [PluginPublisher.GetPublicKey(_key)];
        Assert.True((await PluginPublisher.VerifyAsync(folder, trusted)).IsValid);
        string manifestPath = Path.Combine(folder, PluginManifest.FileName);
        long changes = 0;

        foreach (string file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            byte[] original = await File.ReadAllBytesAsync(file);
            bool manifest = file == manifestPath;
            for (int at = 0; at < original.Length; at++)
            {
                // Every byte of every file flipped; the manifest's bytes also changed by one bit, by
                // case or white space (0x20), dropped, and with a space put before them.
                byte[] flips = manifest ? [0xFF, 0x01, 0x20] : [0xFF];
                foreach (byte flip in flips)
                {
                    await WriteByteAsync(file, at, (byte)(original[at] ^ flip));
                    await AssertRefusedAsync(folder, trusted, $"{Path.GetFileName(file)}[{at}] ^ 0x{flip:X2}");
                    changes++;
                }

                await WriteByteAsync(file, at, original[at]);
                if (manifest)
                {
                    await File.WriteAllBytesAsync(file, [.. original[..at], .. original[(at + 1)..]]);
                    await AssertRefusedAsync(folder, trusted, $"{Path.GetFileName(file)}[{at}] dropped");
                    await File.WriteAllBytesAsync(file, [.. original[..at], (byte)' ', .. original[at..]]);
                    await AssertRefusedAsync(folder, trusted, $"{Path.GetFileName(file)}[{at}] after a space");
                    await File.WriteAllBytesAsync(file, original);
                    changes += 2;
                }
            }
        }

        Assert.True((await PluginPublisher.VerifyAsync(folder, trusted)).IsValid); // restored: the same bytes pass again
        Assert.True(changes > 30_000, $"{changes} changes");
    }

    private static async Task AssertRefusedAsync(string folder, string[] trusted, string change)
    {
        VerificationResult result = await PluginPublisher.VerifyAsync(folder, trusted);
        Assert.False(result.IsValid, $"{change} passed Verify");
    }

    private static async Task WriteByteAsync(string file, int at, byte value)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
        stream.Position = at;
        stream.WriteByte(value);
    }
}
