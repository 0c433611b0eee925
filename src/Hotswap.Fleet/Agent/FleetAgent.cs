using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap;

/// <summary>
/// Runs beside one <see cref="PluginHost"/> in a fleet (docs/fleet.md): registers the host under the
/// fleet with a lease, follows the fleet's desired versions, and for each plugin whose target
/// changes fetches the version's artifact, verifies it, publishes it into the host's plugins root,
/// lets the host reload, and answers ACK (the version now serving) or NACK (the error: plugin, phase,
/// file). Losing the store never costs the host its serving versions: the agent only retries.
/// </summary>
public sealed class FleetAgent : IAsyncDisposable
{
    private readonly PluginHost _host;
    private readonly string _root;
    private readonly TrustedKeySet? _trustedKeys;
    private readonly FleetAgentOptions _options;
    private readonly ILogger _logger;
    private readonly FleetStore _store;
    private readonly ArtifactFetcher _fetcher;
    private readonly HttpClient? _ownedClient;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PluginVersionInfo, string> _stuckCauses = new();

    // The newest desired state followed (reconciled or not) and the download in flight, if any: a
    // newer state that changes that download's plugin's target cancels it (docs/fleet.md, "The agent's rules").
    private readonly Lock _desiredGate = new();
    private DesiredState? _newest; // under _desiredGate
    private (string Plugin, VersionReference Target, CancellationTokenSource Superseded)? _fetching; // under _desiredGate

    // One registration writer at a time, each taking its snapshot inside: an older snapshot never lands last.
    private readonly SemaphoreSlim _registering = new(1, 1);
    private Task _pendingRegistration = Task.CompletedTask;
    private string? _registered; // the last registration written, without its stamps

    // (scope, version) pairs this host refused: not tried again, so a bad version is NACKed once.
    private readonly HashSet<(string Plugin, string Scope, string Version)> _refused = [];
    private readonly HashSet<(string Plugin, string Scope, string Version)> _answered = [];
    private readonly Dictionary<string, RolledBackVersion> _rolledBack = new(StringComparer.OrdinalIgnoreCase); // under _gate
    private Task _running = Task.CompletedTask;
    private Task _checking = Task.CompletedTask;
    private HostHealth? _health;
    private FleetError? _lastError;
    private long _appliedRevision;
    private bool _started;
    private bool _disposed;

    /// <summary>Initializes an agent for <paramref name="host"/>, which must have a plugins root; call <see cref="StartAsync"/> to join the fleet.</summary>
    /// <param name="host">The host whose plugins the fleet deploys. The agent reloads it; it does not own it.</param>
    /// <param name="options">How to reach the fleet.</param>
    /// <param name="loggerFactory">Where the agent logs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="host"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is wrong, or the host has no plugins root.</exception>
    public FleetAgent(PluginHost host, FleetAgentOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        HostRuntime runtime = host is DefaultPluginHost created
            ? created.Runtime
            : throw new ArgumentException("The host must be one created by PluginHost.Create.", nameof(host));
        _root = runtime.Root ?? throw new ArgumentException("A fleet agent needs a host with a plugins root (PluginHostOptions.PluginsRoot): that is where it publishes the versions it fetches.", nameof(host));
        _trustedKeys = runtime.TrustedKeys;
        _host = host;
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FleetAgent>();
        HostId = options.HostId ?? DefaultHostId(_root);
        _store = new FleetStore(new FleetStoreOptions
        {
            Endpoints = options.Endpoints,
            CallTimeout = options.CallTimeout,
            LeaseTtl = options.LeaseTtl,
            Logger = _logger, // backoff and keep-alive against a real server: the system clock
        });
        HttpClient client = options.HttpClient ?? (_ownedClient = new HttpClient { Timeout = Timeout.InfiniteTimeSpan });
        _fetcher = new ArtifactFetcher(client, options.TimeProvider, options.FetchTimeout, _logger);
    }

    /// <summary>Gets this host's id in the fleet.</summary>
    public string HostId { get; }

    /// <summary>Gets the fleet's name.</summary>
    public string Fleet => _options.Fleet;

    /// <summary>Gets a value indicating whether the last call to the store succeeded.</summary>
    public bool IsStoreReachable => _store.IsReachable;

