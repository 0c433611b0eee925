using System.Globalization;

namespace Hotswap.SideBySide;

/// <summary>
/// Anonymous memory and threads over many reloads, each library in a fresh process of its own so
/// neither pollutes the other. Every 500 reloads the child waits until the old contexts are dead
/// (Hotswap: its <c>Unloaded</c> events; McMaster: the collect loop) and reads
/// <c>/proc/self/smaps_rollup</c> (Anonymous) and <c>/proc/self/status</c> (Threads).
/// </summary>
internal static class MemoryPart
{
    private const int Every = 500;
    private const string Sample = "sample ";

    public static async Task RunAsync(SideOptions options, SideReport report)
    {
        string reloads = options.Reloads.ToString(CultureInfo.InvariantCulture);
        Console.Error.WriteLine($"// memory: {reloads} reloads, Hotswap child");
        Dictionary<int, (long Anon, long Threads, long GcKiB)> hotswap = Parse(await Child.RunAsync("memory-hotswap", reloads));
        Console.Error.WriteLine($"// memory: {reloads} reloads, McMaster child");
        Dictionary<int, (long Anon, long Threads, long GcKiB)> mcmaster = Parse(await Child.RunAsync("memory-mcmaster", reloads));

        int last = options.Reloads;
        int from = last >= 2000 ? 1000 : last >= Every ? Math.Max(Every, last / 2 / Every * Every) : 0;
        report.AddText(
            $"anonymous memory at reload {from:N0} -> {last:N0}",
            Describe(hotswap, from, last),
            Describe(mcmaster, from, last),
            $"a fresh child process per library, {last:N0} reloads each (Hotswap: flips `current` between two published versions; McMaster: `Reload()` of the same files); read after the old contexts are dead");
        int threadsAt = Math.Min(500, last);
        report.AddText(
            $"threads after {threadsAt} reloads (and after {last:N0})",
            $"{hotswap[threadsAt].Threads} ({hotswap[last].Threads})",
            $"{mcmaster[threadsAt].Threads} ({mcmaster[last].Threads})",
            "`Threads` in /proc/self/status of the same child processes");
        report.Note("memory curve, MiB of anonymous memory per 500 reloads: Hotswap " + Curve(hotswap) + "; McMaster " + Curve(mcmaster) + ".");
        report.Note("of which committed by the GC (`GC.GetGCMemoryInfo().TotalCommittedBytes`), MiB per 500 reloads: Hotswap " + GcCurve(hotswap) + "; McMaster " + GcCurve(mcmaster) + ".");
    }

    /// <summary>The child's side: reload <paramref name="reloads"/> times, sampling every 500.</summary>
    /// <param name="mode">memory-hotswap or memory-mcmaster.</param>
    /// <param name="reloads">The reload count.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> ChildAsync(string mode, int reloads)
    {
        if (mode == "memory-hotswap")
        {
            await using HotswapSide side = await HotswapSide.CreateAsync(1, watch: false);
            string[] versions = [await side.PublishAsync(2, activate: false), await side.PublishAsync(1, activate: false)];
            Print(0);
            for (int i = 1; i <= reloads; i++)
            {
                side.Activate(versions[i % 2]);
                (await side.Host.ReloadAsync()).EnsureSuccess();
                _ = side.Proxy.Add(i, 1);
                if (i % Every == 0 || i == reloads)
                {
                    await side.WaitUnloadedAsync(i, TimeSpan.FromSeconds(60));
                    Print(i);
                }
            }
        }
        else
        {
            using McMasterSide side = McMasterSide.Create(1, watch: false);
            Print(0);
            for (int i = 1; i <= reloads; i++)
            {
                side.Reload();
                _ = side.Current.Add(i, 1);
                if (i % Every == 0 || i == reloads)
                {
                    if (side.CollectUntilPreviousDead() < 0)
                    {
                        throw new InvalidOperationException("McMaster's old load context was still alive after 100 collections.");
                    }

                    Print(i);
                }
            }
        }

        return 0;
    }

    private static void Print(int reload)
    {
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Sample}{reload} {ProcessStats.AnonymousKiB()} {ProcessStats.Threads()} {GC.GetGCMemoryInfo().TotalCommittedBytes / 1024}"));
        Console.Error.WriteLine($"//   {reload} reloads");
    }

    private static Dictionary<int, (long Anon, long Threads, long GcKiB)> Parse(string output)
    {
        var samples = new Dictionary<int, (long, long, long)>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith(Sample, StringComparison.Ordinal))
            {
                string[] parts = line[Sample.Length..].Split(' ');
                samples[int.Parse(parts[0], CultureInfo.InvariantCulture)] = (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture));
            }
        }

        return samples;
    }

    private static string Describe(Dictionary<int, (long Anon, long Threads, long GcKiB)> samples, int from, int to)
    {
        double a = samples[from].Anon / 1024.0;
        double b = samples[to].Anon / 1024.0;
        return string.Create(CultureInfo.InvariantCulture, $"{a:0.0} -> {b:0.0} MiB ({b - a:+0.0;-0.0} MiB)");
    }

    private static string GcCurve(Dictionary<int, (long Anon, long Threads, long GcKiB)> samples)
        => string.Join(", ", samples.OrderBy(s => s.Key).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Value.GcKiB / 1024.0:0.0}")));

    private static string Curve(Dictionary<int, (long Anon, long Threads, long GcKiB)> samples)
        => string.Join(", ", samples.OrderBy(s => s.Key).Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Value.Anon / 1024.0:0.0}")));
}
