using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap;

/// <summary>The host: leasing and calls here; reloads in <c>.Reload.cs</c>; retirement in <c>.Retire.cs</c>.</summary>
internal sealed partial class DefaultPluginHost : PluginHost
{
    private readonly PluginHostOptions _options;
    private readonly string? _root;
    private readonly DataBag _dataBag = new();
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly HostAssemblies _hostAssemblies = new();
    private readonly UnloadWatchdog _watchdog;
    private readonly CancellationTokenSource _disposing = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PluginVersionInfo, int> _retiring = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _pluginIds = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<IProxyEvent> _events = [];
    private LastPluginId? _lastPluginId;
    private PluginGeneration? _current;
    private int _disposed;
    private int _servicesStarted;
    private PluginWatcher? _watcher;
    private HostStatusWriter? _status;
    private ITimer? _statusTimer;

    public DefaultPluginHost(PluginHostOptions options)
    {
        _options = options;
        _root = string.IsNullOrWhiteSpace(options.PluginsRoot) ? null : Path.GetFullPath(options.PluginsRoot);
        _time = options.TimeProvider;
        _loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Hotswap.PluginHost");
        _watchdog = new UnloadWatchdog(_time, options.UnloadTimeout, ReportUnloaded, ReportStuck);
    }

    public override long GenerationNumber => Volatile.Read(ref _current)?.Number ?? 0;

    public override IReadOnlyList<PluginVersionInfo> StuckVersions => _watchdog.StuckVersions;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    public override GenerationLease Acquire() => new(AcquireShared());

    public override object? Invoke(string pluginName, string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireLocal(out LeaseCell? cell);
        try
        {
            return generation.Invoke(pluginName, name, args);
        }
        finally
        {
            generation.Release(cell);
        }
    }

