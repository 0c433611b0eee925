using System.Runtime.Loader;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Loading;

/// <summary>
/// A plugin that hosts plugins: NestedOuter runs its own PluginHost (created in its OnLoadAsync, so
/// it shares the outer plugin's load context) over sub-plugins that export the Nested.Contract the
/// outer plugin ships privately. Calls cross both levels while a sub-plugin and then the outer
/// plugin are swapped, and every retired context is collected.
/// </summary>
public sealed class NestedHostTests : IDisposable
{
    private readonly TestRoot _root = new();
    private readonly TestRoot _sub = new();

    public void Dispose()
    {
        _root.Dispose();
        _sub.Dispose();
    }

    [Fact]
    public async Task APluginHostingSubPluginsThroughAContainerOfItsOwn_SharesItsContractWithThem()
    {
        await _sub.PublishAsync(Fixtures.NestedHelloA1, "a");
        await _sub.PublishAsync(Fixtures.NestedHelloB, "b");
        _root.Probe.Set("outer.subRoot", _sub.PluginsRoot);
        _root.Probe.Set("outer.viaContainer", "true");
        PublishResult outer = await _root.PublishAsync(Fixtures.NestedOuterV1, "outer");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("outer1[a1:hello you,b:hello you]", host.Invoke("outer", "hello", "you")); // AddHotswap from the plugin: its sub-plugins export the plugin's ISayHello
        Assert.Equal($"outer@{outer.Version}", host.Invoke("outer", "subContext"));
    }

    [Fact]
    public async Task APluginHostingSubPlugins_CallsCrossBothLevels_SwapsOfEitherLevelWorkUnderLoad_AndEveryContextIsCollected()
    {
        PublishResult a1 = await _sub.PublishAsync(Fixtures.NestedHelloA1, "a");
        PublishResult b = await _sub.PublishAsync(Fixtures.NestedHelloB, "b");
        _root.Probe.Set("outer.subRoot", _sub.PluginsRoot);
        PublishResult outer1 = await _root.PublishAsync(Fixtures.NestedOuterV1, "outer");
        // The system clock: the sub-hosts run on it too, and the retired outer version is collected
        // only once its sub-host's work items (on that clock) have let go of it.
        await using PluginHost host = _root.CreateHost(static o => o.UnloadTimeout = TimeSpan.FromSeconds(30));
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("outer1[a1:hello you,b:hello you]", host.Invoke("outer", "hello", "you"));
        Assert.Equal($"outer@{outer1.Version}", host.Invoke("outer", "subContext")); // the contract is the outer plugin's own copy
        await using CallLoop calls = CallLoop.Start(() => (string)host.Invoke("outer", "hello", "you")!, threads: 2);
        await calls.Started;

        // A sub-plugin's swap, through the outer plugin's host.
        await _sub.PublishAsync(Fixtures.NestedHelloA2, "a");
        ReloadResult subReload = await (Task<ReloadResult>)host.Invoke("outer", "reloadSub")!;
        subReload.EnsureSuccess();
        Assert.Equal("outer1[a2:hello you,b:hello you]", host.Invoke("outer", "hello", "you"));

        // The outer plugin's swap: the new version starts a sub-host of its own; the old one's retires with it.
        await _root.PublishAsync(Fixtures.NestedOuterV2, "outer");
        (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal("outer2[a2:hello you,b:hello you]", host.Invoke("outer", "hello", "you"));
        await Task.WhenAny(observer.WhenUnloaded("outer", outer1.Version), observer.WhenStuck("outer", outer1.Version)).WaitAsync(TimeSpan.FromMinutes(1));
        await calls.StopAsync();

        Assert.True(calls.Failures == 0, calls.FirstErrors);
        Assert.True(observer.Stuck.Count == 0, string.Join(" | ", observer.Stuck.Select(static s => s.Cause)) + " contexts: " + string.Join(", ", AssemblyLoadContext.All.Select(static c => c.Name)));
        Assert.Contains(observer.Unloaded, u => u.Version == new PluginVersionInfo("outer", outer1.Version));

        // The sub-plugins of the retired outer version (a@a1 swapped out, then a@a2 and b of the old sub-host)
        // held the old outer context alive until they were gone: none of their contexts is left.
        string[] retired = [$"a@{a1.Version}", $"outer@{outer1.Version}"];
        Assert.DoesNotContain(AssemblyLoadContext.All, c => retired.Contains(c.Name));
        Assert.Single(AssemblyLoadContext.All, c => c.Name == $"b@{b.Version}"); // the new outer version's sub-host serves b
    }
}
