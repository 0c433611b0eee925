using Hotswap.Tests.Support;

namespace Hotswap.Tests.Hosting;

public sealed class ReloadFailureTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    public static TheoryData<string, ReloadPhase, string[]> PluginFaults => new()
    {
        // The phase bravo throws in, and the OnFree calls the rollback owes: the new versions whose OnLoad ran, in reverse order.
        { "Construct", ReloadPhase.Construct, [] },
        { "Reloadable", ReloadPhase.Reloadable, [] },
        { "Export", ReloadPhase.Export, [] },
        { "OnLoad", ReloadPhase.OnLoad, ["bravo:OnFree", "alpha:OnFree"] },
        { "OnInit", ReloadPhase.OnInit, ["charlie:OnFree", "bravo:OnFree", "alpha:OnFree"] },
    };

    [Theory]
    [MemberData(nameof(PluginFaults))]
    public async Task ReloadAsync_PluginThrowsInPhase_FailsNamingPluginAndPhaseAndPreviousGenerationServes(string step, ReloadPhase phase, string[] expectedFrees)
    {
        foreach (string name in new[] { "alpha", "bravo", "charlie" })
        {
            await _root.PublishAsync(Fixtures.GreeterV1, name);
        }

        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        foreach (string name in new[] { "alpha", "bravo", "charlie" })
        {
            await _root.PublishAsync(Fixtures.GreeterV2, name);
        }

        _root.Probe.Set("bravo.throwIn", step);
        _root.Probe.ClearEvents();

        ReloadResult result = await host.ReloadAsync();

        Assert.False(result.Succeeded);
        Assert.False(result.Published);
        Assert.Equal(1, result.Generation);
        PluginLoadException error = result.Error!;
        Assert.Equal("bravo", error.PluginName);
        Assert.Equal(phase, error.Phase);
        Assert.EndsWith("Greeter.dll", error.FilePath);
        Assert.Contains("bravo throws in " + step + " on purpose", error.Message);
        Assert.Contains($"Plugin 'bravo' failed in phase {phase}", error.Message);
        Assert.All(result.Plugins, p => Assert.Equal(ReloadOutcome.Failed, p.Outcome));
        Assert.Same(result, Assert.Single(observer.Failed).Result);
        Assert.Equal(1, host.GenerationNumber);
        Assert.All(["alpha", "bravo", "charlie"], name => Assert.Equal("v1", host.Invoke(name, "tag")));
        Assert.Equal(expectedFrees, _root.Events.Where(e => e.EndsWith(":OnFree", StringComparison.Ordinal)));

        _root.Probe.Set("bravo.throwIn", null);
        ReloadResult retry = await host.ReloadAsync();
        Assert.True(retry.Succeeded, retry.ToString());
        Assert.All(["alpha", "bravo", "charlie"], name => Assert.Equal("v2", host.Invoke(name, "tag")));
    }

    [Fact]
    public async Task ReloadAsync_ExtensionFactoryThrows_FailsInVaultPhaseAfterFreeingTheNewVersions()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        bool fail = false;
        await using PluginHost host = _root.CreateHost(o => o.ExtensionFactory = () => fail ? throw new InvalidOperationException("no vault today") : new object());
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        fail = true;
        _root.Probe.ClearEvents();

        ReloadResult result = await host.ReloadAsync();

        Assert.Equal(ReloadPhase.Vault, result.Error!.Phase);
        Assert.Contains("no vault today", result.Error.Message);
        Assert.Equal(["alpha:OnFree"], _root.Events.Where(e => e.EndsWith(":OnFree", StringComparison.Ordinal)));
        Assert.Equal("v1", host.Invoke("alpha", "tag"));
    }

    [Fact]
    public async Task Reload_FailureAfterTheSwitch_NeverRollsBackTheNewGenerationAndTheOldOneStillUnloads()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        var logs = new RecordingLoggerFactory();
        var unloadTimeout = TimeSpan.FromSeconds(7);
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.LoggerFactory = logs;
            o.UnloadTimeout = unloadTimeout;
            o.TimeProvider = new TimerRefusingTimeProvider(unloadTimeout); // the drain report's timer cannot be created
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.Contains(logs.Entries, e => e.EventId == 12);
        await observer.WhenUnloaded("alpha", v1.Version);
        Assert.Single(_root.Events, "alpha:OnFree"); // v1's; v2, serving, was never rolled back
    }

    /// <summary>The system clock, except that it refuses the first timer of one due time (the drain report's).</summary>
    private sealed class TimerRefusingTimeProvider(TimeSpan refused) : TimeProvider
    {
        private int _refusals = 1;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
            => dueTime == refused && Interlocked.Decrement(ref _refusals) >= 0
                ? throw new InvalidOperationException("no timers today")
                : System.CreateTimer(callback, state, dueTime, period);
    }

    [Fact]
    public async Task Retire_OnFreeThrows_IsLoggedAndVersionStillUnloads()
    {
        _root.Probe.Set("alpha.throwIn", "OnFree");
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        var logs = new RecordingLoggerFactory();
        await using PluginHost host = _root.CreateHost(o => o.LoggerFactory = logs);
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ReloadResult result = await host.ReloadAsync();

        Assert.True(result.Succeeded);
        await observer.WhenUnloaded("alpha", v1.Version);
        RecordingLoggerFactory.LogEntry entry = Assert.Single(logs.Entries, e => e.EventId == 5);
        Assert.Contains($"alpha@{v1.Version}", entry.Message);
        Assert.Contains("alpha throws in OnFree on purpose", entry.Exception);
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        Assert.Empty(observer.Stuck);
    }
}
