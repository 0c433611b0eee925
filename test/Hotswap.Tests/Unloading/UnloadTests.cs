using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Unloading;

public sealed class UnloadTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Retire_PluginHoldsHostStaticEvent_UnloadStuckRaisedAfterTimeoutNamingTheVersionAndHostKeepsServing()
    {
        var time = new ManualTimeProvider();
        TimeSpan timeout = TimeSpan.FromSeconds(5);
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = timeout;
        });
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            HostEvents.RaiseTick();
            Assert.Equal(1, host.Invoke("sticky", "ticks"));

            Directory.Delete(_root.PluginDirectory("sticky"), recursive: true);
            (await host.ReloadAsync()).EnsureSuccess();
            await observer.WhenUnloading("sticky", sticky.Version);

            Task<UnloadStuckEventArgs> stuck = observer.WhenStuck("sticky", sticky.Version);
            TimeSpan advanced = TimeSpan.Zero;
            while (!stuck.IsCompleted)
            {
                // Move the clock only once the watchdog waits on it: deterministic, no sleeping.
                await Task.WhenAny(stuck, time.WaitForTimerAsync(dueWithin: TimeSpan.FromSeconds(1)));
                if (!stuck.IsCompleted)
                {
                    Assert.Empty(observer.Stuck);
                    time.Advance(TimeSpan.FromMilliseconds(250));
                    advanced += TimeSpan.FromMilliseconds(250);
                }
            }

            UnloadStuckEventArgs report = await stuck;

            // Reported once the timeout had passed since Unload(), and not a watchdog round later.
            Assert.InRange(report.Elapsed, timeout, timeout + TimeSpan.FromSeconds(1));
            Assert.InRange(advanced, timeout, timeout + TimeSpan.FromSeconds(1));
            Assert.False(report.StillDraining);
            Assert.Contains($"sticky@{sticky.Version}", report.Cause);
            Assert.Contains("a delegate on a host or static event", report.Cause);
            Assert.EndsWith($" To find the chain: hotswap diagnose {Environment.ProcessId}, or set PluginHostOptions.UnloadDiagnoser (UnloadDiagnosers.HeapDump(), in the package Hotswap.Diagnostics) and the host names it here.", report.Cause, StringComparison.Ordinal);
            Assert.Equal([new PluginVersionInfo("sticky", sticky.Version)], host.StuckVersions);
            Assert.Empty(observer.Unloaded);
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        }
        finally
        {
            HostEvents.UnsubscribeAll();
        }
    }

    [Fact]
    public async Task Retire_CallNeverReturns_UnloadStuckReportsTheLeaseStillHeld()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        ProbeGate gate = _root.Probe.Gate("forever");
        Task<object?> call = Task.Run(() => host.Invoke("alpha", "block", "forever"));
        await gate.Entered;

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        time.Advance(TimeSpan.FromSeconds(5));

        UnloadStuckEventArgs report = await observer.WhenStuck("alpha", v1.Version);
        Assert.True(report.StillDraining);
        Assert.Contains("1 lease(s) on it are still held", report.Cause);
        Assert.DoesNotContain("alpha:OnFree", _root.Events);

        gate.Release();
        Assert.Equal("v1:unblocked", await call);

        // The watchdog polls on the host's clock: move it until the proof arrives.
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
        Assert.Single(_root.Events, "alpha:OnFree");
    }

    [Fact]
    public async Task Retire_HostEventSubscriptionRegisteredForDispose_IsReleasedAfterOnFreeAndVersionUnloads()
    {
        _root.Probe.Set("alpha.subscribeTick", "true");
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync(new DisposalProbe(_root.Probe))).EnsureSuccess();
        HostEvents.RaiseTick();
        Assert.Contains("alpha:Tick", _root.Events);

        _root.Probe.Set("alpha.subscribeTick", null);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        await observer.WhenUnloaded("alpha", v1.Version);
        List<string> events = [.. _root.Events];
        Assert.Single(events, "alpha:Disposed");
        Assert.True(events.IndexOf("alpha:OnFree") < events.IndexOf("alpha:Disposed"));
        Assert.Empty(observer.Stuck);
    }

    [Fact]
    public async Task Retire_PluginSerializedItsOwnTypesWithSystemTextJson_StillUnloads()
    {
        PublishResult json = await _root.PublishAsync(Fixtures.JsonUser, "json");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        Assert.StartsWith("ann:3:tea:", (string)host.Invoke("json", "roundtrip", "ann")!);

        Directory.Delete(_root.PluginDirectory("json"), recursive: true);
        (await host.ReloadAsync()).EnsureSuccess();

        Task finished = await Task.WhenAny(observer.WhenUnloaded("json", json.Version), observer.WhenStuck("json", json.Version));
        Assert.Empty(observer.Stuck);
        Assert.Single(observer.Unloaded, e => e.Version.PluginName == "json");
    }

    [Fact]
    public async Task Dispose_ServingGeneration_IsFreedAndUnloaded()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        await host.DisposeAsync();

        Assert.Single(_root.Events, "alpha:OnFree");
        await observer.WhenUnloaded("alpha", v1.Version);
        Assert.Throws<ObjectDisposedException>(() => host.Invoke("alpha", "tag"));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => host.ReloadAsync());
    }
}
