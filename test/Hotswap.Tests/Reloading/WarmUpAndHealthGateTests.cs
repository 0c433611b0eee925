using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Reloading;

/// <summary>Before the switch, a new version warms up and passes its health gate, while the previous one keeps serving.</summary>
public sealed class WarmUpAndHealthGateTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task ReloadAsync_WhileTheNewVersionWarmsUp_ThePreviousOneServesAndTheSwitchComesAfter()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.ClearEvents();
        _root.Probe.Set("alpha.blockIn", "WarmUp");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ProbeGate gate = _root.Probe.Gate("alpha:WarmUp");
        try
        {
            Task<ReloadResult> reload = host.ReloadAsync();
            await gate.Entered.WaitAsync(s_guard);

            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
            Assert.Equal(1, host.GenerationNumber);
            _root.Probe.Set("alpha.blockIn", null);
            gate.Release();

            (await reload.WaitAsync(s_guard)).EnsureSuccess();
            Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
        }
        finally
        {
            gate.Release();
        }

        string[] order = [.. _root.Events.Where(static e => e is "alpha:OnInit" or "alpha:WarmUp" or "alpha:CheckHealth" or "alpha:SaveState" or "alpha:RestoreState")];
        Assert.Equal(["alpha:OnInit", "alpha:WarmUp", "alpha:CheckHealth", "alpha:SaveState", "alpha:RestoreState"], order);
    }

    [Theory]
    [InlineData("WarmUp", ReloadPhase.WarmUp)]
    [InlineData("CheckHealth", ReloadPhase.HealthGate)]
    public async Task ReloadAsync_WarmUpOrHealthGateThrows_FailsNamingThePhaseAndThePreviousVersionServesThroughout(string step, ReloadPhase phase)
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await using CallLoop calls = CallLoop.Start(() => (string)host.Invoke("alpha", "greet", "you")!);
        _root.Probe.Set("alpha.throwIn", step);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        ReloadResult failed = await host.ReloadAsync();
        await calls.StopAsync();

        Assert.False(failed.Succeeded);
        Assert.Equal("alpha", failed.Error!.PluginName);
        Assert.Equal(phase, failed.Error.Phase);
        Assert.Contains($"alpha throws in {step} on purpose", failed.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, calls.Failures);
        Assert.Equal(["v1:hello you"], calls.Answers);
        Assert.Contains("alpha:OnFree", _root.Events); // the failed version was freed
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task ReloadAsync_HealthGateSaysNo_FailsWithItsReasonAndThePreviousVersionServes()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set("alpha.unhealthy", "the orders database is unreachable");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        ReloadResult failed = await host.ReloadAsync();

        Assert.Equal(ReloadPhase.HealthGate, failed.Error!.Phase);
        Assert.Equal("alpha", failed.Error.PluginName);
        Assert.Equal("the new version is not fit to serve: the orders database is unreachable (CheckHealthAsync); the previous version keeps serving.", failed.Error.Reason);
        Assert.DoesNotContain("alpha:SaveState", _root.Events);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Precompile_FirstCallOfAMethodAfterTheSwitch_CompilesNothingOnTheCallersThread(bool precompile)
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.Precompile = precompile);
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();

        // The host's path and the plugin's Invoke are compiled by a first call; 'record' then reaches
        // a method of v2 that nothing has called yet.
        Assert.Equal("v2", host.Invoke("alpha", "tag"));
        long before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
        Assert.Equal("v2", host.Invoke("alpha", "record", "first"));
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;

        if (precompile)
        {
            Assert.Equal(0, compiled);
        }
        else
        {
            Assert.True(compiled >= 1, $"{compiled} methods compiled by the first call");
        }
    }

    [Fact]
    public async Task HostWarmUp_RunsAgainstTheNewGenerationBeforeTheSwitchWhileThePreviousServes()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        var seen = new List<string>();
        PluginHost? created = null;
        await using PluginHost host = created = _root.CreateHost(o => o.WarmUp = (generation, _) =>
        {
            string serving = created!.GenerationNumber == 0 ? "nothing" : (string)created.Invoke("alpha", "greet", "you")!;
            seen.Add($"{generation.Number}:{generation.GetExport<IGreeter>("alpha").Greet("warm")}, serving {serving}");
            return Task.CompletedTask;
        });
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal(["1:v1:hello warm, serving nothing", "2:v2:hello warm, serving v1:hello you"], seen);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task HostWarmUp_Throws_FailsTheReloadInPhaseWarmUpAndThePreviousVersionServes()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        bool fail = false;
        await using PluginHost host = _root.CreateHost(o => o.WarmUp = (_, _) => fail ? throw new InvalidOperationException("the cache is cold") : Task.CompletedTask);
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        fail = true;

        ReloadResult failed = await host.ReloadAsync();

        Assert.Equal((ReloadPhase.WarmUp, "*"), (failed.Error!.Phase, failed.Error.PluginName));
        Assert.Equal("The host's warm-up (PluginHostOptions.WarmUp) threw InvalidOperationException: the cache is cold", failed.Error.Reason);
        Assert.Contains("alpha:OnFree", _root.Events);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task HostWarmUp_PluginCodeThrows_TheErrorNamesThePluginAndItsFile()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        _root.Probe.Set("alpha.failGreet", "v2");
        await using PluginHost host = _root.CreateHost(o => o.WarmUp = (generation, _) => Task.FromResult(generation.GetExport<IGreeter>("alpha").Greet("warm")));
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        ReloadResult failed = await host.ReloadAsync();

        Assert.Equal(("alpha", ReloadPhase.WarmUp), (failed.Error!.PluginName, failed.Error.Phase));
        Assert.StartsWith(v2.VersionDirectory, failed.Error.FilePath, StringComparison.Ordinal);
        Assert.Equal("The host's warm-up (PluginHostOptions.WarmUp) threw InvalidOperationException: v2 fails to greet on purpose", failed.Error.Reason);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task HostWarmUp_KeepsTheGenerationAndTheReloadFails_TheNewVersionStillUnloads()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Generation? kept = null;
        await using PluginHost host = _root.CreateHost(o => o.WarmUp = (generation, _) =>
        {
            kept = generation; // what a warm-up must not do
            return Task.CompletedTask;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set("alpha.unhealthy", "not today");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        Assert.Equal(ReloadPhase.HealthGate, (await host.ReloadAsync()).Error!.Phase);

        await observer.WhenUnloaded("alpha", v2.Version).WaitAsync(s_guard);
        Assert.Equal(2, kept!.Number);
        GC.KeepAlive(kept); // held through the whole wait: it pins nothing
    }

    [Fact]
    public void PluginHealth_Values_SayWhatTheyAre()
    {
        Assert.True(PluginHealth.Healthy.IsHealthy);
        Assert.Null(PluginHealth.Healthy.Reason);
        PluginHealth no = PluginHealth.Unhealthy("no disk");
        Assert.False(no.IsHealthy);
        Assert.Equal("no disk", no.Reason);
        Assert.Equal("unhealthy: no disk", no.ToString());
        Assert.Equal(PluginHealth.Unhealthy("no disk"), no);
        Assert.NotEqual(PluginHealth.Healthy, no);
        Assert.Throws<ArgumentException>(() => PluginHealth.Unhealthy(" "));
    }
}
