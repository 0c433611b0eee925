using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hotswap.Hosting;

/// <summary>
/// Runs the <see cref="PluginHost"/> for the generic host: loads the first generation before any
/// hosted service starts, and disposes the host after every hosted service has stopped.
/// </summary>
/// <remarks>
/// <para>
/// Start (<see cref="StartingAsync"/>, which the host runs before any hosted service's
/// <c>StartAsync</c>, whatever the registration order): the first load. A failed first load throws,
/// which fails the host's start, unless <see cref="HotswapHostingOptions.AllowStartWithoutPlugins"/>.
/// So a web server never takes a request before the plugins are loaded.
/// </para>
/// <para>
/// Stop (<see cref="StoppedAsync"/>, which the host runs after every hosted service's <c>StopAsync</c>):
/// the services that call plugins have stopped first. Then, in order: the host is disposed, which
/// stops the watcher and refuses new reloads (the running one is cancelled), retires the serving
/// generation (new calls fail, calls in flight go on); the calls in flight are waited for, until the
/// host's shutdown timeout (the token); their versions run <c>OnFreeAsync</c> and unload.
/// </para>
/// </remarks>
internal sealed class PluginHostService : IHostedLifecycleService
{
    private readonly PluginHost _host;
    private readonly PluginHostState _state;
    private readonly HotswapHostingOptions _options;
    private readonly HotswapConfiguration _configuration;
    private readonly ILogger _logger;

    public PluginHostService(PluginHost host, PluginHostState state, IOptions<HotswapHostingOptions> options, HotswapConfiguration configuration, ILogger<PluginHostService> logger)
    {
        _host = host;
        _state = state;
        _options = options.Value;
        _configuration = configuration;
        _logger = logger;
        state.Attach(host);
    }

    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        ReloadResult result = await _host.LoadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Succeeded)
        {
            Log.FirstLoadSucceeded(_logger, result.Generation, result);
            return;
        }

        // Succeeded is false, so Error is set.
        PluginLoadException error = result.Error!;
        if (_options.AllowStartWithoutPlugins)
        {
            Log.StartingWithoutPlugins(_logger, error.Message);
            return;
        }

        throw new InvalidOperationException(SR.FirstLoadFailed(error.Message, _configuration.Key(nameof(HotswapHostingOptions.AllowStartWithoutPlugins))), error);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        using var drain = new Drain(_host);
        Log.Stopping(_logger, _host.GenerationNumber);
        _state.MarkStopped();

        // DisposeAsync waits for the drain within PluginHostOptions.UnloadTimeout; the host's shutdown
        // timeout may be longer, and then the calls in flight get it too.
        Task disposed = _host.DisposeAsync().AsTask();
        await disposed.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (disposed.IsCompleted)
        {
            await drain.WhenDrained.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (drain.Pending is { Count: > 0 } pending)
        {
            Log.StopTimedOut(_logger, pending.Count, string.Join(", ", pending));
        }
        else
        {
            Log.Stopped(_logger);
        }
    }

    /// <summary>
    /// Follows the serving generation's versions from the moment the stop begins until each drained
    /// (its <see cref="PluginHost.Unloading"/> event: last lease released, <c>OnFreeAsync</c> next).
    /// </summary>
    private sealed class Drain : IDisposable
    {
        private readonly PluginHost _host;
        private readonly HashSet<PluginVersionInfo> _pending = [];
        private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Drain(PluginHost host)
        {
            _host = host;

            // Subscribed before the versions are read, so a drain that happens in between is seen.
            host.Unloading += OnUnloading;
            IReadOnlyList<PluginVersionInfo> serving = [];
            try
            {
                using GenerationLease lease = host.Acquire();
                serving = lease.Generation.Plugins;
            }
            catch (InvalidOperationException)
            {
                // Nothing serves (the first load failed and starting empty was allowed), or the host was
                // disposed already (ObjectDisposedException) and drained there: nothing to wait for.
            }

            lock (_pending)
            {
                _pending.UnionWith(serving);
                if (_pending.Count == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }

        public Task WhenDrained => _drained.Task;

        public IReadOnlyList<PluginVersionInfo> Pending
        {
            get
            {
                lock (_pending)
                {
                    return [.. _pending.OrderBy(static v => v.ToString(), StringComparer.Ordinal)];
                }
            }
        }

        public void Dispose() => _host.Unloading -= OnUnloading;

        private void OnUnloading(object? sender, UnloadingEventArgs e)
        {
            lock (_pending)
            {
                if (_pending.Remove(e.Version) && _pending.Count == 0)
                {
                    _drained.TrySetResult();
                }
            }
        }
    }
}