    /// <summary>Raised after each change of the desired state was reconciled, with its store revision (for tests).</summary>
    internal event Action<long>? Reconciled;

    /// <summary>Raised after the agent answered for a version (ACK or NACK), once per host, rollout and version; on the agent's own task.</summary>
    public event EventHandler<FleetAnsweredEventArgs>? Answered;

    /// <summary>Joins the fleet: registers the host and starts following the desired versions; returns at once, the store may be unreachable.</summary>
    /// <param name="cancellationToken">Not used to stop the agent (dispose it); reserved for symmetry with hosted services.</param>
    /// <returns>A completed task.</returns>
    /// <exception cref="InvalidOperationException">The agent was started already.</exception>
    /// <exception cref="ObjectDisposedException">The agent was disposed.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                throw new InvalidOperationException($"The fleet agent of host '{HostId}' was started already.");
            }

            _started = true;
            _host.Reloaded += OnHostChanged;
            _host.UnloadStuck += OnHostChanged;
            _host.RolledBack += OnRolledBack;
            using (ExecutionContext.SuppressFlow())
            {
                _running = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
                if (_options.HealthCheck is not null)
                {
                    _checking = Task.Run(() => CheckHealthLoopAsync(_stopping.Token), CancellationToken.None);
                }
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Leaves the fleet: stops following, and revokes the host's lease so that the fleet shows it gone. The host keeps serving.</summary>
    /// <returns>A task that completes when the agent stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _host.Reloaded -= OnHostChanged;
        _host.UnloadStuck -= OnHostChanged;
        _host.RolledBack -= OnRolledBack;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _checking.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Volatile.Read(ref _pendingRegistration).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _store.DisposeAsync().ConfigureAwait(false);
        _registering.Dispose();
        _ownedClient?.Dispose();
        _stopping.Dispose();
    }

    /// <summary>
    /// Follows the desired state and hands each view to the reconcile loop through a one-view slot
    /// (newest wins), so a view that arrives during a download is seen at once: when it changes the
    /// target of the plugin being downloaded, the download is cancelled (<see cref="Follow"/>).
    /// </summary>
    private async Task RunAsync(CancellationToken stopping)
    {
        Channel<DesiredState> desired = Channel.CreateBounded<DesiredState>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        Task reconciling = Task.CompletedTask;
        try
        {
            await RegisterAsync(stopping).ConfigureAwait(false);
            reconciling = ReconcileLoopAsync(desired.Reader, stopping);
            await foreach (StoreView view in _store.FollowAsync(FleetKeys.Plugins(_options.Fleet), stopping).ConfigureAwait(false))
            {
                Follow(new DesiredState(view.Revision, TargetsOf(view)), desired.Writer);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Isolation boundary: the agent must never take the host down; it logs and stops following.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FleetLog.AgentFailed(_logger, HostId, _options.Fleet, ex);
        }
        finally
        {
            desired.Writer.TryComplete(); // the reconcile loop finishes the view it holds, and ends
            await reconciling.ConfigureAwait(false);
        }
    }

    /// <summary>Keeps <paramref name="state"/> as the newest, cancels a download it supersedes, and puts it in the slot (replacing a view not yet taken).</summary>
    private void Follow(DesiredState state, ChannelWriter<DesiredState> desired)
    {
        lock (_desiredGate)
        {
            _newest = state;
            if (_fetching is { } fetching && !state.Wants(fetching.Plugin, fetching.Target))
            {
                // Under the lock, so the download's owner cannot dispose the source meanwhile. Only
                // the download listens to it: a reload already started is never interrupted.
                fetching.Superseded.Cancel();
            }

            desired.TryWrite(state);
        }
    }

    /// <summary>Reconciles the newest view each time there is one, until the follow ends or the agent stops; one view's failure never ends it.</summary>
    private async Task ReconcileLoopAsync(ChannelReader<DesiredState> desired, CancellationToken stopping)
    {
        try
        {
            while (await desired.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                if (!desired.TryRead(out DesiredState? state))
                {
                    continue;
                }

                try
                {
                    await ReconcileAsync(state, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    // One view's failure (a refusal of the store that is not an outage, a bug) is
                    // logged; the next view is reconciled from scratch, so the agent never stops following.
                    FleetLog.ReconcileFailed(_logger, HostId, _options.Fleet, state.Revision, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Brings every plugin to its target in <paramref name="state"/>, one plugin at a time, then says
    /// so in the host's registration; stops early, applying nothing more of it, when a newer view
    /// superseded a target of this one during its download (that newer view is in the slot).
    /// </summary>
    private async Task ReconcileAsync(DesiredState state, CancellationToken stopping)
    {
        foreach ((string plugin, VersionReference target, string scope) in state.Targets)
        {
            if (!await ReconcileAsync(plugin, target, scope, stopping).ConfigureAwait(false))
            {
                return;
            }
        }

        Volatile.Write(ref _appliedRevision, state.Revision);
        await RegisterAsync(stopping).ConfigureAwait(false);
        Reconciled?.Invoke(state.Revision);
    }

    /// <summary>Brings <paramref name="plugin"/> to <paramref name="target"/> and answers; returns <see langword="false"/> when a newer view changed the plugin's target during the download (then nothing is applied or answered).</summary>
    private async Task<bool> ReconcileAsync(string plugin, VersionReference target, string scope, CancellationToken stopping)
    {
        string? serving = ServingVersion(plugin);
        if (serving == target.Version)
        {
            // After the host rolled a version back by itself, current still names the version it
            // refused: named again what serves, so a restart of the process does not load it.
            if (CurrentOf(plugin) is { } named && named != target.Version)
            {
                RestoreCurrent(plugin, target.Version);
            }

            await AnswerAsync(plugin, scope, target.Version, error: null, applied: false, stopping).ConfigureAwait(false);
            return true;
        }

        if (_refused.Contains((plugin, scope, target.Version)))
        {
            return true;
        }

        // A NACK this host id wrote before (an earlier run of the process) stands: never tried again.
        string answerKey = FleetKeys.Answer(_options.Fleet, plugin, scope, target.Version, HostId);
        if (await _store.GetAsync(answerKey, stopping).ConfigureAwait(false) is { } earlier
            && JsonSerializer.Deserialize(earlier.Value, FleetJsonContext.Default.AnswerRecord) is { Ack: false })
        {
            _refused.Add((plugin, scope, target.Version));
            _answered.Add((plugin, scope, target.Version));
            return true;
        }

        FleetLog.Applying(_logger, HostId, plugin, target.Version, serving ?? "(none)");
        FleetError? error = null;
        bool flipped = false;
        bool done = false;
        try
        {
            // Shared prune lock from the fetch to the flip: a fetched folder is in no status file and
            // not yet named by current, so a prune in between would take it for an old version.
            using (PruneLock.EnterShared(_root, _options.TimeProvider))
            {
                if (!await FetchUnlessSupersededAsync(plugin, target, stopping).ConfigureAwait(false))
                {
                    return false; // nothing flipped, no answer, not refused; the prune lock is released on the way out
                }

                PluginPublisher.Activate(_root, plugin, target.Version);
                flipped = true;
            }

            ReloadResult result = await _host.ReloadAsync(cancellationToken: stopping).ConfigureAwait(false);
            if (result.Error is { } failed)
            {
                error = FleetError.From(plugin, failed, target.Artifact);
            }
            else if (ServingVersion(plugin) != target.Version)
            {
                error = new FleetError(plugin, nameof(ReloadPhase.Switch), null, $"The reload succeeded but the host serves version '{ServingVersion(plugin) ?? "(none)"}' of '{plugin}', not '{target.Version}'.");
            }

            done = true;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any failure to fetch or publish is this version's NACK, never the host's end.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = FleetError.From(plugin, ex, target.Artifact);
            done = true;
        }
        finally
        {
            // Refused, or stopped between the flip and the reload's end: current names what serves
            // again (or nothing, for a plugin the host did not serve), so no later reload, the
            // watcher's included, picks the refused version up.
            if (flipped && (error is not null || !done))
            {
                RestoreCurrent(plugin, serving);
            }
        }

        if (error is not null)
        {
            _refused.Add((plugin, scope, target.Version));
        }

        _lastError = error;
        await AnswerAsync(plugin, scope, target.Version, error, applied: true, stopping).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Fetches <paramref name="target"/> of <paramref name="plugin"/>; returns <see langword="false"/>,
    /// fetched or not, when a newer view changed the plugin's target first (the download is cancelled
    /// then, and the fetcher removes its fetch folder). Failures, and the agent's stop, are thrown.
    /// </summary>
    private async Task<bool> FetchUnlessSupersededAsync(string plugin, VersionReference target, CancellationToken stopping)
    {
        // Two sources, so that a supersession is never taken for the agent's stop or the reverse:
        // Follow cancels only `superseded`; the fetch listens to both.
        using var superseded = new CancellationTokenSource();
        using var fetching = CancellationTokenSource.CreateLinkedTokenSource(stopping, superseded.Token);
        DesiredState? newest;
        lock (_desiredGate)
        {
            newest = _newest;
            if (newest is null || newest.Wants(plugin, target))
            {
                _fetching = (plugin, target, superseded);
                newest = null;
            }
        }

        if (newest is not null)
        {
            LogSuperseded(plugin, target, newest); // changed before the download began: none begins
            return false;
        }

        try
        {
            await _fetcher.FetchAsync(_root, plugin, target.Version, new Uri(target.Artifact), target.Digest, _trustedKeys, fetching.Token).ConfigureAwait(false);
        }
        catch (Exception) when (superseded.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // The cancellation (or what the download made of it): this version is no longer wanted,
            // so its failure is no verdict on it. The fetcher deleted its fetch folder.
        }
        finally
        {
            lock (_desiredGate)
            {
                _fetching = null; // from here on no view cancels `superseded`: it can be disposed
            }
        }

        stopping.ThrowIfCancellationRequested();
        if (!superseded.IsCancellationRequested)
        {
            return true;
        }

        // Superseded after the download ended and before the flip, or during it: not published.
        // A folder fetched whole stays, unnamed by current (verified; used if the version is the target again, or pruned).
        lock (_desiredGate)
        {
            newest = _newest;
        }

        LogSuperseded(plugin, target, newest);
        return false;
    }

    private void LogSuperseded(string plugin, VersionReference target, DesiredState? newest)
        => FleetLog.DownloadSuperseded(_logger, HostId, plugin, target.Version, newest?.TargetOf(plugin)?.Target.Version ?? "(none)");

    /// <summary>The version <c>current</c> names, or <see langword="null"/> when there is none or it cannot be read (then nothing is changed).</summary>
    private string? CurrentOf(string plugin)
    {
        try
        {
            return PluginLayout.ReadCurrentOf(Path.Combine(_root, plugin));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>After a refusal, <c>current</c> names the version still serving again, so no later reload (or the watcher) picks the refused one up.</summary>
    private void RestoreCurrent(string plugin, string? serving)
    {
        try
        {
            if (serving is null)
            {
                // A plugin new to this host: unpublished again, as before the fetch (discovery
                // skips a plugin folder with no current file).
                File.Delete(PluginLayout.CurrentFile(Path.Combine(_root, plugin)));
            }
            else
            {
                PluginPublisher.Activate(_root, plugin, serving);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            FleetLog.RestoreCurrentFailed(_logger, HostId, plugin, serving ?? "(none)", ex);
        }
    }

    /// <summary>
    /// Writes the host's one answer for (rollout, version), create-if-absent, and raises
    /// <see cref="Answered"/>. A version found serving already is answered once; a version the agent
    /// just applied is reported every time (an abort brings a host back to a version it answered for
    /// before it was admitted: the answer in the store stands, the event says it serves again).
    /// </summary>
    private async Task AnswerAsync(string plugin, string scope, string version, FleetError? error, bool applied, CancellationToken stopping)
    {
        if (!_answered.Add((plugin, scope, version)) && !applied)
        {
            return;
        }

        var answer = new AnswerRecord
        {
            HostId = HostId,
            Version = version,
            Ack = error is null,
            Error = error,
            At = _options.TimeProvider.GetUtcNow(),
        };
        string key = FleetKeys.Answer(_options.Fleet, plugin, scope, version, HostId);
        bool written = await _store.CreateAsync(key, JsonSerializer.Serialize(answer, FleetJsonContext.Default.AnswerRecord), stopping).ConfigureAwait(false);
        if (!written)
        {
            FleetLog.AnswerExists(_logger, HostId, key); // an earlier run of this host id answered already: exactly one answer stands
        }

        if (error is null)
        {
            FleetLog.Acked(_logger, HostId, plugin, version, scope);
        }
        else
        {
            FleetLog.Nacked(_logger, HostId, plugin, version, scope, error.Phase, error.File ?? "(none)", error.Message);
        }

        try
        {
            Answered?.Invoke(this, new FleetAnsweredEventArgs(plugin, scope, version, error is null, error?.Phase, error?.File, error?.Message));
        }
#pragma warning disable CA1031 // A subscriber's failure is logged; it never stops the agent.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            FleetLog.HandlerFailed(_logger, HostId, nameof(Answered), ex);
        }
    }

    /// <summary>Writes the host's registration: one writer at a time, each snapshot taken once it may write, so the newest state lands last.</summary>
    private async Task RegisterAsync(CancellationToken stopping)
    {
        await _registering.WaitAsync(stopping).ConfigureAwait(false);
        try
        {
            HostRecord record = Registration();

            // A registration that changed only in its stamps (the revision reconciled, the time) is
            // not written again: otherwise every agent writes after every change of the desired
            // state, most of a fleet's writes and of the controller's watch events
            // (bench/README.md, "Fleet scale"). The lease keeps it alive meanwhile.
            string content = JsonSerializer.Serialize(record with { AppliedRevision = 0, UpdatedAt = default }, FleetJsonContext.Default.HostRecord);
            if (content == _registered)
            {
                return;
            }

            await _store.PutLeasedAsync(FleetKeys.Host(_options.Fleet, HostId), JsonSerializer.Serialize(record, FleetJsonContext.Default.HostRecord), stopping).ConfigureAwait(false);
            _registered = content;
        }
        finally
        {
            _registering.Release();
        }
    }

    private HostRecord Registration()
    {
        List<ServedVersion> serving = [.. ServingVersions().Select(static p => new ServedVersion(p.PluginName, p.Version))];
        return new HostRecord
        {
            HostId = HostId,
            Labels = new Dictionary<string, string>(_options.Labels, StringComparer.Ordinal),
            MachineName = Environment.MachineName,
            ProcessId = Environment.ProcessId,
            Serving = serving,
            LastError = _lastError,
            Stuck = StuckVersions(),
            Health = Volatile.Read(ref _health),
            RolledBack = RolledBackVersions(),
            AppliedRevision = Volatile.Read(ref _appliedRevision),
            UpdatedAt = _options.TimeProvider.GetUtcNow(),
        };
    }

    private string? ServingVersion(string plugin)
    {
        foreach (PluginVersionInfo version in ServingVersions())
        {
            if (string.Equals(version.PluginName, plugin, StringComparison.OrdinalIgnoreCase))
            {
                return version.Version;
            }
        }

        return null;
    }

    /// <summary>The versions the host's live generation serves: what the host runs, not what it intends.</summary>
    private IReadOnlyList<PluginVersionInfo> ServingVersions()
    {
        try
        {
            using GenerationLease lease = _host.Acquire();
            return lease.Generation.Plugins;
        }
        catch (InvalidOperationException)
        {
            return []; // no generation loaded yet
        }
    }

    private List<RolledBackVersion> RolledBackVersions()
    {
        lock (_gate)
        {
            return [.. _rolledBack.Values.OrderBy(static r => r.Plugin, StringComparer.Ordinal)];
        }
    }

    /// <summary>The host switched back to the generation it kept on probation: each version it took out is reported, so a rollout of that version stops.</summary>
    private void OnRolledBack(object? sender, RolledBackEventArgs e)
    {
        if (!e.Refused)
        {
            OnHostChanged(sender, e); // a reload that found the previous versions published again (an abort, an operator): not a verdict on the version
            return;
        }

        DateTimeOffset now = _options.TimeProvider.GetUtcNow();
        lock (_gate)
        {
            foreach (PluginOutcome outcome in e.Result.Plugins)
            {
                // In a rollback's result, PreviousVersion is the version taken out: a replaced one
                // (RolledBack) or one new to the generation (Removed).
                if (outcome.Outcome is ReloadOutcome.RolledBack or ReloadOutcome.Removed && outcome.PreviousVersion is { } taken)
                {
                    _rolledBack[outcome.PluginName] = new RolledBackVersion(outcome.PluginName, taken, e.Result.RollbackReason ?? "rolled back", now);
                    FleetLog.HostRolledBack(_logger, HostId, outcome.PluginName, taken, e.Result.RollbackReason ?? "");
                }
            }
        }

        OnHostChanged(sender, e);
    }

    /// <summary>Runs the host's health check at once and then every <see cref="FleetAgentOptions.HealthInterval"/>, saying in the registration when its answer changes.</summary>
    private async Task CheckHealthLoopAsync(CancellationToken stopping)
    {
        try
        {
            using var timer = new PeriodicTimer(_options.HealthInterval, _options.TimeProvider);
            do
            {
                if (await CheckHealthAsync(stopping).ConfigureAwait(false))
                {
                    await RegisterAsync(stopping).ConfigureAwait(false);
                }
            }
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs the health check once (bounded by <see cref="FleetAgentOptions.HealthInterval"/>); returns whether its answer changed.</summary>
    /// <remarks>A check that throws or outlasts the interval is an unhealthy answer with that reason.</remarks>
    internal async Task<bool> CheckHealthAsync(CancellationToken stopping)
    {
        Func<CancellationToken, Task<HealthReport>> check = _options.HealthCheck ?? throw new InvalidOperationException("The agent has no health check.");
        bool healthy;
        string? reason;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(stopping))
        {
            bounded.CancelAfter(_options.HealthInterval);
            try
            {
                HealthReport report = await check(bounded.Token).WaitAsync(bounded.Token).ConfigureAwait(false);
                healthy = report.Status != HealthStatus.Unhealthy;
                reason = healthy ? null : Describe(report);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException)
            {
                healthy = false;
                reason = $"The health check did not answer within {_options.HealthInterval.TotalSeconds:0.###} s.";
            }
#pragma warning disable CA1031 // A check that throws is an unhealthy answer, never the agent's end.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                healthy = false;
                reason = $"The health check threw {ex.GetType().Name}: {ex.Message}";
            }
        }

        HostHealth? before = Volatile.Read(ref _health);
        if (before is not null && before.Healthy == healthy && before.Reason == reason)
        {
            return false;
        }

        Volatile.Write(ref _health, new HostHealth(healthy, reason, before?.Healthy == healthy ? before.Since : _options.TimeProvider.GetUtcNow()));
        FleetLog.HealthChanged(_logger, HostId, healthy ? "healthy" : "unhealthy", reason ?? "");
        return true;
    }

    /// <summary>The unhealthy entries of a report, each with its description or exception.</summary>
    private static string Describe(HealthReport report)
    {
        List<string> failing = [.. report.Entries
            .Where(static e => e.Value.Status == HealthStatus.Unhealthy)
            .OrderBy(static e => e.Key, StringComparer.Ordinal)
            .Select(static e => $"{e.Key}: {e.Value.Description ?? e.Value.Exception?.Message ?? "unhealthy"}")];
        return failing.Count == 0 ? "The health check reported Unhealthy." : string.Join("; ", failing);
    }

    /// <summary>The host's stuck versions, each with the cause it was reported with; causes of versions no longer stuck are forgotten.</summary>
    private List<ServedVersion> StuckVersions()
    {
        IReadOnlyList<PluginVersionInfo> stuck = _host.StuckVersions;
        foreach (PluginVersionInfo gone in _stuckCauses.Keys.Except(stuck))
        {
            _stuckCauses.TryRemove(gone, out _);
        }

        return [.. stuck.Select(v => new ServedVersion(v.PluginName, v.Version) { Cause = _stuckCauses.GetValueOrDefault(v) })];
    }

    private void OnHostChanged(object? sender, EventArgs e)
    {
        if (e is UnloadStuckEventArgs { StillDraining: false } stuck)
        {
            // Before the registration is written: it names the cause with the version.
            _stuckCauses[stuck.Version] = stuck.Cause;
        }

        // A reload the agent did not start (the watcher, an operator), a rollback or a stuck
        // version: the registration says so soon. Best effort: the next reconcile writes it again.
        lock (_gate)
        {
            if (_disposed || _stopping.IsCancellationRequested)
            {
                return;
            }

            CancellationToken stopping = _stopping.Token;
            Task previous = _pendingRegistration;
            _pendingRegistration = Task.Run(
                async () =>
                {
                    await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    try
                    {
                        await RegisterAsync(stopping).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                    {
                    }
                },
                CancellationToken.None);
        }
    }

    /// <summary>This host's target of each plugin the view desires something of, in plugin order (docs/fleet.md, "What a host serves").</summary>
    private List<(string Plugin, VersionReference Target, string Scope)> TargetsOf(StoreView view)
    {
        List<(string Plugin, VersionReference Target, string Scope)> targets = [];
        foreach ((string plugin, StableRecord? stable, RolloutRecord? rollout) in PluginsOf(view))
        {
            if (rollout?.Admits(HostId) == true)
            {
                targets.Add((plugin, rollout.Target, rollout.Id));
            }
            else if (stable is not null)
            {
                targets.Add((plugin, stable.Target, rollout?.Id ?? stable.RolloutId ?? "stable"));
            }

            // Otherwise nothing is desired: the host keeps what it serves.
        }

        return targets;
    }

    /// <summary>Each plugin named in the view, with its stable and rollout records; a record that does not parse is logged and skipped.</summary>
    private List<(string Plugin, StableRecord? Stable, RolloutRecord? Rollout)> PluginsOf(StoreView view)
    {
        string prefix = FleetKeys.Plugins(_options.Fleet);
        var plugins = new SortedDictionary<string, (StableRecord? Stable, RolloutRecord? Rollout)>(StringComparer.Ordinal);
        foreach (StoreEntry entry in view.Entries.Values)
        {
            string rest = entry.Key[prefix.Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0)
            {
                continue;
            }

            string plugin = rest[..slash];
            string kind = rest[(slash + 1)..];
            plugins.TryGetValue(plugin, out (StableRecord? Stable, RolloutRecord? Rollout) records);
            try
            {
                if (kind == "stable")
                {
                    records.Stable = JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.StableRecord);
                }
                else if (kind == "rollout")
                {
                    records.Rollout = JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.RolloutRecord);
                }
                else
                {
                    continue;
                }
            }
            catch (JsonException ex)
            {
                FleetLog.RecordUnreadable(_logger, entry.Key, ex);
                continue;
            }

            plugins[plugin] = records;
        }

        return [.. plugins.Select(static p => (p.Key, p.Value.Stable, p.Value.Rollout))];
    }

    /// <summary>The host id when none is set: the machine's name and a hash of the plugins root, the same across restarts of the process.</summary>
    private static string DefaultHostId(string root)
    {
        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(root)));
        string machine = new([.. Environment.MachineName.Select(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-')]);
        return $"{machine}-{Convert.ToHexStringLower(hash)[..8]}";
    }

    /// <summary>One view of the desired state, as this host's targets: parsed once, when it is followed.</summary>
    /// <param name="Revision">The store revision of the view.</param>
    /// <param name="Targets">Each plugin's target and the scope (rollout id, or "stable") it is answered under.</param>
    private sealed record DesiredState(long Revision, IReadOnlyList<(string Plugin, VersionReference Target, string Scope)> Targets)
    {
        /// <summary>The target of <paramref name="plugin"/>, or <see langword="null"/> when nothing is desired of it.</summary>
        public (string Plugin, VersionReference Target, string Scope)? TargetOf(string plugin)
        {
            foreach ((string Plugin, VersionReference Target, string Scope) target in Targets)
            {
                if (target.Plugin == plugin)
                {
                    return target;
                }
            }

            return null;
        }

        /// <summary>Whether this view still wants <paramref name="target"/> of <paramref name="plugin"/> (same version and digest; the URL may change, as a signed one does).</summary>
        public bool Wants(string plugin, VersionReference target)
            => TargetOf(plugin) is { } wanted
                && wanted.Target.Version == target.Version
                && string.Equals(wanted.Target.Digest, target.Digest, StringComparison.OrdinalIgnoreCase);
    }
}
