using Hotswap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TestContracts;

namespace Hotswap.Tests.GenericHost;

public sealed class AddHotswapTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task AddHotswap_FromConfiguration_ServesThroughTheInjectedProxyBeforeAndAfterAReload()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), services =>
        {
            services.AddHotswap().AddProxy<IGreeter>("alpha");
            services.AddSingleton<GreetingService>();
        });

        await host.StartAsync();
        GreetingService service = host.Services.GetRequiredService<GreetingService>();
        Assert.Equal("v1:hello you", service.Greet("you"));

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.Services.GetRequiredService<PluginHost>().ReloadAsync()).EnsureSuccess();

        Assert.Equal("v2:hello you", service.Greet("you"));
        Assert.Same(service.Greeter, host.Services.GetRequiredService<IGreeter>());
        Assert.Same(service.Greeter, host.Services.GetRequiredKeyedService<IGreeter>("alpha"));
        await host.StopAsync();
    }

    [Fact]
    public async Task AddHotswap_SharedAssembliesFromConfiguration_AreShared()
    {
        await _root.PublishAsync(Fixtures.LibUserOne, "one");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:SharedAssemblies:0"] = "VersionedLib";
        using IHost host = TestGenericHost.Build(settings, static services => services.AddHotswap());

        await host.StartAsync();

        Assert.Equal(["VersionedLib"], host.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value.SharedAssemblies);
        Assert.Equal("Default", host.Services.GetRequiredService<PluginHost>().Invoke("one", "libraryContext")); // it ships VersionedLib, and gets the host's
        await host.StopAsync();
    }

    [Fact]
    public void AddHotswap_AnUnloadDiagnoserInTheContainer_IsTheHostsUnlessTheCodeSetsOne()
    {
        var registered = Hotswap.Diagnostics.UnloadDiagnosers.HeapDump();
        var own = Hotswap.Diagnostics.UnloadDiagnosers.HeapDump(new Hotswap.Diagnostics.HeapDumpOptions { KeepDump = true });
        using IHost fromContainer = TestGenericHost.Build(TestGenericHost.Settings(_root), services => services.AddSingleton(registered).AddHotswap());
        using IHost fromCode = TestGenericHost.Build(TestGenericHost.Settings(_root), services => services.AddSingleton(registered).AddHotswap(o => o.UnloadDiagnoser = own));
        using IHost without = TestGenericHost.Build(TestGenericHost.Settings(_root), static services => services.AddHotswap());

        Assert.Same(registered, fromContainer.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value.UnloadDiagnoser);
        Assert.Same(own, fromCode.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value.UnloadDiagnoser);
        Assert.Null(without.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value.UnloadDiagnoser);
    }

    [Fact]
    public async Task AddHotswap_ContainerWithMetrics_RecordsOnTheContainersHotswapMeter()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), static services => services.AddHotswap());
        var meters = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var reloads = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meters, "Hotswap", "hotswap.reloads");

        await host.StartAsync();

        Assert.Equal("published", reloads.LastMeasurement?.Tags["hotswap.reload.outcome"]);
        Assert.Same(meters, host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<PluginHostOptions>>().Value.MeterFactory);
        await host.StopAsync();
    }

    [Fact]
    public void AddHotswap_Configuration_BindsEachSettingAndTakesLoggingTimeAndServicesFromTheContainer()
    {
        var time = new ManualTimeProvider();
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:Watch"] = "true";
        settings["Hotswap:WatchMode"] = "polling";
        settings["Hotswap:WatchDebounce"] = "00:00:00.250";
        settings["Hotswap:PollingInterval"] = "00:00:03";
        settings["Hotswap:ReloadOnSignal"] = "true";
        settings["Hotswap:LifecycleTimeout"] = "00:01:00";
        settings["Hotswap:UnloadTimeout"] = "00:00:07";
        settings["Hotswap:UnloadForcedCollections"] = "4";
        settings["Hotswap:StatusInterval"] = "00:00:05";
        settings["Hotswap:AllowStartWithoutPlugins"] = "true";
        using IHost host = TestGenericHost.Build(settings, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddHotswap();
            services.AddHotswap(o => o.UnloadForcedCollections = 5);   // a second call: harmless, and its code wins over configuration
        });

        PluginHostOptions options = host.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value;

        Assert.Equal(_root.PluginsRoot, options.PluginsRoot);
        Assert.True(options.Watch);
        Assert.Equal(WatchMode.Polling, options.WatchMode);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.WatchDebounce);
        Assert.Equal(TimeSpan.FromSeconds(3), options.PollingInterval);
        Assert.True(options.ReloadOnSignal);
        Assert.Equal(TimeSpan.FromMinutes(1), options.LifecycleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), options.UnloadTimeout);
        Assert.Equal(5, options.UnloadForcedCollections);
        Assert.False(options.WriteStatus);
        Assert.Equal(TimeSpan.FromSeconds(5), options.StatusInterval);
        Assert.True(host.Services.GetRequiredService<IOptions<HotswapHostingOptions>>().Value.AllowStartWithoutPlugins);
        Assert.Same(time, options.TimeProvider);
        Assert.Same(host.Services.GetRequiredService<ILoggerFactory>(), options.LoggerFactory);
        Assert.Single(host.Services.GetServices<IHostedService>(), s => s.GetType().Assembly == typeof(HotswapHostingOptions).Assembly);
        Assert.Same(host.Services.GetRequiredService<PluginHost>(), options.Services!.GetRequiredService<PluginHost>()); // Services is set: asserted by the call.
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ThrowsOptionsValidationExceptionNamingEverySetting()
    {
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:LifecycleTimeout"] = "-00:00:05";
        settings["Hotswap:UnloadTimeout"] = "soon";
        settings["Hotswap:WatchMode"] = "7";
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap(o => o.PollingInterval = TimeSpan.Zero));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Hotswap:LifecycleTimeout must be positive", error.Message);
        Assert.Contains("Hotswap:UnloadTimeout is 'soon', which is not a time span", error.Message);
        Assert.Contains("Hotswap:WatchMode is '7', which is not Events or Polling", error.Message);
        Assert.Contains("Hotswap:PollingInterval must be positive", error.Message);
        Assert.Equal(4, error.Failures.Count());
    }

    [Fact]
    public void AddHotswap_ProbationSettings_BindProbationAutoRollbackAndTheDrainingBound()
    {
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:Probation"] = "00:02:00";
        settings["Hotswap:MaxDrainingVersions"] = "3";
        settings["Hotswap:AutoRollback:FailureRate"] = "0.25";
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap());

        PluginHostOptions options = host.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value;

        Assert.Equal(TimeSpan.FromMinutes(2), options.Probation);
        Assert.Equal(3, options.MaxDrainingVersions);
        Assert.Equal((0.25, 20), (options.AutoRollback!.FailureRate, options.AutoRollback.MinimumCalls));
    }

    [Fact]
    public async Task StartAsync_InvalidProbationSettings_ThrowsNamingEachKey()
    {
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:MaxDrainingVersions"] = "0";
        settings["Hotswap:AutoRollback:FailureRate"] = "often";
        settings["Hotswap:AutoRollback:MinimumCalls"] = "0";
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap());

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Hotswap:MaxDrainingVersions must be positive.", error.Failures);
        Assert.Contains("Hotswap:AutoRollback:FailureRate is 'often', which is not a number such as 0.25.", error.Failures);
        Assert.Contains("Hotswap:AutoRollback:MinimumCalls must be positive.", error.Failures);
        Assert.Contains("Hotswap:AutoRollback is set but Hotswap:Probation is not: a version can only be rolled back while the previous one is kept. Set a probation period.", error.Failures);
        Assert.Equal(4, error.Failures.Count());
    }

    [Fact]
    public async Task StartAsync_ProbationLongerThanATimerWaits_ThrowsNamingTheKey()
    {
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:Probation"] = "60.00:00:00";
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap());

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(["Hotswap:Probation must be at most 49.7 days (49.17:02:47.294), or -00:00:00.001 to keep the previous generation until the next reload."], error.Failures);
    }

    [Fact]
    public async Task StartAsync_WatchWithoutPluginsRootInAnotherSection_ThrowsNamingItsKeys()
    {
        using IHost host = TestGenericHost.Build(new Dictionary<string, string?> { ["Plugins:Hotswap:Watch"] = "true" }, services => services.AddHotswap("Plugins:Hotswap"));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Plugins:Hotswap:Watch is true but Plugins:Hotswap:PluginsRoot is not set", error.Message);
    }

    [Fact]
    public async Task StartAsync_NoPluginsRootAndNoStaticPlugin_ThrowsNamingPluginsRoot()
    {
        using IHost host = TestGenericHost.Build(new Dictionary<string, string?>(), services => services.AddHotswap());

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Hotswap:PluginsRoot is required", error.Message);
    }

    [Fact]
    public async Task StartAsync_StaticPluginsOnly_StartsWithoutAPluginsRoot()
    {
        using IHost host = TestGenericHost.Build(new Dictionary<string, string?>(), services => services.AddHotswap(o => o.AddStatic<Greeter.GreeterPlugin>("alpha")));

        await host.StartAsync();

        Assert.Equal("v1:hello you", host.Services.GetRequiredService<PluginHost>().Invoke("alpha", "greet", "you"));
        await host.StopAsync();
    }

    [Fact]
    public async Task StartAsync_FirstLoadFails_ThrowsNamingPluginPhaseAndFile()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        string damaged = Path.Combine(v1.VersionDirectory, "Greeter.dll");
        await File.AppendAllTextAsync(damaged, "tampered");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), services => services.AddHotswap());

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        PluginLoadException cause = Assert.IsType<PluginLoadException>(error.InnerException);
        Assert.Equal("alpha", cause.PluginName);
        Assert.Equal(ReloadPhase.Verify, cause.Phase);
        Assert.Equal(damaged, cause.FilePath);
        Assert.Contains("Plugin 'alpha' failed in phase Verify", error.Message);
        Assert.Contains(damaged, error.Message);
        Assert.Contains("Hotswap:AllowStartWithoutPlugins", error.Message);
    }

    [Fact]
    public async Task StartAsync_FirstLoadFailsAndStartingEmptyAllowed_StartsAndLoadsOnTheNextReload()
    {
        _root.Probe.Set("alpha.throwIn", "OnLoad");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:AllowStartWithoutPlugins"] = "true";
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap().AddProxy<IGreeter>("alpha"));

        await host.StartAsync();

        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        Assert.Equal(0, plugins.GenerationNumber);
        _root.Probe.Set("alpha.throwIn", null);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await plugins.ReloadAsync()).EnsureSuccess();
        Assert.Equal("v2:hello you", host.Services.GetRequiredService<IGreeter>().Greet("you"));
        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_CallInFlight_LetsTheCallFinishThenUnloadsItsVersion()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:UnloadTimeout"] = "00:00:05";
        using IHost host = TestGenericHost.Build(settings, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddHotswap();
        });
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        var observer = new HostObserver(plugins);
        ProbeGate gate = _root.Probe.Gate("stop");
        Task<object?> call = Task.Run(() => plugins.Invoke("alpha", "block", "stop"));
        await gate.Entered;

        Task stop = host.StopAsync();

        // Retired: the drain's watch is set on the host's clock, which does not move; reloads are refused.
        await time.WaitForTimerAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => plugins.ReloadAsync());
        Assert.False(call.IsCompleted);
        Assert.False(stop.IsCompleted);
        Assert.DoesNotContain("alpha:OnFree", _root.Events);

        gate.Release();
        Assert.Equal("v1:unblocked", await call);
        await stop;
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
        List<string> events = [.. _root.Events];
        Assert.Single(events, "alpha:OnFree");
        Assert.True(events.IndexOf("alpha:Unblocked") < events.IndexOf("alpha:OnFree"));
        Assert.Empty(observer.Stuck);
    }

    [Fact]
    public async Task StopAsync_CallOutlastsUnloadTimeout_KeepsWaitingWithinTheShutdownTimeout()
    {
        var time = new ManualTimeProvider();
        var logs = new RecordingLoggerFactory();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:UnloadTimeout"] = "00:00:05";
        using IHost host = TestGenericHost.Build(settings, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.Configure<HostOptions>(o => o.ShutdownTimeout = Timeout.InfiniteTimeSpan);
            services.AddHotswap(o => o.LoggerFactory = logs);
        });
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        var observer = new HostObserver(plugins);
        ProbeGate gate = _root.Probe.Gate("long");
        Task<object?> call = Task.Run(() => plugins.Invoke("alpha", "block", "long"));
        await gate.Entered;

        Task stop = host.StopAsync();
        await time.WaitForTimerAsync();
        time.Advance(TimeSpan.FromSeconds(5));

        // PluginHost.DisposeAsync gave up waiting at UnloadTimeout (it logs event 11); the stop still waits for the call.
        UnloadStuckEventArgs draining = await observer.WhenStuck("alpha", v1.Version);
        Assert.True(draining.StillDraining);
        await logs.WhenLogged(11).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.False(stop.IsCompleted);
        gate.Release();
        Assert.Equal("v1:unblocked", await call);
        await stop;
        Assert.Contains(new PluginVersionInfo("alpha", v1.Version), observer.Unloading.Select(e => e.Version));
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public async Task StopAsync_ShutdownTimeoutEndsFirst_ReturnsWhileTheCallGoesOnToFinish()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        using IHost host = TestGenericHost.Build(TestGenericHost.Settings(_root), services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddHotswap();
        });
        await host.StartAsync();
        PluginHost plugins = host.Services.GetRequiredService<PluginHost>();
        var observer = new HostObserver(plugins);
        ProbeGate gate = _root.Probe.Gate("late");
        Task<object?> call = Task.Run(() => plugins.Invoke("alpha", "block", "late"));
        await gate.Entered;

        using (var shutdown = new CancellationTokenSource())
        {
            await shutdown.CancelAsync();
            await host.StopAsync(shutdown.Token);
        }

        Assert.False(call.IsCompleted);
        gate.Release();
        Assert.Equal("v1:unblocked", await call);
        await time.AdvanceUntilAsync(observer.WhenUnloaded("alpha", v1.Version), TimeSpan.FromMilliseconds(50));
        Assert.Single(_root.Events, "alpha:OnFree");
    }

    /// <summary>An application service that has the contract injected, as a controller or a worker would.</summary>
    private sealed class GreetingService(IGreeter greeter)
    {
        public IGreeter Greeter { get; } = greeter;

        public string Greet(string name) => Greeter.Greet(name);
    }

    [Fact]
    public async Task AddHotswap_TrustedKeys_BindPemTextAndKeyFilesAndNameEachUnusableOne()
    {
        string first = PluginPublisher.GetPublicKey(PluginPublisher.CreateSigningKey());
        string second = PluginPublisher.GetPublicKey(PluginPublisher.CreateSigningKey());
        string file = Path.Combine(_root.Directory, "second.pub");
        await File.WriteAllTextAsync(file, second);
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:TrustedKeys:0"] = first;
        settings["Hotswap:TrustedKeys:1"] = file;
        using IHost host = TestGenericHost.Build(settings, services => services.AddHotswap());

        PluginHostOptions options = host.Services.GetRequiredService<IOptions<PluginHostOptions>>().Value;

        Assert.Equal([first, second], options.TrustedKeys);

        settings["Hotswap:TrustedKeys:1"] = Path.Combine(_root.Directory, "missing.pub");
        settings["Hotswap:TrustedKeys:2"] = "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----";
        using IHost bad = TestGenericHost.Build(settings, services => services.AddHotswap());
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => bad.StartAsync());
        Assert.Contains($"Hotswap:TrustedKeys:1 is '{Path.Combine(_root.Directory, "missing.pub")}', which is not a public key's PEM text or the path of a readable file holding one.", error.Failures);
        Assert.Contains(error.Failures, static f => f.StartsWith("Hotswap:TrustedKeys:2: The text holds no readable PEM key", StringComparison.Ordinal));
        Assert.Equal(2, error.Failures.Count());
    }
}
