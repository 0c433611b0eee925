using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>The artifact fetcher's log messages, with stable event ids (3100 to 3119).</summary>
internal static partial class ArtifactLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Plugin '{Plugin}' version {Version} is already in '{VersionDirectory}' with the digest asked for; nothing is downloaded")]
    public static partial void AlreadyPresent(ILogger logger, string plugin, string version, string versionDirectory);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Fetching plugin '{Plugin}' version {Version} from {Artifact}")]
    public static partial void Fetching(ILogger logger, string plugin, string version, string artifact);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Fetched plugin '{Plugin}' version {Version} ({Bytes} bytes downloaded) into '{VersionDirectory}' in {ElapsedMs} ms")]
    public static partial void Fetched(ILogger logger, string plugin, string version, long bytes, string versionDirectory, long elapsedMs);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Plugin '{Plugin}' version {Version} was put into '{VersionDirectory}' by another fetch meanwhile; that folder is checked and used")]
    public static partial void LostRace(ILogger logger, string plugin, string version, string versionDirectory);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "The fetch folder '{Folder}' could not be deleted; it starts with a dot, so hosts ignore it: {Error}")]
    public static partial void CleanupFailed(ILogger logger, string folder, string error);
}
