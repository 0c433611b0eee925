using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hotswap;

/// <summary>
/// Moves one plugin version across a fleet in waves, on evidence (docs/fleet.md, "Rollouts"): a
/// wave advances when every host admitted so far has ACKed the version, serves it, and has kept
/// serving it for the bake time; a NACK beyond the allowance aborts the rollout, which sends every
/// admitted host back to the stable version. The rollout's state lives in etcd (one record,
/// changed only by compare-and-swap), so a controller that dies is replaced by another that
/// continues where it stopped; one controller at a time drives a plugin's rollouts.
/// </summary>
/// <remarks>
/// <see cref="StartAsync"/>, <see cref="PauseAsync"/>, <see cref="ResumeAsync"/> and
/// <see cref="AbortAsync"/> only write the record and return: any process may call them (the CLI
/// does). <see cref="RunAsync"/> is the loop that advances waves; run it where it can stay up.
/// </remarks>
public sealed class RolloutController : IAsyncDisposable
{
    private readonly RolloutControllerOptions _options;
    private readonly FleetStore _store;
    private readonly ILogger _logger;
    private readonly string _controllerId = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";

    // The controller key as the step being taken saw it: every write compares its revision.
    private StoreEntry? _held;

    /// <summary>Initializes a controller for one fleet.</summary>
    /// <param name="options">How to reach the fleet.</param>
    /// <param name="loggerFactory">Where the controller logs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is wrong.</exception>
    public RolloutController(RolloutControllerOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<RolloutController>();
        _store = new FleetStore(new FleetStoreOptions
        {
            Endpoints = options.Endpoints,
            CallTimeout = options.CallTimeout,
            LeaseTtl = options.LeaseTtl,
            Logger = _logger, // the store's backoff and keep-alive run against a real server: the system clock; this controller's clock measures bakes
        });
    }

    /// <summary>
    /// Starts rolling <paramref name="version"/> of <paramref name="pluginName"/> out: writes the
    /// rollout record with no host admitted yet (the running controller admits the first wave).
    /// </summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="version">The version folder's name.</param>
    /// <param name="artifact">Where hosts fetch it.</param>
    /// <param name="digest">The SHA-256 of its manifest (<see cref="FleetArtifacts.ComputeDigest"/>).</param>
    /// <param name="waves">The waves, for example <c>1,25%,100%</c>.</param>
    /// <param name="bake">How long each wave must serve the version before the next one starts.</param>
    /// <param name="maxNacks">How many NACKs the rollout tolerates.</param>
    /// <param name="cancellationToken">Stops retrying when the store is unreachable.</param>
    /// <returns>The new rollout's id.</returns>
    /// <exception cref="InvalidOperationException">Another rollout of the plugin is running or paused.</exception>
    public async Task<string> StartAsync(string pluginName, string version, Uri artifact, string digest, string waves, TimeSpan bake, int maxNacks, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentException.ThrowIfNullOrEmpty(digest);
        ArgumentOutOfRangeException.ThrowIfNegative(maxNacks);
        ArgumentOutOfRangeException.ThrowIfLessThan(bake, TimeSpan.Zero);
        IReadOnlyList<string> plan = RolloutPlan.Parse(waves);
        string key = FleetKeys.Rollout(_options.Fleet, pluginName);
        StoreEntry? stableEntry = await _store.GetAsync(FleetKeys.Stable(_options.Fleet, pluginName), cancellationToken).ConfigureAwait(false);
        StableRecord stable = (stableEntry is null ? null : JsonSerializer.Deserialize(stableEntry.Value, FleetJsonContext.Default.StableRecord))
            ?? throw new InvalidOperationException($"Plugin '{pluginName}' has no stable version in fleet '{_options.Fleet}' ({FleetKeys.Stable(_options.Fleet, pluginName)}): an abort would have nothing to send hosts back to. Set the stable version first (the version every host serves now).");
        StoreEntry? existing = await _store.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (existing is not null && Parse(existing) is { State: RolloutState.Running or RolloutState.Paused } active)
        {
            throw new InvalidOperationException($"Rollout {active.Id} of plugin '{pluginName}' to version {active.Target.Version} is {active.State.ToString().ToLowerInvariant()}: abort it or let it complete before starting another.");
        }

        DateTimeOffset now = _options.TimeProvider.GetUtcNow();
        var record = new RolloutRecord
        {
            Id = now.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8],
            Target = new VersionReference(version, artifact.AbsoluteUri, digest),
            Previous = stable.Target,
            State = RolloutState.Running,
            Waves = plan,
            Bake = bake,
            MaxNacks = maxNacks,
            StartedAt = now,
            UpdatedAt = now,
        };
        if (await _store.CompareAndSwapAsync(key, existing?.ModRevision ?? 0, Serialize(record), cancellationToken).ConfigureAwait(false) is null)
        {
            throw new InvalidOperationException($"Another rollout of plugin '{pluginName}' was started at the same time; run 'status' and try again.");
        }

