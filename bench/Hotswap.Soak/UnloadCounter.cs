using System.Diagnostics;

namespace Hotswap.Soak;

/// <summary>
/// Counts what the host reports about retired versions (<c>Unloading</c>, <c>Unloaded</c>,
/// <c>UnloadStuck</c>), failed reloads (<c>ReloadFailed</c>) and rollbacks (<c>RolledBack</c>), so
/// the soak can wait until every version it retired was accounted for.
/// </summary>
internal sealed class UnloadCounter : IDisposable
{
    private readonly PluginHost _host;
    private readonly ProblemLog _problems;
    private readonly SemaphoreSlim _reported = new(0);
    private long _unloading;
    private long _unloaded;
    private long _stuck;
    private long _stillDraining;
    private long _reloadFailed;
    private long _rolledBack;
    private long _automaticRollbacks;
    private long _slowestTicks;
    private int _mostCollections;

    public UnloadCounter(PluginHost host, ProblemLog problems)
    {
        _host = host;
        _problems = problems;
        host.Unloading += OnUnloading;
        host.Unloaded += OnUnloaded;
        host.UnloadStuck += OnUnloadStuck;
        host.ReloadFailed += OnReloadFailed;
        host.RolledBack += OnRolledBack;
    }

    /// <summary>Gets how many versions were handed to unloading (after their last lease and OnFreeAsync).</summary>
    public long Unloading => Interlocked.Read(ref _unloading);

    /// <summary>Gets how many versions the host proved collected.</summary>
    public long Unloaded => Interlocked.Read(ref _unloaded);

    /// <summary>Gets how many versions the host gave up on: not collected within its unload timeout.</summary>
    public long Stuck => Interlocked.Read(ref _stuck);

    /// <summary>Gets how many warnings the host raised for a retired generation still not drained after its unload timeout.</summary>
    public long StillDraining => Interlocked.Read(ref _stillDraining);

    /// <summary>Gets how many <c>ReloadFailed</c> events were raised.</summary>
    public long ReloadFailed => Interlocked.Read(ref _reloadFailed);

    /// <summary>Gets how many <c>RolledBack</c> events were raised.</summary>
    public long RolledBack => Interlocked.Read(ref _rolledBack);

    /// <summary>Gets how many of them said the host rolled back by itself: none, the soak sets no <c>AutoRollback</c>.</summary>
    public long AutomaticRollbacks => Interlocked.Read(ref _automaticRollbacks);

    /// <summary>Gets the longest time from <c>Unload()</c> to proven collection.</summary>
    public TimeSpan Slowest => TimeSpan.FromTicks(Interlocked.Read(ref _slowestTicks));

    /// <summary>Gets the most forced collections one unload needed.</summary>
    public int MostCollections => Volatile.Read(ref _mostCollections);

    /// <summary>Waits until <paramref name="versions"/> versions in all were reported unloaded or stuck, or <paramref name="bound"/> has passed.</summary>
    /// <param name="versions">The versions retired so far.</param>
    /// <param name="bound">The longest wait.</param>
    /// <returns>Whether every one was reported.</returns>
    public async Task<bool> WaitForAsync(long versions, TimeSpan bound)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(bound.TotalSeconds * Stopwatch.Frequency);
        while (Unloaded + Stuck < versions)
        {
            TimeSpan left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero || !await _reported.WaitAsync(left).ConfigureAwait(false))
            {
                return Unloaded + Stuck >= versions;
            }
        }

        return true;
    }

    public void Dispose()
    {
        _host.Unloading -= OnUnloading;
        _host.Unloaded -= OnUnloaded;
        _host.UnloadStuck -= OnUnloadStuck;
        _host.ReloadFailed -= OnReloadFailed;
        _host.RolledBack -= OnRolledBack;
        _reported.Dispose();
    }

    private void OnUnloading(object? sender, UnloadingEventArgs e) => Interlocked.Increment(ref _unloading);

    private void OnUnloaded(object? sender, UnloadedEventArgs e)
    {
        long ticks = e.Elapsed.Ticks;
        long slowest;
        while (ticks > (slowest = Interlocked.Read(ref _slowestTicks)) && Interlocked.CompareExchange(ref _slowestTicks, ticks, slowest) != slowest)
        {
        }

        int most;
        while (e.Collections > (most = Volatile.Read(ref _mostCollections)) && Interlocked.CompareExchange(ref _mostCollections, e.Collections, most) != most)
        {
        }

        Interlocked.Increment(ref _unloaded);
        _reported.Release();
    }

    private void OnUnloadStuck(object? sender, UnloadStuckEventArgs e)
    {
        if (e.StillDraining)
        {
            Interlocked.Increment(ref _stillDraining);
            _problems.Add("still draining:", $"{e.Version} after {e.Elapsed.TotalSeconds:0.#} s: {e.Cause}");
            return;
        }

        Interlocked.Increment(ref _stuck);
        _problems.Add("unload stuck:", $"{e.Version} after {e.Elapsed.TotalSeconds:0.#} s: {e.Cause}");
        _reported.Release();
    }

    private void OnReloadFailed(object? sender, ReloadFailedEventArgs e) => Interlocked.Increment(ref _reloadFailed);

    private void OnRolledBack(object? sender, RolledBackEventArgs e)
    {
        Interlocked.Increment(ref _rolledBack);
        if (e.IsAutomatic)
        {
            Interlocked.Increment(ref _automaticRollbacks);
            _problems.Add("automatic rollback:", e.Result.ToString());
        }
    }
}
