using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hotswap.Benchmarks.Contracts;
using Hotswap.Diagnostics;

namespace Hotswap.Diagnose;

/// <summary>
/// <c>Hotswap.Diagnose [--plugins N] [--heap-mb M] [--runs R] [--deep] [--serve]</c>: loads N plugins (default 20),
/// fills about M MB of live heap (default 200) with small objects, pins one retired version with a
/// host cache keyed by its type (with <c>--deep</c>: from the last of the small objects, so that the
/// search walks the whole heap before it finds the chain, the worst case), then runs <c>hotswap diagnose &lt;own pid&gt; --json</c> R times
/// (default 3). For each run it reports the command's wall time, the dump's write time the command
/// measured, and the longest stall a thread of this process saw meanwhile (it notes the clock every
/// millisecond): that is the pause the host really suffers. With <c>--serve</c> it runs nothing and
/// waits, set up, until its stdin ends, for running diagnose on it by hand. With <c>--self</c> the host
/// diagnoses itself instead, in process, as <see cref="PluginHostOptions.UnloadDiagnoser"/> does
/// (<see cref="UnloadDiagnosers.HeapDump"/>): the same figures, and how much the host's peak working set grew.
/// </summary>
internal static class Program
{
    private static readonly Dictionary<Type, string> s_cache = [];
    private static Node[]? s_heap;
    private static object? s_deepPin;

    public static async Task<int> Main(string[] args)
    {
        int plugins = Option(args, "--plugins", 20);
        int heapMb = Option(args, "--heap-mb", 200);
        int runs = Option(args, "--runs", 3);
        bool deep = args.Contains("--deep");
        bool self = args.Contains("--self");
        string pluginOutput = Metadata("Hotswap.Diagnose.PluginOutput");
        string cli = Metadata("Hotswap.Diagnose.Cli");
        string root = Directory.CreateTempSubdirectory("hotswap-diagnose-bench-").FullName;
        try
        {
            var clock = new SteppingClock();
            for (int i = 0; i < plugins; i++)
            {
                await PluginPublisher.PublishAsync(pluginOutput, root, $"calc{i:00}", new PublishOptions { TimeProvider = clock });
            }

            await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, UnloadTimeout = TimeSpan.FromSeconds(2) });
            var stuck = new TaskCompletionSource<PluginVersionInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
            host.UnloadStuck += (_, e) => stuck.TrySetResult(e.Version);
            (await host.LoadAsync()).EnsureSuccess();
            Pin(host, deep);
            await PluginPublisher.PublishAsync(pluginOutput, root, "calc00", new PublishOptions { TimeProvider = clock });
            (await host.ReloadAsync()).EnsureSuccess();
            PluginVersionInfo stuckVersion = await stuck.Task.WaitAsync(TimeSpan.FromMinutes(1));

