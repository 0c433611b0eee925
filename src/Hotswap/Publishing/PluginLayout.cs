namespace Hotswap;

/// <summary>
/// Names and paths of the on-disk format (docs/plugin-format.md), and the only code that reads the
/// layout of a plugins root: which plugin folders count, what a <c>current</c> file names, and which
/// version folders a plugin has. Discovery, the publisher, the pruner, the verifier and the CLI all
/// list through here, so they can never disagree on which folders count.
/// </summary>
internal static class PluginLayout
{
    public const string CurrentFileName = "current";
    public const string StagingPrefix = ".staging-";
    public const string CurrentTempPrefix = ".current-";

    /// <summary>The folder under a plugins root that holds what is not a plugin (host statuses, the prune lock).</summary>
    public const string StateFolder = ".hotswap";

    public static string CurrentFile(string pluginDirectory) => Path.Combine(pluginDirectory, CurrentFileName);

    /// <summary>
    /// Lists the plugin folders of a root, ordered by name (ordinal): every folder with a valid name
    /// (so none starting with a dot), whether or not it has a <c>current</c> file yet.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="IOException">The root cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The root cannot be read.</exception>
    public static List<PluginFolder> ListPlugins(string pluginsRoot)
    {
        string root = Path.GetFullPath(pluginsRoot);
        List<PluginFolder> plugins = [.. ValidSubfolders(root).Select(name => new PluginFolder(name, Path.Combine(root, name)))];
        return plugins;
    }

    /// <summary>
    /// Lists a plugin's version folders by name, ordered ordinal: version ids start with their UTC
    /// publish time, so this is oldest first. Staging and pruned folders start with a dot and never count.
    /// Empty when the plugin folder does not exist.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The folder cannot be read.</exception>
    public static List<string> ListVersions(string pluginDirectory)
    {
        try
        {
            return ValidSubfolders(pluginDirectory);
        }
        catch (DirectoryNotFoundException)
        {
            return [];
        }
    }

    /// <summary>Reads what a plugin folder's <c>current</c> file names; <see langword="null"/> when it has none.</summary>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static string? ReadCurrentOf(string pluginDirectory) => ReadCurrent(CurrentFile(pluginDirectory));

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
    public static bool IsValidName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name)
        => !string.IsNullOrWhiteSpace(name)
            && name[0] != '.'
            && name.Trim() == name
            && name.IndexOfAny(['/', '\\', ':']) < 0
            && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    /// <summary>
    /// Resolves a manifest-relative path; <see langword="null"/> when it escapes the version folder,
    /// by its text or on disk: a path through a symbolic link or reparse point (the file itself or a
    /// folder on the way) is refused, since where it really leads is not the folder.
    /// </summary>
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
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return null;
        }

        // The text stays inside; now the disk: every existing segment below the root must be itself, not a link.
        try
        {
            string path = root;
            foreach (string segment in relativePath.Split('/'))
            {
                path = Path.Combine(path, segment);
                var entry = new FileInfo(path);
                if (entry.LinkTarget is not null || (entry.Attributes != (FileAttributes)(-1) && entry.Attributes.HasFlag(FileAttributes.ReparsePoint)))
                {
                    return null;
                }

                if (!entry.Exists && !Directory.Exists(path))
                {
                    break; // nothing further exists, so nothing further can be a link.
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null; // a path the disk cannot even look at (too long, unreadable) is not a path inside the folder.
        }

        return full;
    }

    /// <summary>
    /// Reads and checks a plugin's <c>current</c> file the way a host does. Returns <see langword="null"/>
    /// when it is acceptable (then <paramref name="version"/> is the version it names, or
    /// <see langword="null"/> when there is no <c>current</c> yet), or the reason it is refused:
    /// a link, or content that is not one version folder name (empty, escaping, garbage). Discovery and
    /// the verifier both call this, so they refuse the same files with the same words.
    /// </summary>
    /// <exception cref="IOException">The file exists but cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be opened.</exception>
    public static string? CheckCurrent(string currentFile, out string? version)
    {
        version = null;
        var entry = new FileInfo(currentFile);
        if (entry.LinkTarget is not null || (entry.Exists && entry.Attributes.HasFlag(FileAttributes.ReparsePoint)))
        {
            return SR.CurrentIsLink(VersionFolderLinks.LinkOf(entry) ?? "a link");
        }

        string? read = ReadCurrent(currentFile);
        if (read is null)
        {
            return null;
        }

        if (!IsValidName(read))
        {
            return SR.CurrentInvalid(read);
        }

        version = read;
        return null;
    }

    public static string ToManifestPath(string root, string fullPath)
        => Path.GetRelativePath(root, fullPath).Replace(Path.DirectorySeparatorChar, '/');

    private static List<string> ValidSubfolders(string directory)
    {
        List<string> names = [.. Directory.EnumerateDirectories(directory)
            .Select(Path.GetFileName)
            .Where(IsValidName)
            .OfType<string>()];
        names.Sort(StringComparer.Ordinal);
        return names;
    }
}
