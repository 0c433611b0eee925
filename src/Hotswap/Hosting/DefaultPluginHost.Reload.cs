using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>Reloads: serialization and coalescing, then the transaction of docs/lifecycle.md, steps 1 to 6.</summary>
internal sealed partial class DefaultPluginHost
{
    private readonly Lock _reloadGate = new();
    private bool _reloading;
    private TaskCompletionSource<ReloadResult>? _followUp;
    private object? _followUpData;
    private Task _pump = Task.CompletedTask;

    public override Task<ReloadResult> LoadAsync(object? data = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Volatile.Read(ref _current) is not null)
        {
            throw new InvalidOperationException(SR.AlreadyLoaded);
        }

        return RequestReload(data, cancellationToken);
    }

    public override Task<ReloadResult> ReloadAsync(object? data = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return RequestReload(data, cancellationToken);
    }

    /// <summary>
    /// Runs a reload now, or, if one is running, joins the single follow-up reload that starts
    /// after it: any number of requests during a reload cost one more reload, which sees
    /// everything published before it started.
    /// </summary>
    private Task<ReloadResult> RequestReload(object? data, CancellationToken cancellationToken)
    {
        TaskCompletionSource<ReloadResult> completion;
        lock (_reloadGate)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (_reloading)
            {
                completion = _followUp ??= new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
                _followUpData = data;
            }
            else
            {
                _reloading = true;
                completion = new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);

                // The pump is a background loop: it must not capture the first caller's execution context.
                using (ExecutionContext.SuppressFlow())
                {
                    TaskCompletionSource<ReloadResult> first = completion;
                    _pump = Task.Run(() => PumpAsync(first, data));
                }
            }
        }

        return cancellationToken.CanBeCanceled ? completion.Task.WaitAsync(cancellationToken) : completion.Task;
    }

    private async Task PumpAsync(TaskCompletionSource<ReloadResult> completion, object? data)
    {
        while (true)
        {
            try
            {
                completion.TrySetResult(await ExecuteReloadAsync(data, _disposing.Token).ConfigureAwait(false));
            }
#pragma warning disable CA1031 // Isolation boundary: a bug in a reload is reported to its waiters, never lost in a background task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                completion.TrySetException(ex);
            }

            lock (_reloadGate)
            {
                if (_followUp is null || IsDisposed)
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

    private async Task<ReloadResult> ExecuteReloadAsync(object? data, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        PluginGeneration? serving = Volatile.Read(ref _current);
        long servingNumber = serving?.Number ?? 0;
        OnReloading(new ReloadingEventArgs(servingNumber));
        Log.ReloadStarting(_logger, servingNumber, _root);

        var plan = new List<PlannedPlugin>();
        var fresh = new List<PluginVersion>();
        try
        {
            // 1. Discover.
            List<DiscoveredPlugin> found = PluginDiscovery.Scan(_root);
            var carried = new List<PluginVersion>();
            var toLoad = new List<DiscoveredPlugin>();
            var foundNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (DiscoveredPlugin plugin in found)
            {
                foundNames.Add(plugin.Name);
                PluginVersion? old = null;
                if (serving is not null && serving.TryGetVersion(plugin.Name, out old) && old.Version == plugin.Version)
                {
                    carried.Add(old);
                    plan.Add(new(plugin.Name, ReloadOutcome.Unchanged, old.Version, old.Version));
                }
                else if (old is not null && !old.Reloadable)
                {
                    carried.Add(old);
                    plan.Add(new(plugin.Name, ReloadOutcome.NotReloadable, old.Version, old.Version));
                }
                else
                {
                    toLoad.Add(plugin);
                    plan.Add(new(plugin.Name, ReloadOutcome.Loaded, plugin.Version, old?.Version));
                }
            }

            foreach (PluginVersion old in serving?.Versions ?? [])
            {
                if (!foundNames.Contains(old.Name))
                {
                    plan.Add(new(old.Name, ReloadOutcome.Removed, null, old.Version));
                }
            }

            plan.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            if (serving is not null && plan.TrueForAll(static p => p.Outcome is ReloadOutcome.Unchanged or ReloadOutcome.NotReloadable))
            {
                // Nothing to do: no lifecycle call, no new generation, no new vault.
                var unchanged = new ReloadResult(servingNumber, published: false, Outcomes(plan), null, _time.GetElapsedTime(started));
                Log.ReloadNothingChanged(_logger, servingNumber);
                OnReloaded(new ReloadedEventArgs(unchanged));
                return unchanged;
            }

            // 2. Verify every changed plugin before creating any load context.
            foreach (DiscoveredPlugin plugin in toLoad)
            {
                cancellationToken.ThrowIfCancellationRequested();
                fresh.Add(await Step(plugin.Name, ReloadPhase.Verify, plugin.VersionDirectory, () => PluginLoader.VerifyAsync(plugin, _hostAssemblies, cancellationToken)).ConfigureAwait(false));
            }

            // 3. Load: a context per version, the plugin created, Reloadable and Export read (per plugin, by name).
            foreach (PluginVersion version in fresh)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Step(version.Name, ReloadPhase.Load, version.EntryAssemblyPath, () => PluginLoader.Load(version, _hostAssemblies));
                version.Reloadable = CallHook(version, ReloadPhase.Reloadable, static p => p.Reloadable);
                version.Exported = CallHook(version, ReloadPhase.Export, static p => p.Export());
            }

            // 4. Link: order every version of the new generation (dependency order arrives with imports; ties by name).
            PluginVersion[] ordered = [.. carried.Concat(fresh).OrderBy(static v => v.Name, StringComparer.Ordinal)];
            fresh = [.. ordered.Where(fresh.Contains)];

            // 5. Initialize: OnLoad, the vault, OnInit.
            foreach (PluginVersion version in fresh)
            {
                version.Context = new PluginContext(version.Name, version.Version, _loggerFactory.CreateLogger("Hotswap.Plugins." + version.Name), _options.Services ?? EmptyServiceProvider.Instance, data);
                version.OnLoadCalled = true;
                await RunHookAsync(version, ReloadPhase.OnLoad, (p, ct) => p.OnLoadAsync(version.Context, ct), cancellationToken).ConfigureAwait(false);
            }

            long number = servingNumber + 1;
            Vault vault = BuildVault(number);
            foreach (PluginVersion version in fresh)
            {
                await RunHookAsync(version, ReloadPhase.OnInit, (p, ct) => p.OnInitAsync(vault, ct), cancellationToken).ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();

            // 6. Switch: one atomic write; new calls lease the new generation from here on.
            var generation = new PluginGeneration(number, vault, ordered, OnGenerationDrained);
            foreach (PluginVersion version in ordered)
            {
                version.AddGenerationRef();
            }

            Track(generation);
            Volatile.Write(ref _current, generation);

            // 7. Retire: the old generation drains in the background (see .Retire.cs).
            if (serving is not null)
            {
                Retire(serving);
            }

            var result = new ReloadResult(number, published: true, Outcomes(plan), null, _time.GetElapsedTime(started));
            Log.ReloadSucceeded(_logger, number, result.Duration.TotalMilliseconds, string.Join(", ", result.Plugins));
            OnReloaded(new ReloadedEventArgs(result));
            return result;
        }
        catch (Exception ex) when (ex is PluginLoadException or OperationCanceledException)
        {
            PluginLoadException error = ex as PluginLoadException
                ?? new PluginLoadException(SR.AllPlugins, ReloadPhase.Switch, null, SR.ReloadCancelled, ex);
            await RollbackAsync(fresh).ConfigureAwait(false);
            var failed = new ReloadResult(servingNumber, published: false, FailedOutcomes(plan), error, _time.GetElapsedTime(started));
            Log.ReloadFailed(_logger, error.PluginName ?? SR.AllPlugins, error.Phase, error.FilePath ?? "", error);
            OnReloadFailed(new ReloadFailedEventArgs(failed));
            return failed;
        }
    }

    private Vault BuildVault(long number)
    {
        object? extension;
        try
        {
            extension = _options.ExtensionFactory?.Invoke();
        }
#pragma warning disable CA1031 // Isolation boundary: a failing host factory fails the reload, it never escapes it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(SR.AllPlugins, ReloadPhase.Vault, null, SR.HookThrew("the extension factory", ex), ex);
        }

        return new Vault(number, extension);
    }

    /// <summary>Runs a step of the loader, turning an unexpected failure into one that names plugin, phase and file.</summary>
    private static async Task<T> Step<T>(string pluginName, ReloadPhase phase, string file, Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not PluginLoadException and not OperationCanceledException)
        {
            throw new PluginLoadException(pluginName, phase, file, SR.Unexpected(ex), ex);
        }
    }

    private static void Step(string pluginName, ReloadPhase phase, string file, Action step)
    {
        try
        {
            step();
        }
        catch (Exception ex) when (ex is not PluginLoadException and not OperationCanceledException)
        {
            throw new PluginLoadException(pluginName, phase, file, SR.Unexpected(ex), ex);
        }
    }

    private static T CallHook<T>(PluginVersion version, ReloadPhase phase, Func<Plugin, T> hook)
    {
        try
        {
            return hook(version.GetInstance());
        }
#pragma warning disable CA1031 // Isolation boundary: plugin code fails the reload, it never escapes it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(version.Name, phase, version.EntryAssemblyPath, SR.HookThrew(SR.HookName(phase), ex), ex);
        }
    }

    /// <summary>Runs an async lifecycle hook under <see cref="PluginHostOptions.LifecycleTimeout"/>.</summary>
    private async Task RunHookAsync(PluginVersion version, ReloadPhase phase, Func<Plugin, CancellationToken, Task> hook, CancellationToken cancellationToken)
    {
        TimeSpan timeout = _options.LifecycleTimeout;
        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            Task task = hook(version.GetInstance(), linked.Token) ?? Task.CompletedTask;
            await task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is TimeoutException || (ex is OperationCanceledException && timeoutSource.IsCancellationRequested))
        {
            throw new PluginLoadException(version.Name, phase, version.EntryAssemblyPath, SR.HookTimedOut(SR.HookName(phase), timeout), ex);
        }
