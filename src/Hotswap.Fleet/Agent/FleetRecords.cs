using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hotswap;

/// <summary>One version of one plugin, where to fetch it and the digest that names it (docs/fleet.md, "Words").</summary>
/// <param name="Version">The version folder's name.</param>
/// <param name="Artifact">The artifact's URL: <c>file://</c>, <c>http://</c> or <c>https://</c>.</param>
/// <param name="Digest">The lower-case hex SHA-256 of the version folder's manifest.</param>
internal sealed record VersionReference(string Version, string Artifact, string Digest);

/// <summary>The value of <c>plugins/{plugin}/stable</c>: what every host serves unless a rollout admits it.</summary>
internal sealed record StableRecord
{
    /// <summary>Gets the version every host not admitted to a rollout serves.</summary>
    public required VersionReference Target { get; init; }

    /// <summary>Gets the rollout that made it stable, or <see langword="null"/> when an operator set it.</summary>
    public string? RolloutId { get; init; }
}

/// <summary>The states of a rollout (docs/fleet.md, "Keys").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RolloutState>))]
internal enum RolloutState
{
    /// <summary>Admitting hosts wave by wave.</summary>
    Running,

    /// <summary>Admitting no more hosts; the hosts admitted keep the new version.</summary>
    Paused,

    /// <summary>Stopped: every host admitted goes back to the stable version.</summary>
    Aborted,

    /// <summary>Every wave passed: the new version became stable.</summary>
    Completed,
}

/// <summary>The value of <c>plugins/{plugin}/rollout</c>, changed only by compare-and-swap on its mod revision.</summary>
internal sealed record RolloutRecord
{
    /// <summary>Gets the rollout's id, unique in its fleet.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the version being rolled out.</summary>
    public required VersionReference Target { get; init; }

    /// <summary>Gets the state.</summary>
    public required RolloutState State { get; init; }

    /// <summary>Gets the version that was stable when the rollout started: where an abort sends the hosts back.</summary>
    public VersionReference? Previous { get; init; }

    /// <summary>Gets the hosts admitted so far: they serve <see cref="Target"/> while the rollout runs or is paused.</summary>
    public IReadOnlyList<string> Admitted { get; init; } = [];

    /// <summary>Gets the waves, each a cumulative host count or share of the live hosts (<see cref="RolloutPlan"/>).</summary>
    public IReadOnlyList<string> Waves { get; init; } = ["100%"];

    /// <summary>Gets the index in <see cref="Waves"/> of the wave being admitted or baked.</summary>
    public int Wave { get; init; }

    /// <summary>Gets how long every host of a wave must have served the version, healthy, before the next wave starts.</summary>
    public TimeSpan Bake { get; init; }

    /// <summary>Gets how many NACKs the rollout tolerates; one more aborts it.</summary>
    public int MaxNacks { get; init; }

    /// <summary>Gets when the current wave started (its hosts were admitted, or the rollout resumed): its progress deadline runs from then.</summary>
    public DateTimeOffset? WaveStartedAt { get; init; }

    /// <summary>Gets when every host of the current wave was first seen serving the version (the bake's start), or <see langword="null"/> while it is not.</summary>
    public DateTimeOffset? WaveReadyAt { get; init; }

    /// <summary>Gets when the rollout started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the record last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Gets why the rollout is paused or aborted.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets whether <paramref name="hostId"/> serves <see cref="Target"/> now.</summary>
    public bool Admits(string hostId) => State is RolloutState.Running or RolloutState.Paused && Admitted.Contains(hostId, StringComparer.Ordinal);
}

/// <summary>A plugin version a host serves (or holds stuck), in its registration.</summary>
/// <param name="Plugin">The plugin's name.</param>
/// <param name="Version">The version its live generation serves.</param>
internal sealed record ServedVersion(string Plugin, string Version)
{
    /// <summary>Gets, for a stuck version, the cause the host reported it with (<see cref="UnloadStuckEventArgs.Cause"/>); absent otherwise.</summary>
    public string? Cause { get; init; }
}

