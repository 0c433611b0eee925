using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using Hotswap.Soak.Contracts;

namespace Hotswap.Soak;

/// <summary>
/// One soak run, in order: publish both builds of every plugin into a fresh plugins root; load
/// them; warm up; take the "before" snapshot; start the calling threads; let them call for the
/// baseline time with nothing reloading; run the reloads, each
/// flipping every plugin to its other build (and, with <c>--rollback-every N</c>, every Nth
/// followed by a rollback); stop the callers; wait for the retired versions'
/// unloads and take the "after" snapshot (the host still serving, as before); dispose the host,
/// wait for its last versions and take the "end" snapshot; delete the plugins root.
/// </summary>
/// <remarks>
/// With probation on, a reload keeps the generation it replaces, and a reload whose published
/// versions are the kept ones would switch back to them instead of loading. So each plugin has
/// two version folders of each build, and each reload publishes one of the other build that is
/// neither the version kept nor the one just rolled back: every reload loads new contexts, and
/// the only switches back are the rollbacks the soak asks for.
/// </remarks>
internal static class SoakRunner
{
    private static readonly TimeSpan s_collectBound = TimeSpan.FromSeconds(10);

    // Long enough that it never ends during a run: only the soak's rollbacks and reloads end a probation.
    private static readonly TimeSpan s_probation = TimeSpan.FromHours(1);

