using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Linking;

public sealed class ImportTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Load_Chain_CallsFlowThroughImportsInitInDependencyOrderAndFreeInReverse()
    {
        // Published in reverse name order on purpose; gamma sorts after beta by name anyway, so
        // dependency order is also checked by the chain's direction (alpha has no imports).
        await _root.PublishAsync(Fixtures.ChainGamma, "gamma");
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");
        await _root.PublishAsync(Fixtures.ChainAlphaV1, "alpha");
        PluginHost host = _root.CreateHost();

        ReloadResult result = await host.LoadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("gamma(v1) -> beta(v1) -> alpha(v1)", host.Invoke("gamma", "describe"));
        using (GenerationLease lease = host.Acquire())
        {
            Assert.Equal(["alpha", "beta", "gamma"], lease.Generation.Plugins.Select(p => p.PluginName));
            Assert.Equal("beta(v1) -> alpha(v1)", lease.Generation.GetExport<ILink>("beta").Describe());
        }

        Assert.Equal(["alpha:OnLoad", "beta:OnLoad", "gamma:OnLoad"], Events(":OnLoad"));
        Assert.Equal(["alpha:OnInit", "beta:OnInit", "gamma:OnInit"], Events(":OnInit"));

        await host.DisposeAsync();
        Assert.Equal(["gamma:OnFree", "beta:OnFree", "alpha:OnFree"], Events(":OnFree"));
    }

    [Fact]
    public async Task Load_ImporterSortsBeforeItsExporterByName_DependencyOrderWins()
    {
        // "alpha" is the cycle build (imports gamma), "gamma" has no importer: alpha must come last.
        await _root.PublishAsync(Fixtures.ChainCycle, "alpha");
        await _root.PublishAsync(Fixtures.ChainAlphaV1, "gamma");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal(["gamma:OnLoad", "alpha:OnLoad"], Events(":OnLoad"));
        Assert.Equal("alpha(v1) -> gamma(v1)", host.Invoke("alpha", "describe"));
    }

    [Fact]
    public async Task Reload_OnlyAlphaRepublished_ReloadsTheWholeChainInOneTransaction()
    {
        await PublishChainAsync();
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        int reloads = 0;
        host.Reloading += (_, _) => reloads++;
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.ClearEvents();

        await _root.PublishAsync(Fixtures.ChainAlphaV2, "alpha");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(2, reloads);
        Assert.Equal(2, result.Generation);
        Assert.All(result.Plugins, p => Assert.Equal(ReloadOutcome.Loaded, p.Outcome));
        Assert.Equal(result.Find("beta")!.PreviousVersion, result.Find("beta")!.Version);
        Assert.Equal("gamma(v1) -> beta(v1) -> alpha(v2)", host.Invoke("gamma", "describe"));
        Assert.Equal(["alpha:Construct", "beta:Construct", "gamma:Construct"], Events(":Construct"));
        Assert.Equal(["alpha:OnLoad", "beta:OnLoad", "gamma:OnLoad"], Events(":OnLoad"));
        await observer.WhenUnloadedCount(3);
        Assert.Equal(["gamma:OnFree", "beta:OnFree", "alpha:OnFree"], Events(":OnFree"));
    }

    [Fact]
    public async Task Reload_ImporterSortsBeforeItsExporter_StillReloadedTransitively()
    {
        await PublishChainAsync();
        await _root.PublishAsync(Fixtures.ChainCycle, "delta"); // imports gamma, and sorts before it
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        await _root.PublishAsync(Fixtures.ChainAlphaV2, "alpha");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.All(result.Plugins, p => Assert.Equal(ReloadOutcome.Loaded, p.Outcome));
        Assert.Equal("delta(v1) -> gamma(v1) -> beta(v1) -> alpha(v2)", host.Invoke("delta", "describe"));
    }

    [Fact]
    public async Task Load_NotReloadablePluginImportingAStaticPlugin_Accepted()
    {
        _root.Probe.Set("beta.reloadable", "false");
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");
        await using PluginHost host = _root.CreateHost(o => o.AddStatic<StaticLink>("alpha"));

        ReloadResult result = await host.LoadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("beta(v1) -> static-alpha", host.Invoke("beta", "describe"));
    }

    [Fact]
    public async Task Load_StaticPluginImportingAReloadablePlugin_Refused()
    {
        await _root.PublishAsync(Fixtures.ChainAlphaV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.AddStatic<StaticImporter>("stat"));

        ReloadResult result = await host.LoadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal("stat", result.Error!.PluginName);
        Assert.Equal(ReloadPhase.Link, result.Error.Phase);
        Assert.Contains("it is not reloadable but imports 'alpha', which is", result.Error.Message);
    }

    [Fact]
    public async Task Reload_OnlyGammaRepublished_ReloadsGammaAlone()
    {
        await PublishChainAsync();
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.ClearEvents();

        await _root.PublishAsync(Fixtures.ChainGamma, "gamma");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal(ReloadOutcome.Unchanged, result.Find("alpha")!.Outcome);
        Assert.Equal(ReloadOutcome.Unchanged, result.Find("beta")!.Outcome);
        Assert.Equal(ReloadOutcome.Loaded, result.Find("gamma")!.Outcome);
        Assert.Equal(["gamma:Construct"], Events(":Construct"));
        Assert.Equal(["gamma:OnLoad"], Events(":OnLoad"));

        // New versions initialize first; carried-over versions join the new vault last (at the commit, after every step that can fail), in dependency order.
        Assert.Equal(["gamma:OnInit", "alpha:OnInit", "beta:OnInit"], Events(":OnInit"));
        Assert.Equal("gamma(v1) -> beta(v1) -> alpha(v1)", host.Invoke("gamma", "describe"));
    }

    [Fact]
    public async Task Reload_ImportOfUnknownPlugin_Refused()
    {
        await using PluginHost host = await ServingZetaAsync();
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");

        PluginLoadException error = await RefusedAsync(host, "beta", ReloadPhase.Link);

        Assert.EndsWith("ChainBeta.dll", error.FilePath);
        Assert.Contains("its property 'LinkPlugin.Next' imports 'alpha', which is not a plugin of this generation", error.Message);
    }

    [Fact]
    public async Task Reload_ImportedExportOfTheWrongType_Refused()
    {
        await using PluginHost host = await ServingZetaAsync();
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");

        PluginLoadException error = await RefusedAsync(host, "beta", ReloadPhase.Link);

        Assert.Contains("imports 'alpha' as 'TestContracts.ILink', but 'alpha' exports a 'Greeter.GreeterPlugin+GreeterService', which is not one", error.Message);
    }

    [Fact]
    public async Task Reload_CycleOfTwo_Refused()
    {
        await using PluginHost host = await ServingZetaAsync();
        await _root.PublishAsync(Fixtures.ChainGamma, "alpha"); // imports beta
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");   // imports alpha

        PluginLoadException error = await RefusedAsync(host, "alpha", ReloadPhase.Link);

        Assert.Contains("the imports form a cycle: alpha -> beta -> alpha", error.Message);
    }

    [Fact]
    public async Task Reload_CycleOfThree_Refused()
    {
        await using PluginHost host = await ServingZetaAsync();
        await _root.PublishAsync(Fixtures.ChainCycle, "alpha"); // imports gamma
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");   // imports alpha
        await _root.PublishAsync(Fixtures.ChainGamma, "gamma"); // imports beta

        PluginLoadException error = await RefusedAsync(host, "alpha", ReloadPhase.Link);

        Assert.Contains("the imports form a cycle: alpha -> gamma -> beta -> alpha", error.Message);
    }

    [Fact]
    public async Task Reload_NotReloadablePluginImportingAReloadableOne_Refused()
    {
        await using PluginHost host = await ServingZetaAsync();
        _root.Probe.Set("beta.reloadable", "false");
        await _root.PublishAsync(Fixtures.ChainAlphaV1, "alpha");
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");

        PluginLoadException error = await RefusedAsync(host, "beta", ReloadPhase.Link);

        Assert.Contains("it is not reloadable but imports 'alpha', which is: it would keep a retired version of 'alpha' alive", error.Message);
    }

    [Fact]
    public async Task Reload_ExporterRemovedWhileImported_RefusedAndChainKeepsServing()
    {
        await PublishChainAsync();
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        Directory.Delete(_root.PluginDirectory("alpha"), recursive: true);
        ReloadResult result = await host.ReloadAsync();

        Assert.Equal("beta", result.Error!.PluginName);
        Assert.Equal(ReloadPhase.Link, result.Error.Phase);
        Assert.Equal("gamma(v1) -> beta(v1) -> alpha(v1)", host.Invoke("gamma", "describe"));
    }

    private async Task PublishChainAsync()
    {
        await _root.PublishAsync(Fixtures.ChainAlphaV1, "alpha");
        await _root.PublishAsync(Fixtures.ChainBeta, "beta");
        await _root.PublishAsync(Fixtures.ChainGamma, "gamma");
    }

    private async Task<PluginHost> ServingZetaAsync()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "zeta");
        PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        return host;
    }

    private static async Task<PluginLoadException> RefusedAsync(PluginHost host, string plugin, ReloadPhase phase)
    {
        ReloadResult result = await host.ReloadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal(plugin, result.Error!.PluginName);
        Assert.Equal(phase, result.Error.Phase);
        Assert.NotNull(result.Error.FilePath);
        Assert.Equal(1, host.GenerationNumber);
        Assert.Equal("v1:hello you", host.Invoke("zeta", "greet", "you"));
        using GenerationLease lease = host.Acquire();
        Assert.Equal(["zeta"], lease.Generation.Plugins.Select(p => p.PluginName));
        return result.Error;
    }

    /// <summary>A static plugin that claims to be reloadable: being static, it never is.</summary>
    public sealed class StaticLink : Plugin
    {
        public override bool Reloadable => true;

        public override object? Export() => new Link();

        private sealed class Link : ILink
        {
            public string Describe() => "static-alpha";
        }
    }

    public sealed class StaticImporter : Plugin
    {
        public override bool Reloadable => true;

        [Import("alpha")]
        public ILink? Next { get; set; }
    }

    private List<string> Events(string suffix) => [.. _root.Events.Where(e => e.EndsWith(suffix, StringComparison.Ordinal))];
}
