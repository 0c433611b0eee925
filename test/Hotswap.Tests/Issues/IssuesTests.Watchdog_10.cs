using System.Runtime.CompilerServices;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>Tests that block the process's finalizer thread, so they run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FinalizerBlockingCollection
{
    public const string Name = "Blocks the finalizer thread";
}

/// <summary>Issue 10: the unload watchdog is bounded in cost and never stalls.</summary>
[Collection(FinalizerBlockingCollection.Name)]
public sealed class WatchdogIssuesTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Watchdog_AFinalizerBlocksTheFinalizerThread_StillReportsAndSaysWhy()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.WriteStatus = false;
            o.UnloadTimeout = TimeSpan.FromSeconds(1);
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        BlockingFinalizer.Leave(entered, release);
        try
        {
            GC.Collect();
            await entered.Task.WaitAsync(s_guard);

            await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
            (await host.ReloadAsync()).EnsureSuccess();
            UnloadStuckEventArgs stuck = await time.AdvanceUntilAsync(observer.WhenStuck("alpha", v1.Version), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);

            Assert.Contains("The finalizer thread did not finish", stuck.Cause, StringComparison.Ordinal);
        }
        finally
        {
            release.Set();
        }

        // Once the finalizer returns, the context can go: it is no longer listed.
        for (int i = 0; i < 50 && host.StuckVersions.Count > 0; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.Empty(host.StuckVersions);
    }

    [Fact]
    public async Task Watchdog_ContextThatNeverGoes_ForcesOnlyTheConfiguredCollectionsAndOneLast()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.WriteStatus = false;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
            o.UnloadForcedCollections = 2;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        // The host keeps a plugin object: its version can never be collected.
        object pinned = host.Invoke<TestContracts.IGreeter, int, object>("alpha", static (g, _) => g, 0);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        UnloadStuckEventArgs stuck = await time.AdvanceUntilAsync(observer.WhenStuck("alpha", v1.Version), TimeSpan.FromMilliseconds(100)).WaitAsync(s_guard);

        Assert.Contains("and 3 forced collections", stuck.Cause, StringComparison.Ordinal);
        GC.KeepAlive(pinned);
    }

    private sealed class BlockingFinalizer(TaskCompletionSource entered, ManualResetEventSlim release)
    {
        ~BlockingFinalizer()
        {
            entered.TrySetResult();
            release.Wait();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static void Leave(TaskCompletionSource entered, ManualResetEventSlim release) => _ = new BlockingFinalizer(entered, release);
    }
}
