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
    private object? _loadData;

    public override Task<ReloadResult> LoadAsync(object? data = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (Volatile.Read(ref _current) is not null)
        {
            throw new InvalidOperationException(SR.AlreadyLoaded);
        }

        Volatile.Write(ref _loadData, data);
        return LoadThenStartAsync(RequestReload(data, cancellationToken));

        async Task<ReloadResult> LoadThenStartAsync(Task<ReloadResult> load)
        {
            try
            {
                return await load.ConfigureAwait(false);
            }
            finally
            {
                // Whatever the first load's result, watch from now on: a fixed publish gets loaded.
                StartBackgroundServices();
            }
        }
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

    private async Task PumpAsync(TaskCompletionSource<ReloadResult> completion, object? data)
    {
        while (true)
        {
            try
            {
                // Without data of its own (the watcher's reloads, for one), a reload hands new versions what LoadAsync got.
                ReloadResult result = await ExecuteReloadAsync(data ?? Volatile.Read(ref _loadData), _disposing.Token).ConfigureAwait(false);
                if (result.Published)
                {
                    WriteStatus();
                }

                completion.TrySetResult(result);
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
        Log.ReloadStarting(_logger, servingNumber, _root ?? "(static plugins only)");

        var plan = new List<PlannedPlugin>();
        var fresh = new List<PluginVersion>();
        var replaced = new Dictionary<PluginVersion, PluginVersion>();
        ReloadPhase phase = ReloadPhase.Discover;
        bool switched = false;
        try
        {
            // 1. Discover, and plan what each plugin becomes.
            Dictionary<string, Source> sources = Discover();
            var carried = new Dictionary<string, PluginVersion>(StringComparer.OrdinalIgnoreCase);
            var toLoad = new Dictionary<string, Source>(StringComparer.OrdinalIgnoreCase);
            var changed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach ((string name, Source source) in sources)
            {
                PluginVersion? old = null;
                if (serving is not null && serving.TryGetVersion(name, out old) && (old.Version == source.Version || !old.Reloadable))
                {
                    carried.Add(name, old);
                }
                else
                {
                    toLoad.Add(name, source);
                    changed.Add(name);
                }
            }

            foreach (PluginVersion old in serving?.Versions ?? [])
            {
                if (!sources.ContainsKey(old.Name))
                {
                    changed.Add(old.Name);
                }
            }

            // Dependents of a changed plugin reload with it, transitively, in the same transaction:
            // no plugin may keep an export of a retired version.
            bool grew = true;
            while (grew)
            {
                grew = false;
                foreach (PluginVersion version in carried.Values.ToList())
                {
                    if (version.Reloadable && version.ImportNames.Any(changed.Contains))
                    {
                        carried.Remove(version.Name);
                        toLoad.Add(version.Name, sources[version.Name]);
                        changed.Add(version.Name);
                        grew = true;
                    }
                }
            }

            foreach (string name in sources.Keys.Concat(serving?.Versions.Select(static v => v.Name) ?? []).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                PluginVersion? old = null;
                serving?.TryGetVersion(name, out old);
                if (carried.TryGetValue(name, out PluginVersion? kept))
                {
                    // A static plugin can never be reloaded: every reload reports it so.
                    ReloadOutcome outcome = kept.IsStatic || kept.Version != sources[name].Version ? ReloadOutcome.NotReloadable : ReloadOutcome.Unchanged;
                    plan.Add(new(name, outcome, kept.Version, kept.Version));
                }
                else if (toLoad.TryGetValue(name, out Source? source))
                {
                    plan.Add(new(name, ReloadOutcome.Loaded, source.Version, old?.Version));
                }
                else
                {
                    plan.Add(new(name, ReloadOutcome.Removed, null, old?.Version));
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
            phase = ReloadPhase.Verify;
            var loadOrder = toLoad.Values.OrderBy(static s => s.Name, StringComparer.Ordinal).ToList();
            var verified = new Dictionary<string, PluginVersion>(StringComparer.OrdinalIgnoreCase);
            foreach (Source source in loadOrder)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (source.Found is { } plugin)
                {
                    verified[source.Name] = await Step(plugin.Name, ReloadPhase.Verify, plugin.VersionDirectory, () => PluginLoader.VerifyAsync(plugin, _hostAssemblies, cancellationToken)).ConfigureAwait(false);
                }
            }

            phase = ReloadPhase.Load;

            // 3. Load: a context per version (none for static plugins), the plugin created, Reloadable and Export read.
            foreach (Source source in loadOrder)
            {
                cancellationToken.ThrowIfCancellationRequested();
                PluginVersion version;
                if (source.Static is { } registration)
                {
                    version = PluginLoader.LoadStatic(registration);
                    fresh.Add(version);
                }
                else
                {
                    version = verified[source.Name];
                    fresh.Add(version);
                    Step(version.Name, ReloadPhase.Load, version.EntryAssemblyPath, () => PluginLoader.Load(version, _hostAssemblies));
                }

                bool reloadable = CallHook(version, ReloadPhase.Reloadable, static p => p.Reloadable);
                version.Reloadable = reloadable && !version.IsStatic;
                version.Exported = CallHook(version, ReloadPhase.Export, static p => p.Export());
                if (serving is not null && serving.TryGetVersion(version.Name, out PluginVersion? old))
                {
                    replaced[version] = old;
                }
            }

            // 4. Link: fill imports, order by dependency (ties by name).
            phase = ReloadPhase.Link;
            PluginVersion[] ordered = PluginLinker.Link([.. carried.Values, .. fresh], fresh.ToHashSet());
            fresh = [.. ordered.Where(fresh.Contains)];

            // 5. Initialize: OnLoad (new versions), the vault, OnInit (every version), state handoff.
            phase = ReloadPhase.OnLoad;
            foreach (PluginVersion version in fresh)
            {
                version.Context = new PluginContext(version.Name, version.Version, _loggerFactory.CreateLogger("Hotswap.Plugins." + version.Name), _options.Services ?? EmptyServiceProvider.Instance, data);
                version.OnLoadCalled = true;
                await RunHookAsync(version, ReloadPhase.OnLoad, (p, ct) => p.OnLoadAsync(version.Context, ct), cancellationToken).ConfigureAwait(false);
            }

            long number = servingNumber + 1;
            phase = ReloadPhase.Vault;
            Vault vault = BuildVault(number, ordered);
            phase = ReloadPhase.OnInit;
            foreach (PluginVersion version in ordered)
            {
                await RunHookAsync(version, ReloadPhase.OnInit, (p, ct) => p.OnInitAsync(vault, ct), cancellationToken).ConfigureAwait(false);
            }

            phase = ReloadPhase.SaveState;
            HandOffState(fresh, replaced);
            cancellationToken.ThrowIfCancellationRequested();

            // 6. Switch: one atomic write; new calls lease the new generation from here on.
            phase = ReloadPhase.Switch;
            var generation = new PluginGeneration(number, vault, ordered, PluginId, OnGenerationDrained);
            foreach (PluginVersion version in ordered)
            {
                version.AddGenerationRef();
            }

            Track(generation);
            Volatile.Write(ref _current, generation);
            switched = true;

            // 7. Retire: event subscriptions made through proxies move first, while the old
            // generation can still be leased; then it drains in the background (see .Retire.cs).
            FollowEvents();
            if (serving is not null)
            {
                RetireAfterSwitch(serving);
            }

            var result = new ReloadResult(number, published: true, Outcomes(plan), null, _time.GetElapsedTime(started));
            Log.ReloadSucceeded(_logger, number, result.Duration.TotalMilliseconds, string.Join(", ", result.Plugins));
            OnReloaded(new ReloadedEventArgs(result));
            return result;
        }
#pragma warning disable CA1031 // Isolation boundary: whatever fails before the switch, the new versions are rolled back and the serving generation stays.
        catch (Exception ex) when (!switched)
#pragma warning restore CA1031
        {
            PluginLoadException error = ex switch
            {
                PluginLoadException known => known,
                OperationCanceledException => new PluginLoadException(SR.AllPlugins, phase, null, SR.ReloadCancelled, ex),
                _ => new PluginLoadException(SR.AllPlugins, phase, null, SR.Unexpected(ex), ex),
            };
            await RollbackAsync(fresh).ConfigureAwait(false);
            var failed = new ReloadResult(servingNumber, published: false, FailedOutcomes(plan), error, _time.GetElapsedTime(started));
            Log.ReloadFailed(_logger, error.PluginName ?? SR.AllPlugins, error.Phase, error.FilePath ?? "", error);
            OnReloadFailed(new ReloadFailedEventArgs(failed));
            return failed;
        }
    }

    /// <summary>
    /// Retires the previous generation once the new one is published. The switch has happened: a
    /// failure here (a custom clock that throws, say) must not roll back versions that now serve.
    /// </summary>
    private void RetireAfterSwitch(PluginGeneration previous)
    {
        try
        {
            Retire(previous);
        }
#pragma warning disable CA1031 // Isolation boundary: after the switch, a failure is logged; the new generation keeps serving.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.RetirementFailed(_logger, previous.Number, ex);
            previous.Retire(); // without its drain report, but it still drains and frees its versions.
        }
    }

    /// <summary>Every plugin the next generation may hold: the folders under the plugins root and the static plugins.</summary>
    private Dictionary<string, Source> Discover()
    {
        var sources = new Dictionary<string, Source>(StringComparer.OrdinalIgnoreCase);
        if (_root is not null)
        {
            PluginGeneration? serving = Volatile.Read(ref _current);
            foreach (DiscoveredPlugin plugin in PluginDiscovery.Scan(_root, (name, version) => serving is not null && serving.TryGetVersion(name, out PluginVersion? loaded) && loaded.Version == version))
            {
                sources.Add(plugin.Name, new Source(plugin.Name, plugin.Version, plugin, null));
            }
        }

        foreach (StaticPluginRegistration registration in _options.StaticPlugins)
        {
            if (sources.TryGetValue(registration.Name, out Source? other))
            {
                throw new PluginLoadException(registration.Name, ReloadPhase.Discover, other.Found?.PluginDirectory, SR.StaticNameCollision(registration.Name));
            }

            sources.Add(registration.Name, new Source(registration.Name, StaticPluginRegistration.Version, null, registration));
        }

        return sources;
    }

    /// <summary>State handoff, in dependency order: SaveState on the version being replaced, RestoreState on its successor.</summary>
    private static void HandOffState(List<PluginVersion> fresh, Dictionary<PluginVersion, PluginVersion> replaced)
    {
        foreach (PluginVersion version in fresh)
        {
            if (!replaced.TryGetValue(version, out PluginVersion? old) || old.Instance is null)
            {
                continue;
            }

            LiveData? state = CallHook(old, ReloadPhase.SaveState, static p => p.SaveState());
            if (state is not null)
            {
                CallHook(version, ReloadPhase.RestoreState, p =>
                {
                    p.RestoreState(state, old.Version);
                    return true;
                });
            }
        }
    }

    /// <summary>Builds the generation's vault: the host's extension, and the live functions and types of every version.</summary>
    private Vault BuildVault(long number, PluginVersion[] ordered)
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

        var functions = new Dictionary<string, LiveFunctions.Entry>(StringComparer.Ordinal);
        var types = new Dictionary<string, LiveTypes.Entry>(StringComparer.Ordinal);
        foreach (PluginVersion version in ordered)
        {
            foreach ((string name, System.Reflection.MethodInfo method) in version.LiveFunctions)
            {
                if (functions.TryGetValue(name, out LiveFunctions.Entry? other))
                {
                    if (other.Method == method)
                    {
                        continue; // two static plugins from one assembly: the same member, counted once.
                    }

                    throw new PluginLoadException(version.Name, ReloadPhase.Vault, version.EntryAssemblyPath, SR.LiveNameCollision("function", name, other.PluginName));
                }

                functions.Add(name, new LiveFunctions.Entry(version.Name, method));
            }

            foreach ((string name, Type type) in version.LiveTypes)
            {
                if (types.TryGetValue(name, out LiveTypes.Entry? other))
                {
                    if (other.Type == type)
                    {
                        continue;
                    }

                    throw new PluginLoadException(version.Name, ReloadPhase.Vault, version.EntryAssemblyPath, SR.LiveNameCollision("type", name, other.PluginName));
                }

                types.Add(name, new LiveTypes.Entry(version.Name, type));
            }
        }

        return new Vault(number, extension, _dataBag, new LiveFunctions(functions), new LiveTypes(types));
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

    /// <summary>Where a plugin of the next generation comes from: a version folder, or a static registration.</summary>
    private sealed record Source(string Name, string Version, DiscoveredPlugin? Found, StaticPluginRegistration? Static);
}
