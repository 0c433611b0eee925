namespace Hotswap;

/// <summary>
/// Loads the plugins of a plugins root, serves calls on the current generation, reloads them
/// transactionally, and retires old versions once their last call returned.
/// </summary>
/// <remarks>
/// <para>
/// Thread safety: every member may be called from any thread. Callers never take a lock: a call
/// leases the current generation, runs on it from start to end, and releases it. Reloads are
/// serialized; requests made while one runs coalesce into one follow-up reload.
/// </para>
/// <para>
/// Events are raised on the thread doing the work (the reload, or a background retirement), never
/// under a lock; an exception thrown by a handler is logged and ignored.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = "plugins" });
/// (await host.LoadAsync()).EnsureSuccess();
/// string greeting = (string)host.Invoke("world", "greet", "you")!;
/// </code>
/// </example>
public abstract class PluginHost : IAsyncDisposable
{
    private readonly GenerationSource _source;

    // The last plugin name a lambda call asked for, with its id: callers usually pass the same string
    // object (a literal) every time, and then no hashing is needed.
    private LastPluginId? _lastPluginId;

    private protected PluginHost(GenerationSource source) => _source = source;

    /// <summary>Raised when a reload starts.</summary>
    public event EventHandler<ReloadingEventArgs>? Reloading;

    /// <summary>Raised when a reload succeeded (including a reload with nothing to do).</summary>
    public event EventHandler<ReloadedEventArgs>? Reloaded;

    /// <summary>Raised when a reload failed; the previous generation keeps serving.</summary>
    public event EventHandler<ReloadFailedEventArgs>? ReloadFailed;

    /// <summary>Raised when a retired version has drained its calls, before its <c>OnFreeAsync</c> and unload.</summary>
    public event EventHandler<UnloadingEventArgs>? Unloading;

    /// <summary>Raised when a retired version's load context was proven collected.</summary>
    public event EventHandler<UnloadedEventArgs>? Unloaded;

    /// <summary>Raised when a retired version was not drained, or not collected, within <see cref="PluginHostOptions.UnloadTimeout"/>.</summary>
    public event EventHandler<UnloadStuckEventArgs>? UnloadStuck;

    /// <summary>Occurs when the host switched back to the generation kept on probation: by <see cref="RollbackAsync"/>, or by itself (<see cref="PluginHostOptions.AutoRollback"/>).</summary>
    public event EventHandler<RolledBackEventArgs>? RolledBack;

    /// <summary>Gets the number of the generation serving now; 0 before the first successful load.</summary>
    public abstract long GenerationNumber { get; }

    /// <summary>Gets the retired versions whose unload was reported stuck and that are still in memory.</summary>
    public abstract IReadOnlyList<PluginVersionInfo> StuckVersions { get; }

