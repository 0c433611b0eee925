namespace Hotswap;

/// <summary>Names and paths of the on-disk format (docs/plugin-format.md).</summary>
internal static class PluginLayout
{
    public const string CurrentFileName = "current";
    public const string StagingPrefix = ".staging-";
    public const string CurrentTempPrefix = ".current-";

    public static string CurrentFile(string pluginDirectory) => Path.Combine(pluginDirectory, CurrentFileName);

    /// <summary>
    /// Reads a <c>current</c> file: the version name, trimmed; <see langword="null"/> when there is no
    /// such file. Reads into a stack buffer: every reload reads every plugin's file, and a reload with
    /// nothing to do should cost next to nothing.
    /// </summary>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static string? ReadCurrent(string currentFile)
    {
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(currentFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        using (handle)
        {
            Span<byte> buffer = stackalloc byte[256];
            int length = RandomAccess.Read(handle, buffer, fileOffset: 0);
            if (length == buffer.Length)
            {
                return File.ReadAllText(currentFile).Trim(); // longer than any valid version name; let validation say so
            }

            ReadOnlySpan<byte> text = buffer[..length].Trim(" \t\r\n"u8);
            return System.Text.Encoding.UTF8.GetString(text);
        }
    }

    /// <summary>A plugin or version name is one plain path segment that does not start with a dot.</summary>
    public static bool IsValidName(string? name)
        => !string.IsNullOrWhiteSpace(name)
            && name[0] != '.'
            && name.Trim() == name
            && name.IndexOfAny(['/', '\\', ':']) < 0
            && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    /// <summary>Resolves a manifest-relative path; <see langword="null"/> when it escapes the version folder.</summary>
    public static string? ResolveInside(string versionDirectory, string relativePath)
    {
        if (string.IsNullOrEmpty(relativePath) || Path.IsPathRooted(relativePath) || relativePath.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        foreach (string segment in relativePath.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                return null;
            }
        }

        string root = Path.GetFullPath(versionDirectory);
        string full = Path.GetFullPath(Path.Combine(root, relativePath));
        return full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) ? full : null;
    }

    public static string ToManifestPath(string root, string fullPath)
        => Path.GetRelativePath(root, fullPath).Replace(Path.DirectorySeparatorChar, '/');
}
