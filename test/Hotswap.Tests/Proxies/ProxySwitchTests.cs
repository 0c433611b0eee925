using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Proxies;

/// <summary>
/// A reload in the middle of a proxied call: the call finishes on the version it started on, new
/// calls reach the new version, and the old version is freed only after the call is over.
/// </summary>
public sealed class ProxySwitchTests : IDisposable
{
    private static readonly TimeSpan UnloadTimeout = TimeSpan.FromSeconds(5);
    private readonly TestRoot _root = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Reload_DuringProxiedSyncCall_CompletesOnOldVersion()
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            ProbeGate gate = _root.Probe.Gate("sync");
            Task<string> call = Task.Factory.StartNew(() => shapes.Block("sync"), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            await gate.Entered;

            await SwitchToV2Async(host, shapes);
            await AssertStillLeasedAsync(observer, v1, call);

            gate.Release();
            Assert.Equal("v1", await call);
            await AssertFreedAfterAsync(observer, v1, completedEvent: null);
        }
    }

    [Fact]
    public async Task Reload_DuringProxiedTaskCall_CompletesOnOldVersion()
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            ProbeGate gate = _root.Probe.Gate("task");
            Task<string> call = shapes.WaitAsync("task");
            await gate.Entered;

            await SwitchToV2Async(host, shapes);
            await AssertStillLeasedAsync(observer, v1, call);

            gate.Release();
            Assert.Equal("v1", await call);
            await AssertFreedAfterAsync(observer, v1, completedEvent: "shapes:v1:resumed");
        }
    }

    [Fact]
    public async Task Reload_DuringProxiedValueTaskCall_CompletesOnOldVersion()
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            ProbeGate gate = _root.Probe.Gate("valuetask");
            Task<string> call = shapes.WaitValueAsync("valuetask").AsTask();
            await gate.Entered;

            await SwitchToV2Async(host, shapes);
            await AssertStillLeasedAsync(observer, v1, call);

            gate.Release();
            Assert.Equal("v1", await call);
            await AssertFreedAfterAsync(observer, v1, completedEvent: null);
        }
    }

    [Fact]
    public async Task Reload_DuringProxiedAsyncEnumeration_CompletesOnOldVersion()
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            ProbeGate gate = _root.Probe.Gate("stream");
            IAsyncEnumerable<string> stream = shapes.StreamAsync(3, "stream");
            IAsyncEnumerator<string> enumerator = stream.GetAsyncEnumerator();
            Assert.True(await enumerator.MoveNextAsync());
            Assert.Equal("v1:0", enumerator.Current);
            Task<bool> next = enumerator.MoveNextAsync().AsTask();
            await gate.Entered;

            // A witness lease on generation 1 lets the test read its lease count after the switch.
            GenerationLease witness = host.Acquire();
            var first = (PluginGeneration)witness.Generation;
            Assert.Equal(2, first.Leases.Count);

            await SwitchToV2Async(host, shapes);
            Assert.False(next.IsCompleted);
            Assert.Equal(2, first.Leases.Count);

            gate.Release();
            Assert.True(await next);
            Assert.Equal("v1:1", enumerator.Current);
            Assert.True(await enumerator.MoveNextAsync());
            Assert.Equal("v1:2", enumerator.Current);
            Assert.False(await enumerator.MoveNextAsync());

            // The lease is held until the enumerator is disposed, not merely until the last item.
            Assert.Equal(2, first.Leases.Count);
            await enumerator.DisposeAsync();
            await enumerator.DisposeAsync();
            Assert.Equal(1, first.Leases.Count);
            Assert.DoesNotContain("shapes:OnFree", _root.Events);

            witness.Dispose();
            await AssertFreedAfterAsync(observer, v1, completedEvent: "shapes:v1:streamed");

            // The same sequence, enumerated again, leases the current generation.
            List<string> again = [];
            await foreach (string item in stream)
            {
                again.Add(item);
            }

            Assert.Equal(["v2:0", "v2:1", "v2:2"], again);
        }
    }

    [Fact]
    public async Task Reload_WithEventSubscribedThroughProxy_MovesTheHandlerAndFreesTheOldVersion()
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            List<string> seen = [];
            shapes.Changed += (_, e) => seen.Add(e);
            shapes.RaiseChanged("before");

            await _root.PublishAsync(Fixtures.ShapesV2, "shapes");
            (await host.ReloadAsync()).EnsureSuccess();
            shapes.RaiseChanged("after");

            Assert.Equal(["v1:before", "v2:after"], seen);

            // The old version does not keep the subscription alive, nor does the subscription keep it.
            await _time.AdvanceUntilAsync(observer.WhenUnloaded("shapes", v1), TimeSpan.FromMilliseconds(50));
            Assert.Empty(observer.Stuck);
        }
    }

    [Fact]
    public async Task Reload_DefaultMemberOverriddenByNewVersion_ProxyCallsTheNewImplementation()
    {
        (PluginHost host, _, _) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            Assert.Equal("default describe (v1)", shapes.Describe());

            await _root.PublishAsync(Fixtures.ShapesV2, "shapes");
            (await host.ReloadAsync()).EnsureSuccess();

            Assert.Equal("v2 describe", shapes.Describe());
        }
    }

    private async Task<(PluginHost Host, HostObserver Observer, string V1)> StartAsync()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.ShapesV1, "shapes");
        PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = _time;
            o.UnloadTimeout = UnloadTimeout;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        return (host, observer, v1.Version);
    }

    private async Task SwitchToV2Async(PluginHost host, IShapes shapes)
    {
        await _root.PublishAsync(Fixtures.ShapesV2, "shapes");
        (await host.ReloadAsync()).EnsureSuccess();

        // New calls through the same proxy reach the new version at once.
        Assert.Equal("v2:next", shapes.Echo("next"));
        Assert.Equal("v2", shapes.Version);
    }

    /// <summary>Proves that a lease still holds v1: its drain is reported overdue, and it was not freed.</summary>
    private async Task AssertStillLeasedAsync(HostObserver observer, string v1, Task pending)
    {
        Assert.False(pending.IsCompleted);

        _time.Advance(UnloadTimeout);
        UnloadStuckEventArgs draining = await observer.WhenStuck("shapes", v1);
        Assert.True(draining.StillDraining);
        Assert.Contains("1 lease(s) on it are still held", draining.Cause);
        Assert.Single(observer.Stuck);
        Assert.DoesNotContain("shapes:OnFree", _root.Events);
    }

    private async Task AssertFreedAfterAsync(HostObserver observer, string v1, string? completedEvent)
    {
        await _time.AdvanceUntilAsync(observer.WhenUnloaded("shapes", v1), TimeSpan.FromMilliseconds(50));
        List<string> events = [.. _root.Events];
        Assert.Single(events, "shapes:OnFree");
        if (completedEvent is not null)
        {
            Assert.True(events.IndexOf(completedEvent) < events.IndexOf("shapes:OnFree"), string.Join(", ", events));
        }
    }
}
