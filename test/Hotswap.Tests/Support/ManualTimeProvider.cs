namespace Hotswap.Tests.Support;

/// <summary>A clock that moves only when the test says so; timers fire on <see cref="Advance"/>.</summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly List<(TimeSpan DueWithin, TaskCompletionSource Signal)> _timerWaiters = [];
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public int ActiveTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.DueAt is not null);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Completes once a timer is scheduled that is due within <paramref name="dueWithin"/> of the
    /// clock (now, or later): a short poll such as the unload watchdog's, not a long timeout that
    /// merely exists (a lifecycle hook's), which would make a test move the clock too far.
    /// </summary>
    public Task WaitForTimerAsync(TimeSpan? dueWithin = null)
    {
        TimeSpan within = dueWithin ?? TimeSpan.MaxValue;
        lock (_gate)
        {
            if (_timers.Any(t => IsWaiting(t, within)))
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _timerWaiters.Add((within, waiter));
            return waiter.Task;
        }
    }

    /// <summary>
    /// A one-shot timer due soon is someone waiting on the clock. A periodic one (a status refresh)
    /// is always pending, so it counts only when it was scheduled since the clock last moved.
    /// </summary>
    private bool IsWaiting(ManualTimer timer, TimeSpan within)
        => timer.DueAt is { } due && due - _now <= within
            && (timer.Fresh || timer.Period is null || timer.Period <= TimeSpan.Zero || timer.Period == Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Moves the clock by <paramref name="step"/> each time a timer is waiting, until <paramref name="task"/>
    /// completes: for code that polls on this clock (the unload watchdog) while the test awaits an outcome.
    /// </summary>
    public async Task<T> AdvanceUntilAsync<T>(Task<T> task, TimeSpan step)
    {
        while (!task.IsCompleted)
        {
            await Task.WhenAny(task, WaitForTimerAsync(dueWithin: TimeSpan.FromSeconds(1)));
            if (!task.IsCompleted)
            {
                Advance(step);
            }
        }

        return await task;
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_gate)
        {
            target = _now + by;
            _timers.ForEach(t => t.Fresh = false);
        }

        while (true)
        {
            ManualTimer? next;
            lock (_gate)
            {
                next = _timers.Where(t => t.DueAt is not null && t.DueAt <= target).OrderBy(t => t.DueAt).FirstOrDefault();
                if (next is null)
                {
                    _now = target;
                    return;
                }

                if (next.DueAt > _now)
                {
                    _now = next.DueAt!.Value;
                }

                next.DueAt = next.Period is { } period && period > TimeSpan.Zero && period != Timeout.InfiniteTimeSpan ? _now + period : null;
                if (next.DueAt is null)
                {
                    _timers.Remove(next);
                }
            }

            next.Fire();
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        List<TaskCompletionSource> waiters = [];
        lock (_gate)
        {
            _timers.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan)
            {
                timer.DueAt = null;
                return;
            }

            timer.DueAt = _now + dueTime;
            timer.Period = period;
            timer.Fresh = true;
            _timers.Add(timer);
            foreach ((TimeSpan within, TaskCompletionSource signal) in _timerWaiters.Where(w => dueTime <= w.DueWithin).ToList())
            {
                waiters.Add(signal);
                _timerWaiters.Remove((within, signal));
            }
        }

        waiters.ForEach(w => w.TrySetResult());
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
            timer.DueAt = null;
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? DueAt { get; set; }

        public TimeSpan? Period { get; set; }

        public bool Fresh { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Schedule(this, dueTime, period);
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
