using System.Collections.Concurrent;
using System.Text.Json;
using Hotswap.Shared.Etcd;
using Hotswap.Tests.Fleet.Support;
using Hotswap.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Hotswap.Tests.Fleet;

/// <summary>
/// The fleet agent against a real 3-member etcd cluster, real artifacts and a real host serving
/// calls: each test has a fleet of its own on the shared cluster.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class FleetAgentTests : IDisposable
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(1);
    private readonly EtcdClusterFixture _etcd;
    private readonly TestRoot _root = new();
    private readonly TestRoot _builds = new();
    private readonly string _fleet = "t" + Guid.NewGuid().ToString("N")[..12];

    public FleetAgentTests(EtcdClusterFixture etcd) => _etcd = etcd;

    public void Dispose()
    {
        _root.Dispose();
        _builds.Dispose();
    }

    [Fact]
    public async Task StableVersion_AgentFetchesPublishesReloadsAndAcks_WithNoFailedCall()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetStore store = NewStore();
        await using FleetAgent agent = NewAgent(host, "h1");
        Task<FleetAnsweredEventArgs> acked = NextAnswer(agent, v2.Version);
        await agent.StartAsync();
        await using CallLoop calls = CallLoop.Start(() => (string)host.Invoke("alpha", "greet", "you")!);
        await calls.Started;

        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2), CancellationToken.None);
        FleetAnsweredEventArgs answer = await acked.WaitAsync(s_deadline);
        await calls.StopAsync();

        Assert.True(answer.Acknowledged, answer.ToString());
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
        Assert.True(calls.Failures == 0, calls.FirstErrors);
        Assert.Contains("v1:hello you", calls.Answers);
        Assert.Equal(v2.Version, PluginLayout.ReadCurrentOf(_root.PluginDirectory("alpha")));
        AnswerRecord stored = await ReadAnswerAsync(store, "alpha", "stable", v2.Version, "h1");
        Assert.True(stored.Ack);
        Assert.Null(stored.Error);
        HostRecord registered = await WaitForRegistrationAsync(store, "h1", r => r.Serving.Any(s => s.Version == v2.Version));
        Assert.Equal([new ServedVersion("alpha", v2.Version)], registered.Serving);
        Assert.NotEqual(v1.Version, v2.Version);
    }

    [Fact]
    public async Task WrongDigest_Nacks_NamingBothDigests_AndTheServingVersionStaysUntouched()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        string wrong = new('0', 64);
        await using FleetStore store = NewStore();
        await using FleetAgent agent = NewAgent(host, "h1");
        Task<FleetAnsweredEventArgs> nacked = NextAnswer(agent, v2.Version);
        await agent.StartAsync();
        long generation = host.GenerationNumber;

        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2 with { Digest = wrong }), CancellationToken.None);
        FleetAnsweredEventArgs answer = await nacked.WaitAsync(s_deadline);

        Assert.False(answer.Acknowledged);
        Assert.Equal(nameof(ReloadPhase.Fetch), answer.Phase);
        Assert.Contains(wrong, answer.Reason, StringComparison.Ordinal);
        Assert.Contains(v2.Digest, answer.Reason, StringComparison.Ordinal);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        Assert.Equal(generation, host.GenerationNumber);
        Assert.Equal(v1.Version, PluginLayout.ReadCurrentOf(_root.PluginDirectory("alpha")));
        Assert.False(Directory.Exists(Path.Combine(_root.PluginDirectory("alpha"), v2.Version)));
        AnswerRecord stored = await ReadAnswerAsync(store, "alpha", "stable", v2.Version, "h1");
        Assert.False(stored.Ack);
        Assert.Equal(("alpha", nameof(ReloadPhase.Fetch)), (stored.Error!.Plugin, stored.Error.Phase));
        HostRecord registered = await WaitForRegistrationAsync(store, "h1", r => r.LastError is not null);
        Assert.Equal([new ServedVersion("alpha", v1.Version)], registered.Serving);
    }

    [Fact]
    public async Task Rollout_MovesOnlyTheHostsItAdmits_AndAnAbortSendsThemBackToStable()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v1Artifact = await FleetArtifacts.PackAsync(v1.VersionDirectory, Path.Combine(_root.Scratch, "v1.zip"));
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetStore store = NewStore();
        await using FleetAgent agent = NewAgent(host, "h1");
        Task<FleetAnsweredEventArgs> stableAcked = NextAnswer(agent, v1.Version);
        await agent.StartAsync();
        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v1Artifact), CancellationToken.None);
        Assert.True((await stableAcked.WaitAsync(s_deadline)).Acknowledged);

        // A rollout that admitted another host only: this one stays on the stable version.
        string rolloutKey = FleetKeys.Rollout(_fleet, "alpha");
        Task<FleetAnsweredEventArgs> stillV1 = NextAnswer(agent, v1.Version, rolloutId: "r1");
        long revision = await store.PutAsync(rolloutKey, Rollout("r1", v2, RolloutState.Running, "h0"), CancellationToken.None);
        Assert.True((await stillV1.WaitAsync(s_deadline)).Acknowledged);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));

        // Admitted: it moves.
        Task<FleetAnsweredEventArgs> movedToV2 = NextAnswer(agent, v2.Version, rolloutId: "r1");
        revision = (await store.CompareAndSwapAsync(rolloutKey, revision, Rollout("r1", v2, RolloutState.Running, "h0", "h1"), CancellationToken.None))!.Value;
        Assert.True((await movedToV2.WaitAsync(s_deadline)).Acknowledged);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));

        // Aborted: back to the stable version, which the host still holds (no download).
        await using CallLoop calls = CallLoop.Start(() => (string)host.Invoke("alpha", "greet", "you")!);
        await calls.Started;
        Task<FleetAnsweredEventArgs> back = NextAnswer(agent, v1.Version, rolloutId: "r1");
        Assert.NotNull(await store.CompareAndSwapAsync(rolloutKey, revision, Rollout("r1", v2, RolloutState.Aborted, "h0", "h1"), CancellationToken.None));
        FleetAnsweredEventArgs returned = await back.WaitAsync(s_deadline);
        await calls.StopAsync();

        Assert.True(returned.Acknowledged, returned.ToString());
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        Assert.True(calls.Failures == 0, calls.FirstErrors);
        Assert.Equal(v1.Version, PluginLayout.ReadCurrentOf(_root.PluginDirectory("alpha")));
    }

    [Fact]
    public async Task AgentStartedAfterTheChange_ConvergesToTheCurrentTarget()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetStore store = NewStore();
        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2), CancellationToken.None); // while the host was not in the fleet

        await using FleetAgent agent = NewAgent(host, "h1");
        Task<FleetAnsweredEventArgs> acked = NextAnswer(agent, v2.Version);
        await agent.StartAsync();

        Assert.True((await acked.WaitAsync(s_deadline)).Acknowledged);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task Registration_ShowsTheHostWhileItRuns_AndIsGoneWhenTheAgentStops()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await using FleetStore store = NewStore();
        FleetAgent agent = NewAgent(host, "h1", labels: new() { ["zone"] = "z1" });
        await agent.StartAsync();

        HostRecord registered = await WaitForRegistrationAsync(store, "h1", static _ => true);
        Assert.Equal([new ServedVersion("alpha", v1.Version)], registered.Serving);
        Assert.Equal("z1", registered.Labels["zone"]);
        Assert.Equal(Environment.ProcessId, registered.ProcessId);

        await agent.DisposeAsync();

        Assert.Null(await store.GetAsync(FleetKeys.Host(_fleet, "h1"), CancellationToken.None));
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you")); // leaving the fleet leaves the host serving
    }

    [Fact]
    public async Task Registration_ListsAStuckVersion_WithTheCauseTheHostReportedIt_AndFleetStatusShowsIt()
    {
        var time = new ManualTimeProvider();
        PublishResult sticky = await _root.PublishAsync(Fixtures.Sticky, "sticky");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
        });
        var observer = new HostObserver(host);
        try
        {
            (await host.LoadAsync()).EnsureSuccess();
            await using FleetStore store = NewStore();
            await using FleetAgent agent = NewAgent(host, "h1");
            await agent.StartAsync();
            await WaitForRegistrationAsync(store, "h1", static _ => true);

            Directory.Delete(_root.PluginDirectory("sticky"), recursive: true);
            (await host.ReloadAsync()).EnsureSuccess();
            UnloadStuckEventArgs report = await time.AdvanceUntilAsync(observer.WhenStuck("sticky", sticky.Version), TimeSpan.FromMilliseconds(250));

            HostRecord registered = await WaitForRegistrationAsync(store, "h1", static r => r.Stuck.Count > 0);
            ServedVersion stuck = Assert.Single(registered.Stuck);
            Assert.Equal(("sticky", sticky.Version, report.Cause), (stuck.Plugin, stuck.Version, stuck.Cause));
            FleetHostStatus status = FleetHostStatus.Live(registered);
            Assert.Equal(report.Cause, status.StuckCauses[$"sticky@{sticky.Version}"]);
        }
        finally
        {
            TestContracts.HostEvents.UnsubscribeAll();
        }
    }

    [Fact]
    public async Task NewPluginRefusedAtLoad_ItsCurrentIsRemovedAgain_SoTheHostsNextReloadsStillWork()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        PublishResult broken = await _builds.PublishAsync(Fixtures.NoAttribute, "beta"); // verifies, then fails to load
        FleetArtifact beta = await FleetArtifacts.PackAsync(broken.VersionDirectory, Path.Combine(_builds.Scratch, "beta.zip"));
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetStore store = NewStore();
        await using FleetAgent agent = NewAgent(host, "h1");
        Task<FleetAnsweredEventArgs> nacked = NextAnswer(agent, beta.Version);
        await agent.StartAsync();

        await store.PutAsync(FleetKeys.Stable(_fleet, "beta"), Stable(beta), CancellationToken.None);
        FleetAnsweredEventArgs refused = await nacked.WaitAsync(s_deadline);

        Assert.False(refused.Acknowledged);
        Assert.Equal(nameof(ReloadPhase.Load), refused.Phase);
        Assert.Null(PluginLayout.ReadCurrentOf(_root.PluginDirectory("beta"))); // unpublished again: no reload picks it up
        Task<FleetAnsweredEventArgs> acked = NextAnswer(agent, v2.Version);
        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2), CancellationToken.None);
        FleetAnsweredEventArgs next = await acked.WaitAsync(s_deadline);
        Assert.True(next.Acknowledged, next.ToString());
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task AnEarlierNackOfThisHostId_Stands_TheVersionIsNotTriedAgain()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetStore store = NewStore();
        string answerKey = FleetKeys.Answer(_fleet, "alpha", "stable", v2.Version, "h1");
        string earlier = JsonSerializer.Serialize(new AnswerRecord { HostId = "h1", Version = v2.Version, Ack = false, Error = new FleetError("alpha", "OnInit", null, "crashed in an earlier run") }, FleetJsonContext.Default.AnswerRecord);
        await store.PutAsync(answerKey, earlier, CancellationToken.None);
        long revision = await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2), CancellationToken.None);

        await using FleetAgent agent = NewAgent(host, "h1");
        var reconciled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        agent.Reconciled += r =>
        {
            if (r >= revision)
            {
                reconciled.TrySetResult();
            }
        };
        await agent.StartAsync();
        await reconciled.Task.WaitAsync(s_deadline); // it reconciled that revision

        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
        Assert.Equal(v1.Version, PluginLayout.ReadCurrentOf(_root.PluginDirectory("alpha")));
        Assert.False(Directory.Exists(Path.Combine(_root.PluginDirectory("alpha"), v2.Version)));
        Assert.Equal(earlier, (await store.GetAsync(answerKey, CancellationToken.None))!.Value);
    }

    [Fact]
    public async Task AnAnswerInTheStore_IsNeverOverwritten_ALaterRefusalLeavesIt()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetStore store = NewStore();
        string answerKey = FleetKeys.Answer(_fleet, "alpha", "stable", v2.Version, "h1");
        string earlier = JsonSerializer.Serialize(new AnswerRecord { HostId = "h1", Version = v2.Version, Ack = true }, FleetJsonContext.Default.AnswerRecord);
        await store.PutAsync(answerKey, earlier, CancellationToken.None);
        await using FleetAgent agent = NewAgent(host, "h1");
        Task<FleetAnsweredEventArgs> nacked = NextAnswer(agent, v2.Version);
        await agent.StartAsync();

        await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2 with { Digest = new string('1', 64) }), CancellationToken.None);
        Assert.False((await nacked.WaitAsync(s_deadline)).Acknowledged);

        Assert.Equal(earlier, (await store.GetAsync(answerKey, CancellationToken.None))!.Value); // exactly one answer per host and version
    }

    [Fact]
    public async Task AddFleet_FromConfiguration_JoinsAfterTheFirstLoad_AndLeavesWhenTheAppStops()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Hotswap:Fleet:Endpoints"] = _etcd.Cluster.Endpoints;
        settings["Hotswap:Fleet:Fleet"] = _fleet;
        settings["Hotswap:Fleet:HostId"] = "h9";
        settings["Hotswap:Fleet:Labels:zone"] = "z9";
        settings["Hotswap:Fleet:LeaseTtl"] = "00:00:05";
        using Microsoft.Extensions.Hosting.IHost app = TestGenericHost.Build(settings, static services => services.AddHotswap().AddFleet());
        await app.StartAsync();
        await using FleetStore store = NewStore();

        HostRecord registered = await WaitForRegistrationAsync(store, "h9", static _ => true);
        Assert.Equal("z9", registered.Labels["zone"]);
        Assert.Equal([new ServedVersion("alpha", v1.Version)], registered.Serving); // joined after the first generation loaded

        await app.StopAsync();
        Assert.Null(await store.GetAsync(FleetKeys.Host(_fleet, "h9"), CancellationToken.None));
    }

    [Fact]
    public async Task AddFleet_WithTheAppsHealthChecks_ReportsWhatTheChecksThePredicateSelectsSay()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        using Microsoft.Extensions.Hosting.IHost app = TestGenericHost.Build(settings, services =>
        {
            services.AddHealthChecks()
                .AddCheck("db", static () => HealthCheckResult.Unhealthy("database unreachable"), tags: ["fleet"])
                .AddCheck("cache", static () => HealthCheckResult.Unhealthy("cold cache"), tags: ["other"])
                .AddCheck("queue", static () => HealthCheckResult.Degraded("slow"), tags: ["fleet"]);
            services.AddHotswap().AddFleet(o =>
            {
                o.Endpoints = _etcd.Cluster.Endpoints;
                o.Fleet = _fleet;
                o.HostId = "h8";
                o.HealthCheckPredicate = static r => r.Tags.Contains("fleet");
                o.HealthInterval = TimeSpan.FromMilliseconds(200);
            });
        });
        await app.StartAsync();
        await using FleetStore store = NewStore();

        HostRecord registered = await WaitForRegistrationAsync(store, "h8", static r => r.Health is not null);
        await app.StopAsync();

        Assert.False(registered.Health!.Healthy);
        Assert.Equal("db: database unreachable", registered.Health.Reason); // 'cache' is not selected; 'queue' is Degraded, which counts as healthy
    }

    [Fact]
    public async Task AddFleet_AnOptionMissingFromConfiguration_FailsTheStartNamingTheSectionAndTheOption()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Dictionary<string, string?> settings = TestGenericHost.Settings(_root);
        settings["Plugins:Fleet:Fleet"] = _fleet;
        using Microsoft.Extensions.Hosting.IHost app = TestGenericHost.Build(settings, static services => services.AddHotswap().AddFleet("Plugins:Fleet"));

        InvalidOperationException failed = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Contains("section 'Plugins:Fleet'", failed.Message, StringComparison.Ordinal);
        Assert.Contains("FleetAgentOptions.Endpoints is required", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StoreDown_TheHostKeepsServingItsVersion_AndCatchesUpWhenTheStoreIsBack()
    {
        await using EtcdCluster cluster = await EtcdCluster.StartAsync();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        await using FleetAgent agent = NewAgent(host, "h1", endpoints: cluster.Endpoints);
        await agent.StartAsync();
        await using (FleetStore store = new(new FleetStoreOptions { Endpoints = cluster.Endpoints }))
        {
            await WaitForRegistrationAsync(store, "h1", static _ => true);
        }

        await using CallLoop calls = CallLoop.Start(() => (string)host.Invoke("alpha", "greet", "you")!);
        await calls.Started;
        long generation = host.GenerationNumber;

        await cluster.StopAllAsync();
        await WaitUntilAsync(() => !agent.IsStoreReachable, "the agent to see the store gone");
        long before = calls.Calls;
        await WaitUntilAsync(() => calls.Calls > before + 1000, "calls to go on while the store is down");
        Assert.Equal(generation, host.GenerationNumber); // losing the store reloads nothing and unloads nothing
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));

        await cluster.StartAllAsync();
        Task<FleetAnsweredEventArgs> acked = NextAnswer(agent, v2.Version);
        await using (FleetStore store = new(new FleetStoreOptions { Endpoints = cluster.Endpoints }))
        {
            await store.PutAsync(FleetKeys.Stable(_fleet, "alpha"), Stable(v2), CancellationToken.None);
        }

        Assert.True((await acked.WaitAsync(s_deadline)).Acknowledged);
        await calls.StopAsync();
        Assert.True(calls.Failures == 0, calls.FirstErrors);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
        Assert.NotEqual(v1.Version, v2.Version);
    }

    [Fact]
    public async Task TargetChangedDuringADownload_TheDownloadIsCancelled_TheNewTargetIsAcked_AndTheSupersededVersionIsNeitherAnsweredNorRefused()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        FleetArtifact v2 = await PackAsync(Fixtures.GreeterV2);
        FleetArtifact v3 = await PackAsync(Fixtures.GreeterV1); // a later build of v1's code: a version of its own, which greets "v1:"
        await using ArtifactServer server = await ArtifactServer.StartAsync(_builds.Scratch);
        string v2Name = Path.GetFileName(v2.Path);
        ArtifactServer.HeldResponse v2Held = server.HoldAfter(v2Name, new FileInfo(v2.Path).Length / 2);
        string stableKey = FleetKeys.Stable(_fleet, "alpha");
        string pluginDirectory = _root.PluginDirectory("alpha");
        await using FleetStore store = NewStore();
        await using FleetAgent agent = NewAgent(host, "h1");
        var answers = new ConcurrentQueue<FleetAnsweredEventArgs>();
        agent.Answered += (_, e) => answers.Enqueue(e);
        Task<FleetAnsweredEventArgs> v3Acked = NextAnswer(agent, v3.Version);
        await agent.StartAsync();
        await using CallLoop calls = CallLoop.Start(() => (string)host.Invoke("alpha", "greet", "you")!);
        await calls.Started;

        await store.PutAsync(stableKey, Stable(v2, server.UrlOf(v2Name)), CancellationToken.None);
        await v2Held.Arrived.WaitAsync(s_deadline); // half of v2 is sent, the rest held: the agent is downloading it
        Assert.Contains(Directory.GetDirectories(pluginDirectory), static d => Path.GetFileName(d).StartsWith(ArtifactFetcher.FetchPrefix, StringComparison.Ordinal));
        await store.PutAsync(stableKey, Stable(v3, server.UrlOf(Path.GetFileName(v3.Path))), CancellationToken.None);
        FleetAnsweredEventArgs acked = await v3Acked.WaitAsync(s_deadline);

        Assert.True(acked.Acknowledged, acked.ToString());
        Assert.Equal(v3.Version, ServingVersion(host, "alpha"));
        Assert.Equal(v3.Version, PluginLayout.ReadCurrentOf(pluginDirectory));
        Assert.DoesNotContain("v2:hello you", calls.Answers); // v2 never served
        Assert.DoesNotContain(answers, a => a.Version == v2.Version);
        Assert.Null(await store.GetAsync(FleetKeys.Answer(_fleet, "alpha", "stable", v2.Version, "h1"), CancellationToken.None));
        Assert.DoesNotContain(Directory.GetDirectories(pluginDirectory), static d => Path.GetFileName(d).StartsWith(ArtifactFetcher.FetchPrefix, StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(pluginDirectory, v2.Version)));

        // v2 was not refused: the target again, it is fetched again (in full this time) and ACKed.
        Task<FleetAnsweredEventArgs> v2Acked = NextAnswer(agent, v2.Version);
        await store.PutAsync(stableKey, Stable(v2, server.UrlOf(v2Name)), CancellationToken.None);
        await v2Held.WaitForArrivalsAsync(2).WaitAsync(s_deadline);
        v2Held.Release();
        FleetAnsweredEventArgs second = await v2Acked.WaitAsync(s_deadline);
        await calls.StopAsync();

        Assert.True(second.Acknowledged, second.ToString());
        Assert.Equal(v2.Version, ServingVersion(host, "alpha"));
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
        Assert.True(calls.Failures == 0, calls.FirstErrors);
        Assert.Single(answers, a => a.Version == v2.Version);
        Assert.True((await ReadAnswerAsync(store, "alpha", "stable", v2.Version, "h1")).Ack);
        Assert.Equal(2, server.RequestsFor(v2Name));
    }

    /// <summary>Waits for a condition of the system under test (a process, a connection) with a deadline; the condition is read again each 20 ms.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!condition())
        {
            if (!await tick.WaitForNextTickAsync(deadline.Token).AsTask().ContinueWith(static t => t.IsCompletedSuccessfully, TaskScheduler.Default))
            {
                throw new Xunit.Sdk.XunitException($"Waited {s_deadline.TotalSeconds:0} s for {what}.");
            }
        }
    }

    private FleetAgent NewAgent(PluginHost host, string hostId, Dictionary<string, string>? labels = null, string? endpoints = null)
    {
        var options = new FleetAgentOptions { Endpoints = endpoints ?? _etcd.Cluster.Endpoints, Fleet = _fleet, HostId = hostId, LeaseTtl = TimeSpan.FromSeconds(5) };
        foreach (KeyValuePair<string, string> label in labels ?? [])
        {
            options.Labels[label.Key] = label.Value;
        }

        return new FleetAgent(host, options);
    }

    private FleetStore NewStore() => new(new FleetStoreOptions { Endpoints = _etcd.Cluster.Endpoints });

    /// <summary>Publishes a fixture build in a root of its own (the build server) and packs its version folder.</summary>
    private async Task<FleetArtifact> PackAsync(string fixture)
    {
        PublishResult built = await _builds.PublishAsync(fixture, "alpha");
        return await FleetArtifacts.PackAsync(built.VersionDirectory, Path.Combine(_builds.Scratch, built.Version + ".zip"));
    }

    private static string Stable(FleetArtifact artifact) => Stable(artifact, new Uri(artifact.Path));

    private static string Stable(FleetArtifact artifact, Uri url) => JsonSerializer.Serialize(
        new StableRecord { Target = new VersionReference(artifact.Version, url.AbsoluteUri, artifact.Digest) },
        FleetJsonContext.Default.StableRecord);

    /// <summary>The version of <paramref name="plugin"/> the host's live generation serves.</summary>
    private static string? ServingVersion(PluginHost host, string plugin)
    {
        using GenerationLease lease = host.Acquire();
        return lease.Generation.Plugins.Where(p => p.PluginName == plugin).Select(static p => p.Version).SingleOrDefault();
    }

    private static string Rollout(string id, FleetArtifact artifact, RolloutState state, params string[] admitted) => JsonSerializer.Serialize(
        new RolloutRecord { Id = id, Target = new VersionReference(artifact.Version, new Uri(artifact.Path).AbsoluteUri, artifact.Digest), State = state, Admitted = admitted },
        FleetJsonContext.Default.RolloutRecord);

    /// <summary>The agent's next answer for <paramref name="version"/> (in <paramref name="rolloutId"/>), subscribed before the change that causes it.</summary>
    private static Task<FleetAnsweredEventArgs> NextAnswer(FleetAgent agent, string version, string rolloutId = "stable")
    {
        var answered = new TaskCompletionSource<FleetAnsweredEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnAnswered(object? sender, FleetAnsweredEventArgs e)
        {
            if (e.Version == version && e.RolloutId == rolloutId)
            {
                agent.Answered -= OnAnswered;
                answered.TrySetResult(e);
            }
        }

        agent.Answered += OnAnswered;
        return answered.Task;
    }

    private async Task<AnswerRecord> ReadAnswerAsync(FleetStore store, string plugin, string scope, string version, string hostId)
    {
        StoreEntry entry = await store.GetAsync(FleetKeys.Answer(_fleet, plugin, scope, version, hostId), CancellationToken.None)
            ?? throw new Xunit.Sdk.XunitException($"No answer of {hostId} for {plugin}@{version} in {scope}.");
        return JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.AnswerRecord)!;
    }

    /// <summary>The host's registration once it satisfies <paramref name="condition"/>: followed through the store's watch, with a deadline.</summary>
    private async Task<HostRecord> WaitForRegistrationAsync(FleetStore store, string hostId, Func<HostRecord, bool> condition)
    {
        using var deadline = new CancellationTokenSource(s_deadline);
        string key = FleetKeys.Host(_fleet, hostId);
        await foreach (StoreView view in store.FollowAsync(FleetKeys.Hosts(_fleet), deadline.Token))
        {
            if (view.Entries.TryGetValue(key, out StoreEntry? entry)
                && JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.HostRecord) is { } record
                && condition(record))
            {
                return record;
            }
        }

        throw new Xunit.Sdk.XunitException($"Host {hostId} never registered as expected.");
    }
}
