using System.Text.Json.Serialization;

namespace Hotswap;

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(HostStatus))]
internal sealed partial class StatusJsonContext : JsonSerializerContext
{
}
