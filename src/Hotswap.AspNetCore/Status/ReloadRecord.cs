namespace Hotswap;

/// <summary>What the status page remembers of one reload: strings and numbers only, so no record keeps a plugin's code loaded.</summary>
internal sealed record ReloadRecord(
    DateTimeOffset At,
    long Generation,
    bool Published,
    bool Succeeded,
    double DurationMs,
    IReadOnlyList<ReloadRecord.Outcome> Plugins,
    ReloadRecord.Failure? Error,
    string? RollbackReason = null)
{
    public static ReloadRecord From(ReloadResult result, DateTimeOffset at) => new(
        at,
        result.Generation,
        result.Published,
        result.Succeeded,
        result.Duration.TotalMilliseconds,
        [.. result.Plugins.Select(static p => new Outcome(p.PluginName, p.Outcome.ToString(), p.Version, p.PreviousVersion))],
        result.Error is { } error ? new Failure(error.PluginName, error.Phase.ToString(), error.FilePath, error.Message) : null,
        result.RollbackReason);

    public sealed record Outcome(string Name, string Result, string? Version, string? PreviousVersion);

    public sealed record Failure(string? Plugin, string Phase, string? File, string Message);
}
