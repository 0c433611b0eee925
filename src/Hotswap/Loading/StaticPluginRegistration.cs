namespace Hotswap;

/// <summary>A plugin compiled into the host, registered with <see cref="PluginHostOptions.AddStatic{TPlugin}"/>.</summary>
internal sealed record StaticPluginRegistration(string Name, Type PluginType, Func<Plugin> Factory)
{
    /// <summary>The version id of every static plugin: it has no version folder.</summary>
    public const string Version = "static";
}
