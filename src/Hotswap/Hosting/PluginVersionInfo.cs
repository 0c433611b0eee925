namespace Hotswap;

/// <summary>Names one version of one plugin.</summary>
/// <param name="PluginName">The plugin's name.</param>
/// <param name="Version">The version id: the name of its version folder.</param>
public readonly record struct PluginVersionInfo(string PluginName, string Version)
{
    /// <summary>Returns <c>name@version</c>.</summary>
    /// <returns>The plugin name and version.</returns>
    public override string ToString() => $"{PluginName}@{Version}";
}
