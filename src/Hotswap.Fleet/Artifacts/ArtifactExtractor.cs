using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Extracts a downloaded artifact into a staging version folder, safely, and only once its manifest
/// matches the digest. In order: check every entry (regular files only; no absolute path, no
/// <c>..</c> or empty segment, no backslash, no control character, no duplicate; the declared sizes
/// within the cap); hash the manifest entry and compare it with the digest before anything in it is
/// believed; parse it and check it names the plugin and version asked for; then write every entry
/// with create-new (never over a file), each one checked on disk to stay inside the folder and
/// refused when it inflates past its declared size, and flush them all.
/// </summary>
/// <remarks>
/// Every failure throws <see cref="PluginLoadException"/> in phase <see cref="ReloadPhase.Fetch"/>
/// naming the artifact's URL; what was written stays in the staging folder, which the caller deletes.
/// </remarks>
internal static class ArtifactExtractor
{
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixRegularFile = 0x8000;
    private const int UnixDirectory = 0x4000;
    private const int UnixSymbolicLink = 0xA000;
    private const int DosDirectory = 0x10;
    private const int DosReparsePoint = 0x400;

    /// <summary>Extracts <paramref name="archivePath"/> into <paramref name="targetDirectory"/> (created here; its parent exists).</summary>
    /// <exception cref="PluginLoadException">The archive is refused (phase <see cref="ReloadPhase.Fetch"/>).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static void Extract(string archivePath, string targetDirectory, FetchRequest request, long maxExtractedBytes, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(archivePath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read);
        }
        catch (InvalidDataException ex)
        {
            throw request.Failure(ArtifactMessages.NotAZip(request.Url, ex.Message), ex);
        }

        using (zip)
        {
            ZipArchiveEntry manifestEntry = CheckEntries(zip, request, maxExtractedBytes);
            byte[] manifestBytes = ReadManifest(manifestEntry, request);
            CheckManifest(manifestBytes, request);
            Directory.CreateDirectory(targetDirectory);
            WriteEntries(zip, manifestEntry, manifestBytes, targetDirectory, request, cancellationToken);
        }
    }

    /// <summary>Checks every entry's name, kind and declared size before anything is written; returns the manifest's entry.</summary>
    private static ZipArchiveEntry CheckEntries(ZipArchive zip, FetchRequest request, long maxExtractedBytes)
    {
        if (zip.Entries.Count > ArtifactLimits.MaxEntries)
        {
            throw request.Failure(ArtifactMessages.TooManyEntries(request.Url, zip.Entries.Count, ArtifactLimits.MaxEntries));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        ZipArchiveEntry? manifest = null;
        long declared = 0;
        foreach (ZipArchiveEntry entry in zip.Entries)
        {
            if (Refusal(entry) is { } why)
            {
                throw request.Failure(ArtifactMessages.EntryRefused(request.Url, entry.FullName, why));
            }

            if (!names.Add(entry.FullName))
            {
                throw request.Failure(ArtifactMessages.EntryDuplicate(request.Url, entry.FullName));
            }

            // Declared sizes first, so a zip bomb is refused before one byte of it is inflated; each
            // entry is then held to its declared size while it is written.
            declared += entry.Length;
            if (entry.Length < 0 || declared > maxExtractedBytes)
            {
                throw request.Failure(ArtifactMessages.ExpandsTooFar(request.Url, maxExtractedBytes));
            }

            if (entry.FullName == PluginManifest.FileName)
            {
                manifest = entry;
            }
        }

        return manifest ?? throw request.Failure(ArtifactMessages.NoManifest(request.Url));
    }

    /// <summary>Why an entry is refused by its name or kind alone; <see langword="null"/> when it may be extracted.</summary>
    private static string? Refusal(ZipArchiveEntry entry)
    {
        string name = entry.FullName;
        if (name.Length == 0)
        {
            return "its name is empty.";
        }

        if (name.EndsWith('/'))
        {
            return "it is a directory entry; an artifact holds regular files only.";
        }

        if (name.Any(char.IsControl))
        {
            return "its name holds a control character.";
        }

        if (name.Contains('\\', StringComparison.Ordinal))
        {
            return "its name holds a backslash; an artifact's paths use '/'.";
        }

        if (name[0] == '/' || Path.IsPathRooted(name) || (name.Length >= 2 && name[1] == ':'))
        {
            return "it is an absolute path; an artifact's paths are relative to the version folder.";
        }

        foreach (string segment in name.Split('/'))
        {
            if (segment is "..")
            {
                return "it has a '..' segment, which leads outside the version folder.";
            }

            if (segment.Length == 0 || segment is ".")
            {
                return "it has an empty or '.' path segment.";
            }
        }

        int unixType = (entry.ExternalAttributes >> 16) & UnixFileTypeMask;
        if (unixType == UnixSymbolicLink || (entry.ExternalAttributes & DosReparsePoint) != 0)
        {
            return "it is a symbolic link; an artifact holds regular files only.";
        }

        if (unixType == UnixDirectory || (entry.ExternalAttributes & DosDirectory) != 0)
        {
            return "it is a directory entry; an artifact holds regular files only.";
        }

        if (unixType != 0 && unixType != UnixRegularFile)
        {
            return $"it is not a regular file (Unix file type 0x{unixType:x4}); an artifact holds regular files only.";
        }

        if (entry.IsEncrypted)
        {
            return "it is encrypted.";
        }

        return null;
    }

    private static byte[] ReadManifest(ZipArchiveEntry entry, FetchRequest request)
    {
        if (entry.Length > ArtifactLimits.MaxManifestBytes)
        {
            throw request.Failure(ArtifactMessages.EntryRefused(request.Url, entry.FullName, $"it declares {entry.Length} bytes, more than a manifest may hold."));
        }

        var bytes = new MemoryStream((int)entry.Length);
        Copy(entry, bytes, request, CancellationToken.None);
        return bytes.ToArray();
    }

    /// <summary>The manifest against the digest first (nothing in it is believed before), then its name and version.</summary>
    private static void CheckManifest(byte[] manifestBytes, FetchRequest request)
    {
        string found = Convert.ToHexStringLower(SHA256.HashData(manifestBytes));
        if (!string.Equals(found, request.Digest, StringComparison.OrdinalIgnoreCase))
        {
            throw request.Failure(ArtifactMessages.DigestMismatch(request.Url, found, request.Digest));
        }

        PluginManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(manifestBytes, ManifestJsonContext.Default.PluginManifest);
        }
        catch (JsonException ex)
        {
            throw request.Failure(ArtifactMessages.ManifestMalformed(request.Url, ex.Message), ex);
        }

        if (manifest is null)
        {
            throw request.Failure(ArtifactMessages.ManifestMalformed(request.Url, "it is the JSON null."));
        }

        if (!string.Equals(manifest.Name, request.PluginName, StringComparison.Ordinal) || !string.Equals(manifest.Version, request.Version, StringComparison.Ordinal))
        {
            throw request.Failure(ArtifactMessages.ManifestNamesOther(request.Url, manifest.Name, manifest.Version, request.PluginName, request.Version));
        }
    }

    private static void WriteEntries(ZipArchive zip, ZipArchiveEntry manifestEntry, byte[] manifestBytes, string targetDirectory, FetchRequest request, CancellationToken cancellationToken)
    {
        var written = new List<FileStream>(zip.Entries.Count);
        try
        {
            foreach (ZipArchiveEntry entry in zip.Entries)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // The text was checked above; this checks the disk too: no folder on the way is a link.
                string full = PluginLayout.ResolveInside(targetDirectory, entry.FullName)
                    ?? throw request.Failure(ArtifactMessages.EntryRefused(request.Url, entry.FullName, "its path leads outside the version folder."));
                FileStream file;
                try
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(full)!); // inside the target, so it has a parent.
                    file = new FileStream(full, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 });
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // A file where a folder must be, or two names one file system takes for one: never written over.
                    throw request.Failure(ArtifactMessages.ExtractFailed(request.Url, entry.FullName, ex.Message), ex);
                }

                written.Add(file);
                if (ReferenceEquals(entry, manifestEntry))
                {
                    file.Write(manifestBytes); // the very bytes the digest was checked on.
                }
                else
                {
                    Copy(entry, file, request, cancellationToken);
                }
            }

            // Every file flushed before the folder's rename into place names it.
            Durable.FlushFiles(written);
        }
        finally
        {
            foreach (FileStream file in written)
            {
                file.Dispose();
            }
        }
    }

    /// <summary>Inflates one entry into <paramref name="target"/>, holding it to its declared size.</summary>
    private static void Copy(ZipArchiveEntry entry, Stream target, FetchRequest request, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ArtifactLimits.BufferSize);
        long total = 0;
        try
        {
            using Stream source = entry.Open();
            int read;
            while ((read = source.Read(buffer)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                total += read;
                if (total > entry.Length)
                {
                    throw request.Failure(ArtifactMessages.EntryInflatesPast(request.Url, entry.FullName, entry.Length));
                }

                target.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw request.Failure(ArtifactMessages.EntryCorrupt(request.Url, entry.FullName, ex.Message), ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (total != entry.Length)
        {
            throw request.Failure(ArtifactMessages.EntryShort(request.Url, entry.FullName, total, entry.Length));
        }
    }
}