            s_heap = Fill(heapMb);
            long heap = GC.GetTotalMemory(forceFullCollection: true);
            Console.WriteLine($"diagnose bench: {plugins} plugins loaded, 1 version stuck ({(deep ? "held from the last of the heap's small objects" : "held by a host cache")}), {heap / (1024.0 * 1024):0} MB live heap, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
            if (args.Contains("--serve"))
            {
                // For running diagnose by hand: stay up, as set up, until the end of stdin.
                Console.WriteLine($"serving: run 'hotswap diagnose {Environment.ProcessId}'; end stdin to stop");
                await Console.In.ReadToEndAsync();
                return 0;
            }

            if (self)
            {
                return await SelfAsync(stuckVersion, runs);
            }

            Console.WriteLine("run  diagnose (s)  dump write (ms)  longest stall seen by the host (ms)  stuck found");
            for (int run = 1; run <= runs; run++)
            {
                using var stalls = new StallWatch();
                var wall = Stopwatch.StartNew();
                (int exit, string stdout) = await RunAsync(cli, Environment.ProcessId);
                wall.Stop();
                if (exit != 0)
                {
                    Console.Error.WriteLine($"diagnose failed ({exit}):\n{stdout}");
                    return 1;
                }

                JsonNode report = JsonNode.Parse(stdout)!;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{run,3}  {wall.Elapsed.TotalSeconds,12:0.00}  {(double)report["pauseMs"]!,15:0}  {stalls.Longest.TotalMilliseconds,36:0}  {report["stuck"]!.AsArray().Count,11}"));
            }

            GC.KeepAlive(s_heap);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>The host diagnosing itself: <see cref="UnloadDiagnosers.HeapDump"/> in this process, once per run.</summary>
    private static async Task<int> SelfAsync(PluginVersionInfo stuck, int runs)
    {
        IUnloadDiagnoser diagnoser = UnloadDiagnosers.HeapDump(new HeapDumpOptions { MinimumInterval = TimeSpan.Zero }); // a dump every run
        using var process = Process.GetCurrentProcess();
        Console.WriteLine("run  diagnose (s)  dump write (ms)  longest stall seen by the host (ms)  peak working set before -> after (MB)  working set after a full GC (MB)  GC committed after (MB)  chain found");
        for (int run = 1; run <= runs; run++)
        {
            process.Refresh();
            long peakBefore = process.PeakWorkingSet64;
            using var stalls = new StallWatch();
            var wall = Stopwatch.StartNew();
            IReadOnlyDictionary<PluginVersionInfo, string> found = await diagnoser.DiagnoseAsync(new UnloadDiagnosisArguments([stuck]), CancellationToken.None);
            wall.Stop();
            process.Refresh();
            long peakAfter = process.PeakWorkingSet64;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            process.Refresh();
            string finding = found[stuck];
            Match paused = Regex.Match(finding, @"paused (\d+) ms");
            bool chain = finding.Contains("static field Hotswap.Diagnose.Program.", StringComparison.Ordinal);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{run,3}  {wall.Elapsed.TotalSeconds,12:0.00}  {paused.Groups[1].Value,15}  {stalls.Longest.TotalMilliseconds,36:0}  {peakBefore / (1024.0 * 1024),18:0} -> {peakAfter / (1024.0 * 1024),-18:0}  {process.WorkingSet64 / (1024.0 * 1024),32:0}  {GC.GetGCMemoryInfo().TotalCommittedBytes / (1024.0 * 1024),23:0}  {(chain ? "yes" : "NO: " + finding)}"));
            if (!chain)
            {
                return 1;
            }
        }

        GC.KeepAlive(s_heap);
        return 0;
    }

    /// <summary>The careless host: caches the type of calc00's first version, so that version stays alive once retired.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Pin(PluginHost host, bool deep)
    {
        using GenerationLease lease = host.Acquire();
        Type type = lease.Generation.GetExport<ICalculator>("calc00").GetType();
        if (deep)
        {
            s_deepPin = type;
        }
        else
        {
            s_cache[type] = "calc00";
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Node[] Fill(int megabytes)
    {
        // About 200 bytes a node (the node, its 160-byte payload and their headers): a heap of many
        // small objects, the costly kind for a walk, rather than a few large arrays. Short chains
        // (static -> array -> node -> payload), so that a search that must reach the last node
        // walks the whole heap breadth-first, as in a real host, and not one very long chain.
        int count = (int)(megabytes * 1024L * 1024 / 224);
        var nodes = new Node[count];
        for (int i = 0; i < count - 1; i++)
        {
            nodes[i] = new Node();
        }

        // The last node is the one the search reaches last: with --deep it takes the pin over from the static.
        nodes[^1] = new Node { Tag = s_deepPin };
        s_deepPin = null;
        return nodes;
    }

    private static async Task<(int Exit, string Stdout)> RunAsync(string cli, int pid)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { cli, "diagnose", pid.ToString(CultureInfo.InvariantCulture), "--json" })
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stderr;
        return (process.ExitCode, await stdout);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Metadata(string key) => typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"The assembly has no [AssemblyMetadata(\"{key}\")]: build it with the project file.");

    private sealed class Node
    {
        public byte[] Payload { get; } = new byte[160];

        public object? Tag { get; init; }
    }

    /// <summary>Each publish gets its own build time, so that publishing the same build again is a new version.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now = _now.AddSeconds(1);
    }

    /// <summary>A thread that notes the clock about every millisecond; the longest gap is how long this process stood still.</summary>
    private sealed class StallWatch : IDisposable
    {
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _stop = new();
        private long _longestTicks;

        public StallWatch()
        {
            _thread = new Thread(Watch) { IsBackground = true, Name = "stall-watch" };
            _thread.Start();
        }

        public TimeSpan Longest => TimeSpan.FromTicks(Interlocked.Read(ref _longestTicks) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);

        public void Dispose()
        {
            _stop.Set();
            _thread.Join();
            _stop.Dispose();
        }

        private void Watch()
        {
            long last = Stopwatch.GetTimestamp();
            // Wakes about every millisecond (the wait times out) until stopped.
            while (!_stop.Wait(1))
            {
                long now = Stopwatch.GetTimestamp();
                if (now - last > Interlocked.Read(ref _longestTicks))
                {
                    Interlocked.Exchange(ref _longestTicks, now - last);
                }

                last = now;
            }
        }
    }
}
