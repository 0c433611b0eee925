namespace Hotswap;

/// <summary>
/// Marks an interface as a plugin contract. A host that references the <c>Hotswap.Generators</c>
/// analyzer gets a proxy for it, so <c>PluginHost.GetProxy&lt;T&gt;(name)</c> returns an object the
/// host can keep for its whole life: each call reaches the plugin's current version and holds a
/// lease on it until the call is over.
/// </summary>
/// <example>
/// <code>
/// [PluginContract]
/// public interface IGreeter
/// {
///     string Greet(string name);
/// }
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Interface, AllowMultiple = false, Inherited = false)]
public sealed class PluginContractAttribute : Attribute
{
}
