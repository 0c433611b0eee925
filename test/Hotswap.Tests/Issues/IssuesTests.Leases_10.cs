namespace Hotswap.Tests.Issues;

/// <summary>Issue 10: the lease protocol frees nothing under a running call, and callers never count or lock.</summary>
public sealed partial class IssuesTests
{
    [Fact]
    public async Task LeaseCounter_ManyCallersAcrossManyRetirements_NeverFreesUnderARunningCall()
    {
        const int Callers = 4;
        const int Retirements = 2000;
        var current = new StrongBoxGeneration(new TrackedCounter());
        int violations = 0;
        long calls = 0;
        using var stop = new CancellationTokenSource();
        Thread[] callers = [.. Enumerable.Range(0, Callers).Select(_ => new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                TrackedCounter tracked = Volatile.Read(ref current.Value);
                if (!tracked.Counter.TryAcquireLocal(out LeaseCell? cell))
                {
                    continue; // retired between the read and the lease: the next read sees its successor
                }

                // A call: the version must not be freed at any point while the lease is held.
                if (tracked.Freed)
                {
                    Interlocked.Increment(ref violations);
                }

                Thread.SpinWait(20);
                if (tracked.Freed)
                {
                    Interlocked.Increment(ref violations);
                }

                tracked.Counter.Release(cell);
                Interlocked.Increment(ref calls);
            }
        }))];
        Array.ForEach(callers, static t => t.Start());

        var retired = new List<TrackedCounter>(Retirements);
        for (int i = 0; i < Retirements; i++)
        {
            var next = new TrackedCounter();
            TrackedCounter old = Interlocked.Exchange(ref current.Value, next);
            old.Counter.Retire();
            retired.Add(old);
        }

        await stop.CancelAsync();
        Array.ForEach(callers, static t => t.Join());
        current.Value.Counter.Retire();
        retired.Add(current.Value);
        await Task.WhenAll(retired.Select(static r => r.Drained)).WaitAsync(s_guard);

        Assert.Equal(0, Volatile.Read(ref violations));
        Assert.True(Interlocked.Read(ref calls) > 0);
        Assert.All(retired, static r => Assert.Equal(0, r.Counter.Count));
    }

    [Fact]
    public async Task LeaseCounter_ReleaseAfterRetirement_CallerNeitherCountsNorCompletesTheDrain()
    {
        var drainedOn = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = new LeaseCounter(() => drainedOn.TrySetResult(Environment.CurrentManagedThreadId));
        var acquired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var retired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int callerThread = 0;
        var caller = new Thread(() =>
        {
            callerThread = Environment.CurrentManagedThreadId;
            Assert.True(counter.TryAcquireLocal(out LeaseCell? cell));
            acquired.SetResult();
            retired.Task.GetAwaiter().GetResult();

            // Released on a retired counter: the caller's part is O(1); the count runs elsewhere.
            counter.Release(cell);
            Assert.False(counter.TryAcquireLocal(out _));
        });
        caller.Start();
        await acquired.Task;
        counter.Retire();
        Assert.False(counter.IsDrained);
        retired.SetResult();
        caller.Join();

        int thread = await drainedOn.Task.WaitAsync(s_guard);
        Assert.NotEqual(callerThread, thread);
        Assert.True(counter.IsDrained);
    }

    private sealed class StrongBoxGeneration(TrackedCounter value)
    {
        public TrackedCounter Value = value;
    }

    /// <summary>A counter standing for one generation; its drain marks the version freed.</summary>
    private sealed class TrackedCounter
    {
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _freed;

        public TrackedCounter() => Counter = new LeaseCounter(() =>
        {
            _freed = true;
            _drained.TrySetResult();
        });

        public LeaseCounter Counter { get; }

        public bool Freed => _freed;

        public Task Drained => _drained.Task;
    }
}
