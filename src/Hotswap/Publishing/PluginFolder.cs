namespace Hotswap;

/// <summary>A plugin folder under a plugins root: its name and full path.</summary>
internal readonly record struct PluginFolder(string Name, string Directory);
