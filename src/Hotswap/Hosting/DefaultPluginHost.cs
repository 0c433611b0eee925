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

    public override GenerationLease Acquire() => new(AcquireGeneration());

    public override object? Invoke(string pluginName, string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireGeneration();
        try
        {
            return generation.Invoke(pluginName, name, args);
        }
        finally
        {
            generation.Release();
        }
    }

    public override ValueTask<object?> InvokeAsync(string pluginName, string name, object?[]? args = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireGeneration();
        object? result;
        try
        {
            result = generation.Invoke(pluginName, name, args ?? []);
        }
        catch
        {
            generation.Release();
            throw;
        }

        if (result is not Task task)
        {
            generation.Release();
            return new ValueTask<object?>(result);
        }

        // The lease follows the plugin's task, not the caller's wait: a caller that stops waiting
        // must not let the version be freed under code that is still running.
        task.ContinueWith(static (_, state) => ((PluginGeneration)state!).Release(), generation, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return AwaitResultAsync(task, cancellationToken);

        static async ValueTask<object?> AwaitResultAsync(Task task, CancellationToken cancellationToken)
        {
            await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return TaskResult(task);
        }
    }

    public override void InvokeEach(string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireGeneration();
        try
        {
            generation.InvokeEach(name, args);
        }
        finally
        {
            generation.Release();
        }
    }

    public override void InvokeEachBackward(string name, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginGeneration generation = AcquireGeneration();
        try
        {
            generation.InvokeEachBackward(name, args);
        }
        finally
        {
            generation.Release();
        }
    }

    private PluginGeneration AcquireGeneration()
    {
        while (true)
        {
            PluginGeneration? generation = Volatile.Read(ref _current);
            if (generation is null)
            {
                ObjectDisposedException.ThrowIf(IsDisposed, this);
                throw new InvalidOperationException(SR.NothingLoaded);
            }

            if (generation.TryAcquire())
            {
                return generation;
            }

            // The generation retired between the read and the lease: the next read sees its successor.
        }
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

        PluginGeneration? current = Volatile.Read(ref _current);
        status.Write(
            current?.Number ?? 0,
            current?.Plugins ?? [],
            current?.Leases ?? 0,
            [.. _retiring.Keys.OrderBy(static v => v.ToString(), StringComparer.Ordinal)],
            _watchdog.StuckVersions);
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
}
