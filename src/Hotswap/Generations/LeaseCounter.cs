using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// Counts the leases on one generation and completes its drain, exactly once, when the generation
/// has retired and its last lease is released. This type owns the whole lease protocol: the
/// per-thread cells, the shared counter, the retirement state and the drain.
/// </summary>
/// <remarks>
/// <para>
/// <b>Two counts.</b> A lease taken and released on one thread (every synchronous call) is counted
/// in that thread's <see cref="LeaseCell"/>: a plain increment of memory the thread owns, with no
/// interlocked instruction. A lease that may be released on another thread (an async call, an
/// enumeration, a <see cref="GenerationLease"/>) is counted in the shared counter with interlocked
/// instructions. <see cref="MakeShared"/> moves a lease from a cell to the shared counter.
/// </para>
/// <para>
/// <b>Retirement in two steps.</b> <see cref="Retire"/> first moves the state from serving to
/// retiring: every lease attempt that sees it backs off. Then
/// <see cref="Interlocked.MemoryBarrierProcessWide"/> supplies the full fence that callers do not
/// pay for: a caller stores its count, then reads the state, so either it saw the state and backs
/// off, or its count is visible after the barrier. Only then does the state become fenced, and only
/// a fenced counter is ever counted: a release that sees "retiring" leaves the count to
/// <see cref="Retire"/>. A second process-wide barrier, between the fenced state and the first
/// count, makes every release that still read "retiring" visible to that count.
/// </para>
/// <para>
/// <b>Callers never count.</b> A release (or a backed-off attempt) on a fenced counter only marks
/// the counter dirty and, if no recount is queued, queues one on the thread pool: O(1), no lock,
/// whatever the number of threads. The recount walks the cells under a lock that no caller takes,
/// and repeats while releases keep marking it dirty, so no release is ever missed.
/// </para>
/// <para>
/// <b>Nothing kept after the drain.</b> The drain callback is dropped once it has run: a thread's
/// cell may keep this counter reachable for the thread's lifetime, but the counter then reaches
/// nothing of the host or its plugins.
/// </para>
/// </remarks>
internal sealed class LeaseCounter
{
    private const int Serving = 0;
    private const int Retiring = 1;
    private const int Fenced = 2;

    private static readonly Action<LeaseCounter> s_recount = static counter => counter.Recount();

    // Taken only by the retiring side and the queued recount, never by a caller.
    private readonly Lock _countGate = new();
    private Action? _onDrained;
    private long _shared;
    private int _state;
    private int _drained;
    private int _dirty;
    private int _recountQueued;

    /// <summary>Initializes a counter whose drain runs <paramref name="onDrained"/> once, on whichever thread completes it.</summary>
    /// <param name="onDrained">Called once when the counter has retired and no lease is left; must not block.</param>
    public LeaseCounter(Action onDrained) => _onDrained = onDrained;

    /// <summary>Gets a value indicating whether the counter retired and its last lease was released.</summary>
    public bool IsDrained => Volatile.Read(ref _drained) != 0;

    /// <summary>Gets a snapshot of the number of leases held (for status and reports; not exact while calls start and end).</summary>
    public long Count => CountLeases();

    /// <summary>Takes a lease that is released on the thread that took it, counted in that thread's cell when it can be.</summary>
    /// <param name="cell">The cell counted in, or <see langword="null"/> when the shared counter was used.</param>
    /// <returns><see langword="false"/> when the counter has retired: nothing is held, try the successor.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAcquireLocal(out LeaseCell? cell)
    {
        LeaseCell? c = LeaseSlot.t_cell;
        return c is not null && c.Counter == this ? TryCount(c, out cell) : TryAcquireRebind(out cell);
    }

    /// <summary>
    /// Takes a lease in the calling thread's cell only when that cell already counts this counter
    /// (the common case: the thread's previous call was on the same generation); never rebinds,
    /// never falls back to the shared counter. Release it with <see cref="ReleaseOwn"/>.
    /// </summary>
    /// <param name="cell">The thread's cell, counted in.</param>
    /// <returns><see langword="false"/> when the thread's cell counts another counter or this one has retired: nothing is held.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAcquireOwn([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LeaseCell? cell)
    {
        LeaseCell? c = LeaseSlot.t_cell;
        if (c is not null && c.Counter == this)
        {
            return TryCount(c, out cell);
        }

        cell = null;
        return false;
    }

    /// <summary>Counts a lease in the thread's own cell, which counts this counter; backs off when the counter has retired.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryCount(LeaseCell c, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LeaseCell? cell)
    {
        // The thread owns the cell: a plain increment, ordered before the state read by the
        // volatile accesses; the retiring side's process-wide barrier supplies the fence.
        Volatile.Write(ref c.Count, c.Count + 1);
        if (Volatile.Read(ref _state) == Serving)
        {
            cell = c;
            return true;
        }

        ReleaseLocal(c);
        cell = null;
        return false;
    }

    /// <summary>Releases a lease taken by <see cref="TryAcquireOwn"/>: the cell knows its counter.</summary>
    /// <param name="cell">The cell <see cref="TryAcquireOwn"/> returned.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ReleaseOwn(LeaseCell cell) => cell.Counter.ReleaseLocal(cell);

    /// <summary>Releases a lease taken by <see cref="TryAcquireLocal"/> on this thread.</summary>
    /// <param name="cell">The cell <see cref="TryAcquireLocal"/> returned.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release(LeaseCell? cell)
    {
        if (cell is null)
        {
            ReleaseShared();
        }
        else
        {
            ReleaseLocal(cell);
        }
    }

