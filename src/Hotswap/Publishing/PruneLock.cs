namespace Hotswap;

/// <summary>
/// The root-level lock that keeps pruning away from version folders about to be used but not yet
/// named by any host status: <c>&lt;root&gt;/.hotswap/prune.lock</c>.
/// </summary>
/// <remarks>
/// <para>
/// A host takes it shared from before it reads the <c>current</c> files until its status says what it
/// is loading (<see cref="HostStatus.Loading"/>); a publish takes it shared from the rename into place
/// until <c>current</c> names the new folder. The pruner takes it exclusive from before it reads
/// <c>current</c> and the host statuses until it has deleted. So the pruner either runs wholly before
/// such a reader (which then reads a <c>current</c> the pruner kept), or wholly after (and then the
/// status or <c>current</c> names the version); it never deletes in between.
/// </para>
/// <para>
/// The lock is a <see cref="FileStream"/>'s sharing mode, which the operating system enforces across
/// processes and releases when a process dies: on Windows, <see cref="FileShare.None"/> against
/// <see cref="FileShare.ReadWrite"/> sharing modes; on Linux and macOS, .NET maps
/// <see cref="FileShare.None"/> to <c>flock(LOCK_EX)</c> and any other share to <c>flock(LOCK_SH)</c>
/// (advisory, per open file, so two opens in one process exclude each other too). .NET takes flock
/// without blocking, so a wait is a short poll. Setting <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>
/// turns this lock off, as it turns off the host liveness check of <see cref="HostStatusReader"/>.
/// The file is never deleted: a lock on a deleted file would not exclude one on its replacement.
/// </para>
/// </remarks>
internal sealed class PruneLock : IDisposable
{
    public const string FileName = "prune.lock";

    /// <summary>How long either side waits for the other by default: each holds the lock for a few file reads and writes, or a few folder deletions.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(20);

    private readonly FileStream _stream;

    private PruneLock(FileStream stream, bool exclusive)
    {
        _stream = stream;
        IsExclusive = exclusive;
    }

    public bool IsExclusive { get; }

    public static string PathOf(string pluginsRoot) => Path.Combine(Path.GetFullPath(pluginsRoot), PluginLayout.StateFolder, FileName);

    /// <summary>
    /// Takes the lock shared, waiting for a prune in progress to finish: for hosts, around "read
    /// every current ... write the status with what is loading", and for a publish around the flip.
    /// Never throws: returns <see langword="null"/> when the root does not exist, the lock file cannot
    /// be created, or a prune held the lock longer than <paramref name="timeout"/>; the caller then
    /// goes on unprotected, as before this lock existed.
    /// </summary>
    public static PruneLock? EnterShared(string pluginsRoot, TimeProvider? time = null, TimeSpan? timeout = null)
    {
        try
        {
            if (!Directory.Exists(pluginsRoot))
            {
                return null;
            }

            return Enter(pluginsRoot, exclusive: false, time ?? TimeProvider.System, timeout ?? DefaultTimeout);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Takes the lock exclusive, for the pruner: waits while hosts or publishes hold it shared;
    /// <see langword="null"/> when they still do after <paramref name="timeout"/>.
    /// </summary>
    /// <exception cref="IOException">The lock file cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The lock file cannot be created.</exception>
    public static PruneLock? EnterExclusive(string pluginsRoot, TimeProvider time, TimeSpan timeout)
        => Enter(pluginsRoot, exclusive: true, time, timeout);

    public void Dispose() => _stream.Dispose();

    private static PruneLock? Enter(string pluginsRoot, bool exclusive, TimeProvider time, TimeSpan timeout)
    {
        string path = PathOf(pluginsRoot);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!); // PathOf always has a parent.
        long started = time.GetTimestamp();
        while (true)
        {
            try
            {
                FileStream stream = exclusive
                    ? new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                    : new FileStream(path, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
                return new PruneLock(stream, exclusive);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                // Held the other way (EWOULDBLOCK from flock, or a sharing violation on Windows).
            }

            if (time.GetElapsedTime(started) >= timeout)
            {
                return null;
            }

            // .NET only ever tries flock without blocking, so waiting is polling. The holder keeps the
            // lock for milliseconds; blocking this thread for one short poll is cheaper than going async.
            Task.Delay(s_poll, time).GetAwaiter().GetResult();
        }
    }
}
