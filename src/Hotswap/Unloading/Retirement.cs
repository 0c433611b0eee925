using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Step 7 of a reload, and the end of every plugin version: owns the retiring generations, their
/// drains, <c>OnFreeAsync</c>, the unload and the hand-off to the <see cref="UnloadWatchdog"/>.
/// </summary>
/// <remarks>
/// <para>
/// A retired generation stops taking leases (<see cref="Retire"/>). When its last lease is released
/// (<see cref="OnDrained"/>, on whichever thread released it), the work moves to the thread pool:
/// each version no other generation uses gets <c>OnFreeAsync</c> (reverse dependency order), its
/// registrations are disposed, the framework metadata caches are cleared, its context is unloaded,
/// and the watchdog proves the collection or reports it stuck (naming any
/// <see cref="KnownPins">known pinning library</see> the context had loaded).
/// </para>
/// <para>
/// A failed reload's new versions go the same way (<see cref="DiscardAsync"/>): they are freed,
/// unloaded and watched, so a version that leaks while it fails is reported like any other.
/// </para>
/// </remarks>
internal sealed class Retirement
{
    private readonly HostRuntime _host;
    private readonly GenerationSource _source;
    private readonly IHostEvents _events;
    private readonly UnloadWatchdog _watchdog;
    private readonly Func<PluginGeneration?> _kept;
    private readonly Lock _gate = new();
    private readonly Dictionary<PluginGeneration, RetiringGeneration> _generations = [];
    private readonly Dictionary<PluginVersionInfo, int> _retiring = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PluginVersionInfo, System.Diagnostics.Activity> _unloads = new();
    private readonly StuckDiagnosis? _diagnosis;

    /// <param name="host">What the host's parts share.</param>
    /// <param name="source">The current generation.</param>
    /// <param name="events">The host's events.</param>
    /// <param name="forcedCollections">The watchdog's bound on forced collections.</param>
    /// <param name="kept">The generation kept on probation, if any: its versions are live, never draining or stuck.</param>
    public Retirement(HostRuntime host, GenerationSource source, IHostEvents events, int forcedCollections, Func<PluginGeneration?> kept)
    {
        _kept = kept;
        _host = host;
        _source = source;
        _events = events;
        _watchdog = new UnloadWatchdog(host.Time, host.UnloadTimeout, forcedCollections, ReportUnloaded, ReportNotCollected);
        _diagnosis = host.UnloadDiagnoser is { } diagnoser ? new StuckDiagnosis(diagnoser, host.Time, host.Logger, PublishStuck) : null;
    }

    /// <summary>Gets the retired versions reported stuck and still alive.</summary>
    /// <remarks>A version being diagnosed is listed once its report, with the finding, has been made; until then it is retiring.</remarks>
    public IReadOnlyList<PluginVersionInfo> StuckVersions => [.. _watchdog.StuckReports.Select(static r => r.Version)];

    /// <summary>Gets the retired versions reported stuck and still alive, each with the cause it was reported with.</summary>
    public IReadOnlyList<StuckReport> StuckReports => _watchdog.StuckReports;

    /// <summary>Stops the diagnosis of stuck versions, if any: what is queued is reported without one.</summary>
    /// <returns>A task that completes once the reports were made (within the unload timeout).</returns>
    public Task StopDiagnosisAsync() => _diagnosis?.StopAsync(_host.UnloadTimeout) ?? Task.CompletedTask;

    /// <summary>Gets the number of leases held on retired generations that have not drained yet.</summary>
    public long DrainingCalls
    {
        get
        {
            lock (_gate)
            {
                return _generations.Keys.Where(static g => !g.IsDrained).Sum(static g => g.Leases.Count);
            }
        }
    }

