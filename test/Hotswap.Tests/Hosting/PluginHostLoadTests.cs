using Hotswap.Tests.Support;

namespace Hotswap.Tests.Hosting;

public sealed class PluginHostLoadTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task LoadAsync_ThreePlugins_AllLoadedInLifecycleOrderByName()
    {
        // Created out of name order on purpose: the order must come from the names.
        await _root.PublishAsync(Fixtures.GreeterV1, "charlie");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV1, "bravo");
        await using PluginHost host = _root.CreateHost(o => o.ExtensionFactory = () =>
        {
            _root.Probe.Record("host:Vault");
            return new object();
        });

        ReloadResult result = await host.LoadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.True(result.Published);
        Assert.Equal(1, result.Generation);
        Assert.Equal(["alpha", "bravo", "charlie"], result.Plugins.Select(p => p.PluginName));
        Assert.All(result.Plugins, p => Assert.Equal(ReloadOutcome.Loaded, p.Outcome));
        Assert.Equal(
            [
                "alpha:Construct", "alpha:Reloadable", "alpha:Export",
                "bravo:Construct", "bravo:Reloadable", "bravo:Export",
                "charlie:Construct", "charlie:Reloadable", "charlie:Export",
                "alpha:OnLoad", "bravo:OnLoad", "charlie:OnLoad",
                "host:Vault",
                "alpha:OnInit", "bravo:OnInit", "charlie:OnInit",
                "alpha:WarmUp", "bravo:WarmUp", "charlie:WarmUp",
                "alpha:CheckHealth", "bravo:CheckHealth", "charlie:CheckHealth",
            ],
            _root.Events);
        using GenerationLease lease = host.Acquire();
        Assert.Equal(["alpha", "bravo", "charlie"], lease.Generation.Plugins.Select(p => p.PluginName));
        Assert.Equal("v1:hello you", lease.Generation.Invoke("bravo", "greet", "you"));
    }

    [Fact]
    public async Task ReloadAsync_NothingRepublished_NoLifecycleCallAndEveryPluginUnchanged()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV1, "bravo");
        int vaults = 0;
        await using PluginHost host = _root.CreateHost(o => o.ExtensionFactory = () => Interlocked.Increment(ref vaults));
        (await host.LoadAsync()).EnsureSuccess();
        string instance = (string)host.Invoke("alpha", "instance")!;
        _root.Probe.ClearEvents();

        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded);
        Assert.False(result.Published);
        Assert.Equal(1, result.Generation);
        Assert.All(result.Plugins, p => Assert.Equal(ReloadOutcome.Unchanged, p.Outcome));
        Assert.Empty(_root.Events);
        Assert.Equal(1, vaults);
        Assert.Equal(instance, host.Invoke("alpha", "instance"));
    }

    [Fact]
    public async Task ReloadAsync_PluginAddedAndAnotherRemoved_NextGenerationHasOneAndRetiresTheOther()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult bravo = await _root.PublishAsync(Fixtures.GreeterV1, "bravo");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        Directory.Delete(_root.PluginDirectory("bravo"), recursive: true);
        PublishResult charlie = await _root.PublishAsync(Fixtures.GreeterV2, "charlie");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(ReloadOutcome.Unchanged, result.Find("alpha")!.Outcome);
        Assert.Equal(ReloadOutcome.Removed, result.Find("bravo")!.Outcome);
        Assert.Equal(bravo.Version, result.Find("bravo")!.PreviousVersion);
        Assert.Equal(ReloadOutcome.Loaded, result.Find("charlie")!.Outcome);
        Assert.Equal(charlie.Version, result.Find("charlie")!.Version);
        using (GenerationLease lease = host.Acquire())
        {
            Assert.True(lease.Generation.Contains("charlie"));
            Assert.False(lease.Generation.Contains("bravo"));
            Assert.Equal("v2", lease.Generation.Invoke("charlie", "tag"));
        }

        await observer.WhenUnloaded("bravo", bravo.Version);
        Assert.Equal(1, _root.Events.Count(e => e == "bravo:OnFree"));
        Assert.DoesNotContain("alpha:OnFree", _root.Events);
    }

    [Fact]
    public async Task ReloadAsync_NotReloadablePluginRepublished_FirstVersionStays()
    {
        _root.Probe.Set("alpha.reloadable", "false");
        PublishResult first = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.ClearEvents();

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded);
        Assert.False(result.Published);
        PluginOutcome alpha = result.Find("alpha")!;
        Assert.Equal(ReloadOutcome.NotReloadable, alpha.Outcome);
        Assert.Equal(first.Version, alpha.Version);
        Assert.Equal("v1", host.Invoke("alpha", "tag"));
        Assert.Empty(_root.Events);
    }

    [Fact]
    public async Task ReloadAsync_OnlyOnePluginRepublished_OthersKeepTheirInstanceAndOldVersionIsFreedAfterItsLastCall()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PublishResult oldBravo = await _root.PublishAsync(Fixtures.GreeterV1, "bravo");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        string alphaInstance = (string)host.Invoke("alpha", "instance")!;

        TestContracts.ProbeGate gate = _root.Probe.Gate("bravo-call");
        Task<object?> inFlight = Task.Run(() => host.Invoke("bravo", "block", "bravo-call"));
        await gate.Entered;

        PublishResult newBravo = await _root.PublishAsync(Fixtures.GreeterV2, "bravo");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(ReloadOutcome.Unchanged, result.Find("alpha")!.Outcome);
        Assert.Equal(ReloadOutcome.Loaded, result.Find("bravo")!.Outcome);
        Assert.Equal(newBravo.Version, result.Find("bravo")!.Version);
        Assert.Equal(oldBravo.Version, result.Find("bravo")!.PreviousVersion);
        Assert.Equal(alphaInstance, host.Invoke("alpha", "instance"));
        Assert.Equal("v2", host.Invoke("bravo", "tag"));
        Assert.DoesNotContain("bravo:OnFree", _root.Events);

        gate.Release();
        Assert.Equal("v1:unblocked", await inFlight);
        UnloadedEventArgs unloaded = await observer.WhenUnloaded("bravo", oldBravo.Version);

        IReadOnlyList<string> events = _root.Events;
        Assert.Equal(1, events.Count(e => e == "bravo:OnFree"));
        Assert.True(events.ToList().IndexOf("bravo:Unblocked") < events.ToList().IndexOf("bravo:OnFree"));
        Assert.DoesNotContain("alpha:OnFree", events);
        Assert.True(unloaded.Collections >= 1);
        Assert.Empty(observer.Stuck);
    }
}
