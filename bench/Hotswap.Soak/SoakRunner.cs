using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Hotswap.Soak.Contracts;

namespace Hotswap.Soak;

/// <summary>
/// One soak run, in order: publish both builds of every plugin into a fresh plugins root; load
/// them; warm up; take the "before" snapshot; start the calling threads; let them call for the
/// baseline time with nothing reloading; run the reloads, each
/// flipping every plugin to its other build; stop the callers; wait for the retired versions'
/// unloads and take the "after" snapshot (the host still serving, as before); dispose the host,
/// wait for its last versions and take the "end" snapshot; delete the plugins root.
/// </summary>
internal static class SoakRunner
{
    private static readonly TimeSpan s_collectBound = TimeSpan.FromSeconds(10);

    public static async Task<SoakReport> RunAsync(SoakOptions options, TextWriter progress, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        int plugins = options.Plugins;
        var problems = new ProblemLog();
        using SoakRoot root = await SoakRoot.CreateAsync(plugins).ConfigureAwait(false);
        progress.WriteLine($"soak: published {plugins} plugin(s), each from both builds, into {root.Path}");

        var monitor = new SoakMonitor();
        var logs = new CountingLoggerFactory(problems);
        PluginHost host = PluginHost.Create(new PluginHostOptions
        {
            PluginsRoot = root.Path,
            Watch = false,
            WriteStatus = false,
            LoggerFactory = logs,
        });
        using var unloads = new UnloadCounter(host, problems);
        using var tracker = new ContextTracker(root.Names, (options.Reloads + 1) * plugins);
        var callers = new List<Caller>();
        Caller warmUp;
        try
        {
            ReloadResult first = await host.LoadAsync(monitor).ConfigureAwait(false);
            if (!first.Succeeded || first.Plugins.Count(p => p.Outcome == ReloadOutcome.Loaded) != plugins)
            {
                throw new InvalidOperationException($"The first load did not load the {plugins} plugin(s): {first}");
            }

            if (tracker.TrackServing(host) is { } firstProblem)
            {
                throw new InvalidOperationException(firstProblem);
            }

            ISoakProbe[] proxies = [.. root.Names.Select(host.GetProxy<ISoakProbe>)];
            warmUp = new Caller(host, root, proxies, problems, name: null);
            warmUp.RunCycle();
            for (int t = 0; t < options.Threads; t++)
            {
                callers.Add(new Caller(host, root, proxies, problems, $"soak-caller-{t + 1}"));
            }
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Sized up front, like the tracker: the heap measured after holds nothing of the soak's own per reload.
        double[] reloadTimes = new double[options.Reloads];
        ProcessSnapshot before = ProcessSnapshot.Take(root);
        int peakThreads = before.Threads;
        foreach (Caller caller in callers)
        {
            caller.Start();
        }

        // The baseline: the same calls with nothing reloading, to compare call times with.
        var baseline = new CallStats();
        long baselineStarted = Stopwatch.GetTimestamp();
        if (options.Baseline > TimeSpan.Zero && callers.Count > 0)
        {
            progress.WriteLine($"soak: {options.Threads} thread(s) calling, {options.Baseline.TotalSeconds:0} s before the first reload");
            await Task.Delay(options.Baseline, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var baselineStats = new CallStats[callers.Count];
        for (int t = 0; t < callers.Count; t++)
        {
            baselineStats[t] = callers[t].Stats;
            callers[t].Stats = new CallStats();
        }

        TimeSpan baselineTime = Stopwatch.GetElapsedTime(baselineStarted);
        peakThreads = Math.Max(peakThreads, ProcessSnapshot.CountThreads());
        int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        long allocated = GC.GetTotalAllocatedBytes();
        long callingStarted = Stopwatch.GetTimestamp();

        // The reloads: each flips every plugin's current to the version folder of its other build.
        int timed = 0;
        int published = 0, failed = 0;
        long retired = 0, mostWaiting = 0;
        int[] serving = new int[plugins]; // index into root.Versions[k] of the version serving
        long reloadingStarted = Stopwatch.GetTimestamp();
        int reloads = 0;
        for (int i = 1; i <= options.Reloads && !cancellationToken.IsCancellationRequested; i++)
        {
            reloads = i;
            for (int k = 0; k < plugins; k++)
            {
                root.Activate(k, 1 - serving[k]);
            }

            string? problem;
            long reloadStarted = Stopwatch.GetTimestamp();
            try
            {
                ReloadResult result = await host.ReloadAsync().ConfigureAwait(false);
                reloadTimes[timed++] = Stopwatch.GetElapsedTime(reloadStarted).TotalMilliseconds;
                problem = CheckReload(result, root, serving);
                if (problem is null)
                {
                    published++;
                    retired += plugins;
                    for (int k = 0; k < plugins; k++)
                    {
                        serving[k] = 1 - serving[k];
                    }

                    problem = tracker.TrackServing(host);
                }
            }
#pragma warning disable CA1031 // Isolation boundary: a reload that throws is what the soak counts.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                problem = $"{ex.GetType().Name}: {ex.Message}";
            }

            if (problem is not null)
            {
                failed++;
                problems.Add("failed reload", $"{i}: {problem}");
            }

            mostWaiting = Math.Max(mostWaiting, retired - unloads.Unloaded - unloads.Stuck);
            if (i % 50 == 0)
            {
                peakThreads = Math.Max(peakThreads, ProcessSnapshot.CountThreads());
            }

            if (options.Reloads >= 10 && i % (options.Reloads / 10) == 0)
            {
                progress.WriteLine($"soak: {i}/{options.Reloads} reloads, {callers.Sum(static c => Volatile.Read(ref c.Stats.Calls)):N0} calls since the first, {retired - unloads.Unloaded - unloads.Stuck} retired version(s) waiting for their unload");
            }
        }

        TimeSpan reloading = Stopwatch.GetElapsedTime(reloadingStarted);
        if (reloads < options.Reloads)
        {
            progress.WriteLine($"soak: stopped after {reloads} of {options.Reloads} reloads");
        }

        foreach (Caller caller in callers)
        {
            caller.Stop();
        }

        foreach (Caller caller in callers)
        {
            caller.Join();
        }

        TimeSpan calling = Stopwatch.GetElapsedTime(callingStarted);
        var reloadingStats = new CallStats();
        for (int t = 0; t < callers.Count; t++)
        {
            baseline.Add(baselineStats[t]);
            reloadingStats.Add(callers[t].Stats);
        }

        // The host still serving, as for "before": every retired version should now unload.
        progress.WriteLine($"soak: reloads done; waiting for {retired - unloads.Unloaded - unloads.Stuck} retired version(s) to unload");
        await unloads.WaitForAsync(retired, options.UnloadWait).ConfigureAwait(false);
        collections = [GC.CollectionCount(0) - collections[0], GC.CollectionCount(1) - collections[1], GC.CollectionCount(2) - collections[2]];
        allocated = GC.GetTotalAllocatedBytes() - allocated;
        int aliveWhileServing = await tracker.CountRetiredAliveAsync(serving: plugins, s_collectBound).ConfigureAwait(false);
        int stuckWhileServing = host.StuckVersions.Count;
        ProcessSnapshot after = ProcessSnapshot.Take(root);

        // Disposing retires the versions still serving: they must unload too.
        await host.DisposeAsync().ConfigureAwait(false);
        await unloads.WaitForAsync(retired + plugins, options.UnloadWait).ConfigureAwait(false);
        int aliveAtEnd = await tracker.CountRetiredAliveAsync(serving: 0, s_collectBound).ConfigureAwait(false);
        ProcessSnapshot end = ProcessSnapshot.Take(root);

        return new SoakReport
        {
            Options = options,
            Machine = $"{RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, {(GCSettings.IsServerGC ? "server" : "workstation")} GC",
            Duration = Stopwatch.GetElapsedTime(started),
            CallingTime = calling,
            ReloadingTime = reloading,
            ReloadsRun = reloads,
            ReloadsPublished = published,
            ReloadsFailed = failed,
            ReloadFailedEvents = unloads.ReloadFailed,
            ReloadMilliseconds = reloadTimes[..timed],
            WarmUp = warmUp.Stats,
            Baseline = baseline,
            BaselineTime = baselineTime,
            UnderReloads = reloadingStats,
            VersionsLoaded = monitor.Loaded,
            VersionsFreed = monitor.Freed,
            FreedWithCallsInFlight = monitor.FreedWithCallsInFlight,
            CallsAfterFree = monitor.CallsAfterFree,
            RetiredWhileServing = retired,
            RetiredAtDispose = plugins,
            UnloadingEvents = unloads.Unloading,
            UnloadedEvents = unloads.Unloaded,
            StuckEvents = unloads.Stuck,
            StillDrainingEvents = unloads.StillDraining,
            StuckVersionsWhileServing = stuckWhileServing,
            RetiredAliveWhileServing = aliveWhileServing,
            AliveAtEnd = aliveAtEnd,
            TrackedContexts = tracker.Count,
            MostWaitingUnload = mostWaiting,
            SlowestUnload = unloads.Slowest,
            MostCollections = unloads.MostCollections,
            Before = before,
            After = after,
            End = end,
            PeakThreads = peakThreads,
            Collections = collections,
            AllocatedBytes = allocated,
            HostWarnings = logs.Warnings,
            HostErrors = logs.Errors,
            Problems = [.. problems.Problems, .. monitor.Problems],
        };
    }

    /// <summary>A published reload that loaded every plugin, each from the version folder of its other build.</summary>
    private static string? CheckReload(ReloadResult result, SoakRoot root, int[] serving)
    {
        if (!result.Succeeded || !result.Published)
        {
            return result.ToString();
        }

        for (int k = 0; k < root.Names.Length; k++)
        {
            string expected = root.Versions[k][1 - serving[k]];
            PluginOutcome? outcome = result.Find(root.Names[k]);
            if (outcome is null || outcome.Outcome != ReloadOutcome.Loaded || outcome.Version != expected)
            {
                return $"{root.Names[k]} should have loaded {expected}: {result}";
            }
        }

        return null;
    }
}
