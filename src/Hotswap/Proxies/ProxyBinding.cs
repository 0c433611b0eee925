using System.ComponentModel;

namespace Hotswap;

/// <summary>
/// What a generated proxy needs to reach the current version of one plugin. Made by
/// <see cref="PluginHost.GetProxy{T}(string)"/> and passed to the generated proxy's constructor.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyBinding
{
    internal ProxyBinding(DefaultPluginHost host, string pluginName, int pluginId)
    {
        Host = host;
        PluginName = pluginName;
        PluginId = pluginId;
    }

    /// <summary>Gets the name of the plugin the proxy calls.</summary>
    public string PluginName { get; }

    internal DefaultPluginHost Host { get; }

    internal int PluginId { get; }
}
