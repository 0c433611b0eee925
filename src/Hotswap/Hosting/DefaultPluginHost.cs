using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap;

/// <summary>
/// The host: leasing, calls and events. It composes the parts that own each protocol: the
/// <see cref="GenerationSource"/> (the current generation and its leases), the
/// <see cref="ReloadCoordinator"/> (reloads, one at a time), the <see cref="Retirement"/> (drains,
/// frees, unloads, proves) and the <see cref="HostBackground"/> (status file and watcher).
/// </summary>
/// <remarks>
/// Start order: the status file (before the first discovery), the first load, then the watcher.
/// Stop order (<see cref="DisposeAsync"/>), the reverse: the watcher, the reloads (the running one
/// is cancelled and awaited), the serving generation (retired, then drained within
/// <see cref="PluginHostOptions.UnloadTimeout"/>), then the status file.
/// </remarks>
internal sealed class DefaultPluginHost : PluginHost, IHostEvents
{
    private readonly HostRuntime _host;
    private readonly GenerationSource _source;
    private readonly Retirement _retirement;
    private readonly ReloadCoordinator _reloads;
    private readonly HostBackground _background;
    private int _disposed;

    public DefaultPluginHost(PluginHostOptions options, System.Runtime.Loader.AssemblyLoadContext sharing)
        : this(options, sharing, options.LoggerFactory ?? NullLoggerFactory.Instance)
    {
    }

    private DefaultPluginHost(PluginHostOptions options, System.Runtime.Loader.AssemblyLoadContext sharing, ILoggerFactory loggerFactory)
        : this(options, sharing, loggerFactory, new GenerationSource(loggerFactory.CreateLogger("Hotswap.PluginHost")))
    {
    }

    private DefaultPluginHost(PluginHostOptions options, System.Runtime.Loader.AssemblyLoadContext sharing, ILoggerFactory loggerFactory, GenerationSource source)
        : base(source)
    {
        _source = source;
        _host = new HostRuntime(options, sharing, _source, loggerFactory, ObserveTelemetry);
        _retirement = new Retirement(_host, _source, this, options.UnloadForcedCollections, () => _reloads?.KeptGeneration);
        _background = new HostBackground(_host, options, TakeStatus);
        string? root = _host.Root;

        // A prune holds this lock exclusively while it reads the hosts' status and deletes: taken shared
        // from reading the plugins root until the status says what this reload is about to load.
        _reloads = new ReloadCoordinator(_host, _source, _retirement, this, () => root is null ? null : PruneLock.EnterShared(root));
    }

    public override long GenerationNumber => _source.Current?.Number ?? 0;

    public override IReadOnlyList<PluginVersionInfo> StuckVersions => _retirement.StuckVersions;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public override Task<ReloadResult> LoadAsync(object? data = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_source.Current is not null)
        {
            throw new InvalidOperationException(SR.AlreadyLoaded);
        }

        _reloads.SetLoadData(data);
        _background.StartStatus();
        return LoadThenWatchAsync(_reloads.RequestAsync(data, cancellationToken));

