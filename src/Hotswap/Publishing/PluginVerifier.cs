using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Checks version folders against their manifests (docs/plugin-format.md, "What a host checks"):
/// the manifest parses and names its folder, every listed path stays inside the folder, every listed
/// file exists with its size and SHA-256, the entry assembly is listed, and no unlisted file is present.
/// </summary>
internal static class PluginVerifier
{
    /// <summary>Checks one version folder on the thread pool; every problem found names its file.</summary>
    public static Task<VerificationResult> VerifyAsync(string versionDirectory, CancellationToken cancellationToken)
        => VerifyAsync(versionDirectory, trustedKeys: null, cancellationToken);

    /// <summary>Checks one version folder and, with trusted keys, its signature, on the thread pool; every problem found names its file.</summary>
    public static Task<VerificationResult> VerifyAsync(string versionDirectory, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
        => Task.Run(() => Verify(versionDirectory, trustedKeys, cancellationToken), cancellationToken);

    /// <summary>
    /// Checks one version folder and, with trusted keys, its signature, on the calling thread (a
    /// reload, already on the thread pool); every problem found names its file.
    /// </summary>
    /// <remarks>
    /// Synchronous on purpose: a version folder is local files, which the platform reads synchronously
    /// even through an asynchronous stream on Linux (on a pool thread, with a hop per read). Reading
    /// them here, in one pass per file, is what keeps a reload's verification short.
    /// </remarks>
    public static VerificationResult Verify(string versionDirectory, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        string directory = Path.GetFullPath(versionDirectory);
        var problems = new List<VerificationProblem>();
        string manifestPath = Path.Combine(directory, PluginManifest.FileName);
        if (!Directory.Exists(directory))
        {
            problems.Add(new(directory, SR.VersionFolderMissing));
            return new VerificationResult(directory, null, problems);
        }

        // Links first: nothing they refuse is followed, sized or hashed below.
        VersionFolderLinks links = VersionFolderLinks.Check(directory, problems);
        if (links.FolderRefused)
        {
            return new VerificationResult(directory, null, problems);
        }

        PluginManifest? manifest;
        try
        {
            manifest = ReadManifest(manifestPath);
        }
        catch (FileNotFoundException)
        {
            problems.Add(new(manifestPath, SR.ManifestMissing));
            return new VerificationResult(directory, null, problems);
        }
        catch (JsonException ex)
        {
            problems.Add(new(manifestPath, SR.ManifestMalformed(ex.Message)));
            return new VerificationResult(directory, null, problems);
        }

        if (manifest.FormatVersion != PluginManifest.CurrentFormatVersion)
        {
            problems.Add(new(manifestPath, SR.ManifestFormatVersion(manifest.FormatVersion)));
            return new VerificationResult(directory, manifest, problems);
        }

        string folderName = Path.GetFileName(directory);
        if (!string.Equals(manifest.Version, folderName, StringComparison.Ordinal))
        {
            problems.Add(new(manifestPath, SR.ManifestVersionMismatch(manifest.Version, folderName)));
        }

        string? pluginFolder = Path.GetFileName(Path.GetDirectoryName(directory));
        if (!PluginLayout.IsValidName(manifest.Name))
        {
            problems.Add(new(manifestPath, SR.ManifestNameInvalid(manifest.Name)));
        }
        else if (!string.Equals(manifest.Name, pluginFolder, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(new(manifestPath, SR.ManifestNameMismatch(manifest.Name, pluginFolder ?? "")));
        }

        foreach (SharedAssemblyReference? shared in manifest.SharedAssemblies ?? [])
        {
            if (shared is null || !IsAssemblyName(shared.Name) || !System.Version.TryParse(shared.Version, out _))
            {
                problems.Add(new(manifestPath, SR.SharedAssemblyInvalid(shared?.Name, shared?.Version)));
            }
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (PluginManifestFile? file in manifest.Files ?? [])
        {
            if (file is null || string.IsNullOrEmpty(file.Path) || file.Path.Contains('\0', StringComparison.Ordinal) || string.IsNullOrEmpty(file.Sha256))
            {
                problems.Add(new(manifestPath, SR.FileEntryInvalid(file?.Path)));
                continue;
            }

            string? full = PluginLayout.ResolveInside(directory, file.Path);
            if (links.Refused(file.Path))
            {
                if (full is not null)
                {
                    listed.Add(full); // listed, and refused above: not also "not listed" below.
                }

                continue;
            }

            if (full is null)
            {
                problems.Add(new(manifestPath, SR.PathEscapes(file.Path)));
                continue;
            }

            if (!listed.Add(full))
            {
                problems.Add(new(manifestPath, SR.PathListedTwice(file.Path)));
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (CheckFile(full, file, cancellationToken) is { } problem)
            {
                problems.Add(problem);
            }
        }

        string? entry = string.IsNullOrEmpty(manifest.EntryAssembly) || manifest.EntryAssembly.Contains('\0', StringComparison.Ordinal) ? null : PluginLayout.ResolveInside(directory, manifest.EntryAssembly);
        if ((entry is null || !listed.Contains(entry)) && !links.Refused(manifest.EntryAssembly))
        {
            problems.Add(new(manifestPath, SR.EntryNotListed(manifest.EntryAssembly)));
        }

        foreach (string present in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            if (!listed.Contains(present) && !string.Equals(present, manifestPath, StringComparison.Ordinal) && !links.Refused(PluginLayout.ToManifestPath(directory, present)))
            {
                problems.Add(new(present, SR.FileNotListed));
            }
        }

        // Signatures (docs/plugin-format.md, "Signed manifests"): one check, owned by TrustedKeySet.
        if (trustedKeys?.Check(directory, manifestPath, manifest) is { } signatureProblem)
        {
            problems.Add(signatureProblem);
        }

        return new VerificationResult(directory, manifest, problems);
    }

    /// <summary>
    /// Checks a whole plugins root: what every plugin's <c>current</c> names, and every version
    /// folder of every plugin, in name order.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="IOException">The root cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The root cannot be read.</exception>
    public static Task<RootVerificationResult> VerifyRootAsync(string pluginsRoot, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
        => Task.Run(() => VerifyRoot(pluginsRoot, trustedKeys, cancellationToken), cancellationToken);

    private static RootVerificationResult VerifyRoot(string pluginsRoot, TrustedKeySet? trustedKeys, CancellationToken cancellationToken)
    {
        string root = Path.GetFullPath(pluginsRoot);
        var versions = new List<VerificationResult>();
        var currentProblems = new List<VerificationProblem>();
        foreach (PluginFolder plugin in PluginLayout.ListPlugins(root))
        {
            List<string> folders = PluginLayout.ListVersions(plugin.Directory);
            if (CheckCurrent(plugin, folders) is { } problem)
            {
                currentProblems.Add(problem);
            }

            foreach (string version in folders)
            {
                versions.Add(Verify(Path.Combine(plugin.Directory, version), trustedKeys, cancellationToken));
            }
        }

        return new RootVerificationResult(root, versions, currentProblems);
    }

    /// <summary>Whether a shared assembly's name is a simple assembly name: no path, no control characters.</summary>
    private static bool IsAssemblyName(string? name)
        => !string.IsNullOrWhiteSpace(name) && name.Length <= 1024 && name.IndexOfAny(['/', '\\', ':', ',', '=']) < 0 && !name.Any(char.IsControl) && name != "." && name != "..";

    internal static PluginManifest ReadManifest(string manifestPath)
    {
        using FileStream stream = File.OpenRead(manifestPath);
        return JsonSerializer.Deserialize(stream, ManifestJsonContext.Default.PluginManifest)
            ?? throw new JsonException(SR.ManifestIsNull);
    }

    /// <summary>Reads a version folder's manifest; <see langword="null"/> when it is missing or unreadable.</summary>
    internal static PluginManifest? TryReadManifest(string versionDirectory)
    {
        try
        {
            return ReadManifest(Path.Combine(versionDirectory, PluginManifest.FileName));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Checks one listed file: present, of the listed size and SHA-256, all from one open.</summary>
    private static VerificationProblem? CheckFile(string full, PluginManifestFile file, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException || (ex is UnauthorizedAccessException && Directory.Exists(full)))
        {
            return new(full, SR.FileMissing); // a folder where the file should be is no file either
        }

        using (stream)
        {
            long size = stream.Length;
            if (size != file.Size)
            {
                return new(full, SR.FileSizeMismatch(size, file.Size));
            }

            string hash = Hash(stream, cancellationToken);
            return string.Equals(hash, file.Sha256, StringComparison.OrdinalIgnoreCase) ? null : new(full, SR.FileHashMismatch(hash, file.Sha256));
        }
    }

    /// <summary>The lower-case hex SHA-256 of the rest of <paramref name="stream"/>, read in large blocks; checks for cancellation between blocks.</summary>
    internal static string Hash(Stream stream, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(FileHashing.BufferSize);
        try
        {
            return FileHashing.Copy(stream, target: null, buffer, cancellationToken).Sha256;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static VerificationProblem? CheckCurrent(PluginFolder plugin, List<string> versions)
    {
        string currentFile = PluginLayout.CurrentFile(plugin.Directory);
        string? current;
        string? refused;
        try
        {
            refused = PluginLayout.CheckCurrent(currentFile, out current);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new VerificationProblem(currentFile, SR.CurrentFileUnreadable(ex));
        }

        if (refused is not null)
        {
            return new VerificationProblem(currentFile, refused); // the very words the host refuses it with.
        }

        return current is null || versions.Contains(current, StringComparer.Ordinal)
            ? null
            : new VerificationProblem(currentFile, SR.CurrentNamesMissingFolder(current, Path.Combine(plugin.Directory, current)));
    }
}
