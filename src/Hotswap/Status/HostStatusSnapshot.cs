namespace Hotswap;

/// <summary>What a host reports in one status write (see <see cref="HostStatusWriter.Write"/>).</summary>
/// <param name="Generation">The number of the generation serving; 0 before the first load.</param>
/// <param name="Plugins">The plugin versions of the serving generation.</param>
/// <param name="CallsInFlight">The leases held on the serving generation.</param>
/// <param name="Retiring">The retired versions still draining or waiting to be proven unloaded.</param>
/// <param name="Stuck">The retired versions reported stuck, with their causes.</param>
/// <param name="Loading">The versions a reload in progress is verifying or loading; <see langword="null"/> for none.</param>
/// <param name="Kept">The versions of the generation kept on probation that the serving one does not hold; <see langword="null"/> for none.</param>
internal readonly record struct HostStatusSnapshot(
    long Generation,
    IReadOnlyList<PluginVersionInfo> Plugins,
    long CallsInFlight,
    IReadOnlyList<PluginVersionInfo> Retiring,
    IReadOnlyList<StuckReport> Stuck,
    IReadOnlyList<PluginVersionInfo>? Loading = null,
    IReadOnlyList<PluginVersionInfo>? Kept = null);