    /// <summary>Takes a lease that may be released on any thread, with <see cref="ReleaseShared"/>.</summary>
    /// <returns><see langword="false"/> when the counter has retired: nothing is held.</returns>
    public bool TryAcquireShared()
    {
        Interlocked.Increment(ref _shared);
        if (Volatile.Read(ref _state) == Serving)
        {
            return true;
        }

        ReleaseShared();
        return false;
    }

    /// <summary>Turns a lease taken by <see cref="TryAcquireLocal"/> into one that any thread may release with <see cref="ReleaseShared"/>.</summary>
    /// <param name="cell">The cell <see cref="TryAcquireLocal"/> returned; <see langword="null"/> when already shared.</param>
    public void MakeShared(LeaseCell? cell)
    {
        if (cell is not null)
        {
            // Counted in the shared counter before it leaves the cell: a count reads the cells
            // first and the shared counter last, so the lease is never missed (it may be seen
            // twice, which only delays the drain to the next release).
            Interlocked.Increment(ref _shared);
            Volatile.Write(ref cell.Count, cell.Count - 1);
        }
    }

    /// <summary>Releases a lease counted in the shared counter.</summary>
    public void ReleaseShared()
    {
        Interlocked.Decrement(ref _shared);
        if (Volatile.Read(ref _state) == Fenced)
        {
            RequestRecount();
        }
    }

    /// <summary>
    /// Stops new leases and counts the ones held; the drain completes now if none is, or on the
    /// release of the last one. Called by the retiring side, never by a caller; idempotent.
    /// </summary>
    public void Retire()
    {
        if (Interlocked.CompareExchange(ref _state, Retiring, Serving) != Serving)
        {
            return;
        }

        // Every count stored before a caller read "serving" is now visible, and every later lease
        // attempt sees "retiring" and backs off.
        Interlocked.MemoryBarrierProcessWide();
        Volatile.Write(ref _state, Fenced);

        // A release that read "retiring" left the count to this side: its decrement is visible
        // after this barrier. A release that reads "fenced" requests its own recount.
        Interlocked.MemoryBarrierProcessWide();
        TryCompleteDrain();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseLocal(LeaseCell cell)
    {
        Volatile.Write(ref cell.Count, cell.Count - 1);
        if (Volatile.Read(ref _state) == Fenced)
        {
            RequestRecount();
        }
    }

    /// <summary>The caller's part after retirement: O(1), lock-free; the count runs on the thread pool.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RequestRecount()
    {
        if (Volatile.Read(ref _drained) != 0)
        {
            return;
        }

        // The exchange is a full fence: the caller's decrement is visible to any recount that
        // clears the flag after it.
        Interlocked.Exchange(ref _dirty, 1);
        if (Interlocked.CompareExchange(ref _recountQueued, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(s_recount, this, preferLocal: false);
        }
    }

    private void Recount()
    {
        while (true)
        {
            Interlocked.Exchange(ref _dirty, 0);
            if (TryCompleteDrain())
            {
                return;
            }

            // Hand the queue back, then look again: a release that marked the counter dirty after
            // the count above either sees the queue free and queues a recount, or is seen here.
            Interlocked.Exchange(ref _recountQueued, 0);
            if (Volatile.Read(ref _dirty) == 0 || Interlocked.CompareExchange(ref _recountQueued, 1, 0) != 0)
            {
                return;
            }
        }
    }

    /// <summary>Counts the leases of a fenced counter; when none is left, completes the drain. Returns whether it is drained.</summary>
    private bool TryCompleteDrain()
    {
        Action? onDrained;
        lock (_countGate)
        {
            if (Volatile.Read(ref _drained) != 0)
            {
                return true;
            }

            if (CountLeases() != 0)
            {
                return false;
            }

            Volatile.Write(ref _drained, 1);
            onDrained = _onDrained;
            _onDrained = null;
        }

        onDrained?.Invoke();
        return true;
    }

    private long CountLeases()
    {
        // Cells first, the shared counter last: a lease moves only from a cell to the shared
        // counter (MakeShared), incrementing the counter before leaving the cell.
        long count = 0;
        for (LeaseSlot? slot = LeaseSlot.Head; slot is not null; slot = slot.Next)
        {
            LeaseCell? cell = Volatile.Read(ref slot.Cell);
            if (cell is not null && cell.Counter == this)
            {
                count += Volatile.Read(ref cell.Count);
            }
        }

        return count + Volatile.Read(ref _shared);
    }

    /// <summary>The thread's cell counts another counter: point the slot at a fresh cell when the old one is empty, or count in the shared counter.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryAcquireRebind(out LeaseCell? cell)
    {
        LeaseSlot slot = LeaseSlot.Current;
        LeaseCell? old = slot.Cell;
        if (old is null || Volatile.Read(ref old.Count) == 0)
        {
            // The new cell is published with its count already set, so a reader of the slot sees
            // either the old cell (counting nothing) or the new one with this lease.
            var fresh = new LeaseCell(this) { Count = 1 };
            Volatile.Write(ref slot.Cell, fresh);
            LeaseSlot.t_cell = fresh;
            if (Volatile.Read(ref _state) == Serving)
            {
                cell = fresh;
                return true;
            }

            ReleaseLocal(fresh);
            cell = null;
            return false;
        }

        // The thread still holds a lease on another generation (a nested call across a switch,
        // or calls into two hosts): count this one in the shared counter.
        cell = null;
        return TryAcquireShared();
    }
}
