using System.Text.Json.Serialization;

namespace Hotswap;

/// <summary>
/// What a running host reports about itself under its plugins root
/// (<c>.hotswap/hosts/&lt;host id&gt;.json</c>), read by <see cref="HostStatusReader"/> and <c>hotswap status</c>.
/// </summary>
public sealed class HostStatus
{
    /// <summary>Gets the host's id: unique per host instance.</summary>
    [JsonPropertyName("hostId")]
    public string HostId { get; init; } = "";

    /// <summary>Gets the id of the host's process.</summary>
    [JsonPropertyName("processId")]
    public int ProcessId { get; init; }

    /// <summary>Gets the name of the machine the host runs on.</summary>
    [JsonPropertyName("machineName")]
    public string MachineName { get; init; } = "";

    /// <summary>Gets when the host started.</summary>
    [JsonPropertyName("startedAt")]
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when this status was written.</summary>
    [JsonPropertyName("updatedAt")]
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Gets the number of the generation serving; 0 before the first load.</summary>
    [JsonPropertyName("generation")]
    public long Generation { get; init; }

    /// <summary>Gets the plugin versions of the serving generation.</summary>
    [JsonPropertyName("plugins")]
    public IReadOnlyList<PluginVersionStatus> Plugins { get; init; } = [];

    /// <summary>Gets the number of calls (leases) in flight on the serving generation when the status was written.</summary>
    [JsonPropertyName("callsInFlight")]
    public long CallsInFlight { get; init; }

    /// <summary>Gets the retired versions still draining or waiting to be proven unloaded.</summary>
    [JsonPropertyName("retiring")]
    public IReadOnlyList<PluginVersionStatus> Retiring { get; init; } = [];

    /// <summary>Gets the retired versions reported stuck.</summary>
    [JsonPropertyName("stuck")]
    public IReadOnlyList<PluginVersionStatus> Stuck { get; init; } = [];

    /// <summary>
    /// Gets the versions a reload in progress is verifying or loading: not serving yet, but about to
    /// be read from their folders, so pruning must keep them.
    /// </summary>
    [JsonPropertyName("loading")]
    public IReadOnlyList<PluginVersionStatus> Loading { get; init; } = [];

    /// <summary>
    /// Gets the versions kept loaded on probation (<see cref="PluginHostOptions.Probation"/>): not
    /// serving, but ready to serve again after a rollback, so pruning must keep them.
    /// </summary>
    [JsonPropertyName("kept")]
    public IReadOnlyList<PluginVersionStatus> Kept { get; init; } = [];

    /// <summary>Gets every version this host holds or is about to load: serving, kept, loading, retiring or stuck.</summary>
    [JsonIgnore]
    public IEnumerable<PluginVersionStatus> AllVersions => Plugins.Concat(Kept).Concat(Loading).Concat(Retiring).Concat(Stuck);
}
