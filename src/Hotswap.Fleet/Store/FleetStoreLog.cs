using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>The log messages of <see cref="FleetStore"/>, with stable event ids (3000 to 3099).</summary>
internal static partial class FleetStoreLog
{
    [LoggerMessage(3000, LogLevel.Warning, "etcd call {Operation} on '{Key}' failed ({Status}); retrying in {DelayMs:0} ms.")]
    public static partial void CallRetrying(ILogger logger, string operation, string key, string status, double delayMs);

    [LoggerMessage(3001, LogLevel.Information, "etcd is reachable again.")]
    public static partial void Reachable(ILogger logger);

    [LoggerMessage(3002, LogLevel.Warning, "The watch of '{Prefix}' broke ({Status}); resuming from revision {Revision} in {DelayMs:0} ms.")]
    public static partial void WatchBroken(ILogger logger, string prefix, string status, long revision, double delayMs);

    [LoggerMessage(3003, LogLevel.Warning, "The watch of '{Prefix}' could not resume from revision {Revision}: compacted to {CompactRevision}; reading the prefix again.")]
    public static partial void WatchCompacted(ILogger logger, string prefix, long revision, long compactRevision);

    [LoggerMessage(3004, LogLevel.Information, "Session lease {LeaseId} granted (TTL {TtlSeconds} s).")]
    public static partial void LeaseGranted(ILogger logger, long leaseId, long ttlSeconds);

    [LoggerMessage(3005, LogLevel.Warning, "Session lease {LeaseId} is gone (expired or revoked); granting a new one and putting {Keys} leased keys again.")]
    public static partial void LeaseLost(ILogger logger, long leaseId, int keys);

    [LoggerMessage(3006, LogLevel.Warning, "The keep-alive of lease {LeaseId} broke ({Status}); reopening in {DelayMs:0} ms.")]
    public static partial void KeepAliveBroken(ILogger logger, long leaseId, string status, double delayMs);

    [LoggerMessage(3007, LogLevel.Warning, "The leased key '{Key}' created by this store is held by another value after the lease was renewed; it is no longer renewed.")]
    public static partial void LeasedKeyTaken(ILogger logger, string key);

    [LoggerMessage(3008, LogLevel.Warning, "Revoking session lease {LeaseId} on dispose failed; its keys go when its TTL runs out.")]
    public static partial void RevokeFailed(ILogger logger, long leaseId, Exception exception);

    [LoggerMessage(3009, LogLevel.Warning, "The watch of '{Prefix}' was cancelled by etcd ({Reason}); watching again from revision {Revision}.")]
    public static partial void WatchCancelled(ILogger logger, string prefix, string reason, long revision);
}
