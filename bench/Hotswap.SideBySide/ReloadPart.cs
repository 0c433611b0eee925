using System.Diagnostics;

namespace Hotswap.SideBySide;

/// <summary>
/// The reload, settle and deploy rows: round pairs, one Hotswap reload and one McMaster reload in
/// each (the order alternating from pair to pair), so that drift lands on both; medians of rounds.
/// Each reload swaps to the other build, and each is timed until the new build answers.
/// </summary>
internal static class ReloadPart
{
    private const int WarmUpPairs = 3;
    private static readonly TimeSpan s_unloadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Reload of a build already in place, until it answers; and until the old context is dead.</summary>
    public static async Task RunReloadAsync(SideOptions options, SideReport report)
    {
        await using HotswapSide hotswap = await HotswapSide.CreateAsync(1, watch: false);
        await using HotswapSide lazy = await HotswapSide.CreateAsync(1, watch: false, precompile: false);
        using McMasterSide mcmaster = McMasterSide.Create(1, watch: false);
        var reloadH = new List<double>();
        var reloadLazy = new List<double>();
        var durationLazy = new List<double>();
        var reloadM = new List<double>();
        var settleH = new List<double>();
        var settleLoopH = new List<double>();
        var settleLoopM = new List<double>();
        var settleM = new List<double>();
        var collectionsM = new List<double>();
        var durationH = new List<double>();
        int build = 1;
        for (int pair = 0; pair < WarmUpPairs + options.Rounds; pair++)
        {
            build = 3 - build;
            bool measured = pair >= WarmUpPairs;

            // Every other pair, Hotswap's old context is watched by McMaster's users' loop instead
            // of Hotswap's own event: the same loop for both.
            bool loop = pair % 4 >= 2;

            // Hotswap with Precompile off (the new version's methods compiled on their first calls,
            // as the peer's are), first or last in the pair in turn; its old context is awaited
            // outside the time.
            if (pair % 2 == 0)
            {
                await ReloadLazyAsync();
            }

            for (int turn = 0; turn < 2; turn++)
            {
                if ((turn == 0) == (pair % 2 == 0))
                {
                    // Hotswap: the new build published and made current (outside the time, as
                    // the peer's files are copied outside it), then ReloadAsync.
                    string version = await hotswap.PublishAsync(build, activate: false);
                    hotswap.Activate(version);
                    long unloaded = hotswap.UnloadedCount;
                    WeakReference old = hotswap.WeakCurrentContext();
                    long start = Stopwatch.GetTimestamp();
                    ReloadResult result = await hotswap.Host.ReloadAsync();
                    result.EnsureSuccess();
                    while (hotswap.Proxy.Build() != build)
                    {
                    }

                    long answered = Stopwatch.GetTimestamp();
                    if (measured)
                    {
                        durationH.Add(result.Duration.TotalMilliseconds);
                    }

                    long dead;
                    if (loop)
                    {
                        if (McMasterSide.CollectUntilDead(old, maxCollections: 1000) < 0)
                        {
                            throw new InvalidOperationException("Hotswap's old load context was still alive after 1000 collections.");
                        }

                        dead = Stopwatch.GetTimestamp();
                        await hotswap.WaitUnloadedAsync(unloaded + 1, s_unloadTimeout);
                    }
                    else
                    {
                        dead = await hotswap.WaitUnloadedAsync(unloaded + 1, s_unloadTimeout);
                    }

                    if (measured)
                    {
                        reloadH.Add(Stopwatch.GetElapsedTime(start, answered).TotalMilliseconds);
                        (loop ? settleLoopH : settleH).Add(Stopwatch.GetElapsedTime(start, dead).TotalMilliseconds);
                    }
                }
                else
                {
                    mcmaster.CopyBuild(build);
                    long start = Stopwatch.GetTimestamp();
                    mcmaster.Reload();
                    while (mcmaster.Current.Build() != build)
                    {
                    }

                    long answered = Stopwatch.GetTimestamp();
                    int collections = mcmaster.CollectUntilPreviousDead();
                    long dead = Stopwatch.GetTimestamp();
                    if (collections < 0)
                    {
                        throw new InvalidOperationException("McMaster's old load context was still alive after 100 collections.");
                    }

                    if (measured)
                    {
                        reloadM.Add(Stopwatch.GetElapsedTime(start, answered).TotalMilliseconds);
                        (loop ? settleLoopM : settleM).Add(Stopwatch.GetElapsedTime(start, dead).TotalMilliseconds);
                        collectionsM.Add(collections);
                    }
                }
            }

            if (pair % 2 == 1)
            {
                await ReloadLazyAsync();
            }

            async Task ReloadLazyAsync()
            {
                string version = await lazy.PublishAsync(build, activate: false);
                lazy.Activate(version);
                long unloaded = lazy.UnloadedCount;
                long start = Stopwatch.GetTimestamp();
                ReloadResult result = await lazy.Host.ReloadAsync();
                result.EnsureSuccess();
                while (lazy.Proxy.Build() != build)
                {
                }

                long answered = Stopwatch.GetTimestamp();
                await lazy.WaitUnloadedAsync(unloaded + 1, s_unloadTimeout);
                if (measured)
                {
                    reloadLazy.Add(Stopwatch.GetElapsedTime(start, answered).TotalMilliseconds);
                    durationLazy.Add(result.Duration.TotalMilliseconds);
                }
            }
        }

        report.Add("reload of a new build already in place, until the new version answers", "ms", Stats.Median(reloadH), Stats.Median(reloadM), $"median of {options.Rounds} interleaved rounds; `ReloadAsync` / `loader.Reload()` (its handler included), then calls until the new build answers; Hotswap's own `ReloadResult.Duration`: median {Stats.Median(durationH):0.000} ms");
        report.Add("reload, until the new version answers, Hotswap with `Precompile = false` (its methods compiled on their first calls, as the peer's are)", "ms", Stats.Median(reloadLazy), Stats.Median(reloadM), $"the same {options.Rounds} rounds, a third host on its own root taking its turn first or last in each pair; Hotswap's own `ReloadResult.Duration`: median {Stats.Median(durationLazy):0.000} ms");
        report.Add("settle until every old context is dead, each library's own way", "ms", Stats.Median(settleH), Stats.Median(settleM), $"half of the same rounds ({settleH.Count}), from the reload's start; Hotswap: its own proof (the `Unloaded` event); McMaster (it has none): the user's loop, `GC.Collect()` + `WaitForPendingFinalizers()` until a weak reference to the old context is dead (median {Stats.Median(collectionsM):0} collections after `Reload()`'s own)");
        report.Add("settle until every old context is dead, the same loop for both", "ms", Stats.Median(settleLoopH), Stats.Median(settleLoopM), $"the other half of the rounds ({settleLoopH.Count}): the same user loop on a weak reference to each library's old context, started once the new build answered (Hotswap's own watchdog runs too)");
    }

