using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Runs a host's reloads: one at a time, on a background loop, coalescing the requests that arrive
/// meanwhile into one follow-up; and, for each, the steps of docs/lifecycle.md in order.
/// </summary>
/// <remarks>
/// <para>
/// One reload (<see cref="ExecuteAsync"/>): discover, plan (<see cref="ReloadPlan"/>), then a
/// <see cref="ReloadTransaction"/>: verify, load, link, initialize, commit; then the switch
/// (<see cref="GenerationSource.Publish"/>) and the retirement of the previous generation
/// (<see cref="Retirement.Retire"/>). Any failure before the commit rolls the transaction back and
/// leaves the serving generation exactly as it was.
/// </para>
/// <para>
/// Coalescing: requests made while a reload runs join a single follow-up reload, which sees
/// everything published before it started. It gets the newest data any of them passed (a request
/// without data, such as the watcher's, never erases another's); without any, it gets the data
/// <c>LoadAsync</c> got.
/// </para>
/// </remarks>
internal sealed class ReloadCoordinator
{
    private readonly HostRuntime _host;
    private readonly GenerationSource _source;
    private readonly Retirement _retirement;
    private readonly IHostEvents _events;
    private readonly Func<IDisposable?> _beginDiscovery;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();

    // One reload, rollback or end of probation at a time. Everything below it is only touched while it is held.
    private readonly SemaphoreSlim _serial = new(1, 1);
    private readonly Dictionary<string, string> _rolledBack = new(StringComparer.OrdinalIgnoreCase);
    private Probation? _probation;
    private long _lastNumber;
    private bool _reloading;
    private bool _stopped;
    private TaskCompletionSource<ReloadResult>? _followUp;
    private object? _followUpData;
    private Task _pump = Task.CompletedTask;
    private object? _loadData;

    /// <param name="host">What the host's parts share.</param>
    /// <param name="source">Where the new generation is published.</param>
    /// <param name="retirement">Retires replaced generations and discards failed versions.</param>
    /// <param name="events">The host's events.</param>
    /// <param name="beginDiscovery">
    /// Called before the plugins root is read; the returned scope is disposed once the host's
    /// status says which versions this reload is about to load (see <see cref="Loading"/>).
    /// </param>
    public ReloadCoordinator(HostRuntime host, GenerationSource source, Retirement retirement, IHostEvents events, Func<IDisposable?> beginDiscovery)
    {
        _host = host;
        _source = source;
        _retirement = retirement;
        _events = events;
        _beginDiscovery = beginDiscovery;
    }

    /// <summary>Gets the generation kept on probation, or <see langword="null"/>.</summary>
    public PluginGeneration? KeptGeneration => Volatile.Read(ref _probation)?.Previous;

    /// <summary>Gets the versions of the generation kept on probation that the serving one does not hold; empty without a probation.</summary>
    public IReadOnlyList<PluginVersionInfo> KeptVersions
        => Volatile.Read(ref _probation) is { } probation
            ? [.. probation.KeptOnly.Select(static v => v.Info)]
            : [];

    /// <summary>Gets the versions the running reload is verifying or loading; empty between reloads.</summary>
    public IReadOnlyList<PluginVersionInfo> Loading { get; private set; } = [];

    /// <summary>Sets the data the first load got, handed to later reloads without data of their own.</summary>
    /// <param name="data">The data.</param>
    public void SetLoadData(object? data) => Volatile.Write(ref _loadData, data);

    /// <summary>Runs a reload now or joins the follow-up of the running one.</summary>
    /// <param name="data">The data for the new versions' <c>OnLoadAsync</c>, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops waiting; the reload runs to its end.</param>
    /// <returns>The reload's result.</returns>
    /// <exception cref="ObjectDisposedException">The host stopped.</exception>
    public Task<ReloadResult> RequestAsync(object? data, CancellationToken cancellationToken)
    {
        TaskCompletionSource<ReloadResult> completion;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, typeof(PluginHost));
            if (_reloading)
            {
                completion = _followUp ??= new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                _followUpData = data ?? _followUpData;
            }
            else
            {
                _reloading = true;
                completion = new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);

