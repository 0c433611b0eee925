using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Hotswap.Shared.Etcd;
using Hotswap.Tests.Fleet.Support;
using Hotswap.Tests.Support;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Hotswap.Tests.Fleet;

/// <summary>
/// <see cref="FleetStore"/> against a real 3-member etcd: the shared cluster for tests that keep every member
/// up, a cluster of its own for each test that kills or stops members.
/// </summary>
[Collection(EtcdCollection.Name)]
public sealed class FleetStoreTests : IAsyncLifetime
{
    private static readonly TimeSpan s_shortTtl = TimeSpan.FromSeconds(2);
    private readonly EtcdClusterFixture _shared;
    private readonly ITestOutputHelper _output;
    private readonly List<IAsyncDisposable> _owned = new();

    public FleetStoreTests(EtcdClusterFixture shared, ITestOutputHelper output)
    {
        _shared = shared;
        _output = output;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Last in, first out: recorders before their stores, stores before their clusters.
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    [Fact]
    public async Task PutGetPrefixDelete_RoundTrip_ExactEntriesAndRevisions()
    {
        FleetStore store = NewStore(_shared.Cluster.Endpoints);
        string prefix = EtcdClusterFixture.NewPrefix("kv");
        long first = await store.PutAsync(prefix + "a", "1", default);
        long second = await store.PutAsync(prefix + "b", "2", default);
        long third = await store.PutAsync(prefix + "a", "3", default);

        StoreEntry? a = await store.GetAsync(prefix + "a", default);
        StoreView all = await store.GetPrefixAsync(prefix, default);
        await store.DeleteAsync(prefix + "b", default);

        Assert.True(first < second && second < third, $"revisions {first}, {second}, {third} must increase");
        Assert.Equal(new StoreEntry(prefix + "a", "3", third, first), a);
        Assert.Equal(new[] { (prefix + "a", "3"), (prefix + "b", "2") }, all.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.Value)));
        Assert.True(all.Revision >= third);
        Assert.False(all.Relisted);
        Assert.Null(await store.GetAsync(prefix + "b", default));
        Assert.Null(await store.GetAsync(prefix + "missing", default));
        Assert.True(store.IsReachable);
    }

    [Fact]
    public async Task Create_SameValueAgain_TrueAndAnotherValue_False()
    {
        FleetStore store = NewStore(_shared.Cluster.Endpoints);
        string key = EtcdClusterFixture.NewPrefix("create") + "answer";

        bool created = await store.CreateAsync(key, "ACK v2", default);
        bool retried = await store.CreateAsync(key, "ACK v2", default);
        bool contradicted = await store.CreateAsync(key, "NACK v2", default);

        Assert.True(created);
        Assert.True(retried);
        Assert.False(contradicted);
        Assert.Equal("ACK v2", (await store.GetAsync(key, default))!.Value);
    }

    [Fact]
    public async Task CompareAndSwap_OnModRevision_WritesOnlyFromTheExpectedRevision()
    {
        FleetStore store = NewStore(_shared.Cluster.Endpoints);
        string key = EtcdClusterFixture.NewPrefix("cas") + "rollout";

        long? created = await store.CompareAndSwapAsync(key, 0, "running", default);
        long? createdAgain = await store.CompareAndSwapAsync(key, 0, "other", default);
        long? stale = await store.CompareAndSwapAsync(key, created!.Value - 1, "paused", default);
        long? paused = await store.CompareAndSwapAsync(key, created.Value, "paused", default);
        long? deleted = await store.CompareAndSwapAsync(key, paused!.Value, null, default);

        Assert.Null(createdAgain);
        Assert.Null(stale);
        Assert.True(paused > created);
        Assert.True(deleted > paused);
        Assert.Null(await store.GetAsync(key, default));
    }

    [Fact]
    public async Task Transact_AllComparesHold_AllWritesInOneRevision_ElseNothing()
    {
        FleetStore store = NewStore(_shared.Cluster.Endpoints);
        string prefix = EtcdClusterFixture.NewPrefix("txn");
        long a = await store.PutAsync(prefix + "a", "1", default);
        long b = await store.PutAsync(prefix + "b", "1", default);

        long? conflict = await store.TransactAsync(new[] { (prefix + "a", a), (prefix + "b", b - 1) }, new[] { (prefix + "a", (string?)"2"), (prefix + "c", "2") }, default);
        long? applied = await store.TransactAsync(new[] { (prefix + "a", a), (prefix + "b", b), (prefix + "c", 0L) }, new[] { (prefix + "a", (string?)"2"), (prefix + "b", null), (prefix + "c", "2") }, default);

        StoreView view = await store.GetPrefixAsync(prefix, default);
        Assert.Null(conflict);
        Assert.NotNull(applied);
        Assert.Equal(new[] { (prefix + "a", "2", applied.Value), (prefix + "c", "2", applied.Value) }, view.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.Value, e.Value.ModRevision)));
    }

    [Fact]
    public async Task CompareAndSwap_TwentyRacersFromOneRevision_ExactlyOneWins()
    {
        string key = EtcdClusterFixture.NewPrefix("race") + "rollout";
        FleetStore[] stores = Enumerable.Range(0, 4).Select(_ => NewStore(_shared.Cluster.Endpoints)).ToArray();
        long start = await stores[0].PutAsync(key, "running", default);
        using var gate = new SemaphoreSlim(0);
        Task<long?>[] racers = Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            await gate.WaitAsync();
            return await stores[i % stores.Length].CompareAndSwapAsync(key, start, "racer " + i, default);
        })).ToArray();
        gate.Release(racers.Length);

        long?[] results = await Task.WhenAll(racers);

        int winner = Assert.Single(Enumerable.Range(0, results.Length), i => results[i] is not null);
        StoreEntry? now = await stores[0].GetAsync(key, default);
        Assert.Equal("racer " + winner, now!.Value);
        Assert.Equal(results[winner], now.ModRevision);
    }

    [Fact]
    public async Task Follow_ListThenChanges_EveryChangeInRevisionOrder()
    {
        FleetStore store = NewStore(_shared.Cluster.Endpoints);
        string prefix = EtcdClusterFixture.NewPrefix("follow");
        long seeded = await store.PutAsync(prefix + "stable", "v1", default);
        ViewRecorder recorder = Own(new ViewRecorder(store, prefix));
        StoreView first = await recorder.WaitForAsync(v => v.Entries.ContainsKey(prefix + "stable"), "the seeded key");

        long put = await store.PutAsync(prefix + "rollout", "v2", default);
        long changed = await store.PutAsync(prefix + "stable", "v2", default);
        await store.DeleteAsync(prefix + "rollout", default);
        StoreView last = await recorder.WaitForAsync(v => !v.Entries.ContainsKey(prefix + "rollout") && v.Entries[prefix + "stable"].Value == "v2", "the rollout deleted");

        Assert.True(first.Revision >= seeded);
        Assert.False(first.Relisted);
        Assert.Equal(new[] { prefix + "stable" }, last.Entries.Keys);
        Assert.Equal(changed, last.Entries[prefix + "stable"].ModRevision);
        AssertIncreasing(recorder.All);
        Assert.True(put > first.Revision);
    }

    [Fact]
    public async Task Dispose_RevokesTheSessionLease_AnotherStoreSeesTheDelete()
    {
        string prefix = EtcdClusterFixture.NewPrefix("dispose");
        FleetStore observer = NewStore(_shared.Cluster.Endpoints);
        var leaving = new FleetStore(Options(_shared.Cluster.Endpoints));
        await leaving.PutLeasedAsync(prefix + "hosts/h1", "alive", default);
        Assert.True(await leaving.CreateLeasedAsync(prefix + "controller", "h1", default));
        ViewRecorder recorder = Own(new ViewRecorder(observer, prefix));
        await recorder.WaitForAsync(v => v.Entries.Count == 2, "both leased keys");

        await leaving.DisposeAsync();

        StoreView gone = await recorder.WaitForAsync(v => v.Entries.Count == 0, "the leased keys deleted", TimeSpan.FromSeconds(3));
        Assert.Empty(gone.Entries);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => leaving.PutAsync(prefix + "x", "y", default));
    }

    [Fact]
    public async Task Lease_RevokedUnderneath_StoreGrantsANewOneAndPutsItsKeysAgain()
    {
        string prefix = EtcdClusterFixture.NewPrefix("regrant");
        FleetStore store = NewStore(_shared.Cluster.Endpoints, s_shortTtl);
        FleetStore observer = NewStore(_shared.Cluster.Endpoints);
        await store.PutLeasedAsync(prefix + "hosts/h1", "first", default);
        await store.PutLeasedAsync(prefix + "hosts/h1", "latest", default);
        Assert.True(await store.CreateLeasedAsync(prefix + "controller", "h1", default));
        long lease = store.LeaseId;
        ViewRecorder recorder = Own(new ViewRecorder(observer, prefix));
        await recorder.WaitForAsync(v => v.Entries.Count == 2, "both leased keys");

        // What an expiry does on the server, without waiting for one.
        using (var raw = new EtcdClient(_shared.Cluster.Endpoints))
        {
            await raw.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease });
        }

        await recorder.WaitForAsync(v => v.Entries.Count == 0, "the keys deleted with the lease");
        StoreView back = await recorder.WaitForAsync(v => v.Entries.Count == 2, "the keys put again", TimeSpan.FromSeconds(10));

        Assert.Equal("latest", back.Entries[prefix + "hosts/h1"].Value);
        Assert.Equal("h1", back.Entries[prefix + "controller"].Value);
        Assert.NotEqual(lease, store.LeaseId);
    }

    [Fact]
    public void AppliedEarlier_KeysReadBackOnConflict_OnlyMyValuesAtOneNewerRevisionCount()
    {
        static TxnResponse ReadBack(params (string Key, string Value, long ModRevision)?[] reads)
        {
            var response = new TxnResponse { Succeeded = false };
            foreach ((string Key, string Value, long ModRevision)? read in reads)
            {
                var range = new RangeResponse();
                if (read is { } kv)
                {
                    range.Kvs.Add(new Mvccpb.KeyValue { Key = ByteString.CopyFromUtf8(kv.Key), Value = ByteString.CopyFromUtf8(kv.Value), ModRevision = kv.ModRevision });
                }

                response.Responses.Add(new ResponseOp { ResponseRange = range });
            }

            return response;
        }

        (string, string?)[] swap = { ("/k", "mine") };
        (string, string?)[] pair = { ("/a", "1"), ("/b", (string?)null), ("/c", "2") };

        Assert.Equal(7, FleetStore.AppliedEarlier(swap, ReadBack(("/k", "mine", 7)), newestExpected: 5));
        Assert.Null(FleetStore.AppliedEarlier(swap, ReadBack(("/k", "theirs", 7)), newestExpected: 5));
        Assert.Null(FleetStore.AppliedEarlier(swap, ReadBack(("/k", "mine", 5)), newestExpected: 5));
        Assert.Null(FleetStore.AppliedEarlier(swap, ReadBack(((string, string, long)?)null), newestExpected: 5));
        Assert.Equal(9, FleetStore.AppliedEarlier(pair, ReadBack(("/a", "1", 9), null, ("/c", "2", 9)), newestExpected: 4));
        Assert.Null(FleetStore.AppliedEarlier(pair, ReadBack(("/a", "1", 9), null, ("/c", "2", 10)), newestExpected: 4));
        Assert.Null(FleetStore.AppliedEarlier(pair, ReadBack(("/a", "1", 9), ("/b", "x", 3), ("/c", "2", 9)), newestExpected: 4));
        Assert.Null(FleetStore.AppliedEarlier(new (string, string?)[] { ("/k", (string?)null) }, ReadBack(((string, string, long)?)null), newestExpected: 4));
    }

    [Fact]
    public async Task Call_StoreUnreachable_RetriesUntilCancelled_ThenOperationCanceled()
    {
        // The client's first call to a dead endpoint waits out its whole deadline (it waits for the connection);
        // later ones fail at once with Unavailable. Both are outages, retried until the token is cancelled.
        FleetStore store = Own(new FleetStore(Options("http://127.0.0.1:" + UnusedPort(), callTimeout: TimeSpan.FromMilliseconds(300))));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
        var watch = Stopwatch.StartNew();

        OperationCanceledException e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.PutAsync("/k", "v", cancel.Token));

        Assert.Equal(cancel.Token, e.CancellationToken);
        Assert.False(store.IsReachable);
        Assert.True(cancel.IsCancellationRequested, "the call gave up before its caller's token was cancelled");
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(1400), $"it ended after {watch.Elapsed}, before the token's 1.5 s"); // no upper bound: a shared machine may be slow to deliver the cancellation
    }

    [Fact]
    public async Task Follow_ConnectedMemberKilled_ResumesAndMissesNoChange()
    {
        EtcdCluster cluster = await StartClusterAsync();
        string prefix = EtcdClusterFixture.NewPrefix("kill");
        FleetStore writer = NewStore(cluster.Endpoints);
        // The follower knows two members; each is killed in turn, so its watch's member dies at least once.
        var logs = new RecordingLoggerFactory();
        FleetStore follower = Own(new FleetStore(Options(cluster.ClientUrl(0) + "," + cluster.ClientUrl(1), logger: logs.CreateLogger("follower"))));
        ViewRecorder recorder = Own(new ViewRecorder(follower, prefix));
        // The watch is live (on one of the two) once a change made after the listing shows up.
        await writer.PutAsync(prefix + "live", "v", default);
        await recorder.WaitForAsync(v => v.Entries.ContainsKey(prefix + "live"), "the change after the listing");
        var expected = new List<string> { prefix + "live" };
        for (int member = 0; member < 2; member++)
        {
            cluster.KillMember(member);
            for (int i = 0; i < 5; i++)
            {
                string key = $"{prefix}k{member}-{i}";
                await writer.PutAsync(key, "v", default);
                expected.Add(key);
            }

            await cluster.StartMemberAsync(member);
        }

        StoreView last = await recorder.WaitForAsync(v => v.Entries.Count == expected.Count, "every change", TimeSpan.FromSeconds(20));

        Assert.Equal(expected.Order(StringComparer.Ordinal), last.Entries.Keys.Order(StringComparer.Ordinal));
        foreach (RecordingLoggerFactory.LogEntry entry in logs.Entries)
        {
            _output.WriteLine($"follower: {entry.EventId} {entry.Message}");
        }

        // The watch did break (its member died) and resumed: 3002 is FleetStoreLog.WatchBroken.
        Assert.Contains(logs.Entries, e => e.EventId == 3002);
        Assert.DoesNotContain(recorder.All, v => v.Relisted);
        AssertIncreasing(recorder.All);
    }

    [Fact]
    public async Task Follow_OneOfItsMembersDeadFromTheStart_FollowsThroughTheOther()
    {
        EtcdCluster cluster = await StartClusterAsync();
        string prefix = EtcdClusterFixture.NewPrefix("dead");
        FleetStore writer = NewStore(cluster.ClientUrl(1) + "," + cluster.ClientUrl(2));
        cluster.KillMember(0);
        // Several followers, so that some of their watches are routed to the dead member first.
        ViewRecorder[] recorders = Enumerable.Range(0, 4)
            .Select(_ => Own(new ViewRecorder(NewStore(cluster.ClientUrl(0) + "," + cluster.ClientUrl(1)), prefix)))
            .ToArray();
        foreach (ViewRecorder recorder in recorders)
        {
            await recorder.WaitForAsync(_ => true, "the first listing");
        }

        long revision = await writer.PutAsync(prefix + "stable", "v2", default);

        foreach (ViewRecorder recorder in recorders)
        {
            StoreView view = await recorder.WaitForAsync(v => v.Entries.ContainsKey(prefix + "stable"), "the change, with member 0 still dead", TimeSpan.FromSeconds(10));
            Assert.Equal(revision, view.Revision);
        }

        Assert.False(cluster.IsRunning(0));
    }

    [Fact]
    public async Task Follow_ResumeRevisionCompacted_RelistsThenWatchesOn()
    {
        EtcdCluster cluster = await StartClusterAsync();
        string prefix = EtcdClusterFixture.NewPrefix("compact");
        FleetStore writer = NewStore(cluster.ClientUrl(1) + "," + cluster.ClientUrl(2));
        await writer.PutAsync(prefix + "a", "1", default);
        await writer.PutAsync(prefix + "b", "1", default);
        FleetStore follower = NewStore(cluster.ClientUrl(0));
        ViewRecorder recorder = Own(new ViewRecorder(follower, prefix));
        await recorder.WaitForAsync(v => v.Entries.Count == 2, "the first listing");

        cluster.KillMember(0);
        await writer.PutAsync(prefix + "a", "2", default);
        await writer.DeleteAsync(prefix + "b", default);
        long last = await writer.PutAsync(prefix + "c", "1", default);
        using (var raw = new EtcdClient(cluster.ClientUrl(1)))
        {
            await raw.CompactAsync(new CompactionRequest { Revision = last, Physical = true });
        }

        await cluster.StartMemberAsync(0);
        StoreView relisted = await recorder.WaitForAsync(v => v.Relisted, "a relisted view", TimeSpan.FromSeconds(20));
        long after = await writer.PutAsync(prefix + "d", "1", default);
        StoreView next = await recorder.WaitForAsync(v => v.Entries.ContainsKey(prefix + "d"), "the change after the relist");

        Assert.Equal(new[] { (prefix + "a", "2"), (prefix + "c", "1") }, relisted.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.Value)));
        Assert.True(relisted.Revision >= last);
        Assert.False(next.Relisted);
        Assert.Equal(after, next.Revision);
        AssertIncreasing(recorder.All);
    }

    [Fact]
    public async Task Lease_MemberOutageLongerThanTtl_StoreGrantsAgainAndPutsItsKeysBack()
    {
        EtcdCluster cluster = await StartClusterAsync();
        string prefix = EtcdClusterFixture.NewPrefix("outage");
        FleetStore store = NewStore(cluster.ClientUrl(0), s_shortTtl);
        FleetStore observer = NewStore(cluster.ClientUrl(1) + "," + cluster.ClientUrl(2));
        await store.PutLeasedAsync(prefix + "hosts/h1", "alive", default);
        long lease = store.LeaseId;
        ViewRecorder recorder = Own(new ViewRecorder(observer, prefix));
        await recorder.WaitForAsync(v => v.Entries.Count == 1, "the leased key");

        // The store's only member goes: the lease runs out on the other two, which keep a quorum.
        cluster.KillMember(0);
        await recorder.WaitForAsync(v => v.Entries.Count == 0, "the lease expired", TimeSpan.FromSeconds(10));
        Assert.False(store.IsReachable);
        await cluster.StartMemberAsync(0);
        StoreView back = await recorder.WaitForAsync(v => v.Entries.Count == 1, "the key put again", TimeSpan.FromSeconds(15));

        Assert.Equal("alive", back.Entries[prefix + "hosts/h1"].Value);
        Assert.NotEqual(lease, store.LeaseId);
        Assert.True(store.IsReachable);
    }

    [Fact]
    public async Task WholeClusterDown_CallsWaitFollowResumes_LeasedKeyKept()
    {
        EtcdCluster cluster = await StartClusterAsync();
        string prefix = EtcdClusterFixture.NewPrefix("down");
        FleetStore store = NewStore(cluster.Endpoints, s_shortTtl);
        await store.PutLeasedAsync(prefix + "hosts/h1", "alive", default);
        ViewRecorder recorder = Own(new ViewRecorder(store, prefix));
        await recorder.WaitForAsync(v => v.Entries.Count == 1, "the leased key");

        await cluster.StopAllAsync();
        Task<long> put = store.PutAsync(prefix + "plugins/p/stable", "v2", default);
        // The outage must outlast the lease's TTL: that length is the scenario, not a synchronization.
        await Task.Delay(s_shortTtl + TimeSpan.FromSeconds(1));
        Assert.False(store.IsReachable);
        Assert.False(put.IsCompleted);
        await cluster.StartAllAsync();
        long revision = await put.WaitAsync(TimeSpan.FromSeconds(15));
        StoreView view = await recorder.WaitForAsync(v => v.Entries.ContainsKey(prefix + "plugins/p/stable"), "the put made during the outage", TimeSpan.FromSeconds(15));

        Assert.Equal(revision, view.Revision);
        Assert.Equal("alive", view.Entries[prefix + "hosts/h1"].Value);
        Assert.True(store.IsReachable);
        AssertIncreasing(recorder.All);
    }

    private async Task<EtcdCluster> StartClusterAsync()
    {
        EtcdCluster cluster = Own(await EtcdCluster.StartAsync());
        _output.WriteLine($"A cluster of its own: healthy {cluster.LastStartDuration.TotalMilliseconds:0} ms after its members started.");
        return cluster;
    }

    private static void AssertIncreasing(IReadOnlyList<StoreView> views)
    {
        for (int i = 1; i < views.Count; i++)
        {
            Assert.True(views[i].Revision > views[i - 1].Revision, $"view {i} has revision {views[i].Revision}, after {views[i - 1].Revision}");
        }
    }

    private static FleetStoreOptions Options(string endpoints, TimeSpan? ttl = null, TimeSpan? callTimeout = null, ILogger? logger = null) => new()
    {
        Logger = logger ?? NullLogger.Instance,
        Endpoints = endpoints,
        CallTimeout = callTimeout ?? TimeSpan.FromSeconds(2),
        LeaseTtl = ttl ?? TimeSpan.FromSeconds(10),
        MinBackoff = TimeSpan.FromMilliseconds(50),
        MaxBackoff = TimeSpan.FromMilliseconds(500),
    };

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private FleetStore NewStore(string endpoints, TimeSpan? ttl = null) => Own(new FleetStore(Options(endpoints, ttl)));

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