    public static async Task<SoakReport> RunAsync(SoakOptions options, TextWriter progress, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        int plugins = options.Plugins;
        var problems = new ProblemLog();
        bool probation = options.Probation;
        using SoakRoot root = await SoakRoot.CreateAsync(plugins, probation ? 2 : 1).ConfigureAwait(false);
        progress.WriteLine($"soak: published {plugins} plugin(s), each from both builds{(probation ? " twice" : "")}, into {root.Path}");

        var monitor = new SoakMonitor();
        var logs = new CountingLoggerFactory(problems);
        PluginHost host = PluginHost.Create(new PluginHostOptions
        {
            PluginsRoot = root.Path,
            Watch = false,
            WriteStatus = false,
            LoggerFactory = logs,
            Probation = probation ? s_probation : TimeSpan.Zero,
        });
        using var unloads = new UnloadCounter(host, problems);
        using var tracker = new ContextTracker(root.Names, (options.Reloads + 1) * plugins);
        var callers = new List<Caller>();
        int rollbacksPlanned = probation ? options.Reloads / options.RollbackEvery : 0;
        Caller warmUp;
        SwitchTimeline timeline;
        try
        {
            ReloadResult first = await host.LoadAsync(monitor).ConfigureAwait(false);
            if (!first.Succeeded || first.Plugins.Count(p => p.Outcome == ReloadOutcome.Loaded) != plugins)
            {
                throw new InvalidOperationException($"The first load did not load the {plugins} plugin(s): {first}");
            }

            timeline = new SwitchTimeline(1 + options.Reloads + rollbacksPlanned, first.Generation);

            if (tracker.TrackServing(host) is { } firstProblem)
            {
                throw new InvalidOperationException(firstProblem);
            }

            ISoakProbe[] proxies = [.. root.Names.Select(host.GetProxy<ISoakProbe>)];
            warmUp = new Caller(host, root, proxies, problems, timeline, name: null);
            warmUp.RunCycle();
            for (int t = 0; t < options.Threads; t++)
            {
                callers.Add(new Caller(host, root, proxies, problems, timeline, $"soak-caller-{t + 1}"));
            }
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        // Sized up front, like the tracker: the heap measured after holds nothing of the soak's own per reload.
        double[] reloadTimes = new double[options.Reloads];
        double[] rollbackDurations = new double[rollbacksPlanned], rollbackCalls = new double[rollbacksPlanned];
        int[] rolledBackSlots = new int[rollbacksPlanned];
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

        // The reloads: each flips every plugin's current to a version folder of its other build.
        int timed = 0;
        int published = 0, failed = 0;
        int rollbacksTimed = 0, rollbacks = 0, rollbacksFailed = 0;
        long retired = 0, mostWaiting = 0;
        int[] serving = new int[plugins]; // index into root.Versions[k] of the version serving
        int[] avoid = [.. Enumerable.Repeat(-1, plugins)]; // the version kept on probation, or the one just rolled back
        int[] next = new int[plugins];
        int servingSlot = 0, keptSlot = -1; // the tracker's first slot of the serving generation and of the kept one (-1: none)
        long servingGeneration = timeline[0], keptGeneration = 0, built = timeline[0];
        long reloadingStarted = Stopwatch.GetTimestamp();
        int reloads = 0;
        for (int i = 1; i <= options.Reloads && !cancellationToken.IsCancellationRequested; i++)
        {
            reloads = i;
            for (int k = 0; k < plugins; k++)
            {
                next[k] = root.Next(k, serving[k], avoid[k]);
                root.Activate(k, next[k]);
            }

            string? problem;
            long reloadStarted = Stopwatch.GetTimestamp();
            try
            {
                int entry = timeline.Add(built + 1); // listed before any caller can be answered from it
                ReloadResult result = await host.ReloadAsync().ConfigureAwait(false);
                reloadTimes[timed++] = Stopwatch.GetElapsedTime(reloadStarted).TotalMilliseconds;
                problem = CheckReload(result, root, next, built + 1);
                if (problem is null)
                {
                    timeline.Confirm(entry);
                    published++;
                    built = result.Generation;

                    // Without probation the serving generation retires; with it, the serving one is
                    // kept and the one kept until now (none after a rollback) retires.
                    if (!probation || keptSlot >= 0)
                    {
                        retired += plugins;
                    }

                    if (probation)
                    {
                        keptSlot = servingSlot;
                        keptGeneration = servingGeneration;
                        Array.Copy(serving, avoid, plugins);
                    }

                    Array.Copy(next, serving, plugins);
                    servingGeneration = result.Generation;
                    servingSlot = tracker.Count;
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
            else if (probation && i % options.RollbackEvery == 0 && keptSlot >= 0)
            {
                // The rollback, right after the reload, while the callers keep calling.
                long rollbackStarted = Stopwatch.GetTimestamp();
                try
                {
                    int entry = timeline.Add(keptGeneration);
                    ReloadResult result = await host.RollbackAsync().ConfigureAwait(false);
                    rollbackCalls[rollbacksTimed] = Stopwatch.GetElapsedTime(rollbackStarted).TotalMilliseconds;
                    rollbackDurations[rollbacksTimed++] = result.Duration.TotalMilliseconds;
                    problem = CheckRollback(result, host, root, kept: avoid, rolledBack: serving, keptGeneration);
                    if (problem is null)
                    {
                        timeline.Confirm(entry);
                        rolledBackSlots[rollbacks++] = servingSlot;
                        retired += plugins;
                        (serving, avoid) = (avoid, serving); // the rolled-back versions are not published next
                        (servingSlot, keptSlot) = (keptSlot, -1);
                        (servingGeneration, keptGeneration) = (keptGeneration, 0);
                    }
                }
#pragma warning disable CA1031 // Isolation boundary: a rollback that throws is what the soak counts.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    problem = $"{ex.GetType().Name}: {ex.Message}";
                }

                if (problem is not null)
                {
                    rollbacksFailed++;
                    problems.Add("failed rollback", $"after reload {i}: {problem}");
                }
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
        int aliveWhileServing = await tracker.CountRetiredAliveAsync(keptSlot >= 0 ? [servingSlot, keptSlot] : [servingSlot], s_collectBound).ConfigureAwait(false);
        int rolledBackAlive = tracker.CountAlive(rolledBackSlots, rollbacks);
        int stuckWhileServing = host.StuckVersions.Count;
        ProcessSnapshot after = ProcessSnapshot.Take(root);

        // Disposing retires the versions still serving, and those kept on probation: they must unload too.
        int held = keptSlot >= 0 ? 2 * plugins : plugins;
        await host.DisposeAsync().ConfigureAwait(false);
        await unloads.WaitForAsync(retired + held, options.UnloadWait).ConfigureAwait(false);
        int aliveAtEnd = await tracker.CountRetiredAliveAsync([], s_collectBound).ConfigureAwait(false);
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
            RetiredAtDispose = held,
            RollbacksRun = rollbacks,
            RollbacksFailed = rollbacksFailed,
            RollbackMilliseconds = rollbackDurations[..rollbacksTimed],
            RollbackCallMilliseconds = rollbackCalls[..rollbacksTimed],
            RolledBackEvents = unloads.RolledBack,
            AutomaticRollbacks = unloads.AutomaticRollbacks,
            RolledBackAlive = rolledBackAlive,
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
            HostRollbackWarnings = logs.RollbackWarnings,
            Problems = [.. problems.Problems, .. monitor.Problems],
        };
    }

    /// <summary>A published reload that built generation <paramref name="generation"/> and loaded every plugin, each from the version folder published.</summary>
    private static string? CheckReload(ReloadResult result, SoakRoot root, int[] next, long generation)
    {
        if (!result.Succeeded || !result.Published || result.RolledBack)
        {
            return result.ToString();
        }

        if (result.Generation != generation)
        {
            return $"the reload should have built generation {generation}: {result}";
        }

        for (int k = 0; k < root.Names.Length; k++)
        {
            string expected = root.Versions[k][next[k]];
            PluginOutcome? outcome = result.Find(root.Names[k]);
            if (outcome is null || outcome.Outcome != ReloadOutcome.Loaded || outcome.Version != expected)
            {
                return $"{root.Names[k]} should have loaded {expected}: {result}";
            }
        }

        return null;
    }

    /// <summary>A rollback that switched back to generation <paramref name="generation"/>, every plugin to the version kept from the one rolled back.</summary>
    private static string? CheckRollback(ReloadResult result, PluginHost host, SoakRoot root, int[] kept, int[] rolledBack, long generation)
    {
        if (!result.Succeeded || !result.Published || !result.RolledBack)
        {
            return result.ToString();
        }

        if (result.Generation != generation || host.GenerationNumber != generation)
        {
            return $"the rollback should have switched back to generation {generation}, the host serves {host.GenerationNumber}: {result}";
        }

        for (int k = 0; k < root.Names.Length; k++)
        {
            string back = root.Versions[k][kept[k]], from = root.Versions[k][rolledBack[k]];
            PluginOutcome? outcome = result.Find(root.Names[k]);
            if (outcome is null || outcome.Outcome != ReloadOutcome.RolledBack || outcome.Version != back || outcome.PreviousVersion != from)
            {
                return $"{root.Names[k]} should have been rolled back from {from} to {back}: {result}";
            }
        }

        return null;
    }
}
