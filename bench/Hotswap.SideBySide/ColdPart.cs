using System.Diagnostics;
using System.Runtime.CompilerServices;
using Hotswap.SideBySide.Contracts;
using McMaster.NETCore.Plugins;

namespace Hotswap.SideBySide;

/// <summary>
/// Cold start to the first call with one plugin: a fresh process of this runner per sample, timed
/// from <see cref="Process.Start(ProcessStartInfo)"/> to the line it prints after the first call
/// answered; Hotswap and McMaster processes alternate.
/// </summary>
internal static class ColdPart
{
    private const string Ready = "answered ";

    public static async Task RunAsync(SideOptions options, SideReport report)
    {
        // The deploy happened before the process starts, for both: a published plugins root, and a
        // folder holding the build's files.
        string root = SidePaths.CreateTemp("cold-hotswap");
        string folder = SidePaths.CreateTemp("cold-mcmaster");
        try
        {
            await HotswapSide.PublishAsync(root, 1, activate: true);
            McMasterSide.CopyBuild(1, folder);
            var hotswap = new List<double>();
            var mcmaster = new List<double>();
            for (int i = -1; i < options.Cold; i++)
            {
                // One untimed pair first: the files into the page cache.
                bool hotswapFirst = i % 2 == 0;
                for (int turn = 0; turn < 2; turn++)
                {
                    bool isHotswap = (turn == 0) == hotswapFirst;
                    double ms = await TimeChildAsync(isHotswap ? "cold-hotswap" : "cold-mcmaster", isHotswap ? root : folder);
                    if (i >= 0)
                    {
                        (isHotswap ? hotswap : mcmaster).Add(ms);
                    }
                }
            }

            report.Add("cold start to the first call, 1 plugin, fresh process", "ms", Stats.Median(hotswap), Stats.Median(mcmaster), $"median of {options.Cold} child processes each, alternating; from `Process.Start` to the child's line after its first call (the same runner binary for both; no watcher)");
        }
        finally
        {
            SidePaths.DeleteTemp(root);
            SidePaths.DeleteTemp(folder);
        }
    }

    /// <summary>The child's side: load the plugin, call it once, print the answer.</summary>
    /// <param name="mode">cold-hotswap or cold-mcmaster.</param>
    /// <param name="path">The plugins root or the plugin's folder.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> ChildAsync(string mode, string path)
    {
        // One method per library, so that each child loads only its own library's assembly.
        if (mode == "cold-hotswap")
        {
            await HotswapChildAsync(path);
        }
        else
        {
            McMasterChild(path);
        }

        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task HotswapChildAsync(string root)
    {
        await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root });
        (await host.LoadAsync()).EnsureSuccess();
        ISideProbe proxy = host.GetProxy<ISideProbe>(HotswapSide.PluginName);
        Console.Out.WriteLine(Ready + proxy.Build());
        Console.Out.Flush();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void McMasterChild(string folder)
    {
        using PluginLoader loader = McMasterSide.CreateLoader(folder, watch: false);
        ISideProbe probe = McMasterSide.CreateProbe(loader);
        Console.Out.WriteLine(Ready + probe.Build());
        Console.Out.Flush();
        (probe as IDisposable)?.Dispose();
    }

    private static async Task<double> TimeChildAsync(string mode, string path)
    {
        ProcessStartInfo info = Child.StartInfo(mode, path);
        long start = Stopwatch.GetTimestamp();
        using Process process = Process.Start(info) ?? throw new InvalidOperationException("The child process did not start.");
        string? line = await process.StandardOutput.ReadLineAsync();
        long answered = Stopwatch.GetTimestamp();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (line is null || !line.StartsWith(Ready, StringComparison.Ordinal) || process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The {mode} child printed '{line}' and exited with code {process.ExitCode}.");
        }

        return Stopwatch.GetElapsedTime(start, answered).TotalMilliseconds;
    }
}
