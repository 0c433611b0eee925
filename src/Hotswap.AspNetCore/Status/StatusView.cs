namespace Hotswap;

/// <summary>One reading of the status page: what the JSON document and the HTML page show.</summary>
internal sealed record StatusView(
    long Generation,
    IReadOnlyList<StatusView.Plugin> Plugins,
    long? CallsInFlight,
    DateTimeOffset? CallsInFlightAt,
    IReadOnlyList<PluginVersionInfo> Retiring,
    IReadOnlyList<StatusView.Stuck> StuckVersions,
    IReadOnlyList<ReloadRecord> History)
{
    public ReloadRecord? LastReload => History.Count > 0 ? History[0] : null;

    public sealed record Plugin(string Name, string Version, DateTimeOffset? BuiltAt);

    public sealed record Stuck(string Name, string Version, string? Cause);
}
