using System.Text.Json;

namespace Hotswap;

/// <summary>What a fleet looks like in the store at one revision: its hosts, each plugin's stable version and rollout, and the answers.</summary>
public sealed class FleetStatus
{
    private readonly IReadOnlyList<FleetAnswerStatus> _answers;

    private FleetStatus(string fleet, long revision, IReadOnlyList<FleetHostStatus> hosts, IReadOnlyList<FleetPluginStatus> plugins, IReadOnlyList<FleetAnswerStatus> answers)
    {
        Fleet = fleet;
        Revision = revision;
        Hosts = hosts;
        Plugins = plugins;
        _answers = answers;
    }

    /// <summary>Gets the fleet's name.</summary>
    public string Fleet { get; }

    /// <summary>Gets the store revision this status was read at.</summary>
    public long Revision { get; }

    /// <summary>Gets every host: the live ones (registered, their lease held) and the ones known only from their answers (gone).</summary>
    public IReadOnlyList<FleetHostStatus> Hosts { get; }

    /// <summary>Gets every plugin with a stable version or a rollout.</summary>
    public IReadOnlyList<FleetPluginStatus> Plugins { get; }

    /// <summary>Gets every answer in the store.</summary>
    public IReadOnlyList<FleetAnswerStatus> Answers => _answers;

    /// <summary>Gets the answers of one rollout for one version.</summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="rolloutId">The rollout.</param>
    /// <param name="version">The version.</param>
    /// <returns>The answers, by host id.</returns>
    public IReadOnlyList<FleetAnswerStatus> AnswersOf(string pluginName, string rolloutId, string version)
        => [.. _answers.Where(a => a.PluginName == pluginName && a.RolloutId == rolloutId && a.Version == version).OrderBy(static a => a.HostId, StringComparer.Ordinal)];

    internal static FleetStatus From(string fleet, StoreView view)
    {
        string hostsPrefix = FleetKeys.Hosts(fleet);
        string pluginsPrefix = FleetKeys.Plugins(fleet);
        string answersPrefix = FleetKeys.Fleet(fleet) + "answers/";
        var hosts = new SortedDictionary<string, FleetHostStatus>(StringComparer.Ordinal);
        var stable = new Dictionary<string, StableRecord>(StringComparer.Ordinal);
        var rollouts = new Dictionary<string, RolloutRecord>(StringComparer.Ordinal);
        var answers = new List<FleetAnswerStatus>();
        foreach (StoreEntry entry in view.Entries.Values)
        {
            try
            {
                if (entry.Key.StartsWith(hostsPrefix, StringComparison.Ordinal)
                    && JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.HostRecord) is { } host)
                {
                    hosts[host.HostId] = FleetHostStatus.Live(host);
                }
                else if (entry.Key.StartsWith(pluginsPrefix, StringComparison.Ordinal))
                {
                    string[] parts = entry.Key[pluginsPrefix.Length..].Split('/');
                    if (parts is [string plugin, "stable"] && JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.StableRecord) is { } s)
                    {
                        stable[plugin] = s;
                    }
                    else if (parts is [string rolled, "rollout"] && JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.RolloutRecord) is { } r)
                    {
                        rollouts[rolled] = r;
                    }
                }
                else if (entry.Key.StartsWith(answersPrefix, StringComparison.Ordinal)
                    && entry.Key[answersPrefix.Length..].Split('/') is [string plugin, string rollout, string version, string hostId]
                    && JsonSerializer.Deserialize(entry.Value, FleetJsonContext.Default.AnswerRecord) is { } answer)
                {
                    answers.Add(new FleetAnswerStatus(plugin, rollout, version, hostId, answer.Ack, answer.Error?.Plugin, answer.Error?.Phase, answer.Error?.File, answer.Error?.Message, answer.At));
                }
            }
            catch (JsonException)
            {
                // A record another version of Hotswap wrote, or a hand-edited one: not shown.
            }
        }

        foreach (FleetAnswerStatus answer in answers)
        {
            hosts.TryAdd(answer.HostId, FleetHostStatus.Gone(answer.HostId));
        }

        List<FleetPluginStatus> plugins = [.. stable.Keys.Union(rollouts.Keys).Order(StringComparer.Ordinal).Select(p =>
        {
            stable.TryGetValue(p, out StableRecord? s);
            rollouts.TryGetValue(p, out RolloutRecord? r);
            return new FleetPluginStatus(p, s?.Target.Version, r is null ? null : new FleetRolloutStatus(
                r.Id, r.Target.Version, r.Previous?.Version, r.State.ToString().ToLowerInvariant(), r.Wave + 1, r.Waves, r.Admitted, r.Bake, r.MaxNacks, r.WaveReadyAt, r.Reason));
        })];
        return new FleetStatus(fleet, view.Revision, [.. hosts.Values], plugins, answers);
    }
}

