using System.Text.Json.Serialization;

namespace Hotswap;

/// <summary>One plugin version in a <see cref="HostStatus"/>.</summary>
public sealed class PluginVersionStatus
{
    /// <summary>Gets the plugin's name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>Gets the version id.</summary>
    [JsonPropertyName("version")]
    public string Version { get; init; } = "";

    /// <summary>
    /// Gets, for a version reported stuck, the cause it was reported with (what
    /// <see cref="UnloadStuckEventArgs.Cause"/> said, with what holds it when the host has a
    /// <see cref="PluginHostOptions.UnloadDiagnoser"/>); <see langword="null"/> for every other version.
    /// </summary>
    [JsonPropertyName("cause")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Cause { get; init; }

    /// <summary>Returns <c>name@version</c>.</summary>
    /// <returns>The plugin name and version.</returns>
    public override string ToString() => $"{Name}@{Version}";
}
