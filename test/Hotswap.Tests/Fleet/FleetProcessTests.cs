using System.Text.Json;
using Hotswap.Shared.Etcd;
using Hotswap.Tests.Fleet.Support;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Fleet;

/// <summary>
/// Rollouts across host processes (samples/Fleet/Host), each calling its plugin without pause, on a
/// 3-member etcd cluster of the test's own, under faults: a host killed and started again, a host
/// cut off from the store, etcd members lost. Every host counts its failed calls; every case ends
/// with the exact versions served and zero failed calls.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class FleetProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(2);
    private readonly TestRoot _builds = new();
    private readonly string _fleet = "t" + Guid.NewGuid().ToString("N")[..12];
    private readonly List<FleetHostProcess> _hosts = [];
    private EtcdCluster _cluster = null!;
    private FleetArtifact _v1 = null!;
    private FleetArtifact _v2 = null!;

    public async Task InitializeAsync()
    {
        _cluster = await EtcdCluster.StartAsync();
        _v1 = await PackAsync(Fixtures.FleetGreeterV1);
        _v2 = await PackAsync(Fixtures.FleetGreeterV2);
        await using FleetStore store = NewStore(_cluster.Endpoints);
        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), JsonSerializer.Serialize(new StableRecord { Target = Reference(_v1) }, FleetJsonContext.Default.StableRecord), CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        foreach (FleetHostProcess host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _cluster.DisposeAsync();
        _builds.Dispose();
    }

    [Fact]
    public async Task FourHostProcesses_ARolloutInWaves_AHostKilledAndStartedAgain_AllConvergeWithNoFailedCall()
    {
        for (int i = 1; i <= 4; i++)
        {
            _hosts.Add(await StartHostAsync($"h{i}", _cluster.Endpoints));
        }

        await Task.WhenAll(_hosts.Select(h => h.WaitServingAsync(_v1.Version))); // each fetched the stable version from an empty root

        await using RolloutController controller = NewController(_cluster.Endpoints);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,50%,100%", TimeSpan.FromMilliseconds(500), maxNacks: 0);

        // The canary moved: kill h4 (no goodbye), then start it again on its root.
        await _hosts[0].WaitServingAsync(_v2.Version);
        HostReport killedBefore = await _hosts[3].ReportAsync();
        await _hosts[3].KillAsync();
        _hosts[3] = await StartHostAsync("h4", _cluster.Endpoints, _hosts[3].Root);

        FleetStatus done = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;

        Assert.Equal(_v2.Version, done.Plugins.Single().StableVersion);
        Assert.Equal(0, killedBefore.Failures);
        foreach (FleetHostProcess host in _hosts)
        {
            await host.WaitServingAsync(_v2.Version);
            HostReport report = await host.StopAsync();
            Assert.True(report.Failures == 0, $"{host.HostId}: {report.Failures} failed calls, the last: {report.LastFailure}");
            Assert.True(report.Calls > 0, host.HostId);
            Assert.Equal("alpha@" + _v2.Version, report.Serving);
        }
    }

    [Fact]
    public async Task AHostCutOffFromTheStore_KeepsServing_IsShownGone_AndConvergesWhenItIsBack()
    {
        // h3 knows only member 2: killing member 2 cuts it off while the cluster keeps its quorum.
        _hosts.Add(await StartHostAsync("h1", _cluster.Endpoints));
        _hosts.Add(await StartHostAsync("h2", _cluster.Endpoints));
        _hosts.Add(await StartHostAsync("h3", _cluster.ClientUrl(2)));
        await Task.WhenAll(_hosts.Select(h => h.WaitServingAsync(_v1.Version)));
        string quorum = _cluster.ClientUrl(0) + "," + _cluster.ClientUrl(1);
        await using RolloutController controller = NewController(quorum);

        _cluster.KillMember(2);
        FleetStatus gone = await WaitForAsync(controller, static s => s.Hosts.All(h => h.HostId != "h3" || !h.IsLive)); // its lease expired
        Assert.Equal(["h1", "h2"], gone.Hosts.Where(static h => h.IsLive).Select(static h => h.HostId));
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "100%", TimeSpan.Zero, maxNacks: 0);
        await Task.WhenAll(_hosts[0].WaitServingAsync(_v2.Version), _hosts[1].WaitServingAsync(_v2.Version));
        HostReport cutOff = await _hosts[2].ReportAsync();
        Assert.Equal("alpha@" + _v1.Version, cutOff.Serving); // serving its last good version, unreachable store or not
        Assert.False(cutOff.Reachable);

        FleetStatus done = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;
        Assert.Equal(["h1", "h2"], done.Plugins.Single().Rollout!.Admitted); // the live hosts: h3 was gone

        await _cluster.StartMemberAsync(2);
        await _hosts[2].WaitServingAsync(_v2.Version); // back: it reads the desired state (now stable v2) and converges
        foreach (FleetHostProcess host in _hosts)
        {
            HostReport report = await host.StopAsync();
            Assert.True(report.Failures == 0, $"{host.HostId}: {report.Failures} failed calls, the last: {report.LastFailure}");
            Assert.Equal("alpha@" + _v2.Version, report.Serving);
        }
    }

    [Fact]
    public async Task EtcdMembersLost_OneOfThree_TheRolloutGoesOn_TwoOfThree_ItWaitsAndResumes_NoHostStopsServing()
    {
        _hosts.Add(await StartHostAsync("h1", _cluster.Endpoints));
        _hosts.Add(await StartHostAsync("h2", _cluster.Endpoints));
        await Task.WhenAll(_hosts.Select(h => h.WaitServingAsync(_v1.Version)));
        await using RolloutController controller = NewController(_cluster.Endpoints);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);

        _cluster.KillMember(0);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromSeconds(1), maxNacks: 0);
        await _hosts[0].WaitServingAsync(_v2.Version); // one member lost: the canary moved

        _cluster.KillMember(1); // two lost: no quorum, nothing can be written
        HostReport during = await _hosts[1].ReportAsync();
        HostReport later = await _hosts[1].WaitForCallsAfterAsync(during.Calls); // calls go on without a quorum
        Assert.Equal(0, later.Failures);
        await _cluster.StartMemberAsync(0);
        await _cluster.StartMemberAsync(1);

        FleetStatus done = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;

        Assert.Equal(_v2.Version, done.Plugins.Single().StableVersion);
        foreach (FleetHostProcess host in _hosts)
        {
            await host.WaitServingAsync(_v2.Version);
            HostReport report = await host.StopAsync();
            Assert.True(report.Failures == 0, $"{host.HostId}: {report.Failures} failed calls, the last: {report.LastFailure}");
            Assert.Equal("alpha@" + _v2.Version, report.Serving);
        }
    }

    private async Task<FleetHostProcess> StartHostAsync(string hostId, string endpoints, string? root = null)
        => await FleetHostProcess.StartAsync(endpoints, _fleet, hostId, root ?? Path.Combine(_builds.Directory, "host-" + hostId));

    private RolloutController NewController(string endpoints) => new(new RolloutControllerOptions { Endpoints = endpoints, Fleet = _fleet, LeaseTtl = TimeSpan.FromSeconds(3), CallTimeout = TimeSpan.FromSeconds(2) });

    private static FleetStore NewStore(string endpoints) => new(new FleetStoreOptions { Endpoints = endpoints });

    private async Task<FleetArtifact> PackAsync(string fixture)
    {
        PublishResult built = await _builds.PublishAsync(fixture, "alpha");
        return await FleetArtifacts.PackAsync(built.VersionDirectory, Path.Combine(_builds.Scratch, built.Version + ".zip"));
    }

    private static VersionReference Reference(FleetArtifact artifact) => new(artifact.Version, new Uri(artifact.Path).AbsoluteUri, artifact.Digest);

    /// <summary>The fleet's status once it satisfies <paramref name="condition"/>, read again after each change in the store, with a deadline.</summary>
    private async Task<FleetStatus> WaitForAsync(RolloutController controller, Func<FleetStatus, bool> condition)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        FleetStatus? last = null;
        try
        {
            await using FleetStore store = NewStore(_cluster.ClientUrl(0) + "," + _cluster.ClientUrl(1) + "," + _cluster.ClientUrl(2));
            await foreach (StoreView view in store.FollowAsync(FleetKeys.Fleet(_fleet), deadline.Token))
            {
                last = FleetStatus.From(_fleet, view);
                if (condition(last))
                {
                    return await controller.GetStatusAsync(deadline.Token) is { } now && condition(now) ? now : last;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        throw new Xunit.Sdk.XunitException($"The fleet never reached the expected state; last seen: {JsonSerializer.Serialize(last?.Plugins)} {JsonSerializer.Serialize(last?.Hosts)}");
    }
}
