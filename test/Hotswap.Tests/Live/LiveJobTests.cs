using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Live;

public sealed class LiveJobTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Jobs_QueuedByV1_AreHandledByV2AndDoNotKeepV1Alive()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.WorkerV1, "worker");
        await using PluginHost host = _root.CreateHost();
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        var queue = new JobQueue();
        Assert.Equal("v1", host.Invoke("worker", "produce", queue, 100));
        Assert.Equal(100, queue.Count);

        await _root.PublishAsync(Fixtures.WorkerV2, "worker");
        (await host.ReloadAsync()).EnsureSuccess();

        // v1's code and memory are gone while the 100 jobs it produced are still queued.
        await observer.WhenUnloaded("worker", v1.Version);
        Assert.Equal(100, queue.Count);

        List<string> handled = Drain(host, queue);
        Assert.Equal(100, handled.Count);
        Assert.All(handled, h => Assert.StartsWith("v2 ", h));
        Assert.Equal(50, handled.Count(h => h.StartsWith("v2 squared", StringComparison.Ordinal)));
        Assert.Equal(50, handled.Count(h => h.StartsWith("v2 greeted", StringComparison.Ordinal)));

        // A member added in v2 is tolerated: v1's data leaves it at v2's default.
        Assert.Contains("v2 squared 4: 16 (no note)", handled);
        Assert.Contains("v2 greeted user7", handled);
    }

    [Fact]
    public async Task Vault_LiveFunctionsAndTypes_ListedByNameAndOwner()
    {
        await _root.PublishAsync(Fixtures.WorkerV1, "worker");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        using GenerationLease lease = host.Acquire();
        Vault vault = lease.Generation.Vault;
        Assert.Equal(["job.square"], vault.LiveFunctions.Names);
        Assert.Equal(["job.greet"], vault.LiveTypes.Names);
        Assert.True(vault.LiveFunctions.TryGetPlugin("job.square", out string? owner));
        Assert.Equal("worker", owner);
        Func<LiveData, string> square = vault.LiveFunctions.GetDelegate<Func<LiveData, string>>("job.square");
        Assert.Equal("v1 squared 0: 9 (only in v1)", square(LiveData.Create(new { Id = 0, Value = 3 })));
        KeyNotFoundException missing = Assert.Throws<KeyNotFoundException>(() => vault.LiveFunctions.Invoke("job.none"));
        Assert.Contains("No live function is named 'job.none'", missing.Message);
        Assert.Throws<InvalidCastException>(() => vault.LiveTypes.Create<IDisposable>("job.greet"));
    }

    [Fact]
    public async Task Reload_DuplicateLiveNamesAcrossPlugins_Refused()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "zeta");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.WorkerV1, "worker1");
        await _root.PublishAsync(Fixtures.WorkerV2, "worker2");

        ReloadResult result = await host.ReloadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal("worker2", result.Error!.PluginName);
        Assert.Equal(ReloadPhase.Vault, result.Error.Phase);
        Assert.EndsWith("Worker.dll", result.Error.FilePath);
        Assert.Contains("its live function 'job.square' is already defined by plugin 'worker1'", result.Error.Message);
        Assert.Equal("v1", host.Invoke("zeta", "tag"));
    }

    [Fact]
    public async Task Reload_DuplicateLiveTypeNameAlone_Refused()
    {
        await using PluginHost host = _root.CreateHost(o => o.AddStatic<TypeOnlyPlugin>("stat"));
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.WorkerV1, "worker");

        ReloadResult result = await host.ReloadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal("worker", result.Error!.PluginName);
        Assert.Equal(ReloadPhase.Vault, result.Error.Phase);
        Assert.Contains("its live type 'job.greet' is already defined by plugin 'stat'", result.Error.Message);
    }

    /// <summary>A static plugin whose assembly (this test assembly) declares the live type below.</summary>
    public sealed class TypeOnlyPlugin : Plugin
    {
    }

    [LiveType("job.greet")]
    public sealed class HostGreetJob : IJobHandler
    {
        public string Handle(LiveData data) => "host greeted";
    }

    private static List<string> Drain(PluginHost host, JobQueue queue)
    {
        var handled = new List<string>();
        while (queue.TryDequeue(out Job job))
        {
            // Each job runs on the current generation, whoever produced it.
            using GenerationLease lease = host.Acquire();
            Vault vault = lease.Generation.Vault;
            handled.Add(job.Kind == Job.FunctionKind
                ? (string)vault.LiveFunctions.Invoke(job.Name, job.Data)!
                : vault.LiveTypes.Create<IJobHandler>(job.Name).Handle(job.Data));
        }

        return handled;
    }
}
