using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Hosting;

public sealed class InFlightTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Reload_WhileSyncCallInFlight_CompletesOnOldVersion()
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
        ProbeGate gate = _root.Probe.Gate("sync");
        Task<object?> call = Task.Run(() => host.Invoke("alpha", "block", "sync"));
        await gate.Entered;

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.False(call.IsCompleted);

        // Proof that the blocked call still holds v1: it has not drained when the drain timeout passes.
        time.Advance(TimeSpan.FromSeconds(5));
        UnloadStuckEventArgs draining = await observer.WhenStuck("alpha", v1.Version);
        Assert.True(draining.StillDraining);
        Assert.Contains("1 lease(s) on it are still held", draining.Cause);
        Assert.DoesNotContain("alpha:OnFree", _root.Events);

        gate.Release();
        Assert.Equal("v1:unblocked", await call);
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
        List<string> events = [.. _root.Events];
        Assert.Single(events, "alpha:OnFree");
        Assert.True(events.IndexOf("alpha:Unblocked") < events.IndexOf("alpha:OnFree"));
    }

    [Fact]
    public async Task Reload_WhileAsyncCallAwaitsAcrossTheSwitch_CompletesOnOldVersion()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        ProbeGate gate = _root.Probe.Gate("async");
        ValueTask<object?> call = host.InvokeAsync("alpha", "blockAsync", ["async"]);
        await gate.Entered;

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.Equal("v2:hello you", await host.InvokeAsync("alpha", "greet", ["you"]));
        Assert.DoesNotContain("alpha:OnFree", _root.Events);

        gate.Release();
        Assert.Equal("v1:resumed", await call);
        await observer.WhenUnloaded("alpha", v1.Version);
        List<string> events = [.. _root.Events];
        Assert.Single(events, "alpha:OnFree");
        Assert.True(events.IndexOf("alpha:Resumed") < events.IndexOf("alpha:OnFree"));
    }

    [Fact]
    public async Task Acquire_LeaseHeldAcrossReload_SeesOneVersionUntilDisposed()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        GenerationLease lease = host.Acquire();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal(1, lease.Generation.Number);
        Assert.Equal("v1", lease.Generation.Invoke("alpha", "tag"));
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.DoesNotContain("alpha:OnFree", _root.Events);
        Generation retired = lease.Generation;
        lease.Dispose();
        lease.Dispose();

        await observer.WhenUnloaded("alpha", v1.Version);
        Assert.Single(_root.Events, "alpha:OnFree");
        Assert.Throws<ObjectDisposedException>(() => lease.Generation);
        Assert.Throws<ObjectDisposedException>(() => retired.Invoke("alpha", "tag"));
    }
}
