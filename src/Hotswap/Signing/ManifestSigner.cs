using System.Security.Cryptography;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Signs manifests: at publish time (before the manifest is first written) and for a version
/// folder built elsewhere (verify it, then replace its <c>plugin.json</c> durably). Picks the
/// sequence number: one more than the highest any version folder of the plugin carries.
/// </summary>
internal static class ManifestSigner
{
    /// <summary>A copy of <paramref name="manifest"/> with <paramref name="sequence"/> and the signature over both.</summary>
    public static PluginManifest Sign(PluginManifest manifest, long sequence, ECDsa privateKey)
    {
        PluginManifest unsigned = Copy(manifest, sequence, signature: null);
        return Copy(unsigned, sequence, ManifestSignature.Sign(unsigned, privateKey));
    }

    /// <summary>One more than the highest sequence of any version folder of the plugin (1 when none has one).</summary>
    public static long NextSequence(string pluginDirectory)
    {
        long highest = 0;
        if (Directory.Exists(pluginDirectory))
        {
            foreach (string version in PluginLayout.ListVersions(pluginDirectory))
            {
                if (PluginVerifier.TryReadManifest(Path.Combine(pluginDirectory, version)) is { Sequence: long sequence })
                {
                    highest = Math.Max(highest, sequence);
                }
            }
        }

        // An unsigned folder may claim any sequence: never wrap, and never hand out one below 1.
        return highest == long.MaxValue
            ? throw new InvalidOperationException(SR.SequenceExhausted(pluginDirectory))
            : Math.Max(highest + 1, 1);
    }

    /// <summary>Verifies the folder, signs its manifest, and replaces <c>plugin.json</c> by a flushed sibling renamed over it.</summary>
    /// <exception cref="InvalidOperationException">The folder does not verify; nothing was changed.</exception>
    public static async Task<PluginManifest> SignFolderAsync(string versionDirectory, string privateKeyPem, long? sequence, CancellationToken cancellationToken)
    {
        using ECDsa key = ManifestSignature.ImportKey(privateKeyPem, requirePrivate: true);
        string directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(versionDirectory));
        VerificationResult verified = await PluginVerifier.VerifyAsync(directory, cancellationToken).ConfigureAwait(false);
        if (!verified.IsValid)
        {
            throw new InvalidOperationException(SR.SignFolderInvalid(directory, verified.Problems[0], verified.Problems.Count - 1));
        }

        string pluginDirectory = Path.GetDirectoryName(directory)!; // a version folder always has a parent
        PluginManifest signed = Sign(verified.Manifest!, sequence ?? NextSequence(pluginDirectory), key); // a valid result always has its manifest.
        await WriteAsync(directory, signed, cancellationToken).ConfigureAwait(false);
        return signed;
    }

    private static PluginManifest Copy(PluginManifest manifest, long sequence, string? signature) => new()
    {
        FormatVersion = manifest.FormatVersion,
        Name = manifest.Name,
        Version = manifest.Version,
        EntryAssembly = manifest.EntryAssembly,
        TargetFramework = manifest.TargetFramework,
        BuiltAt = manifest.BuiltAt,
        SourceCommit = manifest.SourceCommit,
        Files = manifest.Files,
        SharedAssemblies = manifest.SharedAssemblies,
        Sequence = sequence,
        Signature = signature,
    };

    private static async Task WriteAsync(string directory, PluginManifest manifest, CancellationToken cancellationToken)
    {
        // Beside plugin.json, so the rename stays in one folder; it lives only until the rename.
        string temp = Path.Combine(directory, "." + PluginManifest.FileName + "-" + Guid.NewGuid().ToString("N"));
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write);
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, manifest, ManifestJsonContext.Default.PluginManifest, cancellationToken).ConfigureAwait(false);
                Durable.FlushFile(stream);
            }

            // rename(2) replaces plugin.json atomically: a reader sees the unsigned or the signed manifest, never a mix.
            File.Move(temp, Path.Combine(directory, PluginManifest.FileName), overwrite: true);
            Durable.FlushDirectory(directory);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