        FleetLog.RolloutStarted(_logger, record.Id, pluginName, version, string.Join(",", plan));
        return record.Id;
    }

    /// <summary>
    /// Sets the version every host of the fleet serves when no rollout admits it: how a fleet is
    /// seeded, or moved at once outside any rollout. Refused while a rollout of the plugin runs or is
    /// paused (abort it first).
    /// </summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="version">The version folder's name.</param>
    /// <param name="artifact">Where hosts fetch it.</param>
    /// <param name="digest">The SHA-256 of its manifest (<see cref="FleetArtifacts.ComputeDigest"/>).</param>
    /// <param name="cancellationToken">Stops retrying when the store is unreachable.</param>
    /// <returns>A task that completes when the record is written.</returns>
    /// <exception cref="InvalidOperationException">A rollout of the plugin is running or paused.</exception>
    public async Task SetStableAsync(string pluginName, string version, Uri artifact, string digest, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        ArgumentException.ThrowIfNullOrEmpty(version);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentException.ThrowIfNullOrEmpty(digest);
        string rolloutKey = FleetKeys.Rollout(_options.Fleet, pluginName);
        string stableKey = FleetKeys.Stable(_options.Fleet, pluginName);
        string stable = JsonSerializer.Serialize(new StableRecord { Target = new VersionReference(version, artifact.AbsoluteUri, digest) }, FleetJsonContext.Default.StableRecord);
        while (true)
        {
            StoreEntry? rollout = await _store.GetAsync(rolloutKey, cancellationToken).ConfigureAwait(false);
            if (rollout is not null && Parse(rollout) is { State: RolloutState.Running or RolloutState.Paused } active)
            {
                throw new InvalidOperationException($"Rollout {active.Id} of plugin '{pluginName}' is {active.State.ToString().ToLowerInvariant()}: abort it before setting the stable version.");
            }

            // The rollout record must not change meanwhile: a rollout started at the same time wins, and this retries.
            if (await _store.TransactAsync([(rolloutKey, rollout?.ModRevision ?? 0)], [(stableKey, stable)], cancellationToken).ConfigureAwait(false) is not null)
            {
                return;
            }
        }
    }

    /// <summary>Pauses the plugin's rollout: no more hosts are admitted; the admitted ones keep the new version.</summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="reason">Why, for the status.</param>
    /// <param name="cancellationToken">Stops retrying when the store is unreachable.</param>
    /// <returns>A task that completes when the record says so.</returns>
    /// <exception cref="InvalidOperationException">No rollout of the plugin is running.</exception>
    public Task PauseAsync(string pluginName, string reason = "paused by an operator", CancellationToken cancellationToken = default)
        => ChangeAsync(pluginName, r => r.State == RolloutState.Running ? r with { State = RolloutState.Paused, Reason = reason } : throw NotIn(r, "running"), cancellationToken);

    /// <summary>Resumes a paused rollout; the current wave has the whole progress deadline again.</summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="cancellationToken">Stops retrying when the store is unreachable.</param>
    /// <returns>A task that completes when the record says so.</returns>
    /// <exception cref="InvalidOperationException">No rollout of the plugin is paused.</exception>
    public Task ResumeAsync(string pluginName, CancellationToken cancellationToken = default)
        => ChangeAsync(pluginName, r => r.State == RolloutState.Paused ? r with { State = RolloutState.Running, Reason = null, WaveStartedAt = _options.TimeProvider.GetUtcNow() } : throw NotIn(r, "paused"), cancellationToken);

    /// <summary>Aborts the plugin's rollout: every admitted host goes back to the stable version (a normal reload each).</summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="reason">Why, for the status.</param>
    /// <param name="cancellationToken">Stops retrying when the store is unreachable.</param>
    /// <returns>A task that completes when the record says so.</returns>
    /// <exception cref="InvalidOperationException">No rollout of the plugin is running or paused.</exception>
    public Task AbortAsync(string pluginName, string reason = "aborted by an operator", CancellationToken cancellationToken = default)
        => ChangeAsync(pluginName, r => r.State is RolloutState.Running or RolloutState.Paused ? r with { State = RolloutState.Aborted, Reason = reason } : throw NotIn(r, "running or paused"), cancellationToken);

    /// <summary>
    /// Drives the plugin's rollouts until cancelled: takes the plugin's controller key (waiting while
    /// another controller holds it), then admits waves, bakes them, aborts on NACKs and completes.
    /// </summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="cancellationToken">Stops the controller; the rollout stays where it is, for the next controller.</param>
    /// <returns>A task that completes when cancelled.</returns>
    public async Task RunAsync(string pluginName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        string lockKey = FleetKeys.Controller(_options.Fleet, pluginName);
        while (!cancellationToken.IsCancellationRequested)
        {
            await AcquireAsync(pluginName, cancellationToken).ConfigureAwait(false);
            FleetLog.ControllerRunning(_logger, _controllerId, _options.Fleet, pluginName);
            bool lost = await DriveAsync(pluginName, lockKey, cancellationToken).ConfigureAwait(false);
            if (!lost)
            {
                break;
            }

            FleetLog.ControllerLostKey(_logger, _controllerId, _options.Fleet, pluginName); // another controller holds the key now: wait for it again
        }

        // Release the key at once, so that a successor need not wait for the lease to expire.
        try
        {
            using var release = new CancellationTokenSource(_options.CallTimeout);
            if (await _store.GetAsync(lockKey, release.Token).ConfigureAwait(false) is { } held && held.Value == _controllerId)
            {
                _ = await _store.CompareAndSwapAsync(lockKey, held.ModRevision, null, release.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The store is unreachable: the key goes with the lease.
        }
    }

    /// <summary>The loop while this controller holds the key; returns <see langword="true"/> when it found the key held by another.</summary>
    private async Task<bool> DriveAsync(string pluginName, string lockKey, CancellationToken cancellationToken)
    {
        StoreView? latest = null;
        using var changed = new SemaphoreSlim(0);
        using var stopFollowing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task following = Task.Run(
            async () =>
            {
                await foreach (StoreView view in _store.FollowAsync(FleetKeys.Fleet(_options.Fleet), stopFollowing.Token).ConfigureAwait(false))
                {
                    Volatile.Write(ref latest, view);
                    changed.Release();
                }
            },
            CancellationToken.None);
        Task? next = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan? wake = null;
                if (Volatile.Read(ref latest) is { } view)
                {
                    // Fenced: every write compares the key's revision too, and a view that shows
                    // the key held by another controller ends this one's turn.
                    if (!view.Entries.TryGetValue(lockKey, out StoreEntry? held) || held.Value != _controllerId)
                    {
                        return true;
                    }

                    wake = await StepAsync(pluginName, view, held, cancellationToken).ConfigureAwait(false);
                }

                if (following.IsCompleted)
                {
                    await following.ConfigureAwait(false); // a follow that ended on its own: its error, never a silent stop
                    return false;
                }

                // Wait for the next change, or for the bake in progress to end. One wait stays
                // pending across turns, so no release is ever lost to an abandoned waiter.
                next ??= changed.WaitAsync(cancellationToken);
                if (wake is { } delay)
                {
                    using var bake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    Task timer = Task.Delay(delay < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : delay, _options.TimeProvider, bake.Token);
                    await Task.WhenAny(next, timer).ConfigureAwait(false);
                    await bake.CancelAsync().ConfigureAwait(false);
                }
                else
                {
                    await next.ConfigureAwait(false);
                }

                if (next.IsCompleted)
                {
                    await next.ConfigureAwait(false);
                    next = null;
                    while (changed.CurrentCount > 0)
                    {
                        await changed.WaitAsync(cancellationToken).ConfigureAwait(false); // coalesce: the latest view holds them all
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await stopFollowing.CancelAsync().ConfigureAwait(false);
            await following.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (next is not null)
            {
                await next.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        return false;
    }

    /// <summary>Reads the fleet's state: every host, the plugins' stable versions and rollouts, and the answers of each rollout.</summary>
    /// <param name="cancellationToken">Stops retrying when the store is unreachable.</param>
    /// <returns>The status.</returns>
    public async Task<FleetStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        StoreView view = await _store.GetPrefixAsync(FleetKeys.Fleet(_options.Fleet), cancellationToken).ConfigureAwait(false);
        return FleetStatus.From(_options.Fleet, view);
    }

    /// <summary>Releases the store (and with it the controller key, so another controller can take over at once).</summary>
    /// <returns>A task that completes when released.</returns>
    public ValueTask DisposeAsync() => _store.DisposeAsync();

    /// <summary>One step of the loop on the fleet's latest view; returns when to look again if nothing changes (a bake in progress).</summary>
    private async Task<TimeSpan?> StepAsync(string plugin, StoreView view, StoreEntry held, CancellationToken cancellationToken)
    {
        string key = FleetKeys.Rollout(_options.Fleet, plugin);
        if (!view.Entries.TryGetValue(key, out StoreEntry? entry))
        {
            return null;
        }

        RolloutRecord rollout;
        try
        {
            rollout = Parse(entry);
        }
        catch (JsonException ex)
        {
            FleetLog.RecordUnreadable(_logger, key, ex); // an operator's hand edit: nothing moves until it is fixed
            return null;
        }

        if (rollout.State != RolloutState.Running)
        {
            return null;
        }

        _held = held;

        FleetStatus status = FleetStatus.From(_options.Fleet, view);
        List<FleetHostStatus> live = [.. status.Hosts.Where(static h => h.IsLive).OrderBy(static h => h.HostId, StringComparer.Ordinal)];
        IReadOnlyList<FleetAnswerStatus> answers = status.AnswersOf(plugin, rollout.Id, rollout.Target.Version);
        DateTimeOffset now = _options.TimeProvider.GetUtcNow();

        // Any NACK beyond the allowance stops everything: the admitted hosts go back to stable.
        List<FleetAnswerStatus> nacks = [.. answers.Where(static a => !a.Acknowledged)];
        if (nacks.Count > rollout.MaxNacks)
        {
            FleetAnswerStatus first = nacks[0];
            string reason = $"{nacks.Count} NACK(s), more than the {rollout.MaxNacks} allowed; first from host {first.HostId}: plugin '{first.FailedPlugin ?? plugin}', phase {first.Phase}{(first.FilePath is null ? "" : $", file {first.FilePath}")}: {first.Reason}";
            await SwapAsync(key, entry, rollout with { State = RolloutState.Aborted, Reason = reason, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            FleetLog.RolloutAborted(_logger, rollout.Id, plugin, reason);
            return null;
        }

        // A host of the rollout that rolled the version back by itself, or whose health check
        // failed after it began serving the version, stops everything too: no allowance.
        if (Unhealthy(plugin, rollout, live, answers) is { } unhealthy)
        {
            await SwapAsync(key, entry, rollout with { State = RolloutState.Aborted, Reason = unhealthy, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            FleetLog.RolloutAborted(_logger, rollout.Id, plugin, unhealthy);
            return null;
        }

        // Admit the current wave's hosts (cumulative), in host id order.
        int wanted = RolloutPlan.HostsIn(rollout.Waves[rollout.Wave], live.Count);
        if (rollout.Admitted.Count < wanted)
        {
            List<string> admitted = [.. rollout.Admitted];
            admitted.AddRange(live.Select(static h => h.HostId).Where(id => !rollout.Admitted.Contains(id, StringComparer.Ordinal)).Take(wanted - rollout.Admitted.Count));
            await SwapAsync(key, entry, rollout with { Admitted = admitted, WaveReadyAt = null, WaveStartedAt = now, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            FleetLog.WaveAdmitted(_logger, rollout.Id, plugin, rollout.Wave + 1, string.Join(", ", admitted));
            return null;
        }

        // The wave is ready when every admitted host has answered: ACKed and serves the version
        // (live, its registration says so), or NACKed within the allowance (it keeps the stable version).
        var acked = answers.Where(static a => a.Acknowledged).Select(static a => a.HostId).ToHashSet(StringComparer.Ordinal);
        var nacked = nacks.Select(static a => a.HostId).ToHashSet(StringComparer.Ordinal);
        bool ready = rollout.Admitted.All(id => nacked.Contains(id) || (acked.Contains(id) && live.FirstOrDefault(h => h.HostId == id) is { } host && host.Serves(plugin, rollout.Target.Version)));
        if (!ready)
        {
            if (rollout.WaveReadyAt is not null)
            {
                return await ClearReadyAsync(key, entry, rollout, now, cancellationToken).ConfigureAwait(false);
            }

            if (_options.ProgressDeadline == Timeout.InfiniteTimeSpan)
            {
                return null;
            }

            if (rollout.WaveStartedAt is not { } started)
            {
                await SwapAsync(key, entry, rollout with { WaveStartedAt = now, UpdatedAt = now }, cancellationToken).ConfigureAwait(false); // a record from before the deadline existed
                return null;
            }

            TimeSpan remaining = started + _options.ProgressDeadline - now;
            if (remaining > TimeSpan.Zero)
            {
                return remaining;
            }

            string reason = NotReady(plugin, rollout, live, acked, nacked);
            await SwapAsync(key, entry, rollout with { State = RolloutState.Paused, Reason = reason, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            FleetLog.RolloutStalled(_logger, rollout.Id, plugin, reason);
            return null;
        }

        if (rollout.WaveReadyAt is not { } readyAt)
        {
            await SwapAsync(key, entry, rollout with { WaveReadyAt = now, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            return rollout.Bake;
        }

        TimeSpan left = readyAt + rollout.Bake - now;
        if (left > TimeSpan.Zero)
        {
            return left;
        }

        if (rollout.Wave + 1 < rollout.Waves.Count)
        {
            await SwapAsync(key, entry, rollout with { Wave = rollout.Wave + 1, WaveReadyAt = null, WaveStartedAt = now, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
            return null;
        }

        // Every wave baked: the version becomes stable, and the rollout completes, in one revision.
        var stable = new StableRecord { Target = rollout.Target, RolloutId = rollout.Id };
        string stableKey = FleetKeys.Stable(_options.Fleet, plugin);
        long stableRevision = view.Entries.TryGetValue(stableKey, out StoreEntry? stableEntry) ? stableEntry.ModRevision : 0;
        long? done = await _store.TransactAsync(
            [(key, entry.ModRevision), (stableKey, stableRevision), (held.Key, held.ModRevision)],
            [(stableKey, JsonSerializer.Serialize(stable, FleetJsonContext.Default.StableRecord)), (key, Serialize(rollout with { State = RolloutState.Completed, WaveReadyAt = null, UpdatedAt = now }))],
            cancellationToken).ConfigureAwait(false);
        if (done is not null)
        {
            FleetLog.RolloutCompleted(_logger, rollout.Id, plugin, rollout.Target.Version);
        }

        return null;
    }

    /// <summary>
    /// Why an admitted host shows the rollout's version unhealthy, or <see langword="null"/>: it rolled
    /// the version back by itself, or it serves the version and its health check has failed since
    /// after it ACKed (a host unhealthy before it took the version is not the version's fault).
    /// </summary>
    private static string? Unhealthy(string plugin, RolloutRecord rollout, List<FleetHostStatus> live, IReadOnlyList<FleetAnswerStatus> answers)
    {
        foreach (FleetHostStatus host in live.Where(h => rollout.Admitted.Contains(h.HostId, StringComparer.Ordinal)))
        {
            if (host.RolledBack.FirstOrDefault(r => string.Equals(r.PluginName, plugin, StringComparison.OrdinalIgnoreCase) && r.Version == rollout.Target.Version) is { } rolledBack)
            {
                return $"host {host.HostId} rolled back plugin '{plugin}' version {rolledBack.Version} by itself: {rolledBack.Reason}";
            }

            if (host is { IsHealthy: false, HealthSince: { } since } && host.Serves(plugin, rollout.Target.Version)
                && answers.FirstOrDefault(a => a.HostId == host.HostId && a.Acknowledged) is { } ack && since >= ack.At)
            {
                return $"host {host.HostId} became unhealthy while serving plugin '{plugin}' version {rollout.Target.Version}: {host.HealthReason}";
            }
        }

        return null;
    }

    /// <summary>Why the wave is not ready after its progress deadline: each admitted host still missing, and what it lacks.</summary>
    private string NotReady(string plugin, RolloutRecord rollout, List<FleetHostStatus> live, HashSet<string> acked, HashSet<string> nacked)
    {
        var missing = new List<string>();
        foreach (string id in rollout.Admitted.Where(id => !nacked.Contains(id)))
        {
            FleetHostStatus? host = live.FirstOrDefault(h => h.HostId == id);
            if (host is null)
            {
                missing.Add($"host {id} is gone (not registered: stopped, or its lease expired)");
            }
            else if (!acked.Contains(id))
            {
                missing.Add($"host {id} has not answered");
            }
            else if (!host.Serves(plugin, rollout.Target.Version))
            {
                missing.Add($"host {id} ACKed but serves {(host.Serving.FirstOrDefault(s => s.StartsWith(plugin + "@", StringComparison.Ordinal)) ?? "nothing of the plugin")}");
            }
        }

        return $"wave {rollout.Wave + 1} of {rollout.Waves.Count} was not ready {FormatDuration(_options.ProgressDeadline)} after it started: {string.Join("; ", missing)}. Resume to wait again, or abort.";
    }

    private static string FormatDuration(TimeSpan span) => span.TotalMinutes >= 1 && span.Seconds == 0 ? $"{span.TotalMinutes:0.#} min" : $"{span.TotalSeconds:0.###} s";

    private async Task<TimeSpan?> ClearReadyAsync(string key, StoreEntry entry, RolloutRecord rollout, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await SwapAsync(key, entry, rollout with { WaveReadyAt = null, UpdatedAt = now }, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Writes the record if nobody changed it since <paramref name="entry"/>; a conflict is left to the next step, which reads the newer record.</summary>
    /// <remarks>Fenced by the controller key: a controller whose key another took writes nothing.</remarks>
    private async Task SwapAsync(string key, StoreEntry entry, RolloutRecord changed, CancellationToken cancellationToken)
        => _ = await _store.TransactAsync([(key, entry.ModRevision), (_held!.Key, _held.ModRevision)], [(key, Serialize(changed))], cancellationToken).ConfigureAwait(false);

    private async Task ChangeAsync(string pluginName, Func<RolloutRecord, RolloutRecord> change, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        string key = FleetKeys.Rollout(_options.Fleet, pluginName);
        while (true)
        {
            StoreEntry entry = await _store.GetAsync(key, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Plugin '{pluginName}' has no rollout in fleet '{_options.Fleet}'.");
            RolloutRecord changed = change(Parse(entry)) with { UpdatedAt = _options.TimeProvider.GetUtcNow() };
            if (await _store.CompareAndSwapAsync(key, entry.ModRevision, Serialize(changed), cancellationToken).ConfigureAwait(false) is not null)
            {
                FleetLog.RolloutChanged(_logger, changed.Id, pluginName, changed.State.ToString(), changed.Reason ?? "");
                return;
            }

            // The controller (or another operator) changed the record meanwhile: apply to the newer one.
        }
    }

    /// <summary>Takes the plugin's controller key, bound to this controller's lease; waits while another controller holds it.</summary>
    private async Task AcquireAsync(string pluginName, CancellationToken cancellationToken)
    {
        string key = FleetKeys.Controller(_options.Fleet, pluginName);
        while (!await _store.CreateLeasedAsync(key, _controllerId, cancellationToken).ConfigureAwait(false))
        {
            // Held: wait until the key is gone (its holder stopped or its lease expired), then try again.
            await foreach (StoreView view in _store.FollowAsync(key, cancellationToken).ConfigureAwait(false))
            {
                if (!view.Entries.ContainsKey(key))
                {
                    break;
                }
            }
        }
    }

    private static InvalidOperationException NotIn(RolloutRecord rollout, string expected)
        => new($"Rollout {rollout.Id} is {rollout.State.ToString().ToLowerInvariant()}, not {expected}.");

    private static RolloutRecord Parse(StoreEntry entry) => JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.RolloutRecord)
        ?? throw new JsonException($"Fleet record {entry.Key} is empty.");

    private static string Serialize(RolloutRecord record) => JsonSerializer.Serialize(record, FleetJsonContext.Default.RolloutRecord);
}
