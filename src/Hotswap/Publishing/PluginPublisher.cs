using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Writes and checks the on-disk format of plugins (docs/plugin-format.md): immutable version
/// folders with a <c>plugin.json</c> manifest, and a <c>current</c> file flipped by atomic rename.
/// </summary>
/// <remarks>
/// Publishing never writes into an existing version folder: it stages a new folder beside the
/// others, renames it into place, and only then flips <c>current</c>. A host reading the plugins
/// root at any moment sees either the previous version or the complete new one.
/// </remarks>
public static class PluginPublisher
{
    private static readonly string[] s_alwaysExcluded = ["Hotswap.Abstractions.dll", "Hotswap.Abstractions.pdb", "Hotswap.Abstractions.xml"];

    /// <summary>Publishes a plugin's build output as a new version folder and, by default, makes it current.</summary>
    /// <param name="buildOutputDirectory">The plugin's build or publish output.</param>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name: its folder under the plugins root.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Cancels the copy; nothing is left behind.</param>
    /// <returns>The version written.</returns>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name, or the entry assembly cannot be told or is not a valid .NET assembly.</exception>
    /// <exception cref="DirectoryNotFoundException"><paramref name="buildOutputDirectory"/> does not exist.</exception>
    /// <exception cref="IOException">A version folder with the same id but different content exists.</exception>
    public static async Task<PublishResult> PublishAsync(
        string buildOutputDirectory,
        string pluginsRoot,
        string pluginName,
        PublishOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(buildOutputDirectory);
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        if (!Directory.Exists(buildOutputDirectory))
        {
            throw new DirectoryNotFoundException(SR.BuildOutputMissing(buildOutputDirectory));
        }

        options ??= new PublishOptions();
        string source = Path.TrimEndingDirectorySeparator(Path.GetFullPath(buildOutputDirectory));
        List<string> files = SelectFiles(source, options);
        string entry = options.EntryAssembly ?? FindEntryAssembly(source, files);
        if (!files.Contains(Path.Combine(source, entry)))
        {
            throw new ArgumentException(SR.EntryAssemblyMissing(entry, source), nameof(options));
        }

        string pluginDirectory = Path.Combine(Path.GetFullPath(pluginsRoot), pluginName);
        Directory.CreateDirectory(pluginDirectory);
        string staging = Path.Combine(pluginDirectory, PluginLayout.StagingPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        try
        {
            var listed = new List<PluginManifestFile>(files.Count);
            foreach (string file in files)
            {
                string relative = PluginLayout.ToManifestPath(source, file);
                string target = Path.Combine(staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!); // target is inside staging, so it has a parent.
                File.Copy(file, target);
                listed.Add(new PluginManifestFile { Path = relative, Size = new FileInfo(target).Length, Sha256 = await HashFileAsync(target, cancellationToken).ConfigureAwait(false) });
            }

            listed.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
            if (options.SkipIfUnchanged && CurrentManifest(pluginDirectory) is { } current && SameFiles(current.Manifest.Files, listed))
            {
                TryDeleteDirectory(staging);
                return new PublishResult(current.Manifest, current.Directory, activated: false, unchanged: true);
            }

            string entryRelative = entry.Replace(Path.DirectorySeparatorChar, '/');
            AssemblyMetadata metadata;
            try
            {
                metadata = AssemblyMetadata.Read(Path.Combine(staging, entry));
            }
            catch (BadImageFormatException ex)
            {
                throw new ArgumentException(SR.EntryAssemblyInvalid(Path.Combine(source, entry), ex), nameof(buildOutputDirectory), ex);
            }

            var shipped = new HashSet<string>(
                listed.Where(f => f.Path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(f => Path.GetFileNameWithoutExtension(f.Path)),
                StringComparer.OrdinalIgnoreCase);
            var shared = metadata.References
                .Where(r => r.Name is not null && !shipped.Contains(r.Name))
                .Select(r => new SharedAssemblyReference { Name = r.Name!, Version = r.Version?.ToString() ?? "0.0.0.0" }) // filtered on Name above.
                .OrderBy(r => r.Name, StringComparer.Ordinal)
                .ToList();

            DateTimeOffset builtAt = options.TimeProvider.GetUtcNow();
            builtAt = new DateTimeOffset(builtAt.Ticks - (builtAt.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
            string version = $"{builtAt:yyyyMMdd'T'HHmmss'Z'}-{ContentHash(listed)[..8]}";
            var manifest = new PluginManifest
            {
                Name = pluginName,
                Version = version,
                EntryAssembly = entryRelative,
                TargetFramework = metadata.TargetFramework,
                BuiltAt = builtAt,
                SourceCommit = options.SourceCommit,
                Files = listed,
                SharedAssemblies = shared,
            };
            await WriteManifestAsync(Path.Combine(staging, PluginManifest.FileName), manifest, cancellationToken).ConfigureAwait(false);

            string final = Path.Combine(pluginDirectory, version);
            if (!TryMoveDirectory(staging, final))
            {
                // Same content published within the same second: the folder already holds exactly these files.
                PluginManifest? existing = TryReadManifest(final);
                if (existing is null || !SameFiles(existing.Files, listed))
                {
                    throw new IOException(SR.VersionFolderConflict(final));
                }

                manifest = existing;
                TryDeleteDirectory(staging);
            }

            if (options.Activate)
            {
                Activate(pluginsRoot, pluginName, version);
            }

            return new PublishResult(manifest, final, options.Activate);
        }
        catch
        {
            TryDeleteDirectory(staging);
            throw;
        }
    }

    /// <summary>Makes a published version current by atomically replacing the plugin's <c>current</c> file.</summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="version">The version id: an existing version folder with a manifest.</param>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name.</exception>
    /// <exception cref="DirectoryNotFoundException">The version folder or its manifest does not exist.</exception>
    public static void Activate(string pluginsRoot, string pluginName, string version)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(version);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        if (!PluginLayout.IsValidName(version))
        {
            throw new ArgumentException(SR.InvalidVersionName(version), nameof(version));
        }

        string pluginDirectory = Path.Combine(Path.GetFullPath(pluginsRoot), pluginName);
        string versionDirectory = Path.Combine(pluginDirectory, version);
        if (!File.Exists(Path.Combine(versionDirectory, PluginManifest.FileName)))
        {
            throw new DirectoryNotFoundException(SR.CannotActivate(versionDirectory));
        }

        string temp = Path.Combine(pluginDirectory, PluginLayout.CurrentTempPrefix + Guid.NewGuid().ToString("N"));
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(version + "\n"));
            stream.Flush(flushToDisk: true);
        }

        // rename(2) replaces the old file atomically: readers see the old or the new name, never a partial one.
        File.Move(temp, PluginLayout.CurrentFile(pluginDirectory), overwrite: true);
    }

    /// <summary>Checks a version folder: its manifest, every listed file's size and SHA-256, paths escaping the folder, and files not listed.</summary>
    /// <param name="versionDirectory">The version folder.</param>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>Every problem found, each naming its file.</returns>
    /// <exception cref="ArgumentException"><paramref name="versionDirectory"/> is null or empty.</exception>
    public static async Task<VerificationResult> VerifyAsync(string versionDirectory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        string directory = Path.GetFullPath(versionDirectory);
        var problems = new List<VerificationProblem>();
        string manifestPath = Path.Combine(directory, PluginManifest.FileName);
        if (!Directory.Exists(directory))
        {
            problems.Add(new(directory, SR.VersionFolderMissing));
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

        if (!PluginLayout.IsValidName(manifest.Name))
        {
            problems.Add(new(manifestPath, SR.ManifestNameInvalid(manifest.Name)));
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (PluginManifestFile file in manifest.Files ?? [])
        {
            string? full = PluginLayout.ResolveInside(directory, file.Path);
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

            if (!File.Exists(full))
            {
                problems.Add(new(full, SR.FileMissing));
                continue;
            }

            long size = new FileInfo(full).Length;
            if (size != file.Size)
            {
                problems.Add(new(full, SR.FileSizeMismatch(size, file.Size)));
                continue;
            }

            string hash = await HashFileAsync(full, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(hash, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(new(full, SR.FileHashMismatch(hash, file.Sha256)));
            }
        }

        string? entry = PluginLayout.ResolveInside(directory, manifest.EntryAssembly);
        if (entry is null || !listed.Contains(entry))
        {
            problems.Add(new(manifestPath, SR.EntryNotListed(manifest.EntryAssembly)));
        }

        foreach (string present in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            if (!listed.Contains(present) && !string.Equals(present, manifestPath, StringComparison.Ordinal))
            {
                problems.Add(new(present, SR.FileNotListed));
            }
        }

        return new VerificationResult(directory, manifest, problems);
    }

    /// <summary>
    /// Deletes a plugin's old version folders, keeping the one <c>current</c> names, the newest
    /// <paramref name="keep"/> others, and every version a live host on this root still holds
    /// (serving, draining or stuck), as the hosts report through <see cref="HostStatusReader"/>.
    /// </summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="keep">How many version folders to keep besides the current one and those in use.</param>
    /// <returns>The version ids deleted.</returns>
    /// <exception cref="ArgumentException">An argument is null, empty or not a valid name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="keep"/> is negative.</exception>
    public static IReadOnlyList<string> Prune(string pluginsRoot, string pluginName, int keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        if (!PluginLayout.IsValidName(pluginName))
        {
            throw new ArgumentException(SR.InvalidPluginName(pluginName), nameof(pluginName));
        }

        string pluginDirectory = Path.Combine(Path.GetFullPath(pluginsRoot), pluginName);
        if (!Directory.Exists(pluginDirectory))
        {
            return [];
        }

        string currentFile = PluginLayout.CurrentFile(pluginDirectory);
        string? current = File.Exists(currentFile) ? File.ReadAllText(currentFile).Trim() : null;
        var inUse = HostStatusReader.ReadLiveHosts(pluginsRoot)
            .SelectMany(static h => h.AllVersions)
            .Where(v => string.Equals(v.Name, pluginName, StringComparison.OrdinalIgnoreCase))
            .Select(static v => v.Version)
            .ToHashSet(StringComparer.Ordinal);

        // Version ids start with their UTC publish time, so name order is age order.
        List<string> versions = [.. Directory.GetDirectories(pluginDirectory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(static name => PluginLayout.IsValidName(name))
            .Order(StringComparer.Ordinal)];
        var kept = new HashSet<string>(versions.Where(v => v != current).TakeLast(keep), StringComparer.Ordinal);
        var deleted = new List<string>();
        foreach (string version in versions)
        {
            if (version == current || kept.Contains(version) || inUse.Contains(version))
            {
                continue;
            }

            // Rename first: a host scanning now sees the folder gone at once, never half deleted.
            string doomed = Path.Combine(pluginDirectory, PluginLayout.StagingPrefix + "pruned-" + version);
            try
            {
                Directory.Move(Path.Combine(pluginDirectory, version), doomed);
                Directory.Delete(doomed, recursive: true);
                deleted.Add(version);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Locked (Windows) or racing another prune: leave it for the next one.
            }
        }

        return deleted;
    }

    internal static PluginManifest ReadManifest(string manifestPath)
    {
        using FileStream stream = File.OpenRead(manifestPath);
        return JsonSerializer.Deserialize(stream, ManifestJsonContext.Default.PluginManifest)
            ?? throw new JsonException(SR.ManifestIsNull);
    }

    private static (PluginManifest Manifest, string Directory)? CurrentManifest(string pluginDirectory)
    {
        string currentFile = PluginLayout.CurrentFile(pluginDirectory);
        if (!File.Exists(currentFile))
        {
            return null;
        }

        string directory = Path.Combine(pluginDirectory, File.ReadAllText(currentFile).Trim());
        return TryReadManifest(directory) is { } manifest ? (manifest, directory) : null;
    }

    private static PluginManifest? TryReadManifest(string versionDirectory)
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

    private static async Task WriteManifestAsync(string path, PluginManifest manifest, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ManifestJsonContext.Default.PluginManifest, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
    }

    private static List<string> SelectFiles(string source, PublishOptions options)
    {
        var files = new List<string>();
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (string.Equals(name, PluginManifest.FileName, StringComparison.OrdinalIgnoreCase)
                || options.ExcludeFiles.Contains(name)
                || s_alwaysExcluded.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            files.Add(file);
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private static string FindEntryAssembly(string source, List<string> files)
    {
        var deps = files.Where(f => Path.GetDirectoryName(f) == source && f.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase)).ToList();
        if (deps.Count != 1)
        {
            throw new ArgumentException(SR.EntryAssemblyUnknown(source, deps.Count));
        }

        string name = Path.GetFileName(deps[0]);
        return name[..^".deps.json".Length] + ".dll";
    }

    internal static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            byte[] hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
            return Convert.ToHexStringLower(hash);
        }
    }

    private static string ContentHash(List<PluginManifestFile> files)
    {
        var text = new StringBuilder();
        foreach (PluginManifestFile file in files)
        {
            text.Append(file.Path).Append('\t').Append(file.Sha256).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static bool SameFiles(IReadOnlyList<PluginManifestFile> a, IReadOnlyList<PluginManifestFile> b)
        => a.Count == b.Count && a.Zip(b).All(p => p.First.Path == p.Second.Path && string.Equals(p.First.Sha256, p.Second.Sha256, StringComparison.OrdinalIgnoreCase));

    private static bool TryMoveDirectory(string from, string to)
    {
        if (Directory.Exists(to))
        {
            return false;
        }

        try
        {
            Directory.Move(from, to);
            return true;
        }
        catch (IOException) when (Directory.Exists(to))
        {
            return false;
        }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover staging folder starts with a dot and is ignored by hosts.
        }
    }
}