#pragma warning disable CA1031 // Isolation boundary: plugin code fails the reload, it never escapes it.
        catch (Exception ex) when (ex is not PluginLoadException)
#pragma warning restore CA1031
        {
            throw new PluginLoadException(version.Name, phase, version.EntryAssemblyPath, SR.HookThrew(SR.HookName(phase), ex), ex);
        }
    }

    /// <summary>Undoes a failed reload: OnFree in reverse order for the versions whose OnLoad ran, then unload them all.</summary>
    private async Task RollbackAsync(List<PluginVersion> fresh)
    {
        for (int i = fresh.Count - 1; i >= 0; i--)
        {
            await FreeAsync(fresh[i]).ConfigureAwait(false);
        }

        foreach (PluginVersion version in fresh)
        {
            // Not watched: the failed result's exception may reference the version's code until the caller drops it.
            version.DetachAndUnload();
        }
    }

    private static List<PluginOutcome> Outcomes(List<PlannedPlugin> plan)
        => plan.ConvertAll(static p => new PluginOutcome(p.Name, p.Outcome, p.Version, p.PreviousVersion));

    private static List<PluginOutcome> FailedOutcomes(List<PlannedPlugin> plan)
        => plan.ConvertAll(static p => p.Outcome is ReloadOutcome.Unchanged or ReloadOutcome.NotReloadable
            ? new PluginOutcome(p.Name, p.Outcome, p.PreviousVersion, p.PreviousVersion)
            : new PluginOutcome(p.Name, ReloadOutcome.Failed, p.PreviousVersion, p.PreviousVersion));

    private sealed record PlannedPlugin(string Name, ReloadOutcome Outcome, string? Version, string? PreviousVersion);
}
