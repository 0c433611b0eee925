using System.ComponentModel;

namespace Hotswap;

/// <summary>
/// What a generated proxy needs to reach the current version of one plugin. Made by
/// <see cref="PluginHost.GetProxy{T}(string)"/> and passed to the generated proxy's constructor.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyBinding
{
    internal ProxyBinding(GenerationSource source, string pluginName)
    {
        Source = source;
        PluginName = pluginName;
    }

    /// <summary>Gets the name of the plugin the proxy calls.</summary>
    public string PluginName { get; }

    internal GenerationSource Source { get; }
}
