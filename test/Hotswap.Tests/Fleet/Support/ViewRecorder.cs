using System.Threading.Channels;

namespace Hotswap.Tests.Fleet.Support;

/// <summary>Runs a <see cref="FleetStore.FollowAsync"/> in the background and records every view it yields, in order.</summary>
internal sealed class ViewRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<StoreView> _unread = Channel.CreateUnbounded<StoreView>();
    private readonly List<StoreView> _all = new();
    private readonly Task _loop;

    public ViewRecorder(FleetStore store, string prefix)
    {
        _loop = Task.Run(async () =>
        {
            await foreach (StoreView view in store.FollowAsync(prefix, _stop.Token))
            {
                lock (_all)
                {
                    _all.Add(view);
                }

                _unread.Writer.TryWrite(view);
            }
        });
    }

    /// <summary>Every view so far, in the order yielded.</summary>
    public IReadOnlyList<StoreView> All
    {
        get
        {
            lock (_all)
            {
                return _all.ToArray();
            }
        }
    }

    /// <summary>Waits (a gate on the views, with a deadline) for the first view from now on that satisfies the condition.</summary>
    public async Task<StoreView> WaitForAsync(Func<StoreView, bool> condition, string what, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                StoreView view = await _unread.Reader.ReadAsync(deadline.Token);
                if (condition(view))
                {
                    return view;
                }
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            StoreView? last = All.LastOrDefault();
            string seen = last is null ? "no view" : $"revision {last.Revision}: {string.Join(", ", last.Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key + "=" + e.Value.Value))}";
            throw new TimeoutException($"No view showed {what} within the deadline; the last one was {seen}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}
