using Hotswap.Tests.Support;

namespace Hotswap.Tests.Status;

public sealed class HostStatusTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task ReadLiveHosts_RunningHost_ShowsItsGenerationAndVersionsAndNothingAfterItStops()
    {
        PublishResult alpha = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        HostStatus status = Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot));
        Assert.Equal(Environment.ProcessId, status.ProcessId);
        Assert.Equal(1, status.Generation);
        Assert.Equal(["alpha@" + alpha.Version], status.Plugins.Select(p => p.ToString()));

        await host.DisposeAsync();

        Assert.Empty(HostStatusReader.ReadLiveHosts(_root.PluginsRoot));
        Assert.Empty(Directory.GetFiles(Path.Combine(_root.PluginsRoot, ".hotswap", "hosts")));
    }

    [Fact]
    public async Task ReadLiveHosts_HostProcessKilled_ItsStatusIsIgnoredAndRemoved()
    {
        // A status left by a process that died: its lock file is not held by anyone.
        string hosts = Path.Combine(_root.PluginsRoot, ".hotswap", "hosts");
        Directory.CreateDirectory(hosts);
        await File.WriteAllTextAsync(Path.Combine(hosts, "4242-deadbeef.json"), """{ "hostId": "4242-deadbeef", "processId": 4242, "generation": 7, "plugins": [ { "name": "alpha", "version": "old" } ] }""");
        await File.WriteAllTextAsync(Path.Combine(hosts, "4242-deadbeef.lock"), "");

        Assert.Empty(HostStatusReader.ReadLiveHosts(_root.PluginsRoot));
        Assert.Empty(Directory.GetFiles(hosts));
    }

    [Fact]
    public async Task Prune_KeepsTheNewestAndWhatALiveHostHolds()
    {
        PublishResult loaded = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        var published = new List<PublishResult>();
        for (int i = 0; i < 5; i++)
        {
            published.Add(await _root.PublishAsync(i % 2 == 0 ? Fixtures.GreeterV2 : Fixtures.GreeterV1, "alpha"));
        }

        IReadOnlyList<string> deleted = PluginPublisher.Prune(_root.PluginsRoot, "alpha", keep: 2);

        string[] left = [.. Directory.GetDirectories(_root.PluginDirectory("alpha")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        Assert.Equal([loaded.Version, published[2].Version, published[3].Version, published[4].Version], left);
        Assert.Equal([published[0].Version, published[1].Version], deleted);
        Assert.Equal("v1", host.Invoke("alpha", "tag"));
    }

    [Fact]
    public async Task Prune_KeepsTheVersionAHostKeepsOnProbation_AndTheStatusListsIt()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.Probation = TimeSpan.FromHours(1));
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        PublishResult unloaded = await _root.PublishAsync(Fixtures.GreeterV2, "alpha", activate: false);
        host.WriteStatusNow(); // the switch queued its status write: the file as it will be

        HostStatus status = Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot));
        Assert.Equal(["alpha@" + v1.Version], status.Kept.Select(static p => p.ToString()));
        Assert.Equal(["alpha@" + v2.Version], status.Plugins.Select(static p => p.ToString()));

        IReadOnlyList<string> deleted = PluginPublisher.Prune(_root.PluginsRoot, "alpha", keep: 0);

        Assert.Equal([unloaded.Version], deleted);
        Assert.True(Directory.Exists(Path.Combine(_root.PluginDirectory("alpha"), v1.Version)));
        (await host.RollbackAsync()).EnsureSuccess();
        host.WriteStatusNow();
        Assert.Empty(Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot)).Kept);
    }

    [Fact]
    public async Task Reload_WritesTheNewGenerationsStatusOffTheReloadsPath()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal(1, Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot)).Generation); // the first load's status is written before LoadAsync returns
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        Task written = host.NextQueuedWrite();

        (await host.ReloadAsync()).EnsureSuccess();
        await written.WaitAsync(TimeSpan.FromMinutes(1));

        HostStatus status = Assert.Single(HostStatusReader.ReadLiveHosts(_root.PluginsRoot));
        Assert.Equal(2, status.Generation);
        Assert.Equal(["alpha@" + v2.Version], status.Plugins.Select(static p => p.ToString()));
        Assert.Empty(status.Loading);
        Assert.NotEqual(v1.Version, v2.Version);

        // Until that write, the file is the one discovery wrote (the serving version, and the new one
        // under Loading): a prune keeps both, as IssuesTests.Prune_VersionAHostReportsLoading_IsKept shows.
    }
}