/// <summary>An error as a host reports it: the plugin, the phase and the file, and what happened.</summary>
/// <param name="Plugin">The plugin it concerns.</param>
/// <param name="Phase">The phase it happened in (a <see cref="ReloadPhase"/> name).</param>
/// <param name="File">The file or URL it concerns, when known.</param>
/// <param name="Message">What happened.</param>
internal sealed record FleetError(string Plugin, string Phase, string? File, string Message)
{
    /// <summary>The error of a failed fetch or reload; anything but a <see cref="PluginLoadException"/> is a fetch error of the artifact's URL.</summary>
    public static FleetError From(string plugin, Exception exception, string artifact) => exception switch
    {
        PluginLoadException load => new(load.PluginName ?? plugin, load.Phase.ToString(), load.FilePath, load.Reason ?? load.Message),
        _ => new(plugin, nameof(ReloadPhase.Fetch), WithoutCredentials(artifact), exception.Message),
    };

    /// <summary>A URL as a NACK in the store may show it: no user info, no query (a signed URL's credential).</summary>
    private static string WithoutCredentials(string url)
        => Uri.TryCreate(url, UriKind.Absolute, out Uri? uri)
            ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped) + (uri.Query.Length > 0 ? "?..." : "")
            : url.Split('?')[0];
}

/// <summary>A host's health as its health check last reported it (docs/fleet.md, "Health").</summary>
/// <param name="Healthy">Whether the check passed: <see cref="Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy"/> or <c>Degraded</c>; <c>Unhealthy</c>, a failed or timed-out check is not.</param>
/// <param name="Reason">Why it is unhealthy: the failing checks and their descriptions.</param>
/// <param name="Since">When the check first gave this answer (the host's clock): a change of health after a host began serving a version is blamed on that version.</param>
internal sealed record HostHealth(bool Healthy, string? Reason, DateTimeOffset Since);

/// <summary>A version the host itself rolled back (its probation's automatic rollback, or an operator's <see cref="PluginHost.RollbackAsync"/>).</summary>
/// <param name="Plugin">The plugin.</param>
/// <param name="Version">The version rolled back.</param>
/// <param name="Reason">The rollback's reason.</param>
/// <param name="At">When (the host's clock).</param>
internal sealed record RolledBackVersion(string Plugin, string Version, string Reason, DateTimeOffset At);

/// <summary>The value of <c>hosts/{hostId}</c>: a host's registration, bound to its lease.</summary>
internal sealed record HostRecord
{
    /// <summary>Gets the host's id in the fleet.</summary>
    public required string HostId { get; init; }

    /// <summary>Gets the host's labels (zone, cohort, ...).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the machine the host runs on.</summary>
    public string? MachineName { get; init; }

    /// <summary>Gets the host's process id.</summary>
    public int ProcessId { get; init; }

    /// <summary>Gets the versions the host's live generation serves.</summary>
    public IReadOnlyList<ServedVersion> Serving { get; init; } = [];

    /// <summary>Gets the last error of a fetch or reload the agent ran, or <see langword="null"/> when the last one succeeded.</summary>
    public FleetError? LastError { get; init; }

    /// <summary>Gets the versions the host found stuck in memory after they retired.</summary>
    public IReadOnlyList<ServedVersion> Stuck { get; init; } = [];

    /// <summary>Gets the host's health, or <see langword="null"/> when it has no health check (<see cref="FleetAgentOptions.HealthCheck"/>).</summary>
    public HostHealth? Health { get; init; }

    /// <summary>Gets the versions the host rolled back by itself (one per plugin, the latest), which a rollout of that version takes as unhealthy.</summary>
    public IReadOnlyList<RolledBackVersion> RolledBack { get; init; } = [];

    /// <summary>Gets the store revision of the desired state the host had reconciled when this registration last changed (a registration is written when what it says changes, not at every revision).</summary>
    public long AppliedRevision { get; init; }

    /// <summary>Gets when the host wrote this.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>The value of <c>answers/{plugin}/{rolloutId}/{version}/{hostId}</c>: written once per host and version.</summary>
internal sealed record AnswerRecord
{
    /// <summary>Gets the answering host.</summary>
    public required string HostId { get; init; }

    /// <summary>Gets the version answered for.</summary>
    public required string Version { get; init; }

    /// <summary>Gets whether the host serves the version (ACK) or refused it (NACK).</summary>
    public required bool Ack { get; init; }

    /// <summary>Gets a NACK's error.</summary>
    public FleetError? Error { get; init; }

    /// <summary>Gets when the host answered.</summary>
    public DateTimeOffset At { get; init; }
}

/// <summary>Source-generated JSON for the fleet's records: camel case, no reflection.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StableRecord))]
[JsonSerializable(typeof(RolloutRecord))]
[JsonSerializable(typeof(HostRecord))]
[JsonSerializable(typeof(AnswerRecord))]
internal sealed partial class FleetJsonContext : JsonSerializerContext
{
}
