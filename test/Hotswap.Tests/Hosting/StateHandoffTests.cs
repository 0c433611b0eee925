using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Hosting;

public sealed class StateHandoffTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Counter_KeepsItsCountAcrossTenReloads()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "counter");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        for (int i = 1; i <= 10; i++)
        {
            host.Invoke("counter", "increment");
            await _root.PublishAsync(i % 2 == 0 ? Fixtures.GreeterV1 : Fixtures.GreeterV2, "counter");
            ReloadResult result = await host.ReloadAsync();
            Assert.True(result.Published, result.ToString());
            Assert.Equal(i, host.Invoke("counter", "count"));
        }

        Assert.Equal("v1", host.Invoke("counter", "tag"));
        Assert.Equal(10, _root.Events.Count(e => e == "counter:SaveState"));
        Assert.Equal(10, _root.Events.Count(e => e == "counter:RestoreState"));
    }

    [Fact]
    public async Task RestoreState_Throws_OldVersionKeepsServingWithItsCount()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "counter");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        host.Invoke("counter", "increment");
        host.Invoke("counter", "increment");
        host.Invoke("counter", "increment");

        _root.Probe.Set("counter.throwIn", "RestoreState");
        await _root.PublishAsync(Fixtures.GreeterV2, "counter");
        ReloadResult result = await host.ReloadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal(ReloadPhase.RestoreState, result.Error!.Phase);
        Assert.Equal("counter", result.Error.PluginName);
        Assert.Contains("counter throws in RestoreState on purpose", result.Error.Message);
        Assert.Equal("v1", host.Invoke("counter", "tag"));
        Assert.Equal(3, host.Invoke("counter", "count"));
        Assert.Equal(4, host.Invoke("counter", "increment"));
    }

    [Fact]
    public async Task SaveState_WriteAcceptedByTheOldVersionAfterTheSave_IsNotCarriedOver()
    {
        // The documented rule: state is taken once, just before the switch. A call already running on
        // the old version that writes after that moment writes to the old version only.
        await _root.PublishAsync(Fixtures.GreeterV1, "counter");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        host.Invoke("counter", "increment");
        ProbeGate gate = _root.Probe.Gate("late-write");
        ValueTask<object?> lateWrite = host.InvokeAsync("counter", "incrementAfter", ["late-write"]);
        await gate.Entered;

        await _root.PublishAsync(Fixtures.GreeterV2, "counter");
        (await host.ReloadAsync()).EnsureSuccess();
        gate.Release();

        Assert.Equal(2, await lateWrite);
        Assert.Equal("v2", host.Invoke("counter", "tag"));
        Assert.Equal(1, host.Invoke("counter", "count"));
    }
}
