namespace Hotswap.Tests.Generations;

/// <summary>The lease protocol on its own: what a racing caller, a nested call or an async call would see.</summary>
public sealed class PluginGenerationTests
{
    [Fact]
    public void TryAcquireShared_AfterRetire_RefusesAndLeavesNoLease()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => drained++);

        Assert.True(generation.TryAcquireShared());
        generation.Retire();
        Assert.Equal(0, drained);

        // A caller that read the generation just before it retired backs off without a lease.
        Assert.False(generation.TryAcquireShared());
        Assert.Equal(1, generation.Leases);

        generation.ReleaseShared();
        Assert.Equal(1, drained);
        Assert.False(generation.TryAcquireShared());
        Assert.Equal(0, generation.Leases);
        Assert.Equal(1, drained);
    }

    [Fact]
    public void TryAcquireLocal_CountsInTheThreadsCell_AndDrainsOnTheLastRelease()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => drained++);

        Assert.True(generation.TryAcquireLocal(out LeaseCell? outer));
        Assert.True(generation.TryAcquireLocal(out LeaseCell? nested));
        Assert.NotNull(outer);
        Assert.Same(outer, nested);
        Assert.Equal(2, outer.Count);
        Assert.Equal(2, generation.Leases);

        generation.Retire();
        Assert.False(generation.TryAcquireLocal(out _));
        generation.Release(nested);
        Assert.Equal(0, drained);
        generation.Release(outer);
        Assert.Equal(1, drained);
        Assert.Equal(0, generation.Leases);
    }

    [Fact]
    public void TryAcquireLocal_WhileTheThreadHoldsAnotherGeneration_CountsInTheSharedCounter()
    {
        PluginGeneration old = Create(_ => { });
        PluginGeneration next = Create(_ => { });

        Assert.True(old.TryAcquireLocal(out LeaseCell? oldCell));
        Assert.True(next.TryAcquireLocal(out LeaseCell? nextCell));

        // The thread's cell still counts the old generation's lease, so it cannot be rebound.
        Assert.Null(nextCell);
        Assert.Equal(1, next.Leases);
        next.Release(nextCell);
        old.Release(oldCell);

        // Once the old lease is released, the thread's cell moves to the next generation.
        Assert.True(next.TryAcquireLocal(out LeaseCell? rebound));
        Assert.NotNull(rebound);
        Assert.Same(next, rebound.Generation);
        next.Release(rebound);
        Assert.Equal(0, old.Leases);
        Assert.Equal(0, next.Leases);
    }

    [Fact]
    public async Task MakeShared_LeaseReleasedOnAnotherThread_DrainsOnlyThen()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => Interlocked.Increment(ref drained));
        Assert.True(generation.TryAcquireLocal(out LeaseCell? cell));
        generation.MakeShared(cell);
        generation.Retire();
        Assert.Equal(0, drained);
        Assert.Equal(1, generation.Leases);

        await Task.Factory.StartNew(generation.ReleaseShared, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        Assert.Equal(1, drained);
    }

    [Fact]
    public async Task Retire_LeasesHeldOnOtherThreads_DrainsWhenTheLastOneIsReleased()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => Interlocked.Increment(ref drained));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        Task[] callers = [.. held.Select(h => Task.Factory.StartNew(
            () =>
            {
                Assert.True(generation.TryAcquireLocal(out LeaseCell? cell));
                Assert.NotNull(cell);
                h.SetResult();
                release.Task.GetAwaiter().GetResult();
                generation.Release(cell);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default))];
        await Task.WhenAll(held.Select(h => h.Task));

        generation.Retire();
        Assert.Equal(2, generation.Leases);
        Assert.Equal(0, drained);

        release.SetResult();
        await Task.WhenAll(callers);
        Assert.Equal(1, drained);
    }

    [Fact]
    public void Retire_WithNoLease_DrainsAtOnceAndOnlyOnce()
    {
        int drained = 0;
        PluginGeneration generation = Create(_ => drained++);

        generation.Retire();
        generation.Retire();

        Assert.Equal(1, drained);
        Assert.True(generation.IsDrained);
    }

    private static PluginGeneration Create(Action<PluginGeneration> onDrained)
        => new(1, new Vault(1, null, new DataBag(), new LiveFunctions([]), new LiveTypes([])), [], static _ => 0, onDrained);
}
