using System.Text.Json.Serialization;

namespace Hotswap;

/// <summary>
/// The content of <c>plugin.json</c>: what one immutable version folder holds. The schema is
/// documented in <c>docs/plugin-format.md</c>.
/// </summary>
public sealed class PluginManifest
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The manifest's file name inside a version folder.</summary>
    public const string FileName = "plugin.json";

    /// <summary>Gets the manifest format version.</summary>
    [JsonPropertyName("formatVersion")]
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Gets the plugin's name.</summary>
    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    /// <summary>Gets the version id, equal to the version folder's name.</summary>
    [JsonPropertyName("version")]
    public string Version { get; init; } = "";

    /// <summary>Gets the entry assembly's path, relative to the version folder.</summary>
    [JsonPropertyName("entryAssembly")]
    public string EntryAssembly { get; init; } = "";

    /// <summary>Gets the entry assembly's target framework moniker, when known.</summary>
    [JsonPropertyName("targetFramework")]
    public string? TargetFramework { get; init; }

    /// <summary>Gets when the version was published (UTC).</summary>
    [JsonPropertyName("builtAt")]
    public DateTimeOffset BuiltAt { get; init; }

    /// <summary>Gets the source commit the version was built from, when known.</summary>
    [JsonPropertyName("sourceCommit")]
    public string? SourceCommit { get; init; }

    /// <summary>Gets every file of the version folder but the manifest, with its size and SHA-256.</summary>
    [JsonPropertyName("files")]
    public IReadOnlyList<PluginManifestFile> Files { get; init; } = [];

    /// <summary>Gets the assemblies the plugin expects from the host, with the versions it was built against.</summary>
    [JsonPropertyName("sharedAssemblies")]
    public IReadOnlyList<SharedAssemblyReference> SharedAssemblies { get; init; } = [];

    /// <summary>
    /// Gets the version's sequence number among the plugin's signed versions: higher for every newer
    /// version, covered by the signature, so that a host can refuse an older signed version (a downgrade).
    /// </summary>
    /// <value><see langword="null"/> in an unsigned manifest.</value>
    [JsonPropertyName("sequence")]
    public long? Sequence { get; init; }

    /// <summary>
    /// Gets the signature of the manifest, when signed: <c>ecdsa-p256-sha256:&lt;key id&gt;:&lt;base64&gt;</c>
    /// over the canonical bytes documented in <c>docs/plugin-format.md</c>.
    /// </summary>
    [JsonPropertyName("signature")]
    public string? Signature { get; init; }
}
