using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>Every log message of the runtime, with stable event ids.</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Reload starting; generation {Generation} serving from {PluginsRoot}.")]
    public static partial void ReloadStarting(ILogger logger, long generation, string pluginsRoot);

    [LoggerMessage(2, LogLevel.Information, "Generation {Generation} published in {DurationMs:0.0} ms: {Plugins}.")]
    public static partial void ReloadSucceeded(ILogger logger, long generation, double durationMs, string plugins);

    [LoggerMessage(3, LogLevel.Debug, "Reload found nothing to change; generation {Generation} keeps serving.")]
    public static partial void ReloadNothingChanged(ILogger logger, long generation);

    [LoggerMessage(4, LogLevel.Error, "Reload failed: plugin {Plugin}, phase {Phase}, file {File}. The previous generation keeps serving.")]
    public static partial void ReloadFailed(ILogger logger, string plugin, ReloadPhase phase, string file, Exception exception);

    [LoggerMessage(5, LogLevel.Warning, "OnFreeAsync of {Plugin}@{Version} failed; the version is unloaded anyway.")]
    public static partial void OnFreeFailed(ILogger logger, string plugin, string version, Exception exception);

    [LoggerMessage(6, LogLevel.Warning, "A registration of {Plugin}@{Version} failed to dispose.")]
    public static partial void RegistrationDisposeFailed(ILogger logger, string plugin, string version, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "{Plugin}@{Version} unloaded: collected {ElapsedMs:0.0} ms after Unload(), {Collections} forced collections.")]
    public static partial void VersionUnloaded(ILogger logger, string plugin, string version, double elapsedMs, int collections);

    [LoggerMessage(8, LogLevel.Error, "{Plugin}@{Version} is stuck after {ElapsedMs:0} ms: {Cause}")]
    public static partial void UnloadStuck(ILogger logger, string plugin, string version, double elapsedMs, string cause);

    [LoggerMessage(9, LogLevel.Error, "A handler of the {Event} event threw; the other handlers still ran.")]
    public static partial void EventHandlerFailed(ILogger logger, string @event, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "The metadata cache handler {Handler} failed to clear its cache.")]
    public static partial void ClearCacheFailed(ILogger logger, string handler, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "The host stopped before every retired version was freed within {TimeoutMs:0} ms; they are freed when their last call returns.")]
    public static partial void DisposeTimedOut(ILogger logger, double timeoutMs);

    [LoggerMessage(12, LogLevel.Error, "Retiring generation {Generation} failed.")]
    public static partial void RetirementFailed(ILogger logger, long generation, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Cannot write the host status to {Path}; hotswap status and pruning will not see this host.")]
    public static partial void StatusWriteFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(14, LogLevel.Information, "Watching {PluginsRoot} for published plugins ({Mode}, debounce {DebounceMs:0} ms).")]
    public static partial void WatchStarted(ILogger logger, string pluginsRoot, WatchMode mode, double debounceMs);

    [LoggerMessage(15, LogLevel.Debug, "Change under the plugins root ({Reason}); reloading after the debounce.")]
    public static partial void WatchTriggered(ILogger logger, string reason);

    [LoggerMessage(16, LogLevel.Warning, "The file watcher lost events ({Message}); rescanning the whole plugins root.")]
    public static partial void WatchEventsLost(ILogger logger, string message);

    [LoggerMessage(17, LogLevel.Error, "A reload started by the watcher failed; the previous generation keeps serving.")]
    public static partial void WatchReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(18, LogLevel.Error, "Moving an event subscription made through a proxy to the new generation failed; its handlers may miss events until the next reload.")]
    public static partial void EventFollowFailed(ILogger logger, Exception exception);

    [LoggerMessage(19, LogLevel.Error, "Carried-over plugin {Plugin} ({Version}) failed to join generation {Generation} in OnInitAsync: {Reason}. The generation publishes without its contributions to the vault.")]
    public static partial void CarriedInitFailed(ILogger logger, string plugin, string version, long generation, string reason, Exception? exception);

    [LoggerMessage(20, LogLevel.Warning, "Rolled back to generation {Generation} in {DurationMs:0.000} ms ({Reason}): {Plugins}.")]
    public static partial void RolledBack(ILogger logger, long generation, double durationMs, string reason, string plugins);

    [LoggerMessage(21, LogLevel.Information, "Generation {Generation} passed its probation; generation {Previous} retires.")]
    public static partial void ProbationPassed(ILogger logger, long generation, long previous);

    [LoggerMessage(22, LogLevel.Error, "During the rollback to generation {Generation}, {Plugin} ({Version}) failed in {Phase}: {Reason}. The rollback went on.")]
    public static partial void RollbackStepFailed(ILogger logger, long generation, string plugin, string version, ReloadPhase phase, string reason, Exception? exception);

    [LoggerMessage(23, LogLevel.Error, "The automatic rollback failed; the new generation keeps serving.")]
    public static partial void AutoRollbackFailed(ILogger logger, Exception exception);

    // Ids from 40 up belong to loading exactly the verified bytes (issue 13, item 3).
    [LoggerMessage(40, LogLevel.Error, "{Plugin}@{Version} needed {File}, whose bytes no longer match the manifest it was verified with; it was not loaded.")]
    public static partial void LoadRefused(ILogger logger, string plugin, string version, string file, Exception exception);

    [LoggerMessage(41, LogLevel.Warning, "The private copies of the native libraries of {Plugin}@{Version} in {Folder} could not be removed; remove them by hand.")]
    public static partial void NativeCopiesNotRemoved(ILogger logger, string plugin, string version, string folder, Exception exception);

    [LoggerMessage(42, LogLevel.Warning, "The unload diagnoser {Diagnoser} failed to name what holds {Versions}; they are reported with what the host knows.")]
    public static partial void UnloadDiagnosisFailed(ILogger logger, string diagnoser, string versions, Exception exception);

    [LoggerMessage(43, LogLevel.Warning, "The unload diagnoser {Diagnoser} did not answer within {TimeoutMinutes:0} minutes for {Versions}; they are reported with what the host knows.")]
    public static partial void UnloadDiagnosisTimedOut(ILogger logger, string diagnoser, string versions, double timeoutMinutes);

    [LoggerMessage(44, LogLevel.Error, "Reporting {Plugin}@{Version} stuck failed; the host goes on.")]
    public static partial void StuckReportFailed(ILogger logger, string plugin, string version, Exception exception);
}
