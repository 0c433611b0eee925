namespace Hotswap;

/// <summary>
/// One generation: its plugin versions in order, its vault, its exports by plugin id, and the
/// leases on it.
/// </summary>
/// <remarks>
/// <para>
/// Leases are counted in two places. A lease taken and released on one thread (every synchronous
/// call) is counted in that thread's <see cref="LeaseCell"/>: the caller writes only memory its own
/// thread owns, with no interlocked instruction. A lease that may be released on another thread
/// (an async call, an enumeration, a <see cref="GenerationLease"/>) is counted in a shared counter
/// with interlocked instructions.
/// </para>
/// <para>
/// The caller stores its count and then reads the retired flag; the retiring side sets the flag,
/// runs <see cref="Interlocked.MemoryBarrierProcessWide"/>, and then reads the counts. The
/// process-wide barrier is the full fence the caller does not pay for: at least one side sees the
/// other, so either the caller backs off and retries on the new generation, or the retiring side
/// counts the lease. Once retired, every release re-counts under a lock; whichever count comes last
/// sees zero, and the drain completes exactly once.
/// </para>
/// </remarks>
internal sealed class PluginGeneration : Generation
{
    private readonly Dictionary<string, PluginVersion> _byName;
    private readonly Action<PluginGeneration> _onDrained;
    private readonly Lock _countGate = new();
    private PluginVersion[] _ordered;
    private object?[] _exports;
    private long _shared;
    private int _retired;
    private int _drained;

    public PluginGeneration(long number, Vault vault, PluginVersion[] ordered, Func<string, int> pluginId, Action<PluginGeneration> onDrained)
    {
        Number = number;
        Vault = vault;
        _ordered = ordered;
        _onDrained = onDrained;
        _byName = new Dictionary<string, PluginVersion>(ordered.Length, StringComparer.OrdinalIgnoreCase);
        var infos = new PluginVersionInfo[ordered.Length];
        var ids = new int[ordered.Length];
        int size = 0;
        for (int i = 0; i < ordered.Length; i++)
        {
            _byName.Add(ordered[i].Name, ordered[i]);
            infos[i] = ordered[i].Info;
            ids[i] = pluginId(ordered[i].Name);
            size = Math.Max(size, ids[i] + 1);
        }

        _exports = new object?[size];
        for (int i = 0; i < ordered.Length; i++)
        {
            _exports[ids[i]] = ordered[i].Exported;
        }

        Plugins = infos;
        ReleaseSharedAction = ReleaseShared;
    }

    public override long Number { get; }

    public override Vault Vault { get; }

    public override IReadOnlyList<PluginVersionInfo> Plugins { get; }

    /// <summary>Gets the versions in order. Empty once drained.</summary>
    public PluginVersion[] Versions => Volatile.Read(ref _ordered);

    /// <summary>Gets each plugin's exported object by the host's plugin id; a slot is <see langword="null"/> when the plugin is absent or exports nothing. Empty once drained.</summary>
    public object?[] Exports => _exports;

    /// <summary>Gets <see cref="ReleaseShared"/> as a delegate made once, so a task continuation that releases a lease allocates nothing.</summary>
    public Action ReleaseSharedAction { get; }

    /// <summary>Gets a snapshot of the number of leases held (for status and reports; not exact while calls start and end).</summary>
    public long Leases => CountLeases();

    public bool IsDrained => Volatile.Read(ref _drained) != 0;

    public bool TryGetVersion(string pluginName, out PluginVersion version)
        => _byName.TryGetValue(pluginName, out version!);

    /// <summary>Takes a lease that is released on the thread that took it, counted in that thread's cell when it can be.</summary>
    /// <param name="cell">The cell counted in, or <see langword="null"/> when the shared counter was used.</param>
    /// <returns><see langword="false"/> when the generation has retired: nothing is held, try the successor.</returns>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool TryAcquireLocal(out LeaseCell? cell)
    {
        LeaseCell? c = LeaseSlot.t_cell;
        if (c is not null && c.Generation == this)
        {
            // The thread owns the cell: a plain increment, ordered before the flag read by the
            // volatile accesses; the retiring side's process-wide barrier supplies the fence.
            Volatile.Write(ref c.Count, c.Count + 1);
            if (Volatile.Read(ref _retired) == 0)
            {
                cell = c;
                return true;
            }

            ReleaseLocal(c);
            cell = null;
            return false;
        }

        return TryAcquireRebind(out cell);
    }

    /// <summary>Releases a lease taken by <see cref="TryAcquireLocal"/> on this thread.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
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
    /// <returns><see langword="false"/> when the generation has retired: nothing is held.</returns>
    public bool TryAcquireShared()
    {
        Interlocked.Increment(ref _shared);
        if (Volatile.Read(ref _retired) == 0)
        {
            return true;
        }

        ReleaseShared();
        return false;
    }

