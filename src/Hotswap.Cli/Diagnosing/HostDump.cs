using System.Diagnostics;
using Microsoft.Diagnostics.NETCore.Client;

namespace Hotswap.Cli.Diagnosing;

/// <summary>
/// A heap dump of a running .NET process, taken through its diagnostic port and deleted when disposed.
/// The process is paused while the runtime writes it (<see cref="Pause"/>).
/// </summary>
internal sealed class HostDump : IDisposable
{
    private HostDump(string path, TimeSpan pause)
    {
        Path = path;
        Pause = pause;
    }

    public string Path { get; }

    /// <summary>Gets how long writing the dump took: the process's threads are suspended for about that long.</summary>
    public TimeSpan Pause { get; }

    /// <summary>Takes a dump of the process with its whole GC heap (<see cref="DumpType.WithHeap"/>) into a private temporary folder.</summary>
    /// <param name="processId">The process.</param>
    /// <returns>The dump.</returns>
    /// <exception cref="InvalidOperationException">The process does not exist, is not a .NET process, or refused the dump; the message says which and what to do.</exception>
    public static HostDump Take(int processId)
    {
        string folder = Directory.CreateTempSubdirectory("hotswap-diagnose-").FullName;
        string path = System.IO.Path.Combine(folder, $"host-{processId}.dmp");
        var clock = Stopwatch.StartNew();
        try
        {
            new DiagnosticsClient(processId).WriteDump(DumpType.WithHeap, path, logDumpGeneration: false);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or DiagnosticsClientException or UnauthorizedAccessException or IOException or ArgumentException)
        {
            Directory.Delete(folder, recursive: true);
            throw new InvalidOperationException($"Cannot take a dump of process {processId}: {CliOutput.OneLine(ex.Message)} Check the process id, that it is a .NET process run by the same user, and that its diagnostic port is on (DOTNET_EnableDiagnostics is not 0).", ex);
        }

        return new HostDump(path, clock.Elapsed);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(System.IO.Path.GetDirectoryName(Path)!, recursive: true);
        }
        catch (IOException)
        {
            // A dump left in the temporary folder is harmless; the report already came.
        }
    }
}
