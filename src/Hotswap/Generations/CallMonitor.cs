namespace Hotswap;

/// <summary>
/// Counts the calls and the failures of the versions a reload loaded, while their generation is on
/// probation with <see cref="PluginHostOptions.AutoRollback"/>, and trips once when one of them
/// reaches the failure rate.
/// </summary>
/// <remarks>
/// Installed on a generation before it is published and removed when its probation ends. Only the
/// call paths that find it pay for it: a proxy does not cache a monitored generation, so each of its
/// calls takes the checked path, which counts (<see cref="PluginProxy{TContract}"/>); once the
/// monitor is removed, the next call caches the generation and the fast path counts nothing.
/// </remarks>
internal sealed class CallMonitor
{
    private readonly long[] _calls;
    private readonly long[] _failures;
    private readonly PluginVersion?[] _watched;
    private readonly double _rate;
    private readonly int _minimum;
    private Action<string>? _onTripped;

    /// <param name="watched">The versions to watch, by plugin id.</param>
    /// <param name="policy">When to trip.</param>
    /// <param name="onTripped">Called once, on the failing call's thread, with the reason; must not block.</param>
    public CallMonitor(IReadOnlyList<(int Id, PluginVersion Version)> watched, AutoRollbackOptions policy, Action<string> onTripped)
    {
        int size = watched.Count == 0 ? 0 : watched.Max(static w => w.Id) + 1;
        _calls = new long[size];
        _failures = new long[size];
        _watched = new PluginVersion?[size];
        foreach ((int id, PluginVersion version) in watched)
        {
            _watched[id] = version;
        }

        _rate = policy.FailureRate;
        _minimum = policy.MinimumCalls;
        _onTripped = onTripped;
    }

    /// <summary>Counts a call to the plugin of id <paramref name="pluginId"/>.</summary>
    public void Call(int pluginId)
    {
        if ((uint)pluginId < (uint)_watched.Length && _watched[pluginId] is not null)
        {
            Interlocked.Increment(ref _calls[pluginId]);
        }
    }

    /// <summary>Counts a failed call (already counted by <see cref="Call"/>), and trips when the version reached the rate.</summary>
    public void Fail(int pluginId)
    {
        if ((uint)pluginId >= (uint)_watched.Length || _watched[pluginId] is not { } version)
        {
            return;
        }

        long failed = Interlocked.Increment(ref _failures[pluginId]);
        long calls = Volatile.Read(ref _calls[pluginId]);
        if (calls >= _minimum && failed >= _rate * calls && Interlocked.Exchange(ref _onTripped, null) is { } trip)
        {
            trip(SR.RollbackFailureRate(version.Name, version.Version, failed, calls, _rate));
        }
    }

    /// <summary>Stops tripping: the probation ended.</summary>
    public void Disarm() => Volatile.Write(ref _onTripped, null);
}
