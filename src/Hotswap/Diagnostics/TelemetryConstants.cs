namespace Hotswap;

/// <summary>The names of Hotswap's meter, activity source, instruments, activities and tags (docs/observability.md).</summary>
/// <remarks>Names follow OpenTelemetry's conventions: dotted lower case, units in UCUM (<c>s</c>, <c>{reload}</c>).</remarks>
internal static class TelemetryConstants
{
    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> and of the <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string Name = "Hotswap";

    public const string Reloads = "hotswap.reloads";
    public const string ReloadDuration = "hotswap.reload.duration";
    public const string CallsInFlight = "hotswap.calls.in_flight";
    public const string RetiringVersions = "hotswap.versions.retiring";
    public const string StuckVersions = "hotswap.versions.stuck";
    public const string LoadContexts = "hotswap.load_contexts";
    public const string UnloadDuration = "hotswap.unload.duration";

    public const string ReloadActivity = "hotswap.reload";
    public const string PhaseActivityPrefix = "hotswap.reload.";
    public const string UnloadActivity = "hotswap.unload";
    public const string PluginEvent = "hotswap.plugin";

    public const string OutcomeTag = "hotswap.reload.outcome";
    public const string PhaseTag = "hotswap.reload.phase";
    public const string GenerationTag = "hotswap.generation";
    public const string PreviousGenerationTag = "hotswap.generation.previous";
    public const string GenerationStateTag = "hotswap.generation.state";
    public const string PluginTag = "hotswap.plugin.name";
    public const string VersionTag = "hotswap.plugin.version";
    public const string PreviousVersionTag = "hotswap.plugin.previous_version";
    public const string PluginOutcomeTag = "hotswap.plugin.outcome";
    public const string UnloadOutcomeTag = "hotswap.unload.outcome";
    public const string ErrorTypeTag = "error.type";

    public const string Published = "published";
    public const string Unchanged = "unchanged";
    public const string Failed = "failed";
    public const string RolledBack = "rolled_back";
    public const string Serving = "serving";
    public const string Draining = "draining";
    public const string Collected = "collected";
    public const string Stuck = "stuck";
}
