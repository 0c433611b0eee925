using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Writes one version folder as an artifact (see <see cref="FleetArtifacts"/> for the format). In
/// order: read the manifest's bytes (the digest is their SHA-256); verify the folder and check that
/// the manifest verified is the one read; write every file, the manifest included, in ordinal path
/// order into a temporary archive beside the output, hashing each file as it is copied and
/// comparing it with the manifest; flush it; rename it over the output; flush the output's folder.
/// </summary>
/// <remarks>
/// Each file is checked against the manifest as its bytes go into the archive, so an archive is
/// never written with a file that changed after the verification: what is packed is exactly what
/// the digest names. A failure deletes the temporary archive and leaves the output as it was.
/// </remarks>
internal static class ArtifactWriter
{
    /// <summary>The one timestamp every entry carries, so two packs of one folder are byte-identical: the earliest a zip can say (DOS time).</summary>
    public static readonly DateTimeOffset EntryTimestamp = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The one compression level every entry is written with.</summary>
    public const CompressionLevel Level = CompressionLevel.Optimal;

    /// <summary>The external attributes every entry carries: a regular file (S_IFREG), mode 0644, in the Unix half.</summary>
    public const int ExternalAttributes = (0x8000 | 0x1A4) << 16;

    /// <summary>Packs; the arguments were checked by <see cref="FleetArtifacts.PackAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">The folder does not verify, or changed while it was packed.</exception>
    /// <exception cref="IOException">The archive cannot be written.</exception>
    public static FleetArtifact Pack(string versionDirectory, string output, CancellationToken cancellationToken)
    {
        string manifestPath = Path.Combine(versionDirectory, PluginManifest.FileName);
        byte[] manifestBytes;
        try
        {
            manifestBytes = File.ReadAllBytes(manifestPath);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            manifestBytes = []; // the verification below names what is missing.
        }

        VerificationResult verified = PluginVerifier.Verify(versionDirectory, trustedKeys: null, cancellationToken);
        if (!verified.IsValid)
        {
            throw new InvalidOperationException(ArtifactMessages.PackRefused(versionDirectory, verified.Problems[0], verified.Problems.Count - 1));
        }

        PluginManifest manifest = Parse(manifestBytes, manifestPath);
        if (!SameContent(manifest, verified.Manifest!)) // a valid result always has its manifest.
        {
            throw new InvalidOperationException(ArtifactMessages.PackManifestChanged(manifestPath));
        }

        string digest = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
        string outputDirectory = Path.GetDirectoryName(output)!; // a full path that is not a root has a parent.
        Directory.CreateDirectory(outputDirectory);
        string temp = Path.Combine(outputDirectory, "." + Path.GetFileName(output) + "-" + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
                {
                    WriteEntries(zip, versionDirectory, manifest, manifestBytes, cancellationToken);
                }

                Durable.FlushFile(stream);
            }

            // rename(2): a reader of the output sees the old archive or the new one, never a partial one.
            File.Move(temp, output, overwrite: true);
            Durable.FlushDirectory(outputDirectory);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }

        return new FleetArtifact(manifest.Name, manifest.Version, digest, output);
    }

    private static void WriteEntries(ZipArchive zip, string versionDirectory, PluginManifest manifest, byte[] manifestBytes, CancellationToken cancellationToken)
    {
        var entries = new SortedDictionary<string, PluginManifestFile?>(StringComparer.Ordinal) { [PluginManifest.FileName] = null };
        foreach (PluginManifestFile file in manifest.Files)
        {
            entries.Add(file.Path, file); // verified: every path is listed once.
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(ArtifactLimits.BufferSize);
        try
        {
            foreach ((string path, PluginManifestFile? file) in entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ZipArchiveEntry entry = zip.CreateEntry(path, Level);
                entry.LastWriteTime = EntryTimestamp;
                entry.ExternalAttributes = ExternalAttributes;
                using Stream target = entry.Open();
                if (file is null)
                {
                    target.Write(manifestBytes);
                    continue;
                }

                string full = Path.Combine(versionDirectory, path);
                using var source = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
                (long size, string found) = FileHashing.Copy(source, target, buffer, cancellationToken);
                if (size != file.Size || !string.Equals(found, file.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(ArtifactMessages.PackFileChanged(full, file.Sha256, found));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static PluginManifest Parse(byte[] manifestBytes, string manifestPath)
    {
        try
        {
            return JsonSerializer.Deserialize(manifestBytes, ManifestJsonContext.Default.PluginManifest)
                ?? throw new InvalidOperationException(ArtifactMessages.PackManifestChanged(manifestPath));
        }
        catch (JsonException)
        {
            throw new InvalidOperationException(ArtifactMessages.PackManifestChanged(manifestPath)); // it parsed when it was verified.
        }
    }

    private static bool SameContent(PluginManifest a, PluginManifest b)
        => a.Name == b.Name
            && a.Version == b.Version
            && a.Signature == b.Signature
            && a.Files.Count == b.Files.Count
            && a.Files.Zip(b.Files).All(static p => p.First.Path == p.Second.Path && p.First.Size == p.Second.Size && string.Equals(p.First.Sha256, p.Second.Sha256, StringComparison.OrdinalIgnoreCase));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover temporary archive starts with a dot and names itself .tmp.
        }
    }
}
