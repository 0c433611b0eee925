using Microsoft.Extensions.Logging;

namespace Hotswap.Hosting;

/// <summary>The hosting package's log messages, with stable event ids (2000 and up; the runtime has the ones below).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Hotswap loaded generation {Generation}: {Result}")]
    public static partial void FirstLoadSucceeded(ILogger logger, long generation, ReloadResult result);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Hotswap could not load the first generation and starts with no plugins, as AllowStartWithoutPlugins allows: {Reason}")]
    public static partial void StartingWithoutPlugins(ILogger logger, string reason);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Hotswap is stopping: no more reloads; waiting for the calls in flight on generation {Generation}")]
    public static partial void Stopping(ILogger logger, long generation);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "The host's shutdown timeout ended before {Count} plugin version(s) drained ({Versions}); their calls go on until the process exits")]
    public static partial void StopTimedOut(ILogger logger, int count, string versions);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Hotswap stopped")]
    public static partial void Stopped(ILogger logger);
}
