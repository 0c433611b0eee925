namespace Hotswap.Hosting;

/// <summary>
/// What the health check reports beyond what <see cref="PluginHost"/> exposes: the last reload's
/// outcome, the causes of stuck versions, versions still draining past their timeout, and whether
/// the hosted service stopped the host. Follows the host's events from its creation.
/// </summary>
/// <remarks>
/// Keeps strings only, never a <see cref="ReloadResult"/> or its exception: a failed reload's
/// exception references the failed version's code through its stack trace, and holding it here
/// would keep that version in memory for as long as the process runs.
/// </remarks>
internal sealed class PluginHostState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PluginVersionInfo, string> _stuckCauses = [];
    private readonly Dictionary<PluginVersionInfo, string> _notDrained = [];
    private PluginHost? _host;
    private LastReload? _last;
    private bool _stopped;

    /// <summary>Subscribes to <paramref name="host"/>'s events; once per host, so it may be called again.</summary>
    public void Attach(PluginHost host)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_host, host))
            {
                return;
            }

            _host = host;
        }

        host.Reloaded += (_, e) => SetLast(new LastReload(true, e.Result.Generation, null));
        host.RolledBack += (_, e) => SetLast(new LastReload(true, e.Result.Generation, null));
        host.ReloadFailed += (_, e) => SetLast(new LastReload(false, e.Result.Generation, e.Result.Error?.Message ?? e.Result.ToString()));
        host.UnloadStuck += (_, e) => OnStuck(e);
        host.Unloading += (_, e) => Forget(_notDrained, e.Version);
        host.Unloaded += (_, e) =>
        {
            Forget(_notDrained, e.Version);
            Forget(_stuckCauses, e.Version);
        };
    }

    /// <summary>Records that the hosted service stopped (disposed) the host.</summary>
    public void MarkStopped()
    {
        lock (_gate)
        {
            _stopped = true;
        }
    }

    /// <summary>Takes what the health check needs, in one consistent read.</summary>
    public Snapshot Take()
    {
        lock (_gate)
        {
            return new Snapshot(_stopped, _last, new Dictionary<PluginVersionInfo, string>(_stuckCauses), new Dictionary<PluginVersionInfo, string>(_notDrained));
        }
    }

    private void SetLast(LastReload last)
    {
        lock (_gate)
        {
            _last = last;
        }
    }

    private void OnStuck(UnloadStuckEventArgs e)
    {
        lock (_gate)
        {
            // A version still draining at its timeout may drain later (Unloading) and unload; one whose
            // unload was not proven stays in PluginHost.StuckVersions, and this only keeps its cause.
            (e.StillDraining ? _notDrained : _stuckCauses)[e.Version] = e.Cause;
        }
    }

    private void Forget(Dictionary<PluginVersionInfo, string> versions, PluginVersionInfo version)
    {
        lock (_gate)
        {
            versions.Remove(version);
        }
    }

    /// <summary>The outcome of the last load or reload, as text.</summary>
    /// <param name="Succeeded">Whether it succeeded.</param>
    /// <param name="Generation">The generation serving after it.</param>
    /// <param name="Error">The error's message (names plugin, phase and file), when it failed.</param>
    public sealed record LastReload(bool Succeeded, long Generation, string? Error);

    /// <summary>One consistent read of the state.</summary>
    public sealed record Snapshot(bool Stopped, LastReload? Last, IReadOnlyDictionary<PluginVersionInfo, string> StuckCauses, IReadOnlyDictionary<PluginVersionInfo, string> NotDrained);
}
