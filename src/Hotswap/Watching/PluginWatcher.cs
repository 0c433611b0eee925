using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// Reloads when a plugin's <c>current</c> flips or a plugin folder appears or disappears. Changes are
/// debounced on the host's clock with a fixed window: the first change schedules one reload after
/// <see cref="PluginHostOptions.WatchDebounce"/>, later changes in the window join it, and a change
/// after the reload started schedules the next one. A burst of publishes therefore costs at most two
/// reloads, and the host's own coalescing makes sure the last one sees the last publish.
/// </summary>
internal sealed class PluginWatcher : IDisposable
{
    private readonly string _root;
    private readonly PluginHostOptions _options;
    private readonly Func<Task<ReloadResult>> _reload;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ITimer _debounce;
    private FileSystemWatcher? _events;
    private ITimer? _poll;
    private string? _fingerprint;
    private PosixSignalRegistration? _signal;
    private bool _scheduled;
    private bool _disposed;

    public PluginWatcher(string root, PluginHostOptions options, Func<Task<ReloadResult>> reload, ILogger logger)
    {
        _root = root;
        _options = options;
        _reload = reload;
        _logger = logger;
        _debounce = options.TimeProvider.CreateTimer(static s => ((PluginWatcher)s!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public void Start()
    {
        // Notifications and timers call back on their own threads: no caller's context must flow into reloads.
        using (ExecutionContext.SuppressFlow())
        {
            if (_options.WatchMode == WatchMode.Polling)
            {
                _fingerprint = Fingerprint();
                _poll = _options.TimeProvider.CreateTimer(static s => ((PluginWatcher)s!).Poll(), this, _options.PollingInterval, _options.PollingInterval);
            }
            else
            {
                Directory.CreateDirectory(_root);
                _events = new FileSystemWatcher(_root)
                {
                    IncludeSubdirectories = true,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite,
                    InternalBufferSize = 64 * 1024,
                };
                _events.Created += OnChanged;
                _events.Changed += OnChanged;
                _events.Deleted += OnChanged;
                _events.Renamed += OnChanged;
                _events.Error += OnError;
                _events.EnableRaisingEvents = true;
            }

            if (_options.ReloadOnSignal && !OperatingSystem.IsWindows())
            {
                _signal = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
                {
                    context.Cancel = true; // SIGHUP means "reload", not "terminate".
                    Trigger("SIGHUP");
                });
            }
        }

        Log.WatchStarted(_logger, _root, _options.WatchMode, _options.WatchDebounce.TotalMilliseconds);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

        _events?.Dispose();
        _poll?.Dispose();
        _signal?.Dispose();
        _debounce.Dispose();
    }

    private void OnChanged(object sender, FileSystemEventArgs e)
    {
        string relative = Path.GetRelativePath(_root, e.FullPath);
        string[] segments = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);

        // Only a plugin folder appearing or going, or a flip of its current, matters. Dot folders
        // (staging, the hosts' status files) and writes inside version folders never trigger.
        bool relevant = segments[0].Length > 0 && segments[0][0] != '.' && segments[0] != ".."
            && (segments.Length == 1 || (segments.Length == 2 && segments[1] == PluginLayout.CurrentFileName));
        if (relevant)
        {
            Trigger(relative);
        }
    }

    private void OnError(object sender, ErrorEventArgs e)
    {
        // The kernel queue overflowed or the watch broke: what changed is unknown, so rescan everything.
        Log.WatchEventsLost(_logger, e.GetException().Message);
        Trigger("events lost");
    }

    private void Poll()
    {
        string fingerprint = Fingerprint();
        if (fingerprint != _fingerprint)
        {
            _fingerprint = fingerprint;
            Trigger("poll");
        }
    }

    /// <summary>The plugin folders and what each current names: all a reload looks at first.</summary>
    private string Fingerprint()
    {
        try
        {
            if (!Directory.Exists(_root))
            {
                return "";
            }

            var parts = new List<string>();
            foreach (PluginFolder plugin in PluginLayout.ListPlugins(_root))
            {
                parts.Add(plugin.Name + "=" + PluginLayout.ReadCurrentOf(plugin.Directory));
            }

            return string.Join("\n", parts);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "unreadable: " + ex.Message; // a reload will report it properly.
        }
    }

    private void Trigger(string reason)
    {
        lock (_gate)
        {
            if (_disposed || _scheduled)
            {
                return;
            }

            _scheduled = true;
            _debounce.Change(_options.WatchDebounce, Timeout.InfiniteTimeSpan);
        }

        Log.WatchTriggered(_logger, reason);
    }

    private void Fire()
    {
        lock (_gate)
        {
            _scheduled = false;
            if (_disposed)
            {
                return;
            }
        }

        _ = ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        try
        {
            // A failure is already logged and raised as ReloadFailed by the host; the old generation serves on.
            await _reload().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The host is stopping.
        }
#pragma warning disable CA1031 // Isolation boundary: a watcher-started reload must never crash the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.WatchReloadFailed(_logger, ex);
        }
    }
}
