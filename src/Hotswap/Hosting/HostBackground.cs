namespace Hotswap;

/// <summary>
/// What runs beside a host: the status file under the plugins root (written on each change and on
/// a timer) and the watcher that reloads on publish. Started and stopped under one lock, so a
/// dispose that races the start never leaves either running.
/// </summary>
internal sealed class HostBackground
{
    private readonly Lock _gate = new();
    private readonly HostRuntime _host;
    private readonly PluginHostOptions _options;
    private readonly Func<HostStatusSnapshot> _snapshot;
    private HostStatusWriter? _status;
    private ITimer? _statusTimer;
    private PluginWatcher? _watcher;
    private bool _statusStarted;
    private bool _watchStarted;
    private bool _stopped;
    private int _writeQueued;

    /// <param name="host">What the host's parts share.</param>
    /// <param name="options">The host's options (the watcher's settings).</param>
    /// <param name="snapshot">Takes the host's status; called under this type's lock, so snapshots are written in the order they are taken.</param>
    public HostBackground(HostRuntime host, PluginHostOptions options, Func<HostStatusSnapshot> snapshot)
    {
        _host = host;
        _options = options;
        _snapshot = snapshot;
    }

    /// <summary>Starts the status file, once, before the first load: a host reports what it is about to load before it reads anything.</summary>
    public void StartStatus()
    {
        lock (_gate)
        {
            if (_stopped || _statusStarted || _host.Root is null || !_options.WriteStatus || !Directory.Exists(_host.Root))
            {
                return;
            }

            _statusStarted = true;
            _status = HostStatusWriter.TryCreate(_host.Root, _host.Time, _host.Logger);
            if (_status is null)
            {
                return;
            }

            WriteLocked();
            using (ExecutionContext.SuppressFlow())
            {
                _statusTimer = _host.Time.CreateTimer(static s => ((HostBackground)s!).WriteStatus(), this, _options.StatusInterval, _options.StatusInterval);
            }
        }
    }

    /// <summary>Starts the watcher, once, after the first load whatever its result: a fixed publish gets loaded.</summary>
    /// <param name="reload">Requests a reload.</param>
    public void StartWatching(Func<Task<ReloadResult>> reload)
    {
        lock (_gate)
        {
            if (_stopped || _watchStarted || _host.Root is null || !_options.Watch)
            {
                return;
            }

            _watchStarted = true;
            _watcher = new PluginWatcher(_host.Root, _options, reload, _host.Logger);
            _watcher.Start();
        }
    }

    /// <summary>Writes the host's status now, if it changed. Never throws.</summary>
    public void WriteStatus()
    {
        lock (_gate)
        {
            WriteLocked();
        }
    }

    /// <summary>
    /// Writes the host's status soon, on the thread pool, if it changed: what a switch calls, so that
    /// the file's write and rename (on ext4, a rename over the old file starts its writeback) are never
    /// part of a reload. Requests that come while one is queued share it: the write takes its snapshot
    /// when it runs, so it holds every change requested before it. Never throws.
    /// </summary>
    /// <remarks>
    /// Until it runs, the file still names the versions the reload was about to load (written before
    /// discovery ended) and the ones serving before: a prune reading it keeps both, never less.
    /// </remarks>
    public void QueueStatusWrite()
    {
        if (Interlocked.Exchange(ref _writeQueued, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                static background =>
                {
                    Volatile.Write(ref background._writeQueued, 0); // a request from now on queues another write, which snapshots after it
                    background.WriteStatus();
                    background.StatusWritten?.Invoke();
                },
                this,
                preferLocal: false);
        }
    }

    /// <summary>Raised after each write that <see cref="QueueStatusWrite"/> queued (for tests).</summary>
    internal event Action? StatusWritten;

    /// <summary>Stops the watcher (first: no new reload starts).</summary>
    public void StopWatching()
    {
        PluginWatcher? watcher;
        lock (_gate)
        {
            _stopped = true;
            watcher = _watcher;
            _watcher = null;
        }

        watcher?.Dispose();
    }

    /// <summary>Stops everything, the last status write included; releases the status file's lock.</summary>
    /// <returns>A task that completes when the timer is gone.</returns>
    public async ValueTask StopAsync()
    {
        StopWatching();
        ITimer? timer;
        HostStatusWriter? status;
        lock (_gate)
        {
            timer = _statusTimer;
            status = _status;
            _statusTimer = null;
            _status = null;
        }

        if (timer is not null)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        status?.Dispose();
    }

    private void WriteLocked()
    {
        if (_status is not { } status)
        {
            return;
        }

        // The writer takes the snapshot under its own lock too: the newest state is always written last.
        status.Write(_snapshot);
    }
}
