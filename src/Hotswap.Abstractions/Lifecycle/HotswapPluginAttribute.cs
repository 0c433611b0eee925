namespace Hotswap;

/// <summary>
/// Marks an assembly as a Hotswap plugin and names its <see cref="Plugin"/> subclass.
/// </summary>
/// <example><code>[assembly: HotswapPlugin(typeof(WorldPlugin))]</code></example>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false, Inherited = false)]
public sealed class HotswapPluginAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="HotswapPluginAttribute"/> class.</summary>
    /// <param name="pluginType">The plugin class: public, non-abstract, deriving from <see cref="Plugin"/>, with a public parameterless constructor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pluginType"/> is <see langword="null"/>.</exception>
    public HotswapPluginAttribute(Type pluginType)
    {
        ArgumentNullException.ThrowIfNull(pluginType);
        PluginType = pluginType;
    }

    /// <summary>Gets the plugin class.</summary>
    public Type PluginType { get; }
}