    /// <summary>Gets the retired versions still draining or waiting to be proven unloaded, ordered.</summary>
    public IReadOnlyList<PluginVersionInfo> RetiringVersions
    {
        get
        {
            lock (_gate)
            {
                return [.. _retiring.Keys.OrderBy(static v => v.ToString(), StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// Gets the retired versions of one plugin whose calls have not drained yet, each with the
    /// number of calls in flight on it, oldest first. A version the serving or the kept generation
    /// still holds is live, not draining, and <paramref name="except"/> is left out.
    /// </summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="except">A version not to list (the one about to retire).</param>
    /// <returns>The versions and their calls in flight.</returns>
    public List<(PluginVersionInfo Version, long Calls)> DrainingVersionsOf(string pluginName, PluginVersion? except)
    {
        var draining = new Dictionary<PluginVersion, long>();
        PluginGeneration? serving = _source.Current;
        PluginGeneration? kept = _kept();
        lock (_gate)
        {
            foreach (PluginGeneration generation in _generations.Keys.OrderBy(static g => g.Number))
            {
                if (!generation.IsDrained && generation.TryGetVersion(pluginName, out PluginVersion? version) && version != except && !Holds(serving, version) && !Holds(kept, version))
                {
                    draining[version] = draining.GetValueOrDefault(version) + generation.Leases.Count;
                }
            }
        }

        return [.. draining.Select(static d => (d.Key.Info, d.Value))];
    }

    /// <summary>
    /// Retires a generation that no longer serves; reports it if its calls do not drain in time.
    /// Called after the switch: never throws.
    /// </summary>
    /// <param name="generation">The generation replaced (or the last one, when the host is disposed).</param>
    /// <param name="alsoKept">A generation that stays loaded besides the serving one (the one kept on probation), whose versions do not retire.</param>
    public void Retire(PluginGeneration generation, PluginGeneration? alsoKept = null)
    {
        try
        {
            var state = new RetiringGeneration();
            PluginGeneration? serving = _source.Current;
            lock (_gate)
            {
                _generations.Add(generation, state);
                foreach (PluginVersion version in generation.Versions)
                {
                    if (!Holds(serving, version) && !Holds(alsoKept, version))
                    {
                        Track(version.Info, +1);
                    }
                }
            }

            // Created before the counter retires, so a drain that completes at once always finds the timer to stop.
            state.DrainWatch = _host.Time.CreateTimer(static s => ((Retirement)((object[])s!)[0]).ReportNotDrained((PluginGeneration)((object[])s!)[1]), new object[] { this, generation }, _host.UnloadTimeout, Timeout.InfiniteTimeSpan);
        }
#pragma warning disable CA1031 // Isolation boundary: after the switch a failure (a custom clock that throws) is logged; the generation still drains and frees its versions.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RetirementFailed(_host.Logger, generation.Number, ex);
        }

        generation.Leases.Retire();
    }

    /// <summary>Called once when a retired generation's last lease was released, on the releasing thread (a recount on the thread pool, or the reload's).</summary>
    /// <param name="generation">The drained generation.</param>
    public void OnDrained(PluginGeneration generation)
    {
        // No caller pays for OnFreeAsync or unloading, and no caller's execution context flows into plugin code.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => FreeGenerationAsync(generation));
        }
    }

    /// <summary>Frees, unloads and watches the new versions of a failed reload, newest dependency first.</summary>
    /// <param name="versions">The versions, in load (or dependency) order.</param>
    /// <returns>A task that completes when each was freed and its unload started.</returns>
    public async Task DiscardAsync(IReadOnlyList<PluginVersion> versions)
    {
        lock (_gate)
        {
            foreach (PluginVersion version in versions)
            {
                Track(version.Info, +1);
            }
        }

        try
        {
            await FreeAndUnloadAsync([.. versions.Reverse()]).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Isolation boundary: a rollback failure is logged; the serving generation is untouched either way.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RetirementFailed(_host.Logger, 0, ex);
        }
    }

    /// <summary>Waits, within <paramref name="timeout"/>, until every retired generation has been freed.</summary>
    /// <param name="timeout">The longest wait.</param>
    /// <returns><see langword="false"/> when some generation was still draining at the timeout.</returns>
    public async Task<bool> WhenFreedAsync(TimeSpan timeout)
    {
        Task[] freed;
        lock (_gate)
        {
            freed = [.. _generations.Values.Select(static s => s.Freed.Task)];
        }

        try
        {
            await Task.WhenAll(freed).WaitAsync(timeout, _host.Time).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task FreeGenerationAsync(PluginGeneration generation)
    {
        RetiringGeneration? state;
        lock (_gate)
        {
            _generations.TryGetValue(generation, out state);
        }

        try
        {
            state?.DrainWatch?.Dispose();
            PluginVersion[] versions = generation.Versions;
            var retiring = new List<PluginVersion>();
            for (int i = versions.Length - 1; i >= 0; i--)
            {
                if (versions[i].ReleaseGenerationRef() == 0)
                {
                    retiring.Add(versions[i]); // reverse dependency order
                }
            }

            generation.Clear();
            await FreeAndUnloadAsync(retiring).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Isolation boundary: a retirement failure is logged; it never crashes the host from a background task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RetirementFailed(_host.Logger, generation.Number, ex);
        }
        finally
        {
            lock (_gate)
            {
                _generations.Remove(generation);
            }

            state?.Freed.TrySetResult();
        }
    }

    private async Task FreeAndUnloadAsync(List<PluginVersion> versions)
    {
        var problems = new Dictionary<PluginVersion, (string? Problem, bool Hung)>();
        foreach (PluginVersion version in versions)
        {
            if (HostTelemetry.StartUnload(version.Info) is { } activity)
            {
                _unloads[version.Info] = activity;
            }

            _events.OnUnloading(new UnloadingEventArgs(version.Info));
            problems[version] = await FreeAsync(version).ConfigureAwait(false);
        }

        if (versions.Count > 0)
        {
            // Framework caches (System.Text.Json among them) hold plugin types until cleared.
            MetadataCacheSweeper.ClearCaches(_host.Logger);
        }

        foreach (PluginVersion version in versions)
        {
            (string? problem, bool hung) = problems[version];

            // Recorded now, as strings: once unloaded, the context is never touched again.
            string? pins = KnownPins.Default.Describe(version.LoadedAssemblyNames());
            WeakReference? context = version.DetachAndUnload();
            if (hung)
            {
                // Its code is still running: nothing will collect it until that code returns. Say so now.
                ReportStuck(_watchdog.MarkStuck(version.Info, context, _host.LifecycleTimeout, problem!));
            }
            else if (context is not null)
            {
                _watchdog.Watch(version.Info, context, problem + pins);
            }
            else
            {
                Untrack(version.Info); // a static plugin: freed, nothing to unload.
                if (_unloads.TryRemove(version.Info, out System.Diagnostics.Activity? activity))
                {
                    activity.Stop();
                }
            }
        }
    }

    /// <summary>Calls OnFreeAsync (if OnLoadAsync was called) and disposes the registrations; returns what went wrong, and whether OnFreeAsync never returned.</summary>
    private async Task<(string? Problem, bool Hung)> FreeAsync(PluginVersion version)
    {
        string? problem = null;
        bool hung = false;
        if (version.OnLoadCalled && version.Instance is not null)
        {
            try
            {
                await _host.Hooks.RunAsync(version, ReloadPhase.Free, static (p, ct) => p.OnFreeAsync(ct), CancellationToken.None).ConfigureAwait(false);
            }
            catch (PluginLoadException ex)
            {
                hung = LifecycleHooks.TimedOut(ex);
                Log.OnFreeFailed(_host.Logger, version.Name, version.Version, ex.InnerException ?? ex);
                problem = hung ? SR.FreeHung(_host.LifecycleTimeout) : SR.FreeProblem(ex.Reason ?? ex.Message);
            }
        }

        if (version.Context is { } context)
        {
            foreach (Exception failure in context.Release())
            {
                Log.RegistrationDisposeFailed(_host.Logger, version.Name, version.Version, failure);
                problem += SR.RegistrationProblem(failure);
            }
        }

        return (problem, hung);
    }

    private void ReportNotDrained(PluginGeneration generation)
    {
        if (generation.IsDrained)
        {
            return;
        }

        PluginGeneration? serving = _source.Current;
        PluginGeneration? kept = _kept();
        foreach (PluginVersion version in generation.Versions)
        {
            if (!Holds(serving, version) && !Holds(kept, version))
            {
                string cause = SR.NotDrained(generation.Number, generation.Leases.Count);
                Log.UnloadStuck(_host.Logger, version.Name, version.Version, _host.UnloadTimeout.TotalMilliseconds, cause);
                _events.OnUnloadStuck(new UnloadStuckEventArgs(version.Info, _host.UnloadTimeout, cause) { StillDraining = true });
            }
        }
    }

    private void ReportUnloaded(PluginVersionInfo version, TimeSpan elapsed, int collections)
    {
        Untrack(version);
        _host.Telemetry.RecordUnload(_unloads.TryRemove(version, out System.Diagnostics.Activity? activity) ? activity : null, version, elapsed, collected: true, cause: null);
        _events.OnStatusChanged();
        Log.VersionUnloaded(_host.Logger, version.PluginName, version.Version, elapsed.TotalMilliseconds, collections);
        _events.OnUnloaded(new UnloadedEventArgs(version, elapsed, collections));
    }

    /// <summary>The watchdog's report: these contexts outlived the timeout in one round.</summary>
    private void ReportNotCollected(IReadOnlyList<StuckFinding> found)
    {
        if (_diagnosis is { } diagnosis)
        {
            diagnosis.Report(found);
        }
        else
        {
            foreach (StuckFinding finding in found)
            {
                PublishStuck(finding, finding.Cause + SR.FindTheChain);
            }
        }
    }

    /// <summary>Reports a version stuck now, or once the diagnoser has named what holds it.</summary>
    private void ReportStuck(StuckFinding finding)
    {
        // A static plugin has no load context: no heap dump can say more than the hung OnFreeAsync already does.
        if (_diagnosis is { } diagnosis && finding.Context is not null)
        {
            diagnosis.Report([finding]);
        }
        else
        {
            PublishStuck(finding, finding.Cause);
        }
    }

    /// <summary>Raises the report (or, for a context collected while it was being diagnosed, the unload). Never throws.</summary>
    private void PublishStuck(StuckFinding finding, string cause)
    {
        PluginVersionInfo version = finding.Version;
        try
        {
            if (finding.Collected)
            {
                // Collected after all, while the diagnosis ran: it was never stuck.
                ReportUnloaded(version, finding.Elapsed, finding.Collections);
                return;
            }

            finding.Reported = cause;
            Untrack(version);
            _host.Telemetry.RecordUnload(_unloads.TryRemove(version, out System.Diagnostics.Activity? activity) ? activity : null, version, finding.Elapsed, collected: false, cause);
            _events.OnStatusChanged();
            Log.UnloadStuck(_host.Logger, version.PluginName, version.Version, finding.Elapsed.TotalMilliseconds, cause);
            _events.OnUnloadStuck(new UnloadStuckEventArgs(version, finding.Elapsed, cause));
        }
#pragma warning disable CA1031 // Isolation boundary: one report that fails (a custom clock or meter that throws) costs neither the watchdog's loop nor the other reports.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.StuckReportFailed(_host.Logger, version.PluginName, version.Version, ex);
        }
    }

    private static bool Holds(PluginGeneration? generation, PluginVersion version)
        => generation is not null && generation.Holds(version);

    private void Untrack(PluginVersionInfo version)
    {
        lock (_gate)
        {
            Track(version, -1);
        }
    }

    /// <summary>Counts a version in or out of the retiring list; the caller holds <see cref="_gate"/>.</summary>
    private void Track(PluginVersionInfo version, int delta)
    {
        int count = _retiring.GetValueOrDefault(version) + delta;
        if (count <= 0)
        {
            _retiring.Remove(version);
        }
        else
        {
            _retiring[version] = count;
        }
    }

    private sealed class RetiringGeneration
    {
        public TaskCompletionSource Freed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ITimer? DrainWatch { get; set; }
    }
}
