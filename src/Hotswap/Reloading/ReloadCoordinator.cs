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

    /// <summary>One reload, from discovery to the retirement of the previous generation, traced as one activity with a child per phase.</summary>
    private async Task<ReloadResult> ExecuteAsync(object? data, CancellationToken cancellationToken)
    {
        long started = _host.Time.GetTimestamp();
        PluginGeneration? serving = _source.Current;
        long servingNumber = serving?.Number ?? 0;
        using System.Diagnostics.Activity? activity = HostTelemetry.StartReload(servingNumber);
        _events.OnReloading(new ReloadingEventArgs(servingNumber));
        Log.ReloadStarting(_host.Logger, servingNumber, _host.Root ?? "(static plugins only)");

        ReloadPlan? plan = null;
        ReloadTransaction? transaction = null;
        PluginGeneration generation;
        try
        {
            plan = Phase("discover", () => Plan(serving));
            if (!plan.HasWork)
            {
                // Nothing to do: no lifecycle call, no new generation, no new vault.
                var unchanged = new ReloadResult(servingNumber, published: false, plan.Outcomes(), null, _host.Time.GetElapsedTime(started));
                Log.ReloadNothingChanged(_host.Logger, servingNumber);
                _host.Telemetry.RecordReload(activity, unchanged);
                _events.OnReloaded(new ReloadedEventArgs(unchanged));
                return unchanged;
            }

            ReloadTransaction tx = transaction = new ReloadTransaction(_host, serving, plan, data, cancellationToken);
            await PhaseAsync("verify", tx.VerifyAsync).ConfigureAwait(false);
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
            _events.OnReloadFailed(new ReloadFailedEventArgs(failed));
            return failed;
        }

        // 5b to 7, which cannot fail: the commit, the switch (one atomic write; new calls lease the
        // new generation from here on) and the retirement of the previous generation.
        using (HostTelemetry.StartPhase("switch"))
        {
            generation = await transaction.CommitAsync(_retirement.OnDrained).ConfigureAwait(false);
            _source.Publish(generation);
            Loading = [];
            if (serving is not null)
            {
                _retirement.Retire(serving);
            }
        }

        _events.OnStatusChanged();
        var result = new ReloadResult(generation.Number, published: true, plan.Outcomes(), null, _host.Time.GetElapsedTime(started));
        Log.ReloadSucceeded(_host.Logger, generation.Number, result.Duration.TotalMilliseconds, string.Join(", ", result.Plugins));
        _host.Telemetry.RecordReload(activity, result);
        _events.OnReloaded(new ReloadedEventArgs(result));
        return result;

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

    /// <summary>Step 1: reads the plugins root and plans; the host's status names what is about to be loaded before discovery ends.</summary>
    private ReloadPlan Plan(PluginGeneration? serving)
    {
        ReloadPlan plan;
        using (_beginDiscovery())
        {
            plan = ReloadPlan.Create(Discover(serving), serving?.Versions.Select(ServingPlugin.Of).ToList());
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
