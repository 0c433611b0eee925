namespace Hotswap;

/// <summary>
/// Follows one host's events for the status page: the last reloads, the versions retiring (replaced
/// or removed, not yet collected) and the causes of stuck ones. Keeps names and strings only.
/// </summary>
/// <remarks>Events arrive on the reload's thread and on background retirements; every member takes the one lock, briefly.</remarks>
internal sealed class HotswapStatusTracker : IDisposable
{
    private readonly PluginHost _host;
    private readonly TimeProvider _time;
    private readonly int _historyLength;
    private readonly Lock _gate = new();
    private readonly LinkedList<ReloadRecord> _history = new();
    private readonly HashSet<PluginVersionInfo> _retiring = [];
    private readonly Dictionary<PluginVersionInfo, string> _stuckCauses = [];

    public HotswapStatusTracker(PluginHost host, TimeProvider time, int historyLength)
    {
        _host = host;
        _time = time;
        _historyLength = historyLength;
        host.Reloaded += OnReloaded;
        host.ReloadFailed += OnReloadFailed;
        host.RolledBack += OnRolledBack;
        host.Unloaded += OnUnloaded;
        host.UnloadStuck += OnUnloadStuck;
    }

    /// <summary>Returns the remembered reloads, newest first, and the retiring versions with the known stuck causes.</summary>
    public (IReadOnlyList<ReloadRecord> History, IReadOnlyList<PluginVersionInfo> Retiring, IReadOnlyDictionary<PluginVersionInfo, string> StuckCauses) Snapshot()
    {
        lock (_gate)
        {
            return ([.. _history], [.. _retiring.OrderBy(static v => v.PluginName, StringComparer.Ordinal).ThenBy(static v => v.Version, StringComparer.Ordinal)], new Dictionary<PluginVersionInfo, string>(_stuckCauses));
        }
    }

    public void Dispose()
    {
        _host.Reloaded -= OnReloaded;
        _host.ReloadFailed -= OnReloadFailed;
        _host.RolledBack -= OnRolledBack;
        _host.Unloaded -= OnUnloaded;
        _host.UnloadStuck -= OnUnloadStuck;
    }

    private void OnReloaded(object? sender, ReloadedEventArgs e)
    {
        lock (_gate)
        {
            if (e.Result.Published)
            {
                foreach (PluginOutcome outcome in e.Result.Plugins)
                {
                    if (outcome.PreviousVersion is { } previous && outcome.Outcome is ReloadOutcome.Loaded or ReloadOutcome.Removed)
                    {
                        _retiring.Add(new PluginVersionInfo(outcome.PluginName, previous));
                    }
                }
            }

            Remember(ReloadRecord.From(e.Result, _time.GetUtcNow()));
        }
    }

    private void OnReloadFailed(object? sender, ReloadFailedEventArgs e)
    {
        lock (_gate)
        {
            Remember(ReloadRecord.From(e.Result, _time.GetUtcNow()));
        }
    }

    private void OnRolledBack(object? sender, RolledBackEventArgs e)
    {
        lock (_gate)
        {
            // The newer versions switched away from retire; the older ones serve again.
            foreach (PluginOutcome outcome in e.Result.Plugins)
            {
                if (outcome.PreviousVersion is { } newer && outcome.Outcome is ReloadOutcome.RolledBack or ReloadOutcome.Removed)
                {
                    _retiring.Add(new PluginVersionInfo(outcome.PluginName, newer));
                }

                if (outcome.Version is { } older)
                {
                    _retiring.Remove(new PluginVersionInfo(outcome.PluginName, older));
                }
            }

            Remember(ReloadRecord.From(e.Result, _time.GetUtcNow()));
        }
    }

    private void OnUnloaded(object? sender, UnloadedEventArgs e)
    {
        lock (_gate)
        {
            _retiring.Remove(e.Version);
            _stuckCauses.Remove(e.Version);
        }
    }

    private void OnUnloadStuck(object? sender, UnloadStuckEventArgs e)
    {
        lock (_gate)
        {
            _stuckCauses[e.Version] = e.Cause;
        }
    }

    private void Remember(ReloadRecord record)
    {
        _history.AddFirst(record);
        while (_history.Count > _historyLength)
        {
            _history.RemoveLast();
        }
    }
}
