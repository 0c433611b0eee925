namespace Hotswap;

/// <summary>
/// How the generic host runs Hotswap's <see cref="PluginHost"/>: bound from the same configuration
/// section as <see cref="PluginHostOptions"/> (<c>Hotswap</c> by default).
/// </summary>
public sealed class HotswapHostingOptions
{
    /// <summary>
    /// Gets or sets a value indicating whether the host starts when the first load fails (a plugin
    /// that does not verify, load or initialize, or a plugins root that does not exist).
    /// </summary>
    /// <value>
    /// <see langword="false"/> by default: a failed first load fails the host's start with an
    /// exception naming the plugin, the phase and the file. When <see langword="true"/>, the failure
    /// is logged, the host starts with no generation serving (calls fail and the health check reports
    /// Unhealthy), and the next successful reload (by the watcher, with <see cref="PluginHostOptions.Watch"/>,
    /// or by <see cref="PluginHost.ReloadAsync"/>) loads the first generation. Configuration key:
    /// <c>Hotswap:AllowStartWithoutPlugins</c>.
    /// </value>
    public bool AllowStartWithoutPlugins { get; set; }
}
