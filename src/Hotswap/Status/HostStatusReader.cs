using System.Text.Json;

namespace Hotswap;

/// <summary>
/// Reads what the hosts running on a plugins root report (<c>.hotswap/hosts/</c>). A host holds an
/// exclusive lock on its <c>&lt;id&gt;.lock</c> file for as long as it runs; the operating system
/// releases it when the process ends, however it ends. A status whose lock can be taken belongs to a
/// host that is gone: it is ignored and removed.
/// </summary>
public static class HostStatusReader
{
    internal const string HostsFolder = PluginLayout.StateFolder + "/hosts";

    /// <summary>Lists the live hosts of a plugins root and removes what dead hosts left behind.</summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <returns>The status of every live host, ordered by start time.</returns>
    /// <exception cref="ArgumentException"><paramref name="pluginsRoot"/> is null or empty.</exception>
    public static IReadOnlyList<HostStatus> ReadLiveHosts(string pluginsRoot)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginsRoot);
        string folder = Path.Combine(Path.GetFullPath(pluginsRoot), HostsFolder);
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var hosts = new List<HostStatus>();
        foreach (string lockFile in Directory.GetFiles(folder, "*.lock"))
        {
            string statusFile = Path.ChangeExtension(lockFile, ".json");
            if (IsAbandoned(lockFile))
            {
                TryDelete(statusFile);
                TryDelete(lockFile);
                continue;
            }

            try
            {
                using FileStream stream = File.OpenRead(statusFile);
                if (JsonSerializer.Deserialize(stream, StatusJsonContext.Default.HostStatus) is { } status)
                {
                    hosts.Add(status);
                }
            }
            catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
            {
                // A host between creating its lock and writing its first status: nothing to report yet.
            }
        }

        hosts.Sort(static (a, b) => a.StartedAt.CompareTo(b.StartedAt));
        return hosts;
    }

    /// <summary>Returns whether the lock can be taken, i.e. no live process holds it.</summary>
    private static bool IsAbandoned(string lockFile)
    {
        try
        {
            using var probe = new FileStream(lockFile, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false; // the host just stopped and removed it.
        }
        catch (IOException)
        {
            return false; // held: the host is alive.
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