                // The pump is a background loop: it must not capture the first caller's execution
                // context, and the caller never runs reload work or event handlers (a Reloading
                // handler may block; the caller must not).
                using (ExecutionContext.SuppressFlow())
                {
                    TaskCompletionSource<ReloadResult> first = completion;
                    _pump = Task.Run(() => PumpAsync(first, data));
                }
            }
        }

        return cancellationToken.CanBeCanceled ? completion.Task.WaitAsync(cancellationToken) : completion.Task;
    }

    /// <summary>Refuses new reloads, cancels the running one and waits for it to end.</summary>
    /// <returns>A task that completes when no reload runs.</returns>
    public async Task StopAsync()
    {
        Task pump;
        lock (_gate)
        {
            _stopped = true;
            pump = _pump;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose(); // no reload runs or can start: nothing reads the token any more

        // A rollback or the end of a probation may still run: wait for it. Whatever waits after
        // this sees that the host stopped and does nothing.
        await _serial.WaitAsync().ConfigureAwait(false);
        _serial.Release();
    }

    /// <summary>Ends the probation, if any, once the host stopped; returns the generation it kept, for the caller to retire.</summary>
    /// <returns>The kept generation, or <see langword="null"/>.</returns>
    public PluginGeneration? TakeKept()
    {
        Probation? probation = Interlocked.Exchange(ref _probation, null);
        probation?.End();
        return probation?.Previous;
    }

    /// <summary>Switches back to the generation kept on probation, one at a time with reloads.</summary>
    /// <param name="cancellationToken">Stops waiting for a reload in progress.</param>
    /// <returns>The rollback's result; failed when nothing is kept.</returns>
    /// <exception cref="ObjectDisposedException">The host stopped.</exception>
    public Task<ReloadResult> RollbackAsync(CancellationToken cancellationToken)
    {
        ThrowIfStopped();

        // Like a reload: never on the caller's thread or execution context (plugin hooks and event
        // handlers run), and the events are raised once the next reload may run.
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(
                async () =>
                {
                    await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
                    Outcome outcome;
                    try
                    {
                        ThrowIfStopped();
                        outcome = await RollBackAsync(_probation, SR.RollbackRequested, automatic: false).ConfigureAwait(false);
                    }
                    finally
                    {
                        _serial.Release();
                    }

                    outcome.Raise?.Invoke();
                    return outcome.Result;
                },
                CancellationToken.None);
        }
    }

    /// <summary>A reload's or a rollback's result, and the event that reports it, raised once <see cref="_serial"/> is released (a handler may wait for the next reload).</summary>
    private readonly record struct Outcome(ReloadResult Result, Action? Raise);

    private void ThrowIfStopped()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, typeof(PluginHost));
        }
    }

    private bool IsStopped
    {
        get
        {
            lock (_gate)
            {
                return _stopped;
            }
        }
    }

    private async Task PumpAsync(TaskCompletionSource<ReloadResult> completion, object? data)
    {
        while (true)
        {
            try
            {
                completion.TrySetResult(await ExecuteAsync(data ?? Volatile.Read(ref _loadData), _stopping.Token).ConfigureAwait(false));
            }
#pragma warning disable CA1031 // Isolation boundary: a bug in a reload is reported to its waiters, never lost in a background task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                completion.TrySetException(ex);
            }

            lock (_gate)
            {
                if (_followUp is null || _stopped)
                {
                    _followUp?.TrySetException(new ObjectDisposedException(nameof(PluginHost), SR.HostDisposed));
                    _followUp = null;
                    _followUpData = null;
                    _reloading = false;
                    return;
                }

                completion = _followUp;
                data = _followUpData;
                _followUp = null;
                _followUpData = null;
            }
        }
    }

    /// <summary>One reload: <c>Reloading</c>, the steps one at a time with rollbacks and probation ends, then the event that reports it.</summary>
    private async Task<ReloadResult> ExecuteAsync(object? data, CancellationToken cancellationToken)
    {
        _events.OnReloading(new ReloadingEventArgs(_source.Current?.Number ?? 0));
        await _serial.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        Outcome? back = null;
        Outcome outcome;
        try
        {
            if (_probation is { Tripped: true } tripped)
            {
                // The new version failed too often and its rollback waits behind this reload: roll
                // back first, so that this reload starts from the generation that was good.
                back = await RollBackAsync(tripped, tripped.TripReason!, automatic: true).ConfigureAwait(false); // tripped: a reason is set
            }

            outcome = await ReloadAsync(data, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _serial.Release();
        }

        back?.Raise?.Invoke();
        outcome.Raise?.Invoke();
        return outcome.Result;
    }

    /// <summary>One reload, from discovery to the retirement of the previous generation, traced as one activity with a child per phase. The caller holds <see cref="_serial"/>.</summary>
    private async Task<Outcome> ReloadAsync(object? data, CancellationToken cancellationToken)
    {
        long started = _host.Time.GetTimestamp();
        PluginGeneration? serving = _source.Current;
        long servingNumber = serving?.Number ?? 0;
        using System.Diagnostics.Activity? activity = HostTelemetry.StartReload(servingNumber);
        Log.ReloadStarting(_host.Logger, servingNumber, _host.Root ?? "(static plugins only)");

        ReloadPlan? plan = null;
        ReloadTransaction? transaction = null;
        PluginGeneration generation;
        try
        {
            plan = Phase("discover", () => Plan(serving));
            if (_probation is { } kept && plan.HasWork && IsKept(plan, kept.Previous))
            {
                // What is published now is what the kept generation holds (hotswap rollback flipped
                // `current` back): switch back to it instead of loading it again. What is on disk
                // already names the older versions, so nothing is refused afterwards.
                Loading = [];
                activity?.Dispose();
                return await RollBackAsync(kept, SR.StandbyPublished, automatic: false, refuse: false).ConfigureAwait(false);
            }

            if (plan.HasWork && _host.MaxDrainingVersions is { } max)
            {
                Phase("admit", () =>
                {
                    CheckDraining(plan, serving, max);
                    return true;
                });
            }

            if (!plan.HasWork)
            {
                // Nothing to do: no lifecycle call, no new generation, no new vault.
                var unchanged = new ReloadResult(servingNumber, published: false, plan.Outcomes(), null, _host.Time.GetElapsedTime(started));
                Log.ReloadNothingChanged(_host.Logger, servingNumber);
                _host.Telemetry.RecordReload(activity, unchanged);
                return new Outcome(unchanged, () => _events.OnReloaded(new ReloadedEventArgs(unchanged)));
            }

            ReloadTransaction tx = transaction = new ReloadTransaction(_host, serving, plan, _lastNumber + 1, data, _retirement.OnDrained, cancellationToken);
            Phase("verify", () =>
            {
                tx.Verify();
                return true;
            });
            await PhaseAsync("load", tx.LoadAsync).ConfigureAwait(false);
            Phase("link", () =>
            {
                tx.Link();
                return true;
            });
            await PhaseAsync("initialize", tx.InitializeAsync).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Isolation boundary: whatever fails before the commit, the new versions are rolled back and the serving generation stays.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ReloadPhase phase = transaction?.Phase ?? ReloadPhase.Discover;
            PluginLoadException error = PluginErrors.Detach(ex switch
            {
                PluginLoadException known => known,
                OperationCanceledException => new PluginLoadException(SR.AllPlugins, phase, null, SR.ReloadCancelled, ex),
                _ => new PluginLoadException(SR.AllPlugins, phase, null, SR.Unexpected(ex), ex),
            });
            if (transaction is not null)
            {
                await transaction.RollbackAsync(_retirement).ConfigureAwait(false);
            }

            Loading = [];
            var failed = new ReloadResult(servingNumber, published: false, plan?.FailedOutcomes() ?? [], error, _host.Time.GetElapsedTime(started));
            Log.ReloadFailed(_host.Logger, error.PluginName ?? SR.AllPlugins, error.Phase, error.FilePath ?? "", error);
            _host.Telemetry.RecordReload(activity, failed);
            return new Outcome(failed, () => _events.OnReloadFailed(new ReloadFailedEventArgs(failed)));
        }

        // 5b to 7, which cannot fail: the commit, the switch (one atomic write; new calls lease the
        // new generation from here on) and the retirement of the previous generation.
        using (HostTelemetry.StartPhase("switch"))
        {
            generation = await transaction.CommitAsync().ConfigureAwait(false);
            _lastNumber = generation.Number;

            // A probation in progress ends at this switch: the generation it kept retires, and the
            // one serving until now is kept instead. So at most two generations are ever kept loaded.
            Probation? ended = _probation;
            _probation = null;
            ended?.End();
            Probation? next = serving is not null && _host.Probation != TimeSpan.Zero ? new Probation(serving, generation) : null;
            if (next is not null && _host.AutoRollback is { } policy)
            {
                next.Monitor(_host.Ids, policy, reason => OnTripped(next, reason)); // installed before the switch: every call to the new versions is counted
            }

            _source.Publish(generation);
            Loading = [];
            if (ended is not null)
            {
                _retirement.Retire(ended.Previous, alsoKept: serving);
            }

            if (next is not null)
            {
                _probation = next;
                next.Start(_host.Time, _host.Probation, OnProbationElapsed);
            }
            else if (serving is not null)
            {
                _retirement.Retire(serving);
            }
        }

        var result = new ReloadResult(generation.Number, published: true, plan.Outcomes(), null, _host.Time.GetElapsedTime(started));
        if (serving is null)
        {
            _events.OnStatusChanged(); // the first generation: the host's status names it before its load returns
        }
        else
        {
            _events.OnServingChanged();
        }

        Log.ReloadSucceeded(_host.Logger, generation.Number, result.Duration.TotalMilliseconds, string.Join(", ", result.Plugins));
        _host.Telemetry.RecordReload(activity, result);
        return new Outcome(result, () => _events.OnReloaded(new ReloadedEventArgs(result)));

        static T Phase<T>(string name, Func<T> step)
        {
            using System.Diagnostics.Activity? phase = HostTelemetry.StartPhase(name);
            try
            {
                return step();
            }
            catch (Exception ex)
            {
                HostTelemetry.Fail(phase, ex);
                throw;
            }
        }

        static async Task PhaseAsync(string name, Func<Task> step)
        {
            using System.Diagnostics.Activity? phase = HostTelemetry.StartPhase(name);
            try
            {
                await step().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                HostTelemetry.Fail(phase, ex);
                throw;
            }
        }
    }

    /// <summary>
    /// Switches back to the generation <paramref name="probation"/> kept: the handoff (state, vault),
    /// the switch (one atomic write), then the retirement of the generation rolled back. The caller
    /// holds <see cref="_serial"/>.
    /// </summary>
    private async Task<Outcome> RollBackAsync(Probation? probation, string reason, bool automatic, bool refuse = true)
    {
        long started = _host.Time.GetTimestamp();
        PluginGeneration? serving = _source.Current;
        if (probation is null || probation != _probation)
        {
            var error = new PluginLoadException(SR.AllPlugins, ReloadPhase.Rollback, null, SR.NothingToRollBack);
            return new Outcome(new ReloadResult(serving?.Number ?? 0, published: false, [], error, _host.Time.GetElapsedTime(started)), null);
        }

        using System.Diagnostics.Activity? activity = HostTelemetry.StartReload(probation.Candidate.Number);
        _probation = null;
        probation.End();
        List<PluginOutcome> outcomes = probation.Outcomes();
        using (HostTelemetry.StartPhase("rollback"))
        {
            await probation.HandBackAsync(_host).ConfigureAwait(false);
            _source.Publish(probation.Previous);
            foreach (PluginVersion version in probation.NewVersions)
            {
                if (refuse && !version.IsStatic)
                {
                    _rolledBack[version.Name] = version.Version; // not loaded again until another version is published
                }
            }

            _retirement.Retire(probation.Candidate);
        }

        var result = new ReloadResult(probation.Previous.Number, published: true, outcomes, null, _host.Time.GetElapsedTime(started)) { RollbackReason = reason };
        _events.OnServingChanged();
        Log.RolledBack(_host.Logger, result.Generation, result.Duration.TotalMilliseconds, reason, string.Join(", ", outcomes));
        _host.Telemetry.RecordReload(activity, result);
        return new Outcome(result, () => _events.OnRolledBack(new RolledBackEventArgs(result, automatic) { Refused = refuse }));
    }

    /// <summary>A new version failed too often during its probation: roll back, on the thread pool (never on the failing caller's thread).</summary>
    private void OnTripped(Probation probation, string reason)
    {
        using (ExecutionContext.SuppressFlow())
        {
            probation.Trip(reason);
            _ = Task.Run(() => RunSerialAsync(probation, () => RollBackAsync(probation, reason, automatic: true)));
        }
    }

    /// <summary>The probation period ended without a rollback: the kept generation retires.</summary>
    private void OnProbationElapsed(Probation probation)
    {
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RunSerialAsync(probation, () =>
            {
                _probation = null;
                probation.End();
                _retirement.Retire(probation.Previous);
                Log.ProbationPassed(_host.Logger, probation.Candidate.Number, probation.Previous.Number);
                _events.OnStatusChanged();
                return Task.FromResult(new Outcome(null!, null)); // no result is reported
            }));
        }
    }

    /// <summary>Runs <paramref name="step"/> one at a time with reloads, if <paramref name="probation"/> is still the one in progress.</summary>
    private async Task RunSerialAsync(Probation probation, Func<Task<Outcome>> step)
    {
        Action? raise = null;
        await _serial.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!IsStopped && _probation == probation)
            {
                raise = (await step().ConfigureAwait(false)).Raise;
            }
        }
