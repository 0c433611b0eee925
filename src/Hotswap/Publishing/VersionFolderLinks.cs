namespace Hotswap;

/// <summary>
/// The link part of verifying a version folder: a version folder holds regular files and folders
/// only. Refuses symbolic links and reparse points (junctions, mount points) anywhere in it, the
/// folder itself included, and, where the platform says how many names a file has
/// (<see cref="UnixFileStatus"/>), files with more than one (a hard link shares its bytes with a
/// file outside the folder, which can change them without touching the folder). FIFOs, sockets and
/// devices are refused too: hashing one could block or read without end.
/// </summary>
/// <remarks>
/// Runs before the hashes are checked, and nothing it refused is hashed: the size and hash checks
/// would otherwise follow the link (and a link's own size is the length of its target path, which
/// can be padded to the listed size).
/// </remarks>
internal sealed class VersionFolderLinks
{
    private readonly HashSet<string> _refused;

    private VersionFolderLinks(HashSet<string> refused, bool folderRefused)
    {
        _refused = refused;
        FolderRefused = folderRefused;
    }

    /// <summary>Gets a value indicating whether the version folder itself is a link: nothing in it can be trusted.</summary>
    public bool FolderRefused { get; }

    /// <summary>Checks a version folder (full path), adding one problem per refused entry.</summary>
    public static VersionFolderLinks Check(string directory, List<VerificationProblem> problems)
    {
        var refused = new HashSet<string>(StringComparer.Ordinal);
        var folder = new DirectoryInfo(directory);
        if (LinkOf(folder) is { } folderLink)
        {
            problems.Add(new(directory, SR.VersionFolderIsLink(folderLink)));
            return new VersionFolderLinks(refused, folderRefused: true);
        }

        // Recursion never enters a linked folder: the enumerator treats a link as an entry, not a folder to descend into.
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        try
        {
            foreach (FileSystemInfo entry in folder.EnumerateFileSystemInfos("*", options))
            {
                string? problem = LinkOf(entry) is { } link ? SR.LinkInVersionFolder(link)
                    : entry is FileInfo ? FileProblem(entry.FullName)
                    : null;
                if (problem is not null)
                {
                    refused.Add(PluginLayout.ToManifestPath(directory, entry.FullName));
                    problems.Add(new(entry.FullName, problem));
                }
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            // A folder that cannot be read cannot be checked: nothing in it is trusted.
            problems.Add(new(directory, SR.VersionFolderUnreadable(ex.Message)));
            return new VersionFolderLinks(refused, folderRefused: true);
        }

        return new VersionFolderLinks(refused, folderRefused: false);
    }

    /// <summary>Returns whether a manifest path was refused here, itself or through a folder it lies in.</summary>
    public bool Refused(string? manifestPath)
    {
        if (FolderRefused)
        {
            return true;
        }

        if (manifestPath is null)
        {
            return false; // a manifest read from JSON may hold a null path despite the annotations.
        }

        for (int slash = manifestPath.Length; slash > 0; slash = manifestPath.LastIndexOf('/', slash - 1))
        {
            if (_refused.Contains(manifestPath[..slash]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Describes a link or reparse point; <see langword="null"/> when the entry is neither.</summary>
    internal static string? LinkOf(FileSystemInfo entry)
    {
        if (entry.LinkTarget is { } target)
        {
            return $"a symbolic link to '{target}'";
        }

        return entry.Exists && entry.Attributes.HasFlag(FileAttributes.ReparsePoint) ? "a reparse point" : null;
    }

    private static string? FileProblem(string path)
    {
        if (!UnixFileStatus.TryGet(path, out bool regular, out long links))
        {
            return null; // the platform cannot say; symbolic links and reparse points were checked above.
        }

        return !regular ? SR.NotARegularFile
            : links > 1 ? SR.HardLinkInVersionFolder(links)
            : null;
    }
}
