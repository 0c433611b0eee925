using System.Text.Json;
using Hotswap.Tests.Fleet.Support;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Fleet;

/// <summary>
/// The rollout controller driving four hosts (each a real host on its own plugins root with its
/// own agent, serving calls) through waves on a real 3-member etcd cluster.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class RolloutControllerTests : IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(1);
    private readonly EtcdClusterFixture _etcd;
    private readonly string _fleet = "t" + Guid.NewGuid().ToString("N")[..12];
    private readonly TestRoot _builds = new();
    private readonly List<FleetHost> _hosts = [];
    private FleetArtifact _v1 = null!;
    private FleetArtifact _v2 = null!;

    public RolloutControllerTests(EtcdClusterFixture etcd) => _etcd = etcd;

    public async Task InitializeAsync()
    {
        _v1 = await PackAsync(Fixtures.GreeterV1);
        _v2 = await PackAsync(Fixtures.GreeterV2);
        await using (FleetStore store = NewStore())
        {
            await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), JsonSerializer.Serialize(new StableRecord { Target = Reference(_v1) }, FleetJsonContext.Default.StableRecord), CancellationToken.None);
        }

        for (int i = 1; i <= 4; i++)
        {
            _hosts.Add(await FleetHost.StartAsync(_etcd.Cluster.Endpoints, _fleet, $"h{i}", _v1));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (FleetHost host in _hosts)
        {
            await host.DisposeAsync();
        }

        _builds.Dispose();
    }

    [Fact]
    public async Task Rollout_InWaves_ReachesEveryHost_WithNoFailedCall_AndBecomesStable()
    {
        await using RolloutController controller = NewController();
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);

        string id = await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,50%,100%", TimeSpan.FromMilliseconds(300), maxNacks: 0);
        FleetStatus done = await WaitForAsync(controller, s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;

        Assert.Equal(_v2.Version, done.Plugins.Single().StableVersion);
        Assert.Equal(["h1", "h2", "h3", "h4"], done.Plugins.Single().Rollout!.Admitted);
        Assert.Equal(["h1", "h2", "h3", "h4"], done.AnswersOf("alpha", id, _v2.Version).Where(static a => a.Acknowledged).Select(static a => a.HostId));
        foreach (FleetHost host in _hosts)
        {
            Assert.Equal("v2:hello you", host.Greet());
            await host.Calls.StopAsync();
            Assert.True(host.Calls.Failures == 0, host.Calls.FirstErrors);
        }
    }

    [Fact]
    public async Task CanaryNack_AbortsTheRollout_NamingTheHostAndPhase_AndNoOtherHostMoves()
    {
        await using RolloutController controller = NewController();
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        long[] generations = [.. _hosts.Select(static h => h.Host.GenerationNumber)];

        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), new string('0', 64), "1,100%", TimeSpan.Zero, maxNacks: 0);
        FleetStatus aborted = await WaitForAsync(controller, s => s.Plugins.Single().Rollout?.State == "aborted");
        await stop.CancelAsync();
        await running;

        FleetRolloutStatus rollout = aborted.Plugins.Single().Rollout!;
        Assert.Equal(["h1"], rollout.Admitted);
        Assert.Contains("first from host h1: plugin 'alpha', phase Fetch", rollout.Reason, StringComparison.Ordinal);
        Assert.Equal(_v1.Version, aborted.Plugins.Single().StableVersion);
        for (int i = 0; i < _hosts.Count; i++)
        {
            Assert.Equal("v1:hello you", _hosts[i].Greet());
            Assert.Equal(generations[i], _hosts[i].Host.GenerationNumber); // the canary refused before loading anything; the others never tried
            Assert.False(Directory.Exists(Path.Combine(_hosts[i].Root.PluginDirectory("alpha"), _v2.Version)));
        }
    }

    [Fact]
    public async Task NacksWithinTheAllowance_DoNotStopTheNextWave_OneMoreAborts()
    {
        await using RolloutController controller = NewController();
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);

        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), new string('0', 64), "1,100%", TimeSpan.Zero, maxNacks: 1);
        FleetStatus aborted = await WaitForAsync(controller, s => s.Plugins.Single().Rollout?.State == "aborted");
        await stop.CancelAsync();
        await running;

        FleetRolloutStatus rollout = aborted.Plugins.Single().Rollout!;
        Assert.Equal(["h1", "h2", "h3", "h4"], rollout.Admitted); // the canary's NACK was allowed: the last wave started
        Assert.Contains("NACK(s), more than the 1 allowed", rollout.Reason, StringComparison.Ordinal);
        Assert.Contains("plugin 'alpha', phase Fetch", rollout.Reason, StringComparison.Ordinal);
        Assert.All(_hosts, h => Assert.Equal("v1:hello you", h.Greet()));
    }

    [Fact]
    public async Task Bake_TheNextWaveStartsOnlyWhenTheWaveServedForTheBakeTime()
    {
        var clock = new ManualTimeProvider();
        await using RolloutController controller = NewController(clock);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromMinutes(10), maxNacks: 0);

        FleetStatus ready = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.WaveReadyAt is not null);
        await clock.WaitForTimerAsync(dueWithin: TimeSpan.FromMinutes(10)).WaitAsync(s_deadline); // the controller waits out the bake on its clock
        FleetStatus baking = await controller.GetStatusAsync();
        Assert.Equal(["h1"], baking.Plugins.Single().Rollout!.Admitted); // not a host more before the bake ends
        Assert.Equal(clock.GetUtcNow(), ready.Plugins.Single().Rollout!.WaveReadyAt);

        clock.Advance(TimeSpan.FromMinutes(10));
        await WaitForAsync(controller, static s => s.Plugins.Single().Rollout is { Admitted.Count: 4, WaveReadyAt: not null });
        await clock.WaitForTimerAsync(dueWithin: TimeSpan.FromMinutes(10)).WaitAsync(s_deadline); // the last wave bakes too
        Assert.Equal("running", (await controller.GetStatusAsync()).Plugins.Single().Rollout!.State);
        clock.Advance(TimeSpan.FromMinutes(10));
        FleetStatus done = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;

        Assert.Equal(["h1", "h2", "h3", "h4"], done.Plugins.Single().Rollout!.Admitted);
        Assert.Equal(_v2.Version, done.Plugins.Single().StableVersion);
    }

    [Fact]
    public async Task Abort_AfterTheCanaryMoved_SendsItBack_WithNoFailedCall()
    {
        await using RolloutController controller = NewController();
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromHours(1), maxNacks: 0);
        await WaitForAsync(controller, s => s.Hosts.Single(h => h.HostId == "h1").Serves("alpha", _v2.Version));
        Assert.Equal("v2:hello you", _hosts[0].Greet());

        await controller.AbortAsync("alpha", "the canary's latency doubled");
        FleetStatus back = await WaitForAsync(controller, s => s.Hosts.Where(static h => h.IsLive).All(h => h.Serves("alpha", _v1.Version)));
        await stop.CancelAsync();
        await running;

        Assert.Equal("aborted", back.Plugins.Single().Rollout!.State);
        Assert.Equal("the canary's latency doubled", back.Plugins.Single().Rollout!.Reason);
        foreach (FleetHost host in _hosts)
        {
            Assert.Equal("v1:hello you", host.Greet());
            await host.Calls.StopAsync();
            Assert.True(host.Calls.Failures == 0, host.Calls.FirstErrors);
        }
    }

    [Fact]
    public async Task AControllerThatStops_IsReplacedByAnother_ThatFinishesTheRollout()
    {
        string id;
        string? firstHolder;
        await using (RolloutController first = NewController())
        {
            using var stopFirst = new CancellationTokenSource();
            Task running = first.RunAsync("alpha", stopFirst.Token);
            id = await first.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromMilliseconds(300), maxNacks: 0);
            await WaitForAsync(first, s => s.Hosts.Single(h => h.HostId == "h1").Serves("alpha", _v2.Version));
            firstHolder = await ControllerKeyAsync();
            Assert.NotNull(firstHolder); // the one controller holds the plugin's key while it drives
            await stopFirst.CancelAsync();
            await running;
        } // disposed: its key is revoked

        await using RolloutController second = NewController();
        using var stop = new CancellationTokenSource();
        Task next = second.RunAsync("alpha", stop.Token);
        FleetStatus done = await WaitForAsync(second, s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await next;

        Assert.Equal(id, done.Plugins.Single().Rollout!.Id);
        Assert.All(_hosts, h => Assert.Equal("v2:hello you", h.Greet()));
        Assert.Null(await ControllerKeyAsync()); // released when the second stopped
    }

    [Fact]
    public async Task SetStable_IsRefusedWhileARolloutRuns_AndMovesEveryHostOnceItEnded()
    {
        await using RolloutController controller = NewController();
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromHours(1), maxNacks: 0);

        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => controller.SetStableAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest));
        Assert.Contains("is running: abort it before setting the stable version", refused.Message, StringComparison.Ordinal);

        await controller.AbortAsync("alpha");
        await controller.SetStableAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest);
        FleetStatus moved = await WaitForAsync(controller, s => s.Hosts.Where(static h => h.IsLive).Count(h => h.Serves("alpha", _v2.Version)) == 4);
        Assert.Equal(_v2.Version, moved.Plugins.Single().StableVersion);
    }

    [Fact]
    public async Task AControllerWhoseKeyAnotherTook_WritesNothing_UntilItHoldsTheKeyAgain()
    {
        var clock = new ManualTimeProvider();
        using var logs = new RecordingLoggerFactory();
        await using var controller = new RolloutController(new RolloutControllerOptions { Endpoints = _etcd.Cluster.Endpoints, Fleet = _fleet, LeaseTtl = TimeSpan.FromSeconds(3), TimeProvider = clock }, logs);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromMinutes(10), maxNacks: 0);
        await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.WaveReadyAt is not null);
        await clock.WaitForTimerAsync(dueWithin: TimeSpan.FromMinutes(10)).WaitAsync(s_deadline); // baking wave 1

        // Its lease lapsed and another controller took the key: this one must stop writing.
        string key = FleetKeys.Controller(_fleet, "alpha");
        await using FleetStore store = NewStore();
        await store.PutAsync(key, "another-controller", CancellationToken.None);
        Task lost = logs.WhenLogged(3216);
        clock.Advance(TimeSpan.FromMinutes(10)); // the bake is over: only the key stops it now
        await lost.WaitAsync(s_deadline);
        Assert.Equal(["h1"], (await controller.GetStatusAsync()).Plugins.Single().Rollout!.Admitted);

        await store.DeleteAsync(key, CancellationToken.None); // the other one stopped: the key is free again
        FleetStatus moved = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.Admitted.Count == 4);
        await stop.CancelAsync();
        await running;

        Assert.Equal("running", moved.Plugins.Single().Rollout!.State); // the last wave bakes on the manual clock
    }

    [Fact]
    public async Task AHostUnhealthyAfterTakingTheVersion_AbortsTheRolloutDuringTheBake_AndNoOtherHostMoves()
    {
        var clock = new ManualTimeProvider();
        await using RolloutController controller = NewController(clock);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        long[] generations = [.. _hosts.Select(static h => h.Host.GenerationNumber)];
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromMinutes(10), maxNacks: 0);
        await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.WaveReadyAt is not null); // the canary ACKed and serves v2: its bake runs

        _hosts[0].Health.Fail("database unreachable");
        FleetStatus aborted = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "aborted");
        FleetStatus back = await WaitForAsync(controller, s => s.Hosts.Single(h => h.HostId == "h1").Serves("alpha", _v1.Version));
        await stop.CancelAsync();
        await running;

        FleetRolloutStatus rollout = aborted.Plugins.Single().Rollout!;
        Assert.Equal(["h1"], rollout.Admitted);
        Assert.Equal($"host h1 became unhealthy while serving plugin 'alpha' version {_v2.Version}: db: database unreachable", rollout.Reason);
        FleetHostStatus canary = back.Hosts.Single(static h => h.HostId == "h1");
        Assert.False(canary.IsHealthy);
        Assert.Equal("db: database unreachable", canary.HealthReason);
        Assert.All(back.Hosts.Where(static h => h.HostId != "h1"), static h => Assert.True(h.IsHealthy));
        Assert.Equal(_v1.Version, back.Plugins.Single().StableVersion);
        for (int i = 0; i < _hosts.Count; i++)
        {
            Assert.Equal("v1:hello you", _hosts[i].Greet());
            await _hosts[i].Calls.StopAsync();
            Assert.True(_hosts[i].Calls.Failures == 0, _hosts[i].Calls.FirstErrors);
            if (i > 0)
            {
                Assert.Equal(generations[i], _hosts[i].Host.GenerationNumber); // never admitted: never reloaded
            }
        }
    }

    [Fact]
    public async Task AHostUnhealthyBeforeItTookTheVersion_DoesNotStopTheRollout()
    {
        await using RolloutController controller = NewController();
        _hosts[1].Health.Fail("disk nearly full");
        await WaitForAsync(controller, static s => s.Hosts.Single(h => h.HostId == "h2").IsHealthy == false);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);

        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.Zero, maxNacks: 0);
        FleetStatus done = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;

        Assert.Equal(_v2.Version, done.Plugins.Single().StableVersion);
        FleetHostStatus h2 = done.Hosts.Single(static h => h.HostId == "h2");
        Assert.False(h2.IsHealthy); // unhealthy before it took v2, and still: not the version's doing
        Assert.True(h2.HealthSince < done.AnswersOf("alpha", done.Plugins.Single().Rollout!.Id, _v2.Version).Single(static a => a.HostId == "h2").At);
        Assert.All(_hosts, h => Assert.Equal("v2:hello you", h.Greet()));
    }

    [Fact]
    public async Task AHostThatRollsTheVersionBack_AbortsTheRollout_NamingTheHostAndTheReason()
    {
        var clock = new ManualTimeProvider();
        await using RolloutController controller = NewController(clock);
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromMinutes(10), maxNacks: 0);
        await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.WaveReadyAt is not null);

        ReloadResult rolledBack = await _hosts[0].Host.RollbackAsync(); // what the host's automatic rollback does, raised by the same event
        Assert.True(rolledBack.RolledBack);
        FleetStatus aborted = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "aborted");
        await stop.CancelAsync();
        await running;

        FleetRolloutStatus rollout = aborted.Plugins.Single().Rollout!;
        Assert.Equal($"host h1 rolled back plugin 'alpha' version {_v2.Version} by itself: {rolledBack.RollbackReason}", rollout.Reason);
        FleetRolledBackStatus reported = Assert.Single(aborted.Hosts.Single(static h => h.HostId == "h1").RolledBack);
        Assert.Equal(("alpha", _v2.Version), (reported.PluginName, reported.Version));
        Assert.All(_hosts, h => Assert.Equal("v1:hello you", h.Greet()));
        await using (FleetStore store = NewStore())
        {
            StoreEntry record = (await store.GetAsync(FleetKeys.Rollout(_fleet, "alpha"), CancellationToken.None))!;
            await _hosts[0].WaitReconciledAsync(record.ModRevision); // the agent reconciled the abort
        }

        Assert.Equal(_v1.Version, PluginLayout.ReadCurrentOf(_hosts[0].Root.PluginDirectory("alpha"))); // current names what serves again: a restart does not load v2
    }

    [Fact]
    public async Task AWaveNotReadyByTheProgressDeadline_PausesNamingTheHostMissing_AndAResumedWaveGoesOn()
    {
        await using ArtifactServer server = await ArtifactServer.StartAsync(Path.GetDirectoryName(_v2.Path)!);
        string file = Path.GetFileName(_v2.Path);
        ArtifactServer.HeldResponse download = server.Hold(file); // the canary's download hangs: it cannot answer
        var clock = new ManualTimeProvider();
        await using RolloutController controller = NewController(clock, progressDeadline: TimeSpan.FromMinutes(10));
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync("alpha", stop.Token);
        await controller.StartAsync("alpha", _v2.Version, server.UrlOf(file), _v2.Digest, "1,100%", TimeSpan.Zero, maxNacks: 0);
        await download.Arrived.WaitAsync(s_deadline);

        await clock.WaitForTimerAsync(dueWithin: TimeSpan.FromMinutes(10)).WaitAsync(s_deadline); // the controller waits out the deadline on its clock
        Assert.Equal("running", (await controller.GetStatusAsync()).Plugins.Single().Rollout!.State);
        clock.Advance(TimeSpan.FromMinutes(10));
        FleetStatus paused = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "paused");

        FleetRolloutStatus rollout = paused.Plugins.Single().Rollout!;
        Assert.Equal(["h1"], rollout.Admitted);
        Assert.Equal("wave 1 of 2 was not ready 10 min after it started: host h1 has not answered. Resume to wait again, or abort.", rollout.Reason);

        await controller.ResumeAsync("alpha");
        download.Release();
        FleetStatus done = await WaitForAsync(controller, static s => s.Plugins.Single().Rollout?.State == "completed");
        await stop.CancelAsync();
        await running;

        Assert.Equal(_v2.Version, done.Plugins.Single().StableVersion);
        Assert.All(_hosts, h => Assert.Equal("v2:hello you", h.Greet()));
    }

    [Fact]
    public async Task OperatorsRacing_OnlyOneChangeWins_TheOtherSeesTheNewState()
    {
        await using RolloutController a = NewController();
        await using RolloutController b = NewController();
        await a.StartAsync("alpha", _v2.Version, new Uri(_v2.Path), _v2.Digest, "1,100%", TimeSpan.FromHours(1), maxNacks: 0);

        Task pause = a.PauseAsync("alpha", "looking at a graph");
        Task abort = b.AbortAsync("alpha", "bad build");
        Exception? failed = await Record.ExceptionAsync(() => Task.WhenAll(pause, abort));
        FleetStatus status = await a.GetStatusAsync();

        // Both ran against the record: an abort applies over a pause; a pause after an abort is refused.
        FleetRolloutStatus rollout = status.Plugins.Single().Rollout!;
        Assert.Equal("aborted", rollout.State);
        if (failed is not null)
        {
            Assert.IsType<InvalidOperationException>(failed);
            Assert.Contains("is aborted, not running", failed.Message, StringComparison.Ordinal);
        }
    }

    private RolloutController NewController(TimeProvider? clock = null, TimeSpan? progressDeadline = null) => new(new RolloutControllerOptions
    {
        Endpoints = _etcd.Cluster.Endpoints,
        Fleet = _fleet,
        LeaseTtl = TimeSpan.FromSeconds(3),
        TimeProvider = clock ?? TimeProvider.System,
        ProgressDeadline = progressDeadline ?? Timeout.InfiniteTimeSpan,
    });

    private FleetStore NewStore() => new(new FleetStoreOptions { Endpoints = _etcd.Cluster.Endpoints });

    private async Task<string?> ControllerKeyAsync()
    {
        await using FleetStore store = NewStore();
        return (await store.GetAsync(FleetKeys.Controller(_fleet, "alpha"), CancellationToken.None))?.Value;
    }

    private async Task<FleetArtifact> PackAsync(string fixture)
    {
        PublishResult built = await _builds.PublishAsync(fixture, "alpha");
        return await FleetArtifacts.PackAsync(built.VersionDirectory, Path.Combine(_builds.Scratch, built.Version + ".zip"));
    }

    private static VersionReference Reference(FleetArtifact artifact) => new(artifact.Version, new Uri(artifact.Path).AbsoluteUri, artifact.Digest);

    /// <summary>The fleet's status once it satisfies <paramref name="condition"/>: followed through a store watch, with a deadline.</summary>
    private async Task<FleetStatus> WaitForAsync(RolloutController controller, Func<FleetStatus, bool> condition)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        await using FleetStore store = NewStore();
        FleetStatus? last = null;
        try
        {
            await foreach (StoreView view in store.FollowAsync(FleetKeys.Fleet(_fleet), deadline.Token))
            {
                last = FleetStatus.From(_fleet, view);
                if (condition(last))
                {
                    return await controller.GetStatusAsync(CancellationToken.None) is { } now && condition(now) ? now : last;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
        }

        throw new Xunit.Sdk.XunitException($"The fleet never reached the expected state; last seen: {JsonSerializer.Serialize(last?.Plugins)} {JsonSerializer.Serialize(last?.Hosts)}");
    }

    /// <summary>One host of the fleet: a plugins root serving v1, its host, its agent and a call loop.</summary>
    private sealed class FleetHost : IAsyncDisposable
    {
        private FleetHost(TestRoot root, PluginHost host, FleetAgent agent, CallLoop calls, HealthSwitch health)
        {
            Root = root;
            Host = host;
            Agent = agent;
            Calls = calls;
            Health = health;
            agent.Reconciled += OnReconciled;
        }

        private long _reconciled;
        private TaskCompletionSource _reconciledChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Waits until the agent has reconciled the fleet's state at <paramref name="revision"/> or later.</summary>
        public async Task WaitReconciledAsync(long revision)
        {
            using var deadline = new CancellationTokenSource(s_deadline);
            while (true)
            {
                Task changed = Volatile.Read(ref _reconciledChanged).Task;
                if (Interlocked.Read(ref _reconciled) >= revision)
                {
                    return;
                }

                await changed.WaitAsync(deadline.Token);
            }
        }

        private void OnReconciled(long revision)
        {
            long seen;
            while ((seen = Interlocked.Read(ref _reconciled)) < revision && Interlocked.CompareExchange(ref _reconciled, revision, seen) != seen)
            {
            }

            Interlocked.Exchange(ref _reconciledChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        }

        /// <summary>Gets what the host's health check answers (a real check the agent runs, whose answer the test sets).</summary>
        public HealthSwitch Health { get; }

        public TestRoot Root { get; }

        public PluginHost Host { get; }

        public FleetAgent Agent { get; }

        public CallLoop Calls { get; }

        public static async Task<FleetHost> StartAsync(string endpoints, string fleet, string hostId, FleetArtifact v1)
        {
            var root = new TestRoot();
            var fetcher = new ArtifactFetcher(new HttpClient(), TimeProvider.System, TimeSpan.FromMinutes(1), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            await fetcher.FetchAsync(root.PluginsRoot, "alpha", v1.Version, new Uri(v1.Path), v1.Digest, trustedKeys: null, CancellationToken.None);
            PluginPublisher.Activate(root.PluginsRoot, "alpha", v1.Version);
            PluginHost host = root.CreateHost(static o => o.Probation = Timeout.InfiniteTimeSpan); // a rollback on the host is possible
            (await host.LoadAsync()).EnsureSuccess();
            var health = new HealthSwitch();
            var agent = new FleetAgent(host, new FleetAgentOptions
            {
                Endpoints = endpoints,
                Fleet = fleet,
                HostId = hostId,
                LeaseTtl = TimeSpan.FromSeconds(5),
                HealthCheck = health.CheckAsync,
                HealthInterval = TimeSpan.FromMilliseconds(200),
            });
            var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            agent.Answered += (_, e) =>
            {
                if (e.Version == v1.Version)
                {
                    registered.TrySetResult();
                }
            };
            await agent.StartAsync();
            await registered.Task.WaitAsync(s_deadline); // it ACKed the stable version: registered and following
            CallLoop calls = CallLoop.Start(() => (string)host.Invoke("alpha", "greet", "you")!, threads: 1);
            await calls.Started;
            return new FleetHost(root, host, agent, calls, health);
        }

        public string Greet() => (string)Host.Invoke("alpha", "greet", "you")!;

        public async ValueTask DisposeAsync()
        {
            await Calls.DisposeAsync();
            await Agent.DisposeAsync();
            await Host.DisposeAsync();
            Root.Dispose();
        }
    }

    /// <summary>A health check whose answer the test sets: healthy until <see cref="Fail"/>.</summary>
    private sealed class HealthSwitch
    {
        private volatile string? _failure;

        public void Fail(string reason) => _failure = reason;

        public Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
        {
            string? failure = _failure;
            var entry = failure is null
                ? new HealthReportEntry(HealthStatus.Healthy, "ok", TimeSpan.Zero, null, null)
                : new HealthReportEntry(HealthStatus.Unhealthy, failure, TimeSpan.Zero, null, null);
            return Task.FromResult(new HealthReport(new Dictionary<string, HealthReportEntry> { ["db"] = entry }, TimeSpan.Zero));
        }
    }
}
