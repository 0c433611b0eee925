using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// The time after a switch when the previous generation is kept loaded, so that the switch can be
/// undone in one step: the two generations, the timer that ends it, the <see cref="CallMonitor"/>
/// of automatic rollback, and the handoff that prepares the previous generation to serve again.
/// </summary>
/// <remarks>
/// The kept generation is never retired while kept: its lease counter still takes leases, its
/// vault and its versions are untouched, so switching back is one atomic write
/// (<see cref="GenerationSource.Publish"/>). The <see cref="ReloadCoordinator"/> creates, ends and
/// rolls back a probation, always one at a time with reloads.
/// </remarks>
internal sealed class Probation
{
    private ITimer? _timer;
    private string? _tripReason;

    public Probation(PluginGeneration previous, PluginGeneration candidate)
    {
        Previous = previous;
        Candidate = candidate;
    }

    /// <summary>Gets the generation kept, which served before the switch.</summary>
    public PluginGeneration Previous { get; }

    /// <summary>Gets the generation on probation, serving now.</summary>
    public PluginGeneration Candidate { get; }

    /// <summary>Gets a value indicating whether the candidate's calls failed too often: an automatic rollback is due.</summary>
    public bool Tripped => Volatile.Read(ref _tripReason) is not null;

    /// <summary>Gets why the automatic rollback is due; <see langword="null"/> until <see cref="Trip"/>.</summary>
    public string? TripReason => Volatile.Read(ref _tripReason);

    /// <summary>Records that an automatic rollback is due, so that a reload that runs first rolls back before it starts.</summary>
    /// <param name="reason">Why.</param>
    public void Trip(string reason) => Volatile.Write(ref _tripReason, reason);

    /// <summary>Gets the candidate's versions that the previous generation does not hold: what a rollback retires.</summary>
    public IEnumerable<PluginVersion> NewVersions => Candidate.Versions.Where(v => !Previous.Holds(v));

    /// <summary>Gets the kept generation's versions that the candidate does not hold: what the end of the probation retires.</summary>
    public IEnumerable<PluginVersion> KeptOnly => Previous.Versions.Where(v => !Candidate.Holds(v));

    /// <summary>Watches the candidate's new versions' calls and calls <paramref name="onTripped"/> once when one of them fails too often.</summary>
    /// <param name="ids">The host's plugin ids.</param>
    /// <param name="policy">When to trip.</param>
    /// <param name="onTripped">Called with the reason, on the failing call's thread.</param>
    public void Monitor(PluginIds ids, AutoRollbackOptions policy, Action<string> onTripped)
        => Candidate.Monitor = new CallMonitor([.. NewVersions.Where(static v => !v.IsStatic).Select(v => (ids.Find(v.Name), v))], policy, onTripped);

    /// <summary>Starts the timer that ends the probation.</summary>
    /// <param name="time">The host's clock.</param>
    /// <param name="period">The probation period.</param>
    /// <param name="onElapsed">Called once when the period ends.</param>
    public void Start(TimeProvider time, TimeSpan period, Action<Probation> onElapsed)
    {
        using (ExecutionContext.SuppressFlow())
        {
            _timer = time.CreateTimer(static s => ((Action<Probation>)((object[])s!)[0])((Probation)((object[])s!)[1]), new object[] { onElapsed, this }, period, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Ends the probation, whichever way: the timer stops and calls are no longer counted.</summary>
    public void End()
    {
        _timer?.Dispose();
        if (Candidate.Monitor is { } monitor)
        {
            monitor.Disarm();
            Candidate.Monitor = null;
        }
    }

    /// <summary>
    /// Prepares the previous generation to serve again, before the switch back: each version that
    /// comes back gets the state of the version it replaces (<c>SaveState</c> on the newer one,
    /// <c>RestoreState</c> on the older one, whose <c>fromVersion</c> is the newer version), and each
    /// version both generations hold joins the previous vault again (<c>OnInitAsync</c>). Never
    /// fails: a failing hook is logged and the rollback goes on.
    /// </summary>
    /// <param name="host">The host's runtime.</param>
    /// <returns>A task that completes when the previous generation is ready.</returns>
    public async Task HandBackAsync(HostRuntime host)
    {
        foreach (PluginVersion newer in Candidate.Versions)
        {
            if (!Previous.TryGetVersion(newer.Name, out PluginVersion? older) || older == newer || newer.Instance is null || older.Instance is null)
            {
                continue;
            }

            try
            {
                LiveData? state = await host.Hooks.CallAsync(newer, ReloadPhase.SaveState, static p => p.SaveState(), CancellationToken.None).ConfigureAwait(false);
                if (state is not null)
                {
                    string from = newer.Version;
                    await host.Hooks.CallAsync(older, ReloadPhase.RestoreState, p =>
                    {
                        p.RestoreState(state, from);
                        return true;
                    }, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (PluginLoadException ex)
            {
                Log.RollbackStepFailed(host.Logger, Previous.Number, ex.PluginName ?? newer.Name, older.Version, ex.Phase, SR.RollbackStateFailed(ex.Reason ?? ex.Message), ex.InnerException);
            }
        }

        Vault vault = Previous.Vault;
        foreach (PluginVersion version in Previous.Versions)
        {
            if (Candidate.Holds(version))
            {
                try
                {
                    await host.Hooks.RunAsync(version, ReloadPhase.OnInit, (p, ct) => p.OnInitAsync(vault, ct), CancellationToken.None).ConfigureAwait(false);
                }
                catch (PluginLoadException ex)
                {
                    Log.RollbackStepFailed(host.Logger, Previous.Number, version.Name, version.Version, ReloadPhase.OnInit, ex.Reason ?? ex.Message, ex.InnerException);
                }
            }
        }
    }

    /// <summary>What the rollback did to each plugin, ordered by name.</summary>
    /// <returns>One outcome per plugin of either generation.</returns>
    public List<PluginOutcome> Outcomes()
    {
        var outcomes = new List<PluginOutcome>();
        foreach (string name in Previous.Versions.Select(static v => v.Name).Union(Candidate.Versions.Select(static v => v.Name), StringComparer.OrdinalIgnoreCase))
        {
            bool back = Previous.TryGetVersion(name, out PluginVersion? older);
            bool now = Candidate.TryGetVersion(name, out PluginVersion? newer);
            outcomes.Add(back && now && older == newer
                ? new PluginOutcome(name, ReloadOutcome.Unchanged, older!.Version, older.Version)
                : back
                    ? new PluginOutcome(name, ReloadOutcome.RolledBack, older!.Version, newer?.Version)
                    : new PluginOutcome(name, ReloadOutcome.Removed, null, newer!.Version));
        }

        outcomes.Sort(static (a, b) => string.CompareOrdinal(a.PluginName, b.PluginName));
        return outcomes;
    }
}
