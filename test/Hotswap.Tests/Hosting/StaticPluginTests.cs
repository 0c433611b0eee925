using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Hosting;

/// <summary>The Greeter fixture's source is compiled into this test assembly and run as a static plugin.</summary>
public sealed class StaticPluginTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose()
    {
        Probe.UseForStaticPlugins(null, "");
        _root.Dispose();
    }

    [Fact]
    public async Task StaticPlugin_SameSourceAsDynamic_GoesThroughTheSameLifecycle()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "greeter");
        await using (PluginHost dynamicHost = _root.CreateHost())
        {
            (await dynamicHost.LoadAsync()).EnsureSuccess();
            Assert.Equal("v1:hello you", dynamicHost.Invoke("greeter", "greet", "you"));
        }

        List<string> dynamicLog = [.. _root.Events];
        _root.Probe.ClearEvents();
        Probe.UseForStaticPlugins(_root.Probe, "greeter", typeof(Greeter.GreeterPlugin).Assembly);

        await using (PluginHost staticHost = PluginHost.Create(new PluginHostOptions().AddStatic<Greeter.GreeterPlugin>("greeter")))
        {
            ReloadResult result = await staticHost.LoadAsync();
            Assert.True(result.Succeeded, result.ToString());
            Assert.Equal(ReloadOutcome.Loaded, result.Find("greeter")!.Outcome);
            Assert.Equal("static", result.Find("greeter")!.Version);
            Assert.Equal("v1:hello you", staticHost.Invoke("greeter", "greet", "you"));
        }

        Assert.Equal(["greeter:Construct", "greeter:Reloadable", "greeter:Export", "greeter:OnLoad", "greeter:OnInit", "greeter:WarmUp", "greeter:CheckHealth", "greeter:OnFree"], dynamicLog);
        Assert.Equal(dynamicLog, _root.Events);
    }

    [Fact]
    public async Task ReloadAsync_OnlyStaticPlugins_IsANoOpWithAClearOutcome()
    {
        Probe.UseForStaticPlugins(_root.Probe, "stat", typeof(Greeter.GreeterPlugin).Assembly);
        await using PluginHost host = PluginHost.Create(new PluginHostOptions().AddStatic<Greeter.GreeterPlugin>("stat"));
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.ClearEvents();

        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded);
        Assert.False(result.Published);
        Assert.Equal(1, result.Generation);
        Assert.Equal(ReloadOutcome.NotReloadable, Assert.Single(result.Plugins).Outcome);
        Assert.Equal("nothing to reload, generation 1 still serving: stat: NotReloadable (static)", result.ToString());
        Assert.Empty(_root.Events);
    }

    [Fact]
    public async Task Host_StaticAndDynamicPluginsMixed_DynamicReloadsAndStaticStays()
    {
        Probe.UseForStaticPlugins(_root.Probe, "stat", typeof(Greeter.GreeterPlugin).Assembly);
        PublishResult v1 = await _root.PublishAsync(Fixtures.ChainAlphaV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.AddStatic<Greeter.GreeterPlugin>("stat"));
        (await host.LoadAsync()).EnsureSuccess();
        string instance = (string)host.Invoke("stat", "instance")!;

        await _root.PublishAsync(Fixtures.ChainAlphaV2, "alpha");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(ReloadOutcome.Loaded, result.Find("alpha")!.Outcome);
        Assert.Equal(ReloadOutcome.NotReloadable, result.Find("stat")!.Outcome);
        Assert.Equal("alpha(v2)", host.Invoke("alpha", "describe"));
        Assert.Equal(instance, host.Invoke("stat", "instance"));
        Assert.Equal("v1", host.Invoke("stat", "tag"));
        Assert.DoesNotContain("stat:OnFree", _root.Events);
    }

    [Fact]
    public async Task Load_StaticNameAlsoUsedByAPluginFolder_RefusedInDiscoverPhase()
    {
        Probe.UseForStaticPlugins(_root.Probe, "alpha", typeof(Greeter.GreeterPlugin).Assembly);
        await _root.PublishAsync(Fixtures.GreeterV1, "Alpha");
        await using PluginHost host = _root.CreateHost(o => o.AddStatic<Greeter.GreeterPlugin>("alpha"));

        ReloadResult result = await host.LoadAsync();

        Assert.Equal(ReloadPhase.Discover, result.Error!.Phase);
        Assert.Equal("alpha", result.Error.PluginName);
        Assert.Contains("used both by a static plugin and by a plugin folder", result.Error.Message);
    }

    [Fact]
    public void AddStatic_SameNameTwice_CreateReportsIt()
    {
        var options = new PluginHostOptions().AddStatic<Greeter.GreeterPlugin>("stat").AddStatic<Greeter.GreeterPlugin>("STAT");

        ArgumentException error = Assert.Throws<ArgumentException>(() => PluginHost.Create(options));

        Assert.Contains("The static plugin name 'stat' is used more than once", error.Message);
    }
}