    /// <summary>Deploy plus reload, until the new build answers.</summary>
    public static async Task RunDeployAsync(SideOptions options, SideReport report)
    {
        await using HotswapSide hotswap = await HotswapSide.CreateAsync(1, watch: false);
        using McMasterSide mcmaster = McMasterSide.Create(1, watch: false);
        var deployH = new List<double>();
        var deployM = new List<double>();
        var publishH = new List<double>();
        var copyM = new List<double>();
        int build = 1;
        for (int pair = 0; pair < WarmUpPairs + options.Rounds; pair++)
        {
            build = 3 - build;
            bool measured = pair >= WarmUpPairs;
            for (int turn = 0; turn < 2; turn++)
            {
                if ((turn == 0) == (pair % 2 == 0))
                {
                    long unloaded = hotswap.UnloadedCount;
                    long start = Stopwatch.GetTimestamp();
                    await hotswap.PublishAsync(build, activate: true);
                    long published = Stopwatch.GetTimestamp();
                    (await hotswap.Host.ReloadAsync()).EnsureSuccess();
                    while (hotswap.Proxy.Build() != build)
                    {
                    }

                    long answered = Stopwatch.GetTimestamp();
                    await hotswap.WaitUnloadedAsync(unloaded + 1, s_unloadTimeout);
                    if (measured)
                    {
                        deployH.Add(Stopwatch.GetElapsedTime(start, answered).TotalMilliseconds);
                        publishH.Add(Stopwatch.GetElapsedTime(start, published).TotalMilliseconds);
                    }
                }
                else
                {
                    long start = Stopwatch.GetTimestamp();
                    mcmaster.CopyBuild(build);
                    long copied = Stopwatch.GetTimestamp();
                    mcmaster.Reload();
                    while (mcmaster.Current.Build() != build)
                    {
                    }

                    long answered = Stopwatch.GetTimestamp();
                    if (measured)
                    {
                        copyM.Add(Stopwatch.GetElapsedTime(start, copied).TotalMilliseconds);
                    }

                    if (mcmaster.CollectUntilPreviousDead() < 0)
                    {
                        throw new InvalidOperationException("McMaster's old load context was still alive after 100 collections.");
                    }

                    if (measured)
                    {
                        deployM.Add(Stopwatch.GetElapsedTime(start, answered).TotalMilliseconds);
                    }
                }
            }
        }

        report.Add("deploy + reload (publish: copy, hash, manifest, flip / copy the files), until the new version answers", "ms", Stats.Median(deployH), Stats.Median(deployM), $"median of {options.Rounds} interleaved rounds; the wait for the old context to die is outside the time, for both; of which the deploy alone (median): publish {Stats.Median(publishH):0.000} ms / copy {Stats.Median(copyM):0.000} ms");
    }
}
