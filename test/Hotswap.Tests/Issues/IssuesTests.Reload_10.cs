using System.Runtime.CompilerServices;
using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Issues;

/// <summary>Issue 10: the reload transaction keeps every guarantee (ids, failed reloads, coalescing, blocking hooks, dispose).</summary>
public sealed partial class IssuesTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void PluginIds_AssignedFromManyThreadsAtOnce_AreUniqueAndDense()
    {
        var ids = new PluginIds();
        const int Threads = 8;
        const int PerThread = 500;
        using var start = new Barrier(Threads);
        var assigned = new int[Threads * PerThread];
        Thread[] threads = [.. Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < PerThread; i++)
            {
                assigned[(t * PerThread) + i] = ids.Assign($"plugin-{t}-{i}");
            }
        }))];
        Array.ForEach(threads, static t => t.Start());
        Array.ForEach(threads, static t => t.Join());

        Assert.Equal(Enumerable.Range(0, Threads * PerThread), assigned.Order());
        Assert.Equal(assigned[0], ids.Assign("plugin-0-0"));
        Assert.Equal(assigned[0], ids.Find("PLUGIN-0-0"));
        Assert.Equal(-1, ids.Find("never-loaded"));
    }

    [Fact]
    public async Task GetProxy_ForUnknownNames_NeverGrowsTheExportTables()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        for (int i = 0; i < 200; i++)
        {
            IGreeter ghost = host.GetProxy<IGreeter>($"ghost-{i}");
            Assert.Throws<KeyNotFoundException>(() => ghost.Greet("you"));
            Assert.Throws<KeyNotFoundException>(() => host.Invoke<IGreeter, string, string>($"ghost-{i}", static (g, s) => g.Greet(s), "you"));
        }

        // A plugin published later gets the next id of the names loaded, not of the names asked for.
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV2, "bravo");
        (await host.ReloadAsync()).EnsureSuccess();

        using GenerationLease lease = host.Acquire();
        Assert.Equal(2, ((PluginGeneration)lease.Generation).Exports.Length);
        Assert.Equal("v2:hello you", host.GetProxy<IGreeter>("bravo").Greet("you"));
    }

    [Fact]
    public async Task GetProxy_BeforeThePluginIsPublished_CallsItOnceItIsLoadedAndNeverAnother()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        IGreeter alpha = host.GetProxy<IGreeter>("alpha");
        IGreeter bravo = host.GetProxy<IGreeter>("bravo");
        Assert.Throws<KeyNotFoundException>(() => bravo.Greet("you"));

        await _root.PublishAsync(Fixtures.GreeterV2, "bravo");
        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal("v2:hello you", bravo.Greet("you"));
        Assert.Equal("v1:hello you", alpha.Greet("you"));
    }

    [Fact]
    public async Task ReloadAsync_FailsAfterEveryOtherStep_CarriedVersionNeverSeesTheFailedVault()
    {
        _root.Probe.Set("alpha.countInits", "true");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV1, "beta");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        StrongBox<int> inits = InitCounter(host);
        Assert.Equal(1, inits.Value);
        _root.Probe.ClearEvents();

        // beta's new version fails in the last step that can fail: RestoreState, just before the switch.
        _root.Probe.Set("beta.throwIn", "RestoreState");
        await _root.PublishAsync(Fixtures.GreeterV2, "beta");
        ReloadResult failed = await host.ReloadAsync();

        Assert.False(failed.Succeeded);
        Assert.Equal(ReloadPhase.RestoreState, failed.Error!.Phase);
        Assert.Equal(1, failed.Generation);
        Assert.Equal(1, inits.Value);
        Assert.DoesNotContain("alpha:OnInit", _root.Events);
        Assert.Equal(1, host.GenerationNumber);
        Assert.Equal("v1:hello you", host.Invoke("beta", "greet", "you"));

        // Once the reload can no longer fail, the carried version joins the new vault.
        _root.Probe.Set("beta.throwIn", null);
        (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal(2, inits.Value);
        Assert.Contains("alpha:OnInit", _root.Events);
        Assert.Equal("v2:hello you", host.Invoke("beta", "greet", "you"));
    }

    [Fact]
    public async Task ReloadAsync_FailsAfterANewVersionKeptTheVault_TheFailedVaultIsCleared()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.ExtensionFactory = static () => new VaultExtension());
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set("alpha.keepVault", "true");
        _root.Probe.Set("alpha.throwIn", "RestoreState");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");

        ReloadResult failed = await host.ReloadAsync();

        Assert.Equal(ReloadPhase.RestoreState, failed.Error!.Phase);
        Vault kept = Assert.IsType<Vault>(Assert.Single(_root.Probe.Kept));
        Assert.Equal(2, kept.Generation);
        Assert.False(kept.TryGetExtension(out VaultExtension? _));
        using GenerationLease serving = host.Acquire();
        Assert.True(serving.Generation.Vault.TryGetExtension(out VaultExtension? extension));
        Assert.Equal("v1#1", extension.Contributions["alpha"]);
    }

    [Fact]
    public async Task ReloadAsync_CoalescedWithALaterRequestWithoutData_GetsTheNewestData()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        // Hold the first reload inside v2's OnLoadAsync, so the next requests coalesce.
        _root.Probe.Set("alpha.blockIn", "OnLoad");
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        Task<ReloadResult> first = host.ReloadAsync("data:first");
        ProbeGate gate = _root.Probe.Gate("alpha:OnLoad");
        await gate.Entered.WaitAsync(s_guard);
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        Task<ReloadResult> withData = host.ReloadAsync("data:second");
        Task<ReloadResult> withoutData = host.ReloadAsync(); // the watcher's kind of request
        _root.Probe.Set("alpha.blockIn", null);
        gate.Release();

        (await first.WaitAsync(s_guard)).EnsureSuccess();
        ReloadResult followUp = await withData.WaitAsync(s_guard);
        Assert.Same(followUp, await withoutData.WaitAsync(s_guard));
        followUp.EnsureSuccess();
        Assert.Equal(["alpha:Data(data:first)", "alpha:Data(data:second)"], _root.Events.Where(static e => e.Contains(":Data(", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("Construct", ReloadPhase.Load)]
    [InlineData("Reloadable", ReloadPhase.Reloadable)]
    [InlineData("OnLoad", ReloadPhase.OnLoad)]
    [InlineData("OnInit", ReloadPhase.OnInit)]
    [InlineData("WarmUp", ReloadPhase.WarmUp)]
    [InlineData("CheckHealth", ReloadPhase.HealthGate)]
    [InlineData("SaveState", ReloadPhase.SaveState)]
    [InlineData("RestoreState", ReloadPhase.RestoreState)]
    public async Task ReloadAsync_HookBlocksSynchronously_FailsAtTheTimeoutAndTheNextReloadRuns(string step, ReloadPhase phase)
    {
        var time = new ManualTimeProvider();
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.LifecycleTimeout = TimeSpan.FromSeconds(2);
        });
        (await host.LoadAsync()).EnsureSuccess();
        _root.Probe.Set("alpha.blockIn", step);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        ProbeGate gate = _root.Probe.Gate("alpha:" + step);
        try
        {
            Task<ReloadResult> reload = host.ReloadAsync();
            await gate.Entered.WaitAsync(s_guard);
            await time.WaitForTimerAsync(TimeSpan.FromSeconds(2)).WaitAsync(s_guard);
            time.Advance(TimeSpan.FromSeconds(2));

            ReloadResult failed = await reload.WaitAsync(s_guard);
            Assert.False(failed.Succeeded);
            Assert.Equal("alpha", failed.Error!.PluginName);
            Assert.Equal(phase, failed.Error.Phase);
            Assert.Contains("did not complete within 2 s", failed.Error.Message, StringComparison.Ordinal);
            Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));

            // The blocked hook holds a thread, not the host: the next reload runs and publishes.
            _root.Probe.Set("alpha.blockIn", null);
            await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
            (await host.ReloadAsync().WaitAsync(s_guard)).EnsureSuccess();
            Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
        }
        finally
        {
            gate.Release();
        }
    }

    [Fact]
    public async Task DisposeAsync_ThreadsThatCalledTheHostLiveOn_HostIsCollected()
    {
        using var keepAlive = new ManualResetEventSlim();
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WeakReference host = await CallFromALongLivedThreadThenDisposeAsync(keepAlive, called);

        try
        {
            for (int i = 0; i < 20 && host.IsAlive; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }

            Assert.False(host.IsAlive, "a thread that outlives the host keeps it reachable");
        }
        finally
        {
            keepAlive.Set();
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Prune_WhileAHostIsLoadingAVersion_KeepsIt(bool firstLoad)
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        ProbeGate gate = _root.Probe.Gate("alpha:OnLoad");
        try
        {
            PublishResult loading = v1;
            Task<ReloadResult> reload;
            if (firstLoad)
            {
                _root.Probe.Set("alpha.blockIn", "OnLoad");
                reload = host.LoadAsync();
            }
            else
            {
                (await host.LoadAsync()).EnsureSuccess();
                _root.Probe.Set("alpha.blockIn", "OnLoad");
                loading = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
                reload = host.ReloadAsync();
            }

            await gate.Entered.WaitAsync(s_guard);

            // A newer build is published and old ones are pruned while the host is still loading.
            PublishResult newest = await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
            IReadOnlyList<string> pruned = PluginPublisher.Prune(_root.PluginsRoot, "alpha", keep: 0);

            Assert.DoesNotContain(loading.Manifest.Version, pruned);
            Assert.True(Directory.Exists(loading.VersionDirectory), "the version being loaded was pruned");
            Assert.True(Directory.Exists(newest.VersionDirectory));
            _root.Probe.Set("alpha.blockIn", null);
            gate.Release();
            (await reload.WaitAsync(s_guard)).EnsureSuccess();
        }
        finally
        {
            gate.Release();
        }
    }

    [Fact]
    public async Task DisposeAsync_RacingTheFirstLoad_LeavesNoStatusFileOrWatcherBehind()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        string hosts = Path.Combine(_root.PluginsRoot, ".hotswap", "hosts");
        for (int i = 0; i < 20; i++)
        {
            PluginHost host = _root.CreateHost(o => o.Watch = true);
            Task<ReloadResult> load = host.LoadAsync();
            await host.DisposeAsync();
            try
            {
                await load;
            }
            catch (ObjectDisposedException)
            {
                // The dispose won the race: the load never ran.
            }

            // The status file and its lock are gone: nothing of the host was started after its dispose.
            Assert.Empty(Directory.Exists(hosts) ? Directory.GetFiles(hosts) : []);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<WeakReference> CallFromALongLivedThreadThenDisposeAsync(ManualResetEventSlim keepAlive, TaskCompletionSource called)
    {
        PluginHost host = PluginHost.Create(new PluginHostOptions().AddStatic<Greeter.GreeterPlugin>("greeter"));
        (await host.LoadAsync()).EnsureSuccess();
        var shared = new StrongBox<PluginHost?>(host);
        var thread = new Thread(() =>
        {
            CallOnce(shared);
            shared.Value = null; // the thread itself keeps nothing of the host: only its lease cell could
            called.SetResult();
            keepAlive.Wait();
        });
        thread.Start();
        await called.Task;
        await host.DisposeAsync();
        var weak = new WeakReference(host);
        host = null!;
        return weak;
    }

    /// <summary>Leases on a thread are counted in the thread's own cell, which lives as long as the thread.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CallOnce(StrongBox<PluginHost?> host)
    {
        _ = host.Value!.Invoke("greeter", "greet", "you");
        using (host.Value.Acquire())
        {
        }
    }

    private static StrongBox<int> InitCounter(PluginHost host)
    {
        using GenerationLease lease = host.Acquire();
        return Assert.IsType<StrongBox<int>>(lease.Generation.Vault.DataBag.GetOrAdd("inits", static () => new StrongBox<int>()));
    }
}
