using Hotswap;

namespace MyContracts;

/// <summary>
/// What the host asks of its plugin. [PluginContract] makes the host's source generator write a proxy,
/// so <c>host.GetProxy&lt;IGreeter&gt;("myplugin")</c> always calls the plugin's current version.
/// </summary>
[PluginContract]
public interface IGreeter
{
    /// <summary>Greets <paramref name="name"/>.</summary>
    string Greet(string name);
}
