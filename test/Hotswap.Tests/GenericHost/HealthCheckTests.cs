using Hotswap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using TestContracts;

namespace Hotswap.Tests.GenericHost;

public sealed class HealthCheckTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task CheckHealth_BeforeStartServingAndAfterStop_UnhealthyHealthyUnhealthy()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), services => services.AddHotswap().AddHealthChecks());

        HealthReportEntry before = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal("No generation serves yet: the first load has not completed.", before.Description);

        await host.StartAsync();
        HealthReportEntry serving = await CheckAsync(host);
        Assert.Equal(HealthStatus.Healthy, serving.Status);
        Assert.Equal("Generation 1 serves; the last reload succeeded and no version is stuck.", serving.Description);
        Assert.Equal(1L, serving.Data["generation"]);

        await host.StopAsync();
        HealthReportEntry stopped = await CheckAsync(host);
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Equal("No generation serves: the plugin host was stopped.", stopped.Description);
    }

    [Fact]
    public async Task CheckHealth_FirstLoadFailedAndStartedEmpty_UnhealthyWithTheError()
    {
        _root.Probe.Set("alpha.throwIn", "OnLoad");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:AllowStartWithoutPlugins"] = "true";
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap().AddHealthChecks());
        await host.StartAsync();

        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("No generation serves: the first load failed. Plugin 'alpha' failed in phase OnLoad:", entry.Description);
        Assert.Contains("alpha throws in OnLoad on purpose", entry.Description);
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_LastReloadFailed_DegradedWithTheErrorUntilAReloadSucceeds()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), services => services.AddHotswap().AddHealthChecks());
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();

        _root.Probe.Set("alpha.throwIn", "OnInit");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        Assert.False((await plugins.ReloadAsync()).Succeeded);
        HealthReportEntry failed = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, failed.Status);
        Assert.StartsWith("The last reload failed; generation 1 still serves. Plugin 'alpha' failed in phase OnInit:", failed.Description);
        Assert.Contains("alpha throws in OnInit on purpose", failed.Description);
        Assert.Equal("v1:hello you", plugins.Invoke("alpha", "greet", "you"));

        _root.Probe.Set("alpha.throwIn", null);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await plugins.ReloadAsync()).EnsureSuccess();
        HealthReportEntry fixedUp = await CheckAsync(host);
        Assert.Equal(HealthStatus.Healthy, fixedUp.Status);
        Assert.Equal("Generation 2 serves; the last reload succeeded and no version is stuck.", fixedUp.Description);
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_ReportedAFailedReload_KeepsNothingOfTheFailedVersion()
    {
        var time = new ManualTimeProvider();
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddHotswap().AddHealthChecks();
        });
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        var observer = new HostObserver(plugins);

        _root.Probe.Set("alpha.throwIn", "OnInit");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        Assert.False((await plugins.ReloadAsync()).Succeeded);
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(host)).Status);

        // The check holds the failure's message, not its exception (whose stack trace is the failed version's code).
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v2.Version), TimeSpan.FromMilliseconds(100));
        Assert.Empty(observer.Stuck);
        Assert.Equal(HealthStatus.Degraded, (await CheckAsync(host)).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task CheckHealth_RetiredVersionNotCollected_DegradedNamingTheVersionAndCause()
    {
        var time = new ManualTimeProvider();
        _root.Probe.Set("alpha.leakSelf", "true");
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:UnloadTimeout"] = "00:00:05";
        settings["Hotswap:UnloadForcedCollections"] = "2";
        using IHost host = TestGenericHost.Build(settings, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddHotswap();
            services.AddHealthChecks().AddHotswap(tags: ["ready"]);
        });
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        var observer = new HostObserver(plugins);

        // v1 keeps itself in a host-side list (the probe session): once retired it can never be collected.
        _root.Probe.Set("alpha.leakSelf", null);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await plugins.ReloadAsync()).EnsureSuccess();
        UnloadStuckEventArgs stuck = await time.AdvanceUntilAsync(observer.WhenStuck("alpha", v1.Version), TimeSpan.FromMilliseconds(100));
        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal($"alpha@{v1.Version} is stuck: {stuck.Cause}", entry.Description);
        Assert.Contains("is still alive", entry.Description);
        Assert.Equal([$"alpha@{v1.Version}"], (IEnumerable<string>)entry.Data["stuck"]);
        Assert.Equal(["ready"], entry.Tags);
        Assert.Equal("v2:hello you", plugins.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task CheckHealth_RetiredVersionStillDrainingAfterTimeout_DegradedUntilItDrains()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:UnloadTimeout"] = "00:00:05";
        using IHost host = TestGenericHost.Build(settings, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddHotswap().AddHealthChecks().AddHealthChecks();   // twice: harmless
        });
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        var observer = new HostObserver(plugins);
        ProbeGate gate = _root.Probe.Gate("held");
        Task<object?> call = Task.Run(() => plugins.Invoke("alpha", "block", "held"));
        await gate.Entered;

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await plugins.ReloadAsync()).EnsureSuccess();
        time.Advance(TimeSpan.FromSeconds(5));
        UnloadStuckEventArgs draining = await observer.WhenStuck("alpha", v1.Version);
        HealthReportEntry entry = await CheckAsync(host);

        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal($"alpha@{v1.Version} is stuck: {draining.Cause}", entry.Description);
        Assert.Contains("1 lease(s) on it are still held", entry.Description);

        gate.Release();
        Assert.Equal("v1:unblocked", await call);
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(host)).Status);
        await host.StopAsync();
    }

    private static async Task<HealthReportEntry> CheckAsync(IHost host)
    {
        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        return Assert.Single(report.Entries, e => e.Key == "hotswap").Value;
    }
}
