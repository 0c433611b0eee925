using System.Security.Cryptography;

namespace Hotswap;

/// <summary>
/// The files of one verified version folder with the size and SHA-256 its manifest gave them, kept
/// on the version so that every load reads bytes, hashes them and hands over only bytes that match:
/// what is loaded is what was verified, however much later it is needed and whatever is on disk then.
/// </summary>
/// <remarks>
/// Holds strings only (no assembly, no type), so the load context may keep it without pinning the
/// version. Immutable after construction, so safe to read from any thread (lazy loads run on whichever
/// thread first needs an assembly).
/// </remarks>
internal sealed class VerifiedFiles
{
    private readonly Dictionary<string, PluginManifestFile> _files;

    private VerifiedFiles(string pluginName, string versionDirectory, Dictionary<string, PluginManifestFile> files)
    {
        PluginName = pluginName;
        VersionDirectory = versionDirectory;
        _files = files;
    }

    /// <summary>Gets the plugin the files belong to, for messages.</summary>
    public string PluginName { get; }

    /// <summary>Gets the full path of the version folder.</summary>
    public string VersionDirectory { get; }

    /// <summary>Takes the file list of a manifest that verified, keyed by full path.</summary>
    public static VerifiedFiles From(string pluginName, string versionDirectory, PluginManifest manifest)
    {
        string directory = Path.GetFullPath(versionDirectory);
        var files = new Dictionary<string, PluginManifestFile>(OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        foreach (PluginManifestFile file in manifest.Files)
        {
            string full = Path.GetFullPath(Path.Combine(directory, file.Path)); // verification refused every path that escapes.
            files.TryAdd(full, file);
        }

        return new VerifiedFiles(pluginName, directory, files);
    }

    /// <summary>Returns whether the manifest lists the file.</summary>
    public bool Lists(string path) => _files.ContainsKey(Path.GetFullPath(path));

    /// <summary>
    /// Reads a listed file into memory and returns its bytes if their size and SHA-256 are the ones
    /// the manifest gave. Reads once and hashes what was read, so nothing can change between the
    /// check and the use.
    /// </summary>
    /// <exception cref="FileLoadException">The file is not listed, or its bytes differ from the manifest's, or it cannot be read.</exception>
    public byte[] Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (!_files.TryGetValue(full, out PluginManifestFile? expected))
        {
            throw new FileLoadException(SR.LoadNotListed(PluginName, VersionDirectory, full), full);
        }

        byte[] bytes;
        try
        {
            // One open, one read: the size, the hash and the load all see these bytes and no others.
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
            if (stream.Length != expected.Size)
            {
                throw new FileLoadException(SR.LoadChanged(PluginName, VersionDirectory, full, $"{stream.Length} bytes, expected {expected.Size}"), full);
            }

            bytes = new byte[expected.Size];
            stream.ReadExactly(bytes);
            if (stream.ReadByte() != -1)
            {
                throw new FileLoadException(SR.LoadChanged(PluginName, VersionDirectory, full, $"more than the {expected.Size} bytes listed"), full);
            }
        }
        catch (Exception ex) when (ex is IOException and not FileLoadException or UnauthorizedAccessException)
        {
            throw new FileLoadException(SR.LoadUnreadable(PluginName, VersionDirectory, full, ex.Message), full, ex);
        }

        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(actual, expected.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new FileLoadException(SR.LoadChanged(PluginName, VersionDirectory, full, $"SHA-256 {actual}, expected {expected.Sha256}"), full);
        }

        return bytes;
    }
}