#pragma warning disable CA1031 // Isolation boundary: a background step's failure is logged, never lost in a task nobody awaits.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.AutoRollbackFailed(_host.Logger, ex);
        }
        finally
        {
            _serial.Release();
        }

        raise?.Invoke();
    }

    /// <summary>Whether the next generation of <paramref name="plan"/> would hold exactly the versions <paramref name="kept"/> holds.</summary>
    private static bool IsKept(ReloadPlan plan, PluginGeneration kept)
    {
        int present = 0;
        foreach (PlannedPlugin planned in plan.Plugins)
        {
            bool held = kept.TryGetVersion(planned.Name, out PluginVersion? version);
            switch (planned.Outcome)
            {
                case ReloadOutcome.Removed:
                    if (held)
                    {
                        return false;
                    }

                    break;
                case ReloadOutcome.Loaded:
                case ReloadOutcome.Unchanged:
                case ReloadOutcome.NotReloadable:
                case ReloadOutcome.RolledBack when planned.Version is not null:
                    if (!held || version!.Version != planned.Version)
                    {
                        return false;
                    }

                    present++;
                    break;
            }
        }

        return present == kept.Versions.Length;
    }

    /// <summary>Refuses a reload that would retire one more version of a plugin than <see cref="PluginHostOptions.MaxDrainingVersions"/> allows to drain at once.</summary>
    private void CheckDraining(ReloadPlan plan, PluginGeneration? serving, int max)
    {
        // What retires at this switch: with a probation in progress, the kept generation's own
        // versions (the serving ones are kept in their place); with probation on but none in
        // progress, nothing (the serving generation is kept); otherwise the serving versions replaced.
        IEnumerable<PluginVersion> retiring = _probation is { } kept
            ? kept.KeptOnly // the serving generation is the candidate
            : _host.Probation != TimeSpan.Zero ? [] : serving?.Versions.Where(v => !plan.Carried.Contains(v.Name)) ?? [];
        foreach (PluginVersion version in retiring)
        {
            List<(PluginVersionInfo Version, long Calls)> draining = _retirement.DrainingVersionsOf(version.Name, except: version);
            if (draining.Count + 1 > max)
            {
                string held = string.Join(", ", draining.Select(static d => SR.DrainingVersion(d.Version.Version, d.Calls)));
                string folder = _host.Root is null ? version.EntryAssemblyPath : Path.Combine(_host.Root, version.Name);
                throw new PluginLoadException(version.Name, ReloadPhase.Discover, folder, SR.TooManyDraining(version.Name, draining.Count, max, held));
            }
        }
    }

    /// <summary>Step 1: reads the plugins root and plans; the host's status names what is about to be loaded before discovery ends.</summary>
    private ReloadPlan Plan(PluginGeneration? serving)
    {
        ReloadPlan plan;
        using (_beginDiscovery())
        {
            List<PluginSource> sources = Discover(serving);
            foreach (PluginSource source in sources)
            {
                if (_rolledBack.TryGetValue(source.Name, out string? version) && version != source.Version)
                {
                    _rolledBack.Remove(source.Name); // another version is published: the refusal lapses
                }
            }

            plan = ReloadPlan.Create(sources, serving?.Versions.Select(ServingPlugin.Of).ToList(), _rolledBack);
            Loading = [.. plan.ToLoad.Where(static s => s.Found is not null).Select(static s => new PluginVersionInfo(s.Name, s.Version))];
            if (Loading.Count > 0)
            {
                _events.OnStatusChanged();
            }
        }

        return plan;
    }

    /// <summary>Every plugin the next generation may hold: the folders under the plugins root and the static plugins.</summary>
    private List<PluginSource> Discover(PluginGeneration? serving)
    {
        var sources = new Dictionary<string, PluginSource>(StringComparer.OrdinalIgnoreCase);
        if (_host.Root is not null)
        {
            foreach (DiscoveredPlugin plugin in PluginDiscovery.Scan(_host.Root, (name, version) => serving is not null && serving.TryGetVersion(name, out PluginVersion? loaded) && loaded.Version == version))
            {
                sources.Add(plugin.Name, new PluginSource(plugin.Name, plugin.Version, plugin, null));
            }
        }

        foreach (StaticPluginRegistration registration in _host.StaticPlugins)
        {
            if (sources.TryGetValue(registration.Name, out PluginSource? other))
            {
                throw new PluginLoadException(registration.Name, ReloadPhase.Discover, other.Found?.PluginDirectory, SR.StaticNameCollision(registration.Name));
            }

            sources.Add(registration.Name, new PluginSource(registration.Name, StaticPluginRegistration.Version, null, registration));
        }

        return [.. sources.Values];
    }
}
