using Hotswap.Tests.Support;

namespace Hotswap.Tests.Hosting;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Reload_200TimesUnderContinuousCallsFromTwoThreads_NoCallFailsAndEveryRetiredContextIsCollected()
    {
        const int Reloads = 200;
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        await using PluginHost host = _root.CreateHost(o => o.UnloadTimeout = TimeSpan.FromMinutes(2));
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        using var stop = new CancellationTokenSource();
        var started = new CountdownEvent(2);
        Task<(int V1, int V2, List<string> Failures)>[] callers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            int fromV1 = 0, fromV2 = 0;
            var failures = new List<string>();
            started.Signal();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    switch (host.Invoke("alpha", "greet", "x"))
                    {
                        case "v1:hello x": fromV1++; break;
                        case "v2:hello x": fromV2++; break;
                        case var other: failures.Add($"unexpected result '{other}'"); break;
                    }
                }
                catch (Exception ex)
                {
                    failures.Add(ex.ToString());
                }
            }

            return (fromV1, fromV2, failures);
        }))];
        started.Wait();

        for (int i = 0; i < Reloads; i++)
        {
            PluginPublisher.Activate(_root.PluginsRoot, "alpha", i % 2 == 0 ? v2.Version : v1.Version);
            ReloadResult result = await host.ReloadAsync();
            Assert.True(result.Succeeded, result.ToString());
            Assert.Equal(ReloadOutcome.Loaded, result.Find("alpha")!.Outcome);
        }

        await stop.CancelAsync();
        var outcomes = await Task.WhenAll(callers);

        Assert.All(outcomes, o => Assert.Empty(o.Failures));
        Assert.All(outcomes, o => Assert.True(o.V1 > 0 && o.V2 > 0, $"v1 {o.V1}, v2 {o.V2}"));
        Assert.Equal(Reloads + 1, host.GenerationNumber);
        await observer.WhenUnloadedCount(Reloads);
        Assert.Equal(Reloads, observer.Unloaded.Count);
        Assert.Equal(Reloads, _root.Events.Count(e => e == "alpha:OnFree"));
        Assert.Empty(observer.Stuck);
        Assert.Empty(host.StuckVersions);
    }

    [Fact]
    public async Task ReloadAsync_CalledFromManyThreadsAtOnce_ReloadsNeverOverlapAndTheLastPublishedVersionServes()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        await using PluginHost host = _root.CreateHost();
        int running = 0, maxRunning = 0, reloads = 0;
        host.Reloading += (_, _) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            Interlocked.Increment(ref reloads);
        };
        host.Reloaded += (_, _) => Interlocked.Decrement(ref running);
        host.ReloadFailed += (_, _) => Interlocked.Decrement(ref running);
        (await host.LoadAsync()).EnsureSuccess();

        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<ReloadResult[]>[] reloaders = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await go.Task;
            var results = new ReloadResult[10];
            for (int i = 0; i < results.Length; i++)
            {
                results[i] = await host.ReloadAsync();
            }

            return results;
        }))];
        go.SetResult();
        for (int i = 0; i < 20; i++)
        {
            PluginPublisher.Activate(_root.PluginsRoot, "alpha", i % 2 == 0 ? v2.Version : v1.Version);
            await Task.Yield();
        }

        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v2.Version);
        ReloadResult last = await host.ReloadAsync();
        ReloadResult[][] all = await Task.WhenAll(reloaders);

        Assert.True(last.Succeeded, last.ToString());
        Assert.All(all.SelectMany(r => r), r => Assert.True(r.Succeeded, r.ToString()));
        Assert.Equal(1, maxRunning);
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.True(reloads <= 1 + 81, $"{reloads} reloads");
    }

    [Fact]
    public async Task ReloadAsync_RequestsDuringARunningReload_CoalesceIntoOneFollowUp()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        using var release = new ManualResetEventSlim(false);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int reloads = 0, running = 0, maxRunning = 0;
        host.Reloading += (_, _) =>
        {
            InterlockedMax(ref maxRunning, Interlocked.Increment(ref running));
            if (Interlocked.Increment(ref reloads) == 1)
            {
                // Hold the first reload inside its run, so the next requests arrive while it runs.
                blocked.TrySetResult();
                release.Wait();
            }
        };
        host.Reloaded += (_, _) => Interlocked.Decrement(ref running);
        host.ReloadFailed += (_, _) => Interlocked.Decrement(ref running);

        Task<ReloadResult> first = host.ReloadAsync();
        await blocked.Task;
        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v2.Version);
        Task<ReloadResult>[] joiners = [.. Enumerable.Range(0, 5).Select(_ => host.ReloadAsync())];
        Assert.Equal(1, Volatile.Read(ref reloads));
        release.Set();
        ReloadResult[] results = await Task.WhenAll(joiners);
        ReloadResult firstResult = await first;

        Assert.Equal(2, reloads);
        Assert.Equal(1, maxRunning);
        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.NotSame(firstResult, results[0]);

        // The first reload was held before its discovery, so it found v2; the follow-up found nothing new.
        Assert.True(firstResult.Published);
        Assert.False(results[0].Published);
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
