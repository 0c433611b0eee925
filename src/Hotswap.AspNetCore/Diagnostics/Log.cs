using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>Every log message of the ASP.NET Core integration, with stable event ids (from 1001, apart from the runtime's).</summary>
internal static partial class Log
{
    [LoggerMessage(1001, LogLevel.Error, "Plugin {Plugin}@{Version} failed to map its endpoints for generation {Generation}; it serves no endpoint in that generation.")]
    public static partial void MapEndpointsFailed(ILogger logger, string plugin, string version, long generation, Exception exception);

    [LoggerMessage(1002, LogLevel.Debug, "Generation {Generation}: {Count} plugin endpoint(s) built.")]
    public static partial void EndpointsBuilt(ILogger logger, long generation, int count);

    [LoggerMessage(1003, LogLevel.Debug, "A request routed on generation {Routed} ran on generation {Leased}, which {Found} its route.")]
    public static partial void RequestRerouted(ILogger logger, long routed, long leased, string found);

    [LoggerMessage(1004, LogLevel.Warning, "Reading the manifest of {Plugin}@{Version} for the status page failed.")]
    public static partial void ManifestReadFailed(ILogger logger, string plugin, string version, Exception exception);
}
