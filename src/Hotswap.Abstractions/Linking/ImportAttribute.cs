namespace Hotswap;

/// <summary>
/// Marks a property of a plugin class as an import: when the generation is linked, the host sets it
/// to the object exported (<see cref="Plugin.Export"/>) by the named plugin of the same generation.
/// </summary>
/// <remarks>
/// The property's type is a contract type the export implements. The importing plugin is reloaded
/// whenever the exporter is, so an import never refers to a retired version. A plugin that is not
/// reloadable may import only plugins that are not reloadable either. Imports are set before
/// <see cref="Plugin.OnLoadAsync"/>, and plugins are loaded and initialized in dependency order.
/// </remarks>
/// <example><code>[Import("alpha")] public IAlpha Alpha { get; set; } = null!;</code></example>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = true)]
public sealed class ImportAttribute : Attribute
{
    /// <summary>Initializes a new instance of the <see cref="ImportAttribute"/> class.</summary>
    /// <param name="pluginName">The name of the plugin whose export fills the property.</param>
    /// <exception cref="ArgumentException"><paramref name="pluginName"/> is null or empty.</exception>
    public ImportAttribute(string pluginName)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        PluginName = pluginName;
    }

    /// <summary>Gets the name of the plugin whose export fills the property.</summary>
    public string PluginName { get; }
}
