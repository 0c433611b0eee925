using System.Runtime.InteropServices;

namespace Hotswap;

/// <summary>
/// Makes a publish survive a power cut: flushes files and directories to the disk before the next
/// step depends on them.
/// </summary>
/// <remarks>
/// A rename is atomic for readers, but not durable by itself: after a crash the file system may
/// come back with the new <c>current</c> and an empty or missing version folder, because file data
/// and directory entries sit in the page cache until the kernel writes them back. So a publish
/// flushes every file it wrote (fsync), then the directories that hold their entries (the staging
/// folder and its subfolders), then, after each rename, the directory the rename changed (the plugin
/// folder). Only then does the next step (the rename into place, the flip of <c>current</c>)
/// depend on it. One exception, where a rename is already ordered: the rename into place is not
/// flushed on its own when the flip of <c>current</c> follows in the same folder, because the
/// flip's temporary file is flushed first (ext4 commits the journal transaction holding the
/// rename; XFS forces its log past it), the journal or log of ext4 and XFS replays metadata
/// changes in order (never the flip without the earlier rename), and the folder is flushed after
/// the flip. The files themselves are flushed together (<see cref="FlushFiles"/>): the same
/// flushes, with their waits overlapped. On Linux and macOS a directory is flushed by opening it read-only and calling
/// fsync(2) on it (the BCL cannot open a directory as a file); on Windows, NTFS journals directory
/// changes itself and a directory handle cannot be flushed, so there is nothing to do.
/// </remarks>
internal static class Durable
{
    private const int EINTR = 4;
    private const int ENOENT = 2;
    private const int EINVAL = 22;
    private const int OpenReadOnly = 0;
    private const int OpenCloseOnExecLinux = 0x80000;
    private const int OpenCloseOnExecMacOS = 0x1000000;
    private const int MaxConcurrentFlushes = 8;

    private static readonly AsyncLocal<List<string>?> s_recording = new();

    /// <summary>Flushes a file's data and size to the disk.</summary>
    /// <exception cref="IOException">The flush failed.</exception>
    public static void FlushFile(FileStream stream)
    {
        stream.Flush(flushToDisk: true);
        s_recording.Value?.Add("file " + stream.Name);
    }

    /// <summary>Flushes several files' data and sizes to the disk, all at once; returns once every one is flushed.</summary>
    /// <remarks>
    /// Each flush is the same fsync(2) as <see cref="FlushFile"/>, and nothing the caller does next
    /// starts before the last one returned: what is durable, and what is ordered after it, is
    /// unchanged. Only the waits overlap: issued together, the file system commits them in one
    /// go (ext4's journal and XFS's log both batch concurrent fsyncs into one commit) rather
    /// than one commit per file, one after another. Recorded in <paramref name="streams"/>' order.
    /// </remarks>
    /// <param name="streams">The files, open for writing.</param>
    /// <exception cref="IOException">A flush failed (the first failure is thrown once all have returned).</exception>
    public static void FlushFiles(IReadOnlyList<FileStream> streams)
    {
        try
        {
            Parallel.For(0, streams.Count, new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentFlushes }, i => streams[i].Flush(flushToDisk: true));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerExceptions[0]);
        }

        if (s_recording.Value is { } recording)
        {
            foreach (FileStream stream in streams)
            {
                recording.Add("file " + stream.Name);
            }
        }
    }

    /// <summary>
    /// Flushes a directory's entries (the names created, renamed or deleted in it) to the disk.
    /// Returns <see langword="false"/> when there is nothing this platform or file system can do
    /// (Windows; a file system that does not sync directories); <see langword="true"/> once flushed.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="IOException">The directory cannot be opened or flushed.</exception>
    public static bool FlushDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        int flags = OpenReadOnly | (OperatingSystem.IsLinux() ? OpenCloseOnExecLinux : OperatingSystem.IsMacOS() ? OpenCloseOnExecMacOS : 0);
        nint path = Marshal.StringToCoTaskMemUTF8(directory);
        int fd;
        try
        {
            do
            {
                fd = Open(path, flags);
            }
            while (fd < 0 && Marshal.GetLastPInvokeError() == EINTR);
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }

        if (fd < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw error == ENOENT
                ? new DirectoryNotFoundException(SR.DirectoryFlushFailed(directory, Marshal.GetPInvokeErrorMessage(error)))
                : new IOException(SR.DirectoryFlushFailed(directory, Marshal.GetPInvokeErrorMessage(error)), error);
        }

        try
        {
            if (FSync(fd) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error == EINVAL)
                {
                    return false; // this file system does not sync directories: nothing more can be done.
                }

                throw new IOException(SR.DirectoryFlushFailed(directory, Marshal.GetPInvokeErrorMessage(error)), error);
            }
        }
        finally
        {
            _ = Close(fd);
        }

        s_recording.Value?.Add("directory " + directory);
        return true;
    }

    /// <summary>Flushes a directory and every folder under it (deepest first), for a tree just written.</summary>
    /// <exception cref="IOException">A directory cannot be opened or flushed.</exception>
    public static void FlushTree(string directory)
    {
        foreach (string sub in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories).OrderByDescending(static d => d.Length))
        {
            FlushDirectory(sub);
        }

        FlushDirectory(directory);
    }

    /// <summary>
    /// Records, for the calling async flow only, what this helper flushed from now until the scope
    /// is disposed: <c>file &lt;path&gt;</c> and <c>directory &lt;path&gt;</c>, in order. For tests.
    /// </summary>
    public static Recording Record() => new();

    // DllImport rather than LibraryImport: with only int and nint parameters the signatures are
    // blittable, so the runtime marshals nothing either way, and LibraryImport would need
    // AllowUnsafeBlocks for the whole assembly. The path goes in as a UTF-8 copy we allocate and free.
    // open(2) is variadic; called without O_CREAT it never reads a third argument, and the fixed
    // arguments are passed the same way on every Unix ABI .NET runs on.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(nint path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);

    /// <summary>What <see cref="Record"/> saw.</summary>
    internal sealed class Recording : IDisposable
    {
        private readonly List<string>? _previous;

        public Recording()
        {
            _previous = s_recording.Value;
            s_recording.Value = Flushed;
        }

        public List<string> Flushed { get; } = [];

        public void Dispose() => s_recording.Value = _previous;
    }
}
