using System.Text.Json.Serialization;

namespace Hotswap;

/// <summary>An assembly a plugin expects from the host, as listed in <c>plugin.json</c>.</summary>
public sealed class SharedAssemblyReference
{
    /// <summary>Gets the assembly's simple name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>Gets the assembly version the plugin was built against.</summary>
    [JsonPropertyName("version")]
    public string Version { get; init; } = "";
}
