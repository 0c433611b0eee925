using System.Text.Json.Serialization;

namespace Hotswap;

/// <summary>One file of a version folder, as listed in <c>plugin.json</c>.</summary>
public sealed class PluginManifestFile
{
    /// <summary>Gets the path relative to the version folder, with <c>/</c> separators.</summary>
    [JsonPropertyName("path")]
    public string Path { get; init; } = "";

    /// <summary>Gets the size in bytes.</summary>
    [JsonPropertyName("size")]
    public long Size { get; init; }

    /// <summary>Gets the SHA-256 of the content, as lower-case hex.</summary>
    [JsonPropertyName("sha256")]
    public string Sha256 { get; init; } = "";
}
