using Hotswap.Tests.Support;

namespace Hotswap.Tests.Hosting;

public sealed class PluginHostTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Create_InvalidOptions_ReportsEveryErrorAtOnce()
    {
        var options = new PluginHostOptions { PluginsRoot = " ", UnloadTimeout = TimeSpan.Zero, LifecycleTimeout = TimeSpan.FromSeconds(-1) };

        ArgumentException error = Assert.Throws<ArgumentException>(() => PluginHost.Create(options));

        Assert.Contains("PluginsRoot is required", error.Message);
        Assert.Contains("LifecycleTimeout must be positive.", error.Message);
        Assert.Contains("UnloadTimeout must be positive.", error.Message);
    }

    [Fact]
    public async Task Acquire_BeforeLoad_ThrowsSayingToLoadFirst()
    {
        await using PluginHost host = _root.CreateHost();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => host.Acquire());

        Assert.Contains("Call LoadAsync first", error.Message);
        Assert.Equal(0, host.GenerationNumber);
    }

    [Fact]
    public async Task LoadAsync_Twice_ThrowsSayingToReload()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.LoadAsync());

        Assert.Contains("Call ReloadAsync", error.Message);
    }

    [Fact]
    public async Task LoadAsync_MissingPluginsRoot_FailsInDiscoverPhaseNamingTheRoot()
    {
        string missing = Path.Combine(_root.Directory, "nowhere");
        await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = missing });

        ReloadResult result = await host.LoadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal(ReloadPhase.Discover, result.Error!.Phase);
        Assert.Equal(missing, result.Error.FilePath);
        Assert.Contains("the plugins root does not exist", result.Error.Message);
        Assert.Equal(0, host.GenerationNumber);
        Assert.Throws<PluginLoadException>(() => result.EnsureSuccess());
    }

    [Fact]
    public async Task LoadAsync_Data_ReachesThePluginContext()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync(new TestContracts.DisposalProbe(_root.Probe))).EnsureSuccess();
        await host.DisposeAsync();

        Assert.Single(_root.Events, "alpha:Disposed");
    }

    [Fact]
    public async Task ReloadAsync_WithoutData_HandsNewVersionsTheLoadData()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync(new TestContracts.DisposalProbe(_root.Probe))).EnsureSuccess();

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        await host.DisposeAsync();

        // Both versions registered a disposable from the load data: v1 at load, v2 at the reload.
        Assert.Equal(2, _root.Events.Count(e => e == "alpha:Disposed"));
    }

    [Fact]
    public async Task Reloaded_HandlerThrows_ReloadStillSucceedsAndErrorIsLogged()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        var logs = new RecordingLoggerFactory();
        await using PluginHost host = _root.CreateHost(o => o.LoggerFactory = logs);
        int second = 0;
        host.Reloaded += (_, _) => throw new InvalidOperationException("bad subscriber");
        host.Reloaded += (_, _) => second++;

        ReloadResult result = await host.LoadAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(1, second);
        Assert.Contains(logs.Entries, e => e.EventId == 9 && e.Message.Contains("Reloaded", StringComparison.Ordinal));
    }
}
