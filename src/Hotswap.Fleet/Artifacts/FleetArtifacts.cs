namespace Hotswap;

/// <summary>
/// Packs version folders into fleet artifacts and names them by digest (docs/fleet.md, "Words").
/// </summary>
/// <remarks>
/// <para>
/// An <b>artifact</b> is a zip archive of one version folder exactly as published: the manifest
/// (<c>plugin.json</c>) included, file paths relative to the folder with <c>/</c> as separator, no
/// directory entries, no links. It is written deterministically: entries in ordinal path order, one
/// fixed timestamp (1980-01-01 00:00:00), one fixed compression level, the same attributes on every
/// entry (a regular file, mode 0644); so two packs of one folder on one platform and runtime are
/// byte-identical.
/// </para>
/// <para>
/// Its <b>digest</b> is the lower-case hex SHA-256 of the version folder's manifest file bytes. The
/// manifest holds every file's size and SHA-256, so the digest names the whole folder. The fleet's
/// desired record carries it beside the artifact's URL, so the transport needs no trust: a host
/// checks the archive's manifest against the digest before it believes anything else in it, then
/// every file against the manifest, then the signature when trusted keys are set.
/// </para>
/// </remarks>
public static class FleetArtifacts
{
    /// <summary>
    /// Packs a version folder into an artifact: verifies the folder (every file against the manifest,
    /// no unlisted file, no link), writes the archive to a temporary name beside
    /// <paramref name="outputPath"/>, flushes it and renames it into place.
    /// </summary>
    /// <param name="versionDirectory">The version folder, <c>&lt;root&gt;/&lt;plugin&gt;/&lt;version&gt;</c>, as published.</param>
    /// <param name="outputPath">Where to write the archive; an existing file there is replaced. Its folder is created when missing.</param>
    /// <param name="cancellationToken">Stops the pack; the output is then left as it was.</param>
    /// <returns>The artifact: the plugin's name and version from the manifest, the digest, and the archive's full path.</returns>
    /// <exception cref="ArgumentException">A path is empty, or the output would be inside the version folder.</exception>
    /// <exception cref="ArgumentNullException">A path is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">
    /// The folder does not verify (the message names the first problem's file and what is wrong), or a
    /// file changed while it was being packed.
    /// </exception>
    /// <exception cref="IOException">The archive cannot be written.</exception>
    /// <exception cref="UnauthorizedAccessException">The archive's folder cannot be written.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public static Task<FleetArtifact> PackAsync(string versionDirectory, string outputPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        ArgumentException.ThrowIfNullOrEmpty(outputPath);
        string directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(versionDirectory));
        string output = Path.GetFullPath(outputPath);
        if (output.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal) || string.Equals(output, directory, StringComparison.Ordinal))
        {
            throw new ArgumentException(ArtifactMessages.PackOutputInsideFolder(output, directory), nameof(outputPath));
        }

        return Task.Run(() => ArtifactWriter.Pack(directory, output, cancellationToken), cancellationToken);
    }

    /// <summary>Computes a version folder's digest: the lower-case hex SHA-256 of its manifest file's bytes, as they are on disk.</summary>
    /// <param name="versionDirectory">The version folder.</param>
    /// <returns>64 lower-case hex digits.</returns>
    /// <remarks>Nothing is verified: the digest names the manifest, and the manifest names every file. Verify the folder before trusting it.</remarks>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    /// <exception cref="ArgumentNullException">The path is <see langword="null"/>.</exception>
    /// <exception cref="FileNotFoundException">The folder has no manifest.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="IOException">The manifest cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The manifest cannot be opened.</exception>
    public static string ComputeDigest(string versionDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(versionDirectory);
        string manifestPath = Path.Combine(Path.GetFullPath(versionDirectory), PluginManifest.FileName);
        using var stream = new FileStream(manifestPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        return PluginVerifier.Hash(stream, CancellationToken.None);
    }
}
