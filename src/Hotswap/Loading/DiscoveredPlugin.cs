namespace Hotswap;

/// <summary>A plugin found under the plugins root, with the version its <c>current</c> file names.</summary>
internal sealed record DiscoveredPlugin(string Name, string PluginDirectory, string Version, string VersionDirectory);
