namespace Hotswap.SideBySide;

/// <summary>What Linux says about this process.</summary>
internal static class ProcessStats
{
    /// <summary>Reads the anonymous memory of the process (<c>Anonymous</c> in <c>/proc/self/smaps_rollup</c>).</summary>
    /// <returns>The size in KiB, or -1 where it cannot be read.</returns>
    public static long AnonymousKiB() => ReadKiB("/proc/self/smaps_rollup", "Anonymous:");

    /// <summary>Reads the thread count of the process (<c>Threads</c> in <c>/proc/self/status</c>).</summary>
    /// <returns>The count, or -1 where it cannot be read.</returns>
    public static long Threads() => ReadKiB("/proc/self/status", "Threads:");

    /// <summary>Reads the load average (<c>/proc/loadavg</c>).</summary>
    /// <returns>The first three fields, or "unknown".</returns>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static long ReadKiB(string file, string key)
    {
        try
        {
            foreach (string line in File.ReadLines(file))
            {
                if (line.StartsWith(key, StringComparison.Ordinal))
                {
                    string number = line[key.Length..].Trim().Split(' ')[0];
                    return long.Parse(number, System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }

        return -1;
    }
}