    /// <summary>Creates a host. Nothing is loaded until <see cref="LoadAsync"/>.</summary>
    /// <param name="options">The options; validated here, every error reported at once.</param>
    /// <returns>The host.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The options are not valid.</exception>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)] // the calling assembly names the default sharing context
    public static PluginHost Create(PluginHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        System.Runtime.Loader.AssemblyLoadContext sharing = options.SharingContext
            ?? System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(System.Reflection.Assembly.GetCallingAssembly())
            ?? System.Runtime.Loader.AssemblyLoadContext.Default;
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.PluginsRoot) && (options.PluginsRoot is not null || options.StaticPlugins.Count == 0))
        {
            errors.Add(SR.OptionRootRequired);
        }

        foreach (IGrouping<string, StaticPluginRegistration> twice in options.StaticPlugins.GroupBy(static p => p.Name, StringComparer.OrdinalIgnoreCase).Where(static g => g.Count() > 1))
        {
            errors.Add(SR.StaticNameTwice(twice.Key));
        }

        if (options.LifecycleTimeout <= TimeSpan.Zero && options.LifecycleTimeout != Timeout.InfiniteTimeSpan)
        {
            errors.Add(SR.OptionPositive(nameof(options.LifecycleTimeout)));
        }

        if (options.UnloadTimeout <= TimeSpan.Zero)
        {
            errors.Add(SR.OptionPositive(nameof(options.UnloadTimeout)));
        }

        if (options.UnloadForcedCollections < 1)
        {
            errors.Add(SR.OptionPositive(nameof(options.UnloadForcedCollections)));
        }

        if (options.WatchDebounce < TimeSpan.Zero)
        {
            errors.Add(SR.OptionNotNegative(nameof(options.WatchDebounce)));
        }

        if (options.PollingInterval <= TimeSpan.Zero)
        {
            errors.Add(SR.OptionPositive(nameof(options.PollingInterval)));
        }

        if (options.StatusInterval <= TimeSpan.Zero)
        {
            errors.Add(SR.OptionPositive(nameof(options.StatusInterval)));
        }

        if (options.Probation < TimeSpan.Zero && options.Probation != Timeout.InfiniteTimeSpan)
        {
            errors.Add(SR.OptionNotNegative(nameof(options.Probation)));
        }
        else if (options.Probation > PluginHostOptions.MaxProbation)
        {
            errors.Add(SR.OptionProbationTooLong);
        }

        if (options.AutoRollback is { } auto)
        {
            if (options.Probation == TimeSpan.Zero)
            {
                errors.Add(SR.OptionAutoRollbackNeedsProbation);
            }

            if (!(auto.FailureRate > 0 && auto.FailureRate <= 1))
            {
                errors.Add(SR.OptionFailureRate);
            }

            if (auto.MinimumCalls < 1)
            {
                errors.Add(SR.OptionPositive("AutoRollback.MinimumCalls"));
            }
        }

        if (options.MaxDrainingVersions < 1)
        {
            errors.Add(SR.OptionPositive(nameof(options.MaxDrainingVersions)));
        }

        if (options.Watch && string.IsNullOrWhiteSpace(options.PluginsRoot))
        {
            errors.Add(SR.OptionWatchNeedsRoot);
        }

        if (options.TimeProvider is null)
        {
            errors.Add(SR.OptionRequired(nameof(options.TimeProvider)));
        }

        try
        {
            _ = TrustedKeySet.Create(options.TrustedKeys);
        }
        catch (ArgumentException ex)
        {
            errors.Add(SR.OptionTrustedKeys(ex.Message));
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(SR.OptionsInvalid(errors), nameof(options));
        }

        return new DefaultPluginHost(options, sharing);
    }

    /// <summary>Loads the first generation from the plugins root.</summary>
    /// <param name="data">Data handed to every plugin through <see cref="IPluginContext.Data"/>.</param>
    /// <param name="cancellationToken">Stops waiting for the result; the load itself runs to its end.</param>
    /// <returns>What happened to each plugin; on failure, the plugin, phase and file.</returns>
    /// <exception cref="InvalidOperationException">A generation is already loaded: call <see cref="ReloadAsync"/>.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract Task<ReloadResult> LoadAsync(object? data = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reloads: loads what was republished, added or removed beside the serving generation, then
    /// switches to the new generation in one atomic step, or changes nothing if any step fails.
    /// </summary>
    /// <param name="data">Data handed to the new versions through <see cref="IPluginContext.Data"/>; <see langword="null"/> hands them what <see cref="LoadAsync"/> got (as the watcher's reloads do). Requests made while a reload runs coalesce into one follow-up reload, which gets the newest non-null data among them.</param>
    /// <param name="cancellationToken">Stops waiting for the result; the reload itself runs to its end.</param>
    /// <returns>What happened to each plugin; on failure, the plugin, phase and file.</returns>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract Task<ReloadResult> ReloadAsync(object? data = null, CancellationToken cancellationToken = default);

    /// <summary>Leases the current generation, so several calls see the same versions.</summary>
    /// <returns>The lease; dispose it when done.</returns>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract GenerationLease Acquire();

    /// <summary>Calls <see cref="Plugin.Invoke"/> on one plugin of the current generation, under a lease.</summary>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>What the plugin returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">The current generation has no plugin of that name.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract object? Invoke(string pluginName, string name, params object?[] args);

    /// <summary>
    /// Returns a proxy for <typeparamref name="T"/> that calls the plugin's current version: keep it
    /// for the life of the host. Each call leases the current generation and holds the lease until
    /// the call is over: when a method returns, when a returned task completes, when an async
    /// enumeration is disposed. Events subscribed through the proxy follow every reload.
    /// </summary>
    /// <typeparam name="T">An interface marked <see cref="PluginContractAttribute"/>, whose proxy the <c>Hotswap.Generators</c> analyzer generated.</typeparam>
    /// <param name="pluginName">The plugin's name (case-insensitive). It need not be loaded yet: calls fail until it is.</param>
    /// <returns>The proxy; a new one on every call, all equivalent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">No proxy was generated for <typeparamref name="T"/>.</exception>
    /// <remarks>
    /// Calls through the proxy throw <see cref="KeyNotFoundException"/> when the current generation
    /// has no such plugin, and <see cref="InvalidCastException"/> when its export is not a <typeparamref name="T"/>.
    /// </remarks>
    public abstract T GetProxy<T>(string pluginName)
        where T : class;

    /// <summary>
    /// Calls <paramref name="call"/> with the export of one plugin of the current generation, under
    /// a lease held until <paramref name="call"/> returns. With a <see langword="static"/> lambda
    /// and the arguments in <paramref name="state"/>, nothing is allocated.
    /// </summary>
    /// <typeparam name="TContract">A contract type the plugin's export implements.</typeparam>
    /// <typeparam name="TState">What <paramref name="call"/> needs besides the export.</typeparam>
    /// <typeparam name="TResult">What <paramref name="call"/> returns.</typeparam>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <param name="call">The call; it must not keep the export beyond its return.</param>
    /// <param name="state">Passed to <paramref name="call"/>.</param>
    /// <returns>What <paramref name="call"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> or <paramref name="call"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">The current generation has no plugin of that name.</exception>
    /// <exception cref="InvalidCastException">The plugin exports nothing, or nothing of type <typeparamref name="TContract"/>.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    /// <example>
    /// <code>
    /// string s = host.Invoke("world", static (IGreeter g, string name) => g.Greet(name), "you");
    /// </code>
    /// </example>
    /// <remarks>Not virtual, like the proxies' calls: a generic virtual method would cost a runtime lookup on every call.</remarks>
    public TResult Invoke<TContract, TState, TResult>(string pluginName, Func<TContract, TState, TResult> call, TState state)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(call);
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        int id = PluginIdCached(pluginName);
        if (generation.Monitor is not null)
        {
            return InvokeMonitored(generation, cell, id, pluginName, call, state);
        }

        try
        {
            return call(generation.GetExport<TContract>(id, pluginName), state);
        }
        finally
        {
            generation.Leases.Release(cell);
        }
    }

    /// <summary>
    /// Calls <paramref name="call"/> with the export of one plugin of the current generation, under
    /// a lease held until <paramref name="call"/> returns. With a <see langword="static"/> lambda
    /// and the arguments in <paramref name="state"/>, nothing is allocated.
    /// </summary>
    /// <typeparam name="TContract">A contract type the plugin's export implements.</typeparam>
    /// <typeparam name="TState">What <paramref name="call"/> needs besides the export.</typeparam>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <param name="call">The call; it must not keep the export beyond its return.</param>
    /// <param name="state">Passed to <paramref name="call"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> or <paramref name="call"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">The current generation has no plugin of that name.</exception>
    /// <exception cref="InvalidCastException">The plugin exports nothing, or nothing of type <typeparamref name="TContract"/>.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public void Invoke<TContract, TState>(string pluginName, Action<TContract, TState> call, TState state)
        where TContract : class
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(call);
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        int id = PluginIdCached(pluginName);
        if (generation.Monitor is not null)
        {
            _ = InvokeMonitored<TContract, (Action<TContract, TState> Call, TState State), int>(generation, cell, id, pluginName, static (c, s) =>
            {
                s.Call(c, s.State);
                return 0;
            }, (call, state));
            return;
        }

        try
        {
            call(generation.GetExport<TContract>(id, pluginName), state);
        }
        finally
        {
            generation.Leases.Release(cell);
        }
    }

    /// <summary>
    /// Calls <see cref="Plugin.Invoke"/> on one plugin of the current generation and, when it
    /// returns a <see cref="Task"/>, awaits it, holding the lease until the task completes.
    /// </summary>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments, or <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Stops waiting; the lease is still held until the plugin's task completes.</param>
    /// <returns>What the plugin returned, or the result of the task it returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">The current generation has no plugin of that name.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract ValueTask<object?> InvokeAsync(string pluginName, string name, object?[]? args = null, CancellationToken cancellationToken = default);

    /// <summary>Calls <see cref="Plugin.Invoke"/> on every plugin of the current generation, in dependency order.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="AggregateException">One or more plugins threw; every plugin was still visited.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract void InvokeEach(string name, params object?[] args);

    /// <summary>Calls <see cref="Plugin.Invoke"/> on every plugin of the current generation, in reverse dependency order.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="AggregateException">One or more plugins threw; every plugin was still visited.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract void InvokeEachBackward(string name, params object?[] args);

    /// <summary>
    /// Switches back, in one atomic step, to the generation that served before the last switch,
    /// while it is kept on probation (<see cref="PluginHostOptions.Probation"/>). Nothing is loaded:
    /// each version that comes back first gets the state of the version it replaces
    /// (<see cref="Plugin.SaveState"/> on the newer version, then <see cref="Plugin.RestoreState"/>
    /// on the older one, whose <c>fromVersion</c> is the newer version). Calls running on the newer
    /// generation finish on it; it then drains, is freed and unloads like any retired generation.
    /// The versions rolled back are not loaded again by later reloads until another version of
    /// their plugin is published.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for a reload in progress; a rollback that started runs to its end.</param>
    /// <returns>
    /// The rollback's result (<see cref="ReloadResult.RolledBack"/>), or a failed result
    /// (phase <see cref="ReloadPhase.Rollback"/>) when no generation is on probation.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public abstract Task<ReloadResult> RollbackAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops reloading, retires the serving generation, waits (up to <see cref="PluginHostOptions.UnloadTimeout"/>)
    /// for its calls to drain and its versions to be freed, and unloads them.
    /// </summary>
    /// <returns>A task that completes when the host has stopped.</returns>
    public abstract ValueTask DisposeAsync();

    /// <summary>Forgets the remembered plugin name, so a disposed host keeps no caller's string.</summary>
    private protected void ForgetPluginName() => Volatile.Write(ref _lastPluginId, null);

    /// <summary>A lambda call on a generation on probation with automatic rollback: counted, and counted as failed when it throws.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static TResult InvokeMonitored<TContract, TState, TResult>(PluginGeneration generation, LeaseCell? cell, int id, string pluginName, Func<TContract, TState, TResult> call, TState state)
        where TContract : class
    {
        generation.Monitor?.Call(id);
        try
        {
            return call(generation.GetExport<TContract>(id, pluginName), state);
        }
        catch (Exception ex) when (CountFailure(generation, id, ex))
        {
            throw;
        }
        finally
        {
            generation.Leases.Release(cell);
        }
    }

    /// <summary>Counts a failed call on a generation on probation (an exception filter: never catches).</summary>
    private protected static bool CountFailure(PluginGeneration generation, int pluginId, Exception exception)
    {
        generation.CountFailure(pluginId, exception);
        return false;
    }

    /// <summary>Gets the id of a plugin name, remembering the last name asked (by reference).</summary>
    private int PluginIdCached(string pluginName)
    {
        LastPluginId? last = Volatile.Read(ref _lastPluginId);
        if (last is not null && ReferenceEquals(last.Name, pluginName))
        {
            return last.Id;
        }

        int id = _source.Ids.Find(pluginName);
        if (id >= 0)
        {
            // Only a name some generation held has an id: an unknown name is looked up by name each time.
            Volatile.Write(ref _lastPluginId, new LastPluginId(pluginName, id));
        }

        return id;
    }

    private protected void OnReloading(ReloadingEventArgs args) => Raise(Reloading, args);

    private protected void OnReloaded(ReloadedEventArgs args) => Raise(Reloaded, args);

    private protected void OnReloadFailed(ReloadFailedEventArgs args) => Raise(ReloadFailed, args);

    private protected void OnUnloading(UnloadingEventArgs args) => Raise(Unloading, args);

    private protected void OnUnloaded(UnloadedEventArgs args) => Raise(Unloaded, args);

    private protected void OnUnloadStuck(UnloadStuckEventArgs args) => Raise(UnloadStuck, args);

    private protected void OnRolledBack(RolledBackEventArgs args) => Raise(RolledBack, args);

    private protected abstract void OnEventHandlerFailed(string eventName, Exception exception);

    private void Raise<T>(EventHandler<T>? handler, T args, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(handler))] string eventName = "")
    {
        if (handler is null)
        {
            return;
        }

        foreach (EventHandler<T> single in handler.GetInvocationList().Cast<EventHandler<T>>())
        {
            try
            {
                single(this, args);
            }
#pragma warning disable CA1031 // Isolation boundary: a failing subscriber must not fail a reload or a retirement, nor stop the other subscribers.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                OnEventHandlerFailed(eventName, ex);
            }
        }
    }

    private sealed record LastPluginId(string Name, int Id);
}