        async Task<ReloadResult> LoadThenWatchAsync(Task<ReloadResult> load)
        {
            try
            {
                return await load.ConfigureAwait(false);
            }
            finally
            {
                // Whatever the first load's result, watch from now on: a fixed publish gets loaded.
                _background.StartWatching(() => ReloadAsync());
            }
        }
    }

    public override Task<ReloadResult> ReloadAsync(object? data = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _reloads.RequestAsync(data, cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _background.StopWatching();
        await _reloads.StopAsync().ConfigureAwait(false);
        if (_reloads.TakeKept() is { } kept)
        {
            _retirement.Retire(kept, alsoKept: _source.Current);
        }

        if (_source.Close() is { } serving)
        {
            _retirement.Retire(serving);
        }

        if (!await _retirement.WhenFreedAsync(_host.UnloadTimeout).ConfigureAwait(false))
        {
            Log.DisposeTimedOut(_host.Logger, _host.UnloadTimeout.TotalMilliseconds);
        }

        await _retirement.StopDiagnosisAsync().ConfigureAwait(false);

        await _background.StopAsync().ConfigureAwait(false);
        _host.Telemetry.Dispose();
        ForgetPluginName();
    }

    public override Task<ReloadResult> RollbackAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        return _reloads.RollbackAsync(cancellationToken);
    }

    public override GenerationLease Acquire() => new(_source.AcquireShared());

    public override object? Invoke(string pluginName, string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        int id = CountCall(generation, pluginName);
        try
        {
            return generation.Invoke(pluginName, name, args);
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

    public override ValueTask<object?> InvokeAsync(string pluginName, string name, object?[]? args = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        int id = CountCall(generation, pluginName);
        object? result;
        try
        {
            result = generation.Invoke(pluginName, name, args ?? []);
        }
        catch (Exception ex)
        {
            CountFailure(generation, id, ex);
            generation.Leases.Release(cell);
            throw;
        }

        if (result is not Task task || task.IsCompleted)
        {
            generation.Leases.Release(cell);
            return result is Task done ? AwaitResultAsync(done, generation, id, cancellationToken) : new ValueTask<object?>(result);
        }

        // The lease follows the plugin's task, not the caller's wait: a caller that stops waiting
        // must not let the version be freed under code that is still running.
        generation.Leases.MakeShared(cell);
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(generation.ReleaseSharedAction);
        return AwaitResultAsync(task, generation, id, cancellationToken);

        static async ValueTask<object?> AwaitResultAsync(Task task, PluginGeneration generation, int id, CancellationToken cancellationToken)
        {
            try
            {
                await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                CountFailure(generation, id, ex);
                // The plugin's exception references its code through its stack trace: the caller gets a copy.
                throw PluginErrors.ForCaller(ex);
            }

            return TaskResult(task);
        }
    }

    public override T GetProxy<T>(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        Func<ProxyBinding, T> factory = PluginProxyRegistry.Find<T>() ?? throw new InvalidOperationException(SR.NoProxy(typeof(T)));
        return factory(new ProxyBinding(_source, pluginName));
    }

    public override void InvokeEach(string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        try
        {
            generation.InvokeEach(name, args);
        }
        finally
        {
            generation.Leases.Release(cell);
        }
    }

    public override void InvokeEachBackward(string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        try
        {
            generation.InvokeEachBackward(name, args);
        }
        finally
        {
            generation.Leases.Release(cell);
        }
    }

    /// <summary>Counts a call by name on a generation on probation with automatic rollback; returns the plugin's id then, -1 otherwise.</summary>
    private int CountCall(PluginGeneration generation, string pluginName)
    {
        if (generation.Monitor is not { } monitor)
        {
            return -1;
        }

        int id = _source.Ids.Find(pluginName);
        monitor.Call(id);
        return id;
    }

    /// <summary>Reads a completed task's result without knowing its type; <see langword="null"/> for a plain <see cref="Task"/>.</summary>
    private static object? TaskResult(Task task)
    {
        for (Type? type = task.GetType(); type is not null && type != typeof(Task); type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Task<>))
            {
                Type resultType = type.GetGenericArguments()[0];
                return resultType.FullName == "System.Threading.Tasks.VoidTaskResult"
                    ? null
                    : type.GetProperty(nameof(Task<object>.Result), BindingFlags.Public | BindingFlags.Instance)!.GetValue(task); // Task<T> always has Result.
            }
        }

        return null;
    }

    /// <summary>The status file's content; called by <see cref="HostBackground"/> under its lock.</summary>
    private HostStatusSnapshot TakeStatus()
    {
        PluginGeneration? current = _source.Current;
        return new HostStatusSnapshot(
            current?.Number ?? 0,
            current?.Plugins ?? [],
            current?.Leases.Count ?? 0,
            _retirement.RetiringVersions,
            _retirement.StuckReports,
            _reloads.Loading,
            _reloads.KeptVersions);
    }

    /// <summary>What the observable instruments report; called when a metrics listener collects.</summary>
    private HostTelemetry.Observation ObserveTelemetry()
    {
        Retirement? retirement = _retirement; // null only while the constructor runs
        return new HostTelemetry.Observation(
            _source.Current?.Leases.Count ?? 0,
            retirement?.DrainingCalls ?? 0,
            retirement?.RetiringVersions.Count ?? 0,
            retirement?.StuckVersions.Count ?? 0,
            LiveContexts: 0);
    }

    void IHostEvents.OnReloading(ReloadingEventArgs args) => OnReloading(args);

    void IHostEvents.OnReloaded(ReloadedEventArgs args) => OnReloaded(args);

    void IHostEvents.OnReloadFailed(ReloadFailedEventArgs args) => OnReloadFailed(args);

    void IHostEvents.OnUnloading(UnloadingEventArgs args) => OnUnloading(args);

    void IHostEvents.OnUnloaded(UnloadedEventArgs args) => OnUnloaded(args);

    void IHostEvents.OnUnloadStuck(UnloadStuckEventArgs args) => OnUnloadStuck(args);

    void IHostEvents.OnRolledBack(RolledBackEventArgs args) => OnRolledBack(args);

    void IHostEvents.OnStatusChanged() => _background.WriteStatus();

    void IHostEvents.OnServingChanged() => _background.QueueStatusWrite();

    /// <summary>Gets what runs beside the host (for tests: its status writes).</summary>
    internal HostBackground Background => _background;

    /// <summary>Gets what the host's parts share (the fleet agent reads its plugins root and trusted keys).</summary>
    internal HostRuntime Runtime => _host;

    private protected override void OnEventHandlerFailed(string eventName, Exception exception)
        => Log.EventHandlerFailed(_host.Logger, eventName, exception);

}