/// <summary>One host of a fleet.</summary>
/// <param name="HostId">The host's id.</param>
/// <param name="IsLive">Whether the host is registered (its lease held); <see langword="false"/> for a host known only from its answers, whose lease expired or was revoked.</param>
/// <param name="Labels">The host's labels.</param>
/// <param name="Serving">The versions its live generation serves, as <c>plugin@version</c>.</param>
/// <param name="Stuck">Retired versions it found stuck in memory, as <c>plugin@version</c>.</param>
/// <param name="LastError">The last fetch or reload error it reported, or <see langword="null"/>.</param>
/// <param name="AppliedRevision">The store revision of the desired state it had reconciled when its registration last changed.</param>
/// <param name="UpdatedAt">When it last wrote its registration.</param>
public sealed record FleetHostStatus(
    string HostId,
    bool IsLive,
    IReadOnlyDictionary<string, string> Labels,
    IReadOnlyList<string> Serving,
    IReadOnlyList<string> Stuck,
    string? LastError,
    long AppliedRevision,
    DateTimeOffset? UpdatedAt)
{
    /// <summary>Gets whether the host serves <paramref name="version"/> of <paramref name="pluginName"/>.</summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="version">The version.</param>
    /// <returns><see langword="true"/> when its live generation does.</returns>
    public bool Serves(string pluginName, string version) => Serving.Contains(pluginName + "@" + version, StringComparer.Ordinal);

    /// <summary>Gets whether the host's health check last passed (Healthy or Degraded), or <see langword="null"/> when the host has no health check or is gone.</summary>
    public bool? IsHealthy { get; init; }

    /// <summary>Gets why the host is unhealthy: its failing checks and their descriptions.</summary>
    public string? HealthReason { get; init; }

    /// <summary>Gets when the host's health check first gave its current answer (the host's clock).</summary>
    public DateTimeOffset? HealthSince { get; init; }

    /// <summary>Gets, for each of <see cref="Stuck"/> (<c>plugin@version</c>), the cause the host reported it stuck with: what holds it, when the host names it (<see cref="PluginHostOptions.UnloadDiagnoser"/>).</summary>
    public IReadOnlyDictionary<string, string> StuckCauses { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the versions the host rolled back by itself, the latest of each plugin.</summary>
    public IReadOnlyList<FleetRolledBackStatus> RolledBack { get; init; } = [];

    internal static FleetHostStatus Live(HostRecord host) => new(
        host.HostId,
        IsLive: true,
        host.Labels,
        [.. host.Serving.Select(static s => s.Plugin + "@" + s.Version)],
        [.. host.Stuck.Select(static s => s.Plugin + "@" + s.Version)],
        host.LastError is { } e ? $"{e.Plugin}: phase {e.Phase}{(e.File is null ? "" : $", file {e.File}")}: {e.Message}" : null,
        host.AppliedRevision,
        host.UpdatedAt)
    {
        StuckCauses = host.Stuck.Where(static s => s.Cause is not null).DistinctBy(static s => (s.Plugin, s.Version)).ToDictionary(static s => s.Plugin + "@" + s.Version, static s => s.Cause!, StringComparer.Ordinal),
        IsHealthy = host.Health?.Healthy,
        HealthReason = host.Health?.Reason,
        HealthSince = host.Health?.Since,
        RolledBack = [.. host.RolledBack.Select(static r => new FleetRolledBackStatus(r.Plugin, r.Version, r.Reason, r.At))],
    };

    internal static FleetHostStatus Gone(string hostId) => new(hostId, IsLive: false, new Dictionary<string, string>(), [], [], null, 0, null);
}

/// <summary>A version a host rolled back by itself (its probation's automatic rollback, or an operator's rollback on that host).</summary>
/// <param name="PluginName">The plugin.</param>
/// <param name="Version">The version rolled back.</param>
/// <param name="Reason">Why.</param>
/// <param name="At">When (the host's clock).</param>
public sealed record FleetRolledBackStatus(string PluginName, string Version, string Reason, DateTimeOffset At);

/// <summary>One plugin of a fleet: its stable version and its rollout.</summary>
/// <param name="PluginName">The plugin.</param>
/// <param name="StableVersion">The version hosts serve unless a rollout admits them.</param>
/// <param name="Rollout">The plugin's last rollout, or <see langword="null"/>.</param>
public sealed record FleetPluginStatus(string PluginName, string? StableVersion, FleetRolloutStatus? Rollout);

/// <summary>A rollout's state.</summary>
/// <param name="Id">The rollout's id.</param>
/// <param name="Version">The version rolled out.</param>
/// <param name="PreviousVersion">The version that was stable when it started.</param>
/// <param name="State"><c>running</c>, <c>paused</c>, <c>aborted</c> or <c>completed</c>.</param>
/// <param name="Wave">The wave being admitted or baked, from 1.</param>
/// <param name="Waves">The waves.</param>
/// <param name="Admitted">The hosts admitted so far.</param>
/// <param name="Bake">The bake time of each wave.</param>
/// <param name="MaxNacks">The NACKs tolerated.</param>
/// <param name="WaveReadyAt">When the current wave was first seen serving, or <see langword="null"/>.</param>
/// <param name="Reason">Why it is paused or aborted.</param>
public sealed record FleetRolloutStatus(
    string Id,
    string Version,
    string? PreviousVersion,
    string State,
    int Wave,
    IReadOnlyList<string> Waves,
    IReadOnlyList<string> Admitted,
    TimeSpan Bake,
    int MaxNacks,
    DateTimeOffset? WaveReadyAt,
    string? Reason);

/// <summary>One host's answer for one version of one rollout.</summary>
/// <param name="PluginName">The plugin.</param>
/// <param name="RolloutId">The rollout (<c>stable</c> when none set the version).</param>
/// <param name="Version">The version.</param>
/// <param name="HostId">The host.</param>
/// <param name="Acknowledged">ACK (it serves the version) or NACK.</param>
/// <param name="FailedPlugin">A NACK's failing plugin: the one answered for, or another whose failure failed the host's reload.</param>
/// <param name="Phase">A NACK's phase.</param>
/// <param name="FilePath">A NACK's file or URL.</param>
/// <param name="Reason">A NACK's reason.</param>
/// <param name="At">When the host answered.</param>
public sealed record FleetAnswerStatus(string PluginName, string RolloutId, string Version, string HostId, bool Acknowledged, string? FailedPlugin, string? Phase, string? FilePath, string? Reason, DateTimeOffset At);
