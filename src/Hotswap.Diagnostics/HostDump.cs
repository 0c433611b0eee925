using System.Diagnostics;
using System.Globalization;
using Microsoft.Diagnostics.NETCore.Client;

namespace Hotswap.Diagnostics;

/// <summary>
/// A heap dump of a running .NET process, taken through its diagnostic port and deleted when disposed
/// (unless kept). The process is paused while the runtime writes it (<see cref="Pause"/>).
/// </summary>
internal sealed class HostDump : IDisposable
{
    private readonly string? _ownedFolder;
    private readonly bool _keep;

    private HostDump(string path, TimeSpan pause, string? ownedFolder, bool keep)
    {
        Path = path;
        Pause = pause;
        _ownedFolder = ownedFolder;
        _keep = keep;
    }

    public string Path { get; }

    /// <summary>Gets how long writing the dump took: the process's threads are suspended for about that long.</summary>
    public TimeSpan Pause { get; }

    /// <summary>Takes a dump of the process with its whole GC heap (<see cref="DumpType.WithHeap"/>).</summary>
    /// <param name="processId">The process (this one's own id is allowed: the runtime writes the dump from a process of its own).</param>
    /// <param name="folder">Where to write it, or <see langword="null"/> for a private temporary folder.</param>
    /// <param name="keep">Whether <see cref="Dispose"/> leaves the file in place.</param>
    /// <returns>The dump.</returns>
    /// <exception cref="InvalidOperationException">The process does not exist, is not a .NET process, or refused the dump; the message says which and what to do.</exception>
    public static HostDump Take(int processId, string? folder = null, bool keep = false)
    {
        string? owned = null;
        if (folder is null)
        {
            owned = folder = Directory.CreateTempSubdirectory("hotswap-diagnose-").FullName;
        }
        else if (!Directory.Exists(folder))
        {
            // The dump holds everything the process had in memory: a folder only its user can read.
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(folder);
            }
            else
            {
                Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        string path = System.IO.Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"host-{processId}-{Guid.NewGuid():N}.dmp"));
        var clock = Stopwatch.StartNew();
        try
        {
            new DiagnosticsClient(processId).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or DiagnosticsClientException or UnauthorizedAccessException or IOException or ArgumentException or TimeoutException or PlatformNotSupportedException)
        {
            Delete(path, owned);
            throw new InvalidOperationException($"Cannot take a dump of process {processId} into '{folder}': {Text.OneLine(ex.Message)} Check the process id, that it is a .NET process run by the same user, that its diagnostic port is on (DOTNET_EnableDiagnostics is not 0), and that the folder is writable with room for the heap.", ex);
        }
        catch
        {
            Delete(path, owned);
            throw;
        }

        return new HostDump(path, clock.Elapsed, owned, keep);
    }

    public void Dispose()
    {
        if (!_keep)
        {
            Delete(Path, _ownedFolder);
        }
    }

    private static void Delete(string path, string? ownedFolder)
    {
        try
        {
            if (ownedFolder is not null)
            {
                Directory.Delete(ownedFolder, recursive: true);
            }
            else
            {
                File.Delete(path);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A dump left behind is harmless; the report already came.
        }
    }
}
