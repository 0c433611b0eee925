namespace Hotswap;

/// <summary>A retired version reported stuck, with the cause it was reported with.</summary>
/// <param name="Version">The version.</param>
/// <param name="Cause">The cause, as in <see cref="UnloadStuckEventArgs.Cause"/>.</param>
internal readonly record struct StuckReport(PluginVersionInfo Version, string Cause);

/// <summary>A version found stuck, on its way to being reported (after a diagnosis, when the host has a diagnoser).</summary>
/// <param name="Version">The version.</param>
/// <param name="Elapsed">How long it had been waiting.</param>
/// <param name="Cause">What the host knows by itself.</param>
internal readonly record struct StuckFinding(PluginVersionInfo Version, TimeSpan Elapsed, string Cause);
