namespace Hotswap;

/// <summary>Names and paths of the on-disk format (docs/plugin-format.md).</summary>
internal static class PluginLayout
{
    public const string CurrentFileName = "current";
    public const string StagingPrefix = ".staging-";
    public const string CurrentTempPrefix = ".current-";

    public static string CurrentFile(string pluginDirectory) => Path.Combine(pluginDirectory, CurrentFileName);

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
