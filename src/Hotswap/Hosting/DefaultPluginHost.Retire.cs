using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Step 7: retirement. A retired generation drains (its last lease is released), then each version
/// that no other generation uses gets OnFreeAsync, its registrations disposed, the framework
/// metadata caches cleared, and its context unloaded; the watchdog then proves the collection.
/// </summary>
internal sealed partial class DefaultPluginHost
{
    private readonly Lock _generationsGate = new();
    private readonly Dictionary<PluginGeneration, GenerationState> _generations = [];

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _watcher?.Dispose();
        Task pump;
        lock (_reloadGate)
        {
            pump = _pump;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        PluginGeneration? serving = Interlocked.Exchange(ref _current, null);
        if (serving is not null)
        {
            RetireAfterSwitch(serving);
        }

        Task[] freed;
        lock (_generationsGate)
        {
            freed = [.. _generations.Values.Select(static s => s.Freed.Task)];
        }

        try
        {
            await Task.WhenAll(freed).WaitAsync(_options.UnloadTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.DisposeTimedOut(_logger, _options.UnloadTimeout.TotalMilliseconds);
        }

        if (_statusTimer is not null)
        {
            await _statusTimer.DisposeAsync().ConfigureAwait(false);
        }

        _status?.Dispose();
        _disposing.Dispose();
    }

    private void Track(PluginGeneration generation)
    {
        lock (_generationsGate)
        {
            _generations.Add(generation, new GenerationState());
        }
    }

    /// <summary>Retires a generation that no longer serves; reports it if its calls do not drain in time.</summary>
    private void Retire(PluginGeneration generation)
    {
        GenerationState state;
        lock (_generationsGate)
        {
            state = _generations[generation];
        }

        PluginGeneration? serving = Volatile.Read(ref _current);
        foreach (PluginVersion version in generation.Versions)
        {
            if (serving is null || !serving.TryGetVersion(version.Name, out PluginVersion? kept) || kept != version)
            {
                TrackRetiring(version.Info, +1);
            }
        }

        // Created before Retire() so a drain that completes at once always finds the timer to stop.
        state.DrainWatch = _time.CreateTimer(_ => ReportNotDrained(generation), null, _options.UnloadTimeout, Timeout.InfiniteTimeSpan);
        generation.Retire();
    }

    /// <summary>Called on whichever thread released the last lease of a retired generation.</summary>
    private void OnGenerationDrained(PluginGeneration generation)
    {
        // Hand the work to the thread pool: no caller pays for OnFreeAsync or unloading, and no
        // caller's execution context flows into plugin code.
        using (ExecutionContext.SuppressFlow())
        {
            _ = Task.Run(() => RetireGenerationAsync(generation));
        }
    }

    private async Task RetireGenerationAsync(PluginGeneration generation)
    {
        GenerationState? state;
        lock (_generationsGate)
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
            var problems = new Dictionary<PluginVersion, string?>();
            foreach (PluginVersion version in retiring)
            {
                OnUnloading(new UnloadingEventArgs(version.Info));
                problems[version] = await FreeAsync(version).ConfigureAwait(false);
            }

            if (retiring.Count > 0)
            {
                // Framework caches (System.Text.Json among them) hold plugin types until cleared.
                MetadataCacheSweeper.ClearCaches(_logger);
            }

            foreach (PluginVersion version in retiring)
            {
                WeakReference? context = version.DetachAndUnload();
                if (context is not null)
                {
                    _watchdog.Watch(version.Info, context, problems[version]);
                }
                else
                {
                    TrackRetiring(version.Info, -1); // a static plugin: freed, nothing to unload.
                }
            }
        }
#pragma warning disable CA1031 // Isolation boundary: a retirement failure is logged; it never crashes the host from a background task.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RetirementFailed(_logger, generation.Number, ex);
        }
        finally
        {
            lock (_generationsGate)
            {
                _generations.Remove(generation);
            }

            state?.Freed.TrySetResult();
        }
    }

    /// <summary>Calls OnFreeAsync (if OnLoadAsync was called) and disposes the registrations; returns what went wrong, for a later stuck report.</summary>
    private async Task<string?> FreeAsync(PluginVersion version)
    {
        string? problem = null;
        if (version.OnLoadCalled && version.Instance is not null)
        {
            try
            {
                await RunHookAsync(version, ReloadPhase.Free, static (p, ct) => p.OnFreeAsync(ct), CancellationToken.None).ConfigureAwait(false);
            }
            catch (PluginLoadException ex)
            {
                Log.OnFreeFailed(_logger, version.Name, version.Version, ex.InnerException ?? ex);
                problem = SR.FreeProblem(ex.Reason ?? ex.Message);
            }
        }

        if (version.Context is { } context)
        {
            foreach (Exception failure in context.Release())
            {
                Log.RegistrationDisposeFailed(_logger, version.Name, version.Version, failure);
                problem += SR.RegistrationProblem(failure);
            }
        }

        return problem;
    }

    private void ReportNotDrained(PluginGeneration generation)
    {
        if (generation.IsDrained)
        {
            return;
        }

        PluginGeneration? serving = Volatile.Read(ref _current);
        foreach (PluginVersion version in generation.Versions)
        {
            if (serving is null || !serving.TryGetVersion(version.Name, out PluginVersion? current) || current != version)
            {
                string cause = SR.NotDrained(generation.Number, generation.Leases);
                Log.UnloadStuck(_logger, version.Name, version.Version, _options.UnloadTimeout.TotalMilliseconds, cause);
                OnUnloadStuck(new UnloadStuckEventArgs(version.Info, _options.UnloadTimeout, cause) { StillDraining = true });
            }
        }
    }

    private void ReportUnloaded(PluginVersionInfo version, TimeSpan elapsed, int collections)
    {
        TrackRetiring(version, -1);
        WriteStatus();
        Log.VersionUnloaded(_logger, version.PluginName, version.Version, elapsed.TotalMilliseconds, collections);
        OnUnloaded(new UnloadedEventArgs(version, elapsed, collections));
    }

    private void ReportStuck(PluginVersionInfo version, TimeSpan elapsed, string cause)
    {
        TrackRetiring(version, -1);
        WriteStatus();
        Log.UnloadStuck(_logger, version.PluginName, version.Version, elapsed.TotalMilliseconds, cause);
        OnUnloadStuck(new UnloadStuckEventArgs(version, elapsed, cause));
    }

    private sealed class GenerationState
    {
        public TaskCompletionSource Freed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ITimer? DrainWatch { get; set; }
    }
}
