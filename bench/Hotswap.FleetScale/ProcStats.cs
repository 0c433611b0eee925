using System.Globalization;

namespace Hotswap.FleetScale;

/// <summary>One process's CPU time and memory, read from <c>/proc/{pid}/stat</c> and <c>/proc/{pid}/status</c> (Linux).</summary>
/// <param name="CpuSeconds">User plus system CPU time so far.</param>
/// <param name="RssBytes">Resident set size now (VmRSS).</param>
/// <param name="PeakRssBytes">The largest resident set size so far (VmHWM).</param>
internal readonly record struct ProcStats(double CpuSeconds, long RssBytes, long PeakRssBytes)
{
    // USER_HZ: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
    private const double TicksPerSecond = 100;

    public static ProcStats Read(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name is in parentheses and may hold spaces: fields are counted after its ')'.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double cpu = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
            long rss = 0, hwm = 0;
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kilobytes(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kilobytes(line);
                }
            }

            return new ProcStats(cpu, rss, hwm);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default; // the process is gone
        }
    }

    /// <summary>Reads the 1-, 5- and 15-minute load averages.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static long Kilobytes(string line)
        => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
