using System.Runtime.CompilerServices;
using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Issues;

/// <summary>Issue 10: retirement reports every version it cannot free or unload, and pins nothing.</summary>
public sealed partial class IssuesTests
{
    [Fact]
    public async Task Retire_OnFreeBlocksSynchronously_ReportedStuckWhileTheHostKeepsServingAndReloading()
    {
        var time = new ManualTimeProvider();
        _root.Probe.Set("alpha.blockIn", "OnFree");
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        ProbeGate gate = _root.Probe.Gate("alpha:OnFree");
        try
        {
            await using PluginHost host = _root.CreateHost(o =>
            {
                o.TimeProvider = time;
                o.WriteStatus = false;
                o.LifecycleTimeout = TimeSpan.FromSeconds(2);
            });
            var observer = new HostObserver(host);
            (await host.LoadAsync()).EnsureSuccess();
            await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
            (await host.ReloadAsync()).EnsureSuccess();

            await gate.Entered.WaitAsync(s_guard);
            await time.WaitForTimerAsync(TimeSpan.FromSeconds(2)).WaitAsync(s_guard);
            time.Advance(TimeSpan.FromSeconds(2));

            UnloadStuckEventArgs stuck = await observer.WhenStuck("alpha", v1.Version).WaitAsync(s_guard);
            Assert.False(stuck.StillDraining);
            Assert.StartsWith("OnFreeAsync did not return within 2 s", stuck.Cause, StringComparison.Ordinal);
            Assert.Contains(new PluginVersionInfo("alpha", v1.Version), host.StuckVersions);

            Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
            _root.Probe.Set("alpha.blockIn", null);
            await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
            (await host.ReloadAsync().WaitAsync(s_guard)).EnsureSuccess();
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        }
        finally
        {
            gate.Release();
        }
    }

    [Fact]
    public async Task ReloadAsync_FailedVersionLeaksAHostSideReference_IsWatchedAndReportedStuck()
    {
        var time = new ManualTimeProvider();
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.WriteStatus = false;
            o.UnloadTimeout = TimeSpan.FromSeconds(1);
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        // v2 hands a host-side cache a reference to itself in OnLoadAsync, then fails in OnInitAsync.
        _root.Probe.Set("alpha.leakSelf", "true");
        _root.Probe.Set("alpha.throwIn", "OnInit");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ReloadResult failed = await host.ReloadAsync();
        Assert.Equal(ReloadPhase.OnInit, failed.Error!.Phase);

        UnloadStuckEventArgs stuck = await time.AdvanceUntilAsync(observer.WhenStuck("alpha", v2.Version), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);
        Assert.Contains("is still alive", stuck.Cause, StringComparison.Ordinal);
        Assert.Contains(new PluginVersionInfo("alpha", v2.Version), host.StuckVersions);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task ReloadAsync_FailedInPluginCode_TheResultsErrorPinsNothing()
    {
        var time = new ManualTimeProvider();
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.WriteStatus = false;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set("alpha.throwIn", "OnInit");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        // The caller keeps the failed result, and with it the plugin's exception and its stack trace.
        ReloadResult failed = await host.ReloadAsync();
        Exception inner = failed.Error!.InnerException!;
        Assert.Contains("alpha throws in OnInit on purpose", inner.Message, StringComparison.Ordinal);
        Assert.Contains("GreeterPlugin", inner.StackTrace, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException", inner.ToString(), StringComparison.Ordinal);

        UnloadedEventArgs unloaded = await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v2.Version), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);
        Assert.Equal(v2.Version, unloaded.Version.Version);
        GC.KeepAlive(failed);
    }

    [Fact]
    public async Task Proxy_FaultedTaskKeptByTheCaller_DoesNotPinTheRetiredVersion()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.WriteStatus = false;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        // Both faulted tasks are kept, unobserved and observed, with the plugin's exceptions inside.
        IGreeter greeter = host.GetProxy<IGreeter>("alpha");
        Task<string> viaProxy = greeter.GreetAsync("fail");
        Task<object?> viaInvoke = host.InvokeAsync("alpha", "failAsync").AsTask();
        InvalidOperationException thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => viaProxy);
        Assert.Equal("v1 fails asynchronously on purpose", thrown.Message);
        await Assert.ThrowsAsync<InvalidOperationException>(() => viaInvoke);
        thrown = null!;

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        Task<UnloadStuckEventArgs> stuck = observer.WhenStuck("alpha", v1.Version);
        Task<UnloadedEventArgs> unloaded = observer.WhenUnloaded("alpha", v1.Version);
        Task done = await time.AdvanceUntilAsync(Task.WhenAny(stuck, unloaded), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);
        Assert.True(done == unloaded, done == stuck ? (await stuck).Cause : "");
        GC.KeepAlive(viaProxy);
        GC.KeepAlive(viaInvoke);
    }
}
