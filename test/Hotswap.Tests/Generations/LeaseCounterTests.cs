namespace Hotswap.Tests.Generations;

/// <summary>The lease protocol on its own: what a racing caller, a nested call or an async call would see.</summary>
public sealed class LeaseCounterTests
{
    [Fact]
    public async Task TryAcquireShared_AfterRetire_RefusesAndLeavesNoLease()
    {
        var drained = new DrainProbe();
        LeaseCounter leases = drained.Counter;

        Assert.True(leases.TryAcquireShared());
        leases.Retire();
        Assert.False(drained.Done.IsCompleted);

        // A caller that read the generation just before it retired backs off without a lease.
        Assert.False(leases.TryAcquireShared());
        Assert.Equal(1, leases.Count);

        leases.ReleaseShared();
        await drained.Done;
        Assert.False(leases.TryAcquireShared());
        Assert.Equal(0, leases.Count);
        Assert.Equal(1, drained.Calls);
    }

    [Fact]
    public async Task TryAcquireLocal_CountsInTheThreadsCell_AndDrainsOnTheLastRelease()
    {
        var drained = new DrainProbe();
        LeaseCounter leases = drained.Counter;

        Assert.True(leases.TryAcquireLocal(out LeaseCell? outer));
        Assert.True(leases.TryAcquireLocal(out LeaseCell? nested));
        Assert.NotNull(outer);
        Assert.Same(outer, nested);
        Assert.Equal(2, outer.Count);
        Assert.Equal(2, leases.Count);

        leases.Retire();
        Assert.False(leases.TryAcquireLocal(out _));
        leases.Release(nested);
        Assert.Equal(1, leases.Count);
        Assert.False(drained.Done.IsCompleted);
        leases.Release(outer);
        await drained.Done;
        Assert.Equal(0, leases.Count);
        Assert.Equal(1, drained.Calls);
    }

    [Fact]
    public void TryAcquireLocal_WhileTheThreadHoldsAnotherGeneration_CountsInTheSharedCounter()
    {
        LeaseCounter old = new DrainProbe().Counter;
        LeaseCounter next = new DrainProbe().Counter;

        Assert.True(old.TryAcquireLocal(out LeaseCell? oldCell));
        Assert.True(next.TryAcquireLocal(out LeaseCell? nextCell));

        // The thread's cell still counts the old generation's lease, so it cannot be rebound.
        Assert.Null(nextCell);
        Assert.Equal(1, next.Count);
        next.Release(nextCell);
        old.Release(oldCell);

        // Once the old lease is released, the thread's cell moves to the next generation.
        Assert.True(next.TryAcquireLocal(out LeaseCell? rebound));
        Assert.NotNull(rebound);
        Assert.Same(next, rebound.Counter);
        next.Release(rebound);
        Assert.Equal(0, old.Count);
        Assert.Equal(0, next.Count);
    }

    [Fact]
    public async Task MakeShared_LeaseReleasedOnAnotherThread_DrainsOnlyThen()
    {
        var drained = new DrainProbe();
        LeaseCounter leases = drained.Counter;
        Assert.True(leases.TryAcquireLocal(out LeaseCell? cell));
        leases.MakeShared(cell);
        leases.Retire();
        Assert.False(drained.Done.IsCompleted);
        Assert.Equal(1, leases.Count);

        await Task.Factory.StartNew(leases.ReleaseShared, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        await drained.Done;
        Assert.Equal(1, drained.Calls);
    }

    [Fact]
    public async Task Retire_LeasesHeldOnOtherThreads_DrainsWhenTheLastOneIsReleased()
    {
        var drained = new DrainProbe();
        LeaseCounter leases = drained.Counter;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        Task[] callers = [.. held.Select(h => Task.Factory.StartNew(
            () =>
            {
                Assert.True(leases.TryAcquireLocal(out LeaseCell? cell));
                Assert.NotNull(cell);
                h.SetResult();
                release.Task.GetAwaiter().GetResult();
                leases.Release(cell);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default))];
        await Task.WhenAll(held.Select(h => h.Task));

        leases.Retire();
        Assert.Equal(2, leases.Count);
        Assert.False(drained.Done.IsCompleted);

        release.SetResult();
        await Task.WhenAll(callers);
        await drained.Done;
        Assert.Equal(1, drained.Calls);
    }

    [Fact]
    public void Retire_WithNoLease_DrainsAtOnceAndOnlyOnce()
    {
        var drained = new DrainProbe();

        drained.Counter.Retire();
        drained.Counter.Retire();

        Assert.Equal(1, drained.Calls);
        Assert.True(drained.Counter.IsDrained);
    }

    /// <summary>A counter and what its drain did.</summary>
    internal sealed class DrainProbe
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public DrainProbe() => Counter = new LeaseCounter(() =>
        {
            Interlocked.Increment(ref _calls);
            _done.TrySetResult();
        });

        public LeaseCounter Counter { get; }

        public Task Done => _done.Task;

        public int Calls => Volatile.Read(ref _calls);
    }
}