    public override ValueTask<object?> InvokeAsync(string pluginName, string name, object?[]? args = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireLocal(out LeaseCell? cell);
        object? result;
        try
        {
            result = generation.Invoke(pluginName, name, args ?? []);
        }
        catch
        {
            generation.Release(cell);
            throw;
        }

        if (result is not Task task || task.IsCompleted)
        {
            generation.Release(cell);
            return result is Task done ? AwaitResultAsync(done, cancellationToken) : new ValueTask<object?>(result);
        }

        // The lease follows the plugin's task, not the caller's wait: a caller that stops waiting
        // must not let the version be freed under code that is still running.
        generation.MakeShared(cell);
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(generation.ReleaseSharedAction);
        return AwaitResultAsync(task, cancellationToken);

        static async ValueTask<object?> AwaitResultAsync(Task task, CancellationToken cancellationToken)
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return TaskResult(task);
        }
    }

    public override T GetProxy<T>(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        Func<ProxyBinding, T> factory = PluginProxyRegistry.Find<T>() ?? throw new InvalidOperationException(SR.NoProxy(typeof(T)));
        return factory(new ProxyBinding(this, pluginName, PluginId(pluginName)));
    }

    public override TResult Invoke<TContract, TState, TResult>(string pluginName, Func<TContract, TState, TResult> call, TState state)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(call);
        PluginGeneration generation = AcquireLocal(out LeaseCell? cell);
        try
        {
            return call(generation.GetExport<TContract>(PluginIdCached(pluginName), pluginName), state);
        }
        finally
        {
            generation.Release(cell);
        }
    }

    public override void Invoke<TContract, TState>(string pluginName, Action<TContract, TState> call, TState state)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(call);
        PluginGeneration generation = AcquireLocal(out LeaseCell? cell);
        try
        {
            call(generation.GetExport<TContract>(PluginIdCached(pluginName), pluginName), state);
        }
        finally
        {
            generation.Release(cell);
        }
    }

    public override void InvokeEach(string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireLocal(out LeaseCell? cell);
        try
        {
            generation.InvokeEach(name, args);
        }
        finally
        {
            generation.Release(cell);
        }
    }

    public override void InvokeEachBackward(string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireLocal(out LeaseCell? cell);
        try
        {
            generation.InvokeEachBackward(name, args);
        }
        finally
        {
            generation.Release(cell);
        }
    }

    /// <summary>Leases the current generation for a call that releases on this thread, with <see cref="PluginGeneration.Release(LeaseCell?)"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal PluginGeneration AcquireLocal(out LeaseCell? cell)
    {
        PluginGeneration? generation = Volatile.Read(ref _current);
        if (generation is not null && generation.TryAcquireLocal(out cell))
        {
            return generation;
        }

        return AcquireLocalSlow(out cell);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private PluginGeneration AcquireLocalSlow(out LeaseCell? cell)
    {
        while (true)
        {
            // The generation retired between the read and the lease: the next read sees its successor.
            PluginGeneration generation = CurrentOrThrow();
            if (generation.TryAcquireLocal(out cell))
            {
                return generation;
            }
        }
    }

    /// <summary>
    /// Gets the id of a plugin name, remembering the last name asked: callers usually pass the same
    /// string object (a literal) on every call, and then no hashing is needed.
    /// </summary>
    private int PluginIdCached(string pluginName)
    {
        LastPluginId? last = Volatile.Read(ref _lastPluginId);
        if (last is not null && ReferenceEquals(last.Name, pluginName))
        {
            return last.Id;
        }

        int id = PluginId(pluginName);
        Volatile.Write(ref _lastPluginId, new LastPluginId(pluginName, id));
        return id;
    }

    /// <summary>Gets the host-lifetime id of a plugin name: the index of its export in every generation.</summary>
    internal int PluginId(string pluginName) => _pluginIds.GetOrAdd(pluginName, static (_, ids) => ids.Count, _pluginIds);

    /// <summary>Leases the current generation with a shared lease, or returns <see langword="null"/> when nothing serves.</summary>
    internal PluginGeneration? TryAcquireCurrentShared()
    {
        while (Volatile.Read(ref _current) is { } generation)
        {
            if (generation.TryAcquireShared())
            {
                return generation;
            }
        }

        return null;
    }

    /// <summary>Adds or removes an event tracker that follows each switch.</summary>
    internal void TrackEvent(IProxyEvent tracker, bool track)
    {
        lock (_events)
        {
            _ = track ? _events.Add(tracker) : _events.Remove(tracker);
        }
    }

    /// <summary>After a switch, moves every event subscription made through a proxy to the new generation.</summary>
    private void FollowEvents()
    {
        IProxyEvent[] trackers;
        lock (_events)
        {
            if (_events.Count == 0)
            {
                return;
            }

            trackers = [.. _events];
        }

        foreach (IProxyEvent tracker in trackers)
        {
            try
            {
                tracker.Follow();
            }
#pragma warning disable CA1031 // Isolation boundary: a plugin's event accessor that throws must not stop the other subscriptions or the reload.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.EventFollowFailed(_logger, ex);
            }
        }
    }

    /// <summary>Leases the current generation with a lease any thread may release, with <see cref="PluginGeneration.ReleaseShared"/>.</summary>
    private PluginGeneration AcquireShared() => TryAcquireCurrentShared() ?? throw NothingServing();

    private PluginGeneration CurrentOrThrow() => Volatile.Read(ref _current) ?? throw NothingServing();

    private Exception NothingServing() => IsDisposed
        ? new ObjectDisposedException(GetType().FullName)
        : new InvalidOperationException(SR.NothingLoaded);

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

    /// <summary>Starts, once, what runs beside the host after the first load: the status writer and the watcher.</summary>
    private void StartBackgroundServices()
    {
        if (_root is null || IsDisposed || Interlocked.Exchange(ref _servicesStarted, 1) != 0)
        {
            return;
        }

        if (_options.WriteStatus && Directory.Exists(_root))
        {
            _status = HostStatusWriter.TryCreate(_root, _time, _logger);
            if (_status is not null)
            {
                WriteStatus();
                using (ExecutionContext.SuppressFlow())
                {
                    _statusTimer = _time.CreateTimer(static s => ((DefaultPluginHost)s!).WriteStatus(), this, _options.StatusInterval, _options.StatusInterval);
                }
            }
        }

        if (_options.Watch)
        {
            _watcher = new PluginWatcher(_root, _options, () => ReloadAsync(), _logger);
            _watcher.Start();
        }
    }

    /// <summary>Reports this host's generation, versions, calls in flight, retiring and stuck versions. Never throws.</summary>
    private void WriteStatus()
    {
        if (_status is not { } status)
        {
            return;
        }

        status.Write(() =>
        {
            PluginGeneration? current = Volatile.Read(ref _current);
            return new HostStatusSnapshot(
                current?.Number ?? 0,
                current?.Plugins ?? [],
                current?.Leases ?? 0,
                [.. _retiring.Keys.OrderBy(static v => v.ToString(), StringComparer.Ordinal)],
                _watchdog.StuckVersions);
        });
    }

    private void TrackRetiring(PluginVersionInfo version, int delta)
    {
        int count = _retiring.AddOrUpdate(version, delta, (_, n) => n + delta);
        if (count <= 0)
        {
            ((ICollection<KeyValuePair<PluginVersionInfo, int>>)_retiring).Remove(new KeyValuePair<PluginVersionInfo, int>(version, count));
        }
    }

    private protected override void OnEventHandlerFailed(string eventName, Exception exception)
        => Log.EventHandlerFailed(_logger, eventName, exception);

    private sealed record LastPluginId(string Name, int Id);
}