    /// <summary>Turns a lease taken by <see cref="TryAcquireLocal"/> into one that any thread may release with <see cref="ReleaseShared"/>.</summary>
    public void MakeShared(LeaseCell? cell)
    {
        if (cell is not null)
        {
            // Counted in the shared counter before it leaves the cell: the counting side reads
            // the cells first and the shared counter last, so the lease is never missed.
            Interlocked.Increment(ref _shared);
            Volatile.Write(ref cell.Count, cell.Count - 1);
        }
    }

    /// <summary>Releases a lease counted in the shared counter.</summary>
    public void ReleaseShared()
    {
        Interlocked.Decrement(ref _shared);
        if (Volatile.Read(ref _retired) != 0)
        {
            TryCompleteDrain();
        }
    }

    /// <summary>Stops new leases; the drain completes when the last lease is released.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) != 0)
        {
            return;
        }

        // Every thread's earlier count is now visible here, and every later lease attempt sees the flag.
        Interlocked.MemoryBarrierProcessWide();
        TryCompleteDrain();
    }

    /// <summary>Forgets the versions and exports, so a stale reference to this generation pins nothing.</summary>
    public void Clear()
    {
        Volatile.Write(ref _ordered, []);
        Volatile.Write(ref _exports, []);
        Vault.Clear();
    }

    /// <summary>Gets the export of one plugin as <typeparamref name="T"/>; the caller holds a lease.</summary>
    public T GetExport<T>(int pluginId, string pluginName)
        where T : class
    {
        object?[] exports = _exports;
        if ((uint)pluginId < (uint)exports.Length && exports[pluginId] is T typed)
        {
            return typed;
        }

        PluginVersion version = Find(pluginName);
        _ = version.GetInstance(); // throws once freed
        throw new InvalidCastException(SR.ExportNotOfType(version.Name, typeof(T), version.Exported));
    }

        public override bool Contains(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        return _byName.ContainsKey(pluginName);
    }

    public override object? Invoke(string pluginName, string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        return Find(pluginName).GetInstance().Invoke(name, args ?? []);
    }

    public override void InvokeEach(string name, params object?[] args) => InvokeAll(name, args, backward: false);

    public override void InvokeEachBackward(string name, params object?[] args) => InvokeAll(name, args, backward: true);

    public override T GetExport<T>(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        PluginVersion version = Find(pluginName);
        _ = version.GetInstance(); // throws once freed
        return version.Exported as T ?? throw new InvalidCastException(SR.ExportNotOfType(version.Name, typeof(T), version.Exported));
    }

    private PluginVersion Find(string pluginName)
        => _byName.TryGetValue(pluginName, out PluginVersion? version)
            ? version
            : throw new KeyNotFoundException(SR.PluginNotInGeneration(pluginName, Number));

    private void InvokeAll(string name, object?[] args, bool backward)
    {
        ArgumentNullException.ThrowIfNull(name);
        args ??= [];
        PluginVersion[] ordered = Versions;
        ObjectDisposedException.ThrowIf(IsDrained, this);
        List<Exception>? errors = null;
        for (int k = 0; k < ordered.Length; k++)
        {
            PluginVersion version = ordered[backward ? ordered.Length - 1 - k : k];
            try
            {
                version.GetInstance().Invoke(name, args);
            }
#pragma warning disable CA1031 // Isolation boundary: every plugin is visited even when one throws; all failures are reported together.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (errors ??= []).Add(new PluginException(version.Name, SR.InvokeEachFailed(version.Name, name, ex), ex));
            }
        }

        if (errors is not null)
        {
            throw new AggregateException(SR.InvokeEachFailures(name, errors.Count, ordered.Length), errors);
        }
    }

    private void ReleaseLocal(LeaseCell cell)
    {
        Volatile.Write(ref cell.Count, cell.Count - 1);
        if (Volatile.Read(ref _retired) != 0)
        {
            TryCompleteDrain();
        }
    }

    /// <summary>The thread's cell counts another generation: point the slot at a fresh cell when the old one is empty, or count in the shared counter.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
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
            if (Volatile.Read(ref _retired) == 0)
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

    /// <summary>Counts the leases; when none is left on a retired generation, completes the drain.</summary>
    private void TryCompleteDrain()
    {
        lock (_countGate)
        {
            if (Volatile.Read(ref _drained) == 0 && CountLeases() == 0)
            {
                Volatile.Write(ref _drained, 1);
            }
            else
            {
                return;
            }
        }

        _onDrained(this);
    }

    private long CountLeases()
    {
        // Cells first, the shared counter last: a lease moves only from a cell to the shared
        // counter (MakeShared), incrementing the counter before leaving the cell.
        long count = 0;
        for (LeaseSlot? slot = LeaseSlot.Head; slot is not null; slot = slot.Next)
        {
            LeaseCell? cell = Volatile.Read(ref slot.Cell);
            if (cell is not null && cell.Generation == this)
            {
                count += Volatile.Read(ref cell.Count);
            }
        }

        return count + Volatile.Read(ref _shared);
    }
}
