using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Publishes one build output as a version folder (docs/plugin-format.md, "Publishing, step by
/// step"). In order: select the files; copy them into <c>&lt;plugin&gt;/.staging-&lt;guid&gt;/</c>,
/// hashing and flushing each; with <see cref="PublishOptions.SkipIfUnchanged"/>, stop if
/// <c>current</c> names an intact folder with exactly these files; read the entry assembly and
/// write <c>plugin.json</c>; flush the staging tree; then, holding the <see cref="PruneLock"/>
/// shared, rename it into place (or reuse an intact folder with the same id and files) and flip
/// <c>current</c>, flushing the plugin folder after each rename. Any failure deletes the staging
/// folder and leaves <c>current</c> as it was.
/// </summary>
/// <remarks>
/// A version folder is reused, or reported as the unchanged current one, only after its files on
/// disk are verified: a folder changed after publishing is never made (or left reported as)
/// current by a publish that claims success.
/// </remarks>
internal sealed class VersionPublisher
{

    private static readonly string[] s_alwaysExcluded = ["Hotswap.Abstractions.dll", "Hotswap.Abstractions.pdb", "Hotswap.Abstractions.xml"];

    private readonly string _source;
    private readonly string _pluginsRoot;
    private readonly string _pluginName;
    private readonly string _pluginDirectory;
    private readonly string _staging;
    private readonly Settings _settings;

    private VersionPublisher(string source, string pluginsRoot, string pluginName, Settings settings)
    {
        _source = source;
        _pluginsRoot = pluginsRoot;
        _pluginName = pluginName;
        _pluginDirectory = Path.Combine(pluginsRoot, pluginName);
        _staging = Path.Combine(_pluginDirectory, PluginLayout.StagingPrefix + Guid.NewGuid().ToString("N"));
        _settings = settings;
    }

    /// <summary>Publishes; the arguments were checked by <see cref="PluginPublisher.PublishAsync"/>.</summary>
    public static async Task<PublishResult> PublishAsync(string buildOutputDirectory, string pluginsRoot, string pluginName, PublishOptions options, CancellationToken cancellationToken)
    {
        // The options are the caller's mutable object: copy them once, before the first await.
        var settings = new Settings(options);
        if (settings.SigningKey is { } pem)
        {
            // Refuse a bad key before building anything.
            using ECDsa key = ManifestSignature.ImportKey(pem, requirePrivate: true);
            settings.SigningKeyId = ManifestSignature.KeyId(key);
        }

        if (settings.Sequence < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), settings.Sequence, SR.SequenceNotPositive(settings.Sequence.Value));
        }

        string source = Path.TrimEndingDirectorySeparator(Path.GetFullPath(buildOutputDirectory));
        var publisher = new VersionPublisher(source, Path.GetFullPath(pluginsRoot), pluginName, settings);
        return await publisher.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flips <c>current</c> to an existing version folder: a flushed sibling temporary file renamed over it, then the folder flushed.</summary>
    /// <exception cref="DirectoryNotFoundException">The version folder has no manifest.</exception>
    public static void Activate(string pluginDirectory, string version)
    {
        string versionDirectory = Path.Combine(pluginDirectory, version);
        if (!File.Exists(Path.Combine(versionDirectory, PluginManifest.FileName)))
        {
            throw new DirectoryNotFoundException(SR.CannotActivate(versionDirectory));
        }

        string temp = Path.Combine(pluginDirectory, PluginLayout.CurrentTempPrefix + Guid.NewGuid().ToString("N"));
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(version + "\n"));
            Durable.FlushFile(stream);
        }

        // rename(2) replaces the old file atomically: readers see the old or the new name, never a partial one.
        File.Move(temp, PluginLayout.CurrentFile(pluginDirectory), overwrite: true);
        Durable.FlushDirectory(pluginDirectory);
    }

    private async Task<PublishResult> RunAsync(CancellationToken cancellationToken)
    {
        List<string> files = SelectFiles();
        string entry = _settings.EntryAssembly ?? FindEntryAssembly(files);
        if (!files.Contains(Path.Combine(_source, entry)))
        {
            throw new ArgumentException(SR.EntryAssemblyMissing(entry, _source), "options");
        }

        if (!Directory.Exists(_pluginDirectory))
        {
            Directory.CreateDirectory(_pluginDirectory);
            Durable.FlushDirectory(_pluginsRoot);
        }

        Directory.CreateDirectory(_staging);
        try
        {
            List<PluginManifestFile> listed = await StageAsync(files, cancellationToken).ConfigureAwait(false);
            if (_settings.SkipIfUnchanged && await IntactCurrentWithAsync(listed, cancellationToken).ConfigureAwait(false) is { } current)
            {
                TryDeleteDirectory(_staging);
                return new PublishResult(current.Manifest, current.Directory, activated: false, unchanged: true);
            }

            PluginManifest manifest = SignIfAsked(BuildManifest(entry, listed));
            await WriteManifestAsync(manifest, cancellationToken).ConfigureAwait(false);
            Durable.FlushTree(_staging);

            // Shared with hosts reading current, exclusive with the pruner: the folder cannot be
            // pruned between its rename into place (or its check, when reused) and the flip.
            using PruneLock? flipping = PruneLock.EnterShared(_pluginsRoot);
            string final = Path.Combine(_pluginDirectory, manifest.Version);
            manifest = await MoveIntoPlaceAsync(manifest, final, listed, cancellationToken).ConfigureAwait(false);
            if (_settings.Activate)
            {
                Activate(_pluginDirectory, manifest.Version);
                DowngradeGuard.Revoke(_pluginDirectory); // a new version ends what a rollback allowed
            }

            return new PublishResult(manifest, final, _settings.Activate);
        }
        catch
        {
            TryDeleteDirectory(_staging);
            throw;
        }
    }

    private List<string> SelectFiles()
    {
        var files = new List<string>();
        foreach (string file in Directory.EnumerateFiles(_source, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetFileName(file);
            if (string.Equals(name, PluginManifest.FileName, StringComparison.OrdinalIgnoreCase)
                || _settings.ExcludeFiles.Contains(name)
                || s_alwaysExcluded.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            files.Add(file);
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    private string FindEntryAssembly(List<string> files)
    {
        var deps = files.Where(f => Path.GetDirectoryName(f) == _source && f.EndsWith(".deps.json", StringComparison.OrdinalIgnoreCase)).ToList();
        if (deps.Count != 1)
        {
            throw new ArgumentException(SR.EntryAssemblyUnknown(_source, deps.Count));
        }

        string name = Path.GetFileName(deps[0]);
        return name[..^".deps.json".Length] + ".dll";
    }

    /// <summary>Copies every file into the staging folder; each copy is hashed as written and flushed to disk.</summary>
    /// <remarks>
    /// One pass per file: each chunk read from the build output is hashed and written, so what is
    /// hashed is exactly what was written, and nothing just written is read back. The copies are
    /// flushed together once all are written (<see cref="Durable.FlushFiles"/>), before the manifest. The copy keeps
    /// the source's permissions and modification time, as <see cref="File.Copy(string, string)"/>
    /// did. Synchronous reads and writes: a build output is local and small, and an asynchronous
    /// file stream on Unix only moves the same system calls to the thread pool.
    /// </remarks>
    private Task<List<PluginManifestFile>> StageAsync(List<string> files, CancellationToken cancellationToken)
    {
        var listed = new List<PluginManifestFile>(files.Count);
        var copies = new List<FileStream>(files.Count);
        byte[] buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(FileHashing.BufferSize);
        try
        {
            foreach (string file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                string relative = PluginLayout.ToManifestPath(_source, file);
                string target = Path.Combine(_staging, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!); // target is inside staging, so it has a parent.
                using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 0 };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = File.GetUnixFileMode(input.SafeFileHandle);
                }

                var copy = new FileStream(target, create);
                copies.Add(copy);
                (long size, string sha256) = FileHashing.Copy(input, copy, buffer, cancellationToken);
                File.SetLastWriteTimeUtc(copy.SafeFileHandle, File.GetLastWriteTimeUtc(input.SafeFileHandle));
                listed.Add(new PluginManifestFile { Path = relative, Size = size, Sha256 = sha256 });
            }

            // Every copy flushed before anything names it (the manifest, the rename into place).
            copies.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            Durable.FlushFiles(copies);
        }
        finally
        {
            foreach (FileStream copy in copies)
            {
                copy.Dispose();
            }

            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        listed.Sort(static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        return Task.FromResult(listed);
    }

    /// <summary>
    /// The version <c>current</c> names, when its manifest lists exactly these files and its files on
    /// disk still match the manifest; otherwise <see langword="null"/>, and a new folder is published
    /// (a damaged current is replaced, never reported as unchanged).
    /// </summary>
    private async Task<(PluginManifest Manifest, string Directory)?> IntactCurrentWithAsync(List<PluginManifestFile> listed, CancellationToken cancellationToken)
    {
        string? current = PluginLayout.ReadCurrentOf(_pluginDirectory);
        if (!PluginLayout.IsValidName(current))
        {
            return null;
        }

        string directory = Path.Combine(_pluginDirectory, current);
        if (PluginVerifier.TryReadManifest(directory) is not { } manifest || !SameFiles(manifest.Files, listed))
        {
            return null;
        }

        // Signing: an unsigned current, or one signed by another key, is not what was asked for.
        if (_settings.SigningKeyId is { } keyId && !(ManifestSignature.TryParse(manifest.Signature, out string signedBy, out _) && signedBy == keyId))
        {
            return null;
        }

        VerificationResult verified = await PluginVerifier.VerifyAsync(directory, cancellationToken).ConfigureAwait(false);
        return verified.IsValid ? (verified.Manifest!, directory) : null; // a valid result always has its manifest.
    }

    /// <summary>With a signing key, the manifest signed over its sequence (the one asked for, or the next in the plugins root).</summary>
    private PluginManifest SignIfAsked(PluginManifest manifest)
    {
        if (_settings.SigningKey is not { } pem)
        {
            return manifest;
        }

        using ECDsa key = ManifestSignature.ImportKey(pem, requirePrivate: true);
        return ManifestSigner.Sign(manifest, _settings.Sequence ?? ManifestSigner.NextSequence(_pluginDirectory), key);
    }

    private PluginManifest BuildManifest(string entry, List<PluginManifestFile> listed)
    {
        AssemblyMetadata metadata;
        try
        {
            metadata = AssemblyMetadata.Read(Path.Combine(_staging, entry));
        }
        catch (BadImageFormatException ex)
        {
            throw new ArgumentException(SR.EntryAssemblyInvalid(Path.Combine(_source, entry), ex), "buildOutputDirectory", ex);
        }

        var shipped = new HashSet<string>(
            listed.Where(f => f.Path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).Select(f => Path.GetFileNameWithoutExtension(f.Path)),
            StringComparer.OrdinalIgnoreCase);
        var shared = metadata.References
            .Where(r => r.Name is not null && !shipped.Contains(r.Name))
            .Select(r => new SharedAssemblyReference { Name = r.Name!, Version = r.Version?.ToString() ?? "0.0.0.0" }) // filtered on Name above.
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

        DateTimeOffset builtAt = _settings.TimeProvider.GetUtcNow();
        builtAt = new DateTimeOffset(builtAt.Ticks - (builtAt.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        return new PluginManifest
        {
            Name = _pluginName,
            Version = $"{builtAt:yyyyMMdd'T'HHmmss'Z'}-{ContentHash(listed)[..8]}",
            EntryAssembly = entry.Replace(Path.DirectorySeparatorChar, '/'),
            TargetFramework = metadata.TargetFramework,
            BuiltAt = builtAt,
            SourceCommit = _settings.SourceCommit,
            Files = listed,
            SharedAssemblies = shared,
        };
    }

    private async Task WriteManifestAsync(PluginManifest manifest, CancellationToken cancellationToken)
    {
        var stream = new FileStream(Path.Combine(_staging, PluginManifest.FileName), FileMode.CreateNew, FileAccess.Write);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, manifest, ManifestJsonContext.Default.PluginManifest, cancellationToken).ConfigureAwait(false);
            Durable.FlushFile(stream);
        }
    }

    /// <summary>
    /// Renames the staging folder to its version id. When that folder exists already (the same
    /// content published within the same second), reuses it only if its files on disk match its
    /// manifest and its manifest lists exactly these files; otherwise refuses, naming the file.
    /// </summary>
    /// <exception cref="IOException">The existing folder was changed after publishing, or holds other files.</exception>
    private async Task<PluginManifest> MoveIntoPlaceAsync(PluginManifest manifest, string final, List<PluginManifestFile> listed, CancellationToken cancellationToken)
    {
        if (TryMoveDirectory(_staging, final))
        {
            // Without a flip following, the rename must be durable before the publish returns. With
            // one, the flip's own flushes make it durable, and in order: the temporary current
            // file is flushed first (on ext4 that commits the running journal transaction, this
            // rename included; on XFS it forces the log past it), a journal or log never replays
            // the later flip without this earlier rename, and the plugin folder is flushed after
            // the flip, which covers both names. So current never names a folder lost in a crash.
            if (!_settings.Activate)
            {
                Durable.FlushDirectory(_pluginDirectory);
            }

            return manifest;
        }

        VerificationResult existing = await PluginVerifier.VerifyAsync(final, cancellationToken).ConfigureAwait(false);
        if (!existing.IsValid)
        {
            throw new IOException(SR.VersionFolderDamaged(final, existing.Problems[0], existing.Problems.Count - 1));
        }

        PluginManifest reused = existing.Manifest!; // a valid result always has its manifest.
        if (!SameFiles(reused.Files, listed))
        {
            throw new IOException(SR.VersionFolderConflict(final));
        }

        TryDeleteDirectory(_staging);
        return reused;
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

    /// <summary>What this publish uses of <see cref="PublishOptions"/>, copied when it starts.</summary>
    private sealed class Settings(PublishOptions options)
    {
        public string? EntryAssembly { get; } = options.EntryAssembly;

        public IReadOnlySet<string> ExcludeFiles { get; } = new HashSet<string>(options.ExcludeFiles, StringComparer.OrdinalIgnoreCase);

        public string? SourceCommit { get; } = options.SourceCommit;

        public bool Activate { get; } = options.Activate;

        public bool SkipIfUnchanged { get; } = options.SkipIfUnchanged;

        public TimeProvider TimeProvider { get; } = options.TimeProvider;

        public string? SigningKey { get; } = options.SigningKey;

        public long? Sequence { get; } = options.Sequence;

        /// <summary>Gets or sets the signing key's id, set once the key was read.</summary>
        public string? SigningKeyId { get; set; }
    }
}
