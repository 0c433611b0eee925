using System.Security.Cryptography;
using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Prepares, on a pool thread, what a process's first load needs and pays most for the first time:
/// the JSON metadata of the host's status file, the platform's SHA-256 (on Linux, loading and
/// initializing OpenSSL, about 10 ms) and the manifest's JSON metadata, in the order the first load
/// needs them. Started once per process, when the first host with a plugins root
/// is created: while the caller goes on creating the host, writing its status and reading the
/// plugins root, the first verification finds both ready instead of starting them.
/// </summary>
/// <remarks>
/// It reads no file and loads no plugin: it only runs the framework code the first verification
/// runs, on empty input. What it fails at, the first verification fails at again and reports.
/// </remarks>
internal static class StartupWarmUp
{
    private static int s_started;

    /// <summary>Gets a value indicating whether the warm-up was started in this process.</summary>
    public static bool Started => Volatile.Read(ref s_started) != 0;

    /// <summary>Starts the warm-up, the first time only; returns at once.</summary>
    public static void Start()
    {
        if (Interlocked.Exchange(ref s_started, 1) != 0)
        {
            return;
        }

        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(Warm);
        }
    }

    private static void Warm()
    {
        try
        {
            _ = JsonSerializer.Serialize(new HostStatus(), StatusJsonContext.Default.HostStatus);
            _ = SHA256.HashData(ReadOnlySpan<byte>.Empty);
            _ = JsonSerializer.Deserialize("{}"u8, ManifestJsonContext.Default.PluginManifest);
        }
#pragma warning disable CA1031 // Isolation boundary: a warm-up never fails anything; the first verification meets the same failure and reports it.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
