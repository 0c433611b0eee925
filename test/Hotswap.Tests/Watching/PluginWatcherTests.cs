using Hotswap.Tests.Support;

namespace Hotswap.Tests.Watching;

public sealed class PluginWatcherTests : IDisposable
{
    private static readonly TimeSpan s_debounce = TimeSpan.FromMilliseconds(100);
    private readonly TestRoot _root = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(WatchMode.Events)]
    [InlineData(WatchMode.Polling)]
    public async Task Watch_OneFlip_ReloadsWithinTheDebounce(WatchMode mode)
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        await using PluginHost host = CreateHost(mode);
        var reloads = new Reloads(host);
        (await host.LoadAsync()).EnsureSuccess();

        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v2.Version);
        if (mode == WatchMode.Polling)
        {
            await _time.WaitForTimerAsync();
            _time.Advance(TimeSpan.FromSeconds(1)); // the poll notices the flip
        }

        await _time.WaitForTimerAsync(dueWithin: s_debounce);
        Assert.Equal(0, reloads.Count);
        Assert.Equal("v1", host.Invoke("alpha", "tag"));
        _time.Advance(s_debounce);
        ReloadResult result = await reloads.Next;

        Assert.True(result.Published, result.ToString());
        Assert.Equal(v2.Version, result.Find("alpha")!.Version);
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.NotEqual(v1.Version, v2.Version);
    }

    [Fact]
    public async Task Watch_BurstOf50Flips_AtMostTwoReloadsEndingOnTheLastVersion()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        await using PluginHost host = CreateHost(WatchMode.Events);
        var reloads = new Reloads(host);
        (await host.LoadAsync()).EnsureSuccess();

        for (int i = 0; i < 50; i++)
        {
            PluginPublisher.Activate(_root.PluginsRoot, "alpha", i % 2 == 0 ? v2.Version : v1.Version);
        }

        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v2.Version);
        while (host.Invoke("alpha", "tag") as string != "v2")
        {
            await _time.WaitForTimerAsync(dueWithin: s_debounce);
            _time.Advance(s_debounce);
            await reloads.Next;
        }

        Assert.InRange(reloads.Count, 1, 2);
    }

    [Fact]
    public async Task Watch_PluginFolderRemoved_RetiresThePlugin()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult bravo = await _root.PublishAsync(Fixtures.GreeterV1, "bravo");
        await using PluginHost host = CreateHost(WatchMode.Events);
        var observer = new HostObserver(host);
        var reloads = new Reloads(host);
        (await host.LoadAsync()).EnsureSuccess();

        Directory.Delete(_root.PluginDirectory("bravo"), recursive: true);
        await _time.WaitForTimerAsync(dueWithin: s_debounce);
        _time.Advance(s_debounce);
        ReloadResult result = await reloads.Next;

        Assert.Equal(ReloadOutcome.Removed, result.Find("bravo")!.Outcome);
        using (GenerationLease lease = host.Acquire())
        {
            Assert.False(lease.Generation.Contains("bravo"));
        }

        await _time.AdvanceUntilAsync(observer.WhenUnloaded("bravo", bravo.Version), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task Watch_ReloadFails_RaisesReloadFailedAndKeepsServing()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = CreateHost(WatchMode.Events);
        var failed = new TaskCompletionSource<ReloadFailedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.ReloadFailed += (_, e) => failed.TrySetResult(e);
        (await host.LoadAsync()).EnsureSuccess();

        await _root.PublishAsync(Fixtures.NoAttribute, "broken");
        await _time.WaitForTimerAsync(dueWithin: s_debounce);
        _time.Advance(s_debounce);
        ReloadFailedEventArgs report = await failed.Task.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.Equal("broken", report.Result.Error!.PluginName);
        Assert.Equal("v1", host.Invoke("alpha", "tag"));
    }

    [Fact]
    public async Task Watch_ReloadOnSignal_SighupReloads()
    {
        PublishResult v2;
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Watch = true;
            o.WatchMode = WatchMode.Polling; // no notifications: only the signal can trigger
            o.PollingInterval = TimeSpan.FromHours(1);
            o.ReloadOnSignal = true;
            o.TimeProvider = _time;
        });
        var reloads = new Reloads(host);
        (await host.LoadAsync()).EnsureSuccess();
        PluginPublisher.Activate(_root.PluginsRoot, "alpha", v2.Version);

        using (var kill = System.Diagnostics.Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }

        await _time.WaitForTimerAsync(dueWithin: s_debounce);
        _time.Advance(s_debounce);
        await reloads.Next;

        Assert.Equal("v2", host.Invoke("alpha", "tag"));
    }

    private PluginHost CreateHost(WatchMode mode) => _root.CreateHost(o =>
    {
        o.Watch = true;
        o.WatchMode = mode;
        o.WatchDebounce = s_debounce;
        o.PollingInterval = TimeSpan.FromSeconds(1);
        o.TimeProvider = _time;
    });

    /// <summary>Counts reloads after the first load and hands out the next one's result.</summary>
    private sealed class Reloads
    {
        private readonly Lock _gate = new();
        private readonly Queue<ReloadResult> _results = new();
        private TaskCompletionSource<ReloadResult>? _waiter;
        private int _seen;

        public Reloads(PluginHost host)
        {
            host.Reloaded += (_, e) => Add(e.Result);
            host.ReloadFailed += (_, e) => Add(e.Result);
        }

        public int Count => Math.Max(0, Volatile.Read(ref _seen) - 1);

        public Task<ReloadResult> Next
        {
            get
            {
                lock (_gate)
                {
                    if (_results.TryDequeue(out ReloadResult? ready))
                    {
                        return Task.FromResult(ready);
                    }

                    _waiter = new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                    return _waiter.Task.WaitAsync(TimeSpan.FromSeconds(90));
                }
            }
        }

        private void Add(ReloadResult result)
        {
            TaskCompletionSource<ReloadResult>? waiter;
            lock (_gate)
            {
                // The first load is not a watcher reload.
                if (Interlocked.Increment(ref _seen) == 1)
                {
                    return;
                }

                waiter = _waiter;
                _waiter = null;
                if (waiter is null)
                {
                    _results.Enqueue(result);
                }
            }

            waiter?.TrySetResult(result);
        }
    }
}
