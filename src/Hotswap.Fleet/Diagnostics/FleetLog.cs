using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>The fleet package's log messages, with stable event ids (3200 and up; the store has 3000 to 3099, artifacts 3100 to 3199).</summary>
internal static partial class FleetLog
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Fleet host {HostId}: applying version {Version} of plugin '{Plugin}' (serving {Serving})")]
    public static partial void Applying(ILogger logger, string hostId, string plugin, string version, string serving);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "Fleet host {HostId}: ACK, version {Version} of plugin '{Plugin}' serves (rollout {Scope})")]
    public static partial void Acked(ILogger logger, string hostId, string plugin, string version, string scope);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "Fleet host {HostId}: NACK, version {Version} of plugin '{Plugin}' refused in phase {Phase} (rollout {Scope}; file: {File}): {Reason}. The serving version is untouched.")]
    public static partial void Nacked(ILogger logger, string hostId, string plugin, string version, string scope, string phase, string file, string reason);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "Fleet host {HostId}: {Key} holds an earlier answer of this host id; it stands")]
    public static partial void AnswerExists(ILogger logger, string hostId, string key);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "Fleet record {Key} is not valid JSON of its kind and is ignored until it is fixed")]
    public static partial void RecordUnreadable(ILogger logger, string key, Exception exception);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Error, Message = "Fleet host {HostId} could not flip 'current' of plugin '{Plugin}' back to the serving version {Version} after a refusal; a reload would try the refused version again")]
    public static partial void RestoreCurrentFailed(ILogger logger, string hostId, string plugin, string version, Exception exception);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Critical, Message = "Fleet host {HostId} stopped following fleet '{Fleet}' after an unexpected error; the host keeps serving what it serves")]
    public static partial void AgentFailed(ILogger logger, string hostId, string fleet, Exception exception);

    [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Rollout {RolloutId} of plugin '{Plugin}' to version {Version} started, waves {Waves}")]
    public static partial void RolloutStarted(ILogger logger, string rolloutId, string plugin, string version, string waves);

    [LoggerMessage(EventId = 3211, Level = LogLevel.Information, Message = "Rollout controller {ControllerId} drives plugin '{Plugin}' of fleet '{Fleet}'")]
    public static partial void ControllerRunning(ILogger logger, string controllerId, string fleet, string plugin);

    [LoggerMessage(EventId = 3212, Level = LogLevel.Information, Message = "Rollout {RolloutId} of plugin '{Plugin}': wave {Wave} admitted, hosts {Hosts}")]
    public static partial void WaveAdmitted(ILogger logger, string rolloutId, string plugin, int wave, string hosts);

    [LoggerMessage(EventId = 3213, Level = LogLevel.Warning, Message = "Rollout {RolloutId} of plugin '{Plugin}' aborted: {Reason}")]
    public static partial void RolloutAborted(ILogger logger, string rolloutId, string plugin, string reason);

    [LoggerMessage(EventId = 3214, Level = LogLevel.Information, Message = "Rollout {RolloutId} of plugin '{Plugin}' completed: version {Version} is stable")]
    public static partial void RolloutCompleted(ILogger logger, string rolloutId, string plugin, string version);

    [LoggerMessage(EventId = 3215, Level = LogLevel.Information, Message = "Rollout {RolloutId} of plugin '{Plugin}' is now {State} {Reason}")]
    public static partial void RolloutChanged(ILogger logger, string rolloutId, string plugin, string state, string reason);

    [LoggerMessage(EventId = 3216, Level = LogLevel.Warning, Message = "Rollout controller {ControllerId} of plugin '{Plugin}' in fleet '{Fleet}' lost its key to another controller (its lease lapsed); it stopped writing and waits for the key again")]
    public static partial void ControllerLostKey(ILogger logger, string controllerId, string fleet, string plugin);

    [LoggerMessage(EventId = 3207, Level = LogLevel.Error, Message = "Fleet host {HostId} could not reconcile fleet '{Fleet}' at revision {Revision}; it goes on with the next change")]
    public static partial void ReconcileFailed(ILogger logger, string hostId, string fleet, long revision, Exception exception);

    [LoggerMessage(EventId = 3208, Level = LogLevel.Error, Message = "Fleet host {HostId}: a handler of {Event} threw; the agent goes on")]
    public static partial void HandlerFailed(ILogger logger, string hostId, string @event, Exception exception);

    [LoggerMessage(EventId = 3209, Level = LogLevel.Warning, Message = "Fleet host {HostId} rolled back version {Version} of plugin '{Plugin}': {Reason}. A rollout of that version stops.")]
    public static partial void HostRolledBack(ILogger logger, string hostId, string plugin, string version, string reason);

    [LoggerMessage(EventId = 3217, Level = LogLevel.Information, Message = "Fleet host {HostId} is now {Health} {Reason}")]
    public static partial void HealthChanged(ILogger logger, string hostId, string health, string reason);

    [LoggerMessage(EventId = 3230, Level = LogLevel.Warning, Message = "Rollout {RolloutId} of plugin '{Plugin}' paused: {Reason}")]
    public static partial void RolloutStalled(ILogger logger, string rolloutId, string plugin, string reason);

    [LoggerMessage(EventId = 3218, Level = LogLevel.Information, Message = "Fleet host {HostId}: version {Version} of plugin '{Plugin}' is no longer its target (now {Target}): its download is cancelled (or never begins), and it is neither applied nor answered")]
    public static partial void DownloadSuperseded(ILogger logger, string hostId, string plugin, string version, string target);
}
