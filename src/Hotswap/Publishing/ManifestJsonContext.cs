using System.Text.Json.Serialization;

namespace Hotswap;

// Source-generated metadata: no reflection caches, trimming-safe.
[JsonSourceGenerationOptions(WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(PluginManifest))]
internal sealed partial class ManifestJsonContext : JsonSerializerContext
{
}
