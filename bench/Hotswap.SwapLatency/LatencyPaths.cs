using System.Reflection;

namespace Hotswap.SwapLatency;

/// <summary>Paths baked into this assembly at build time (see SwapLatencyPaths in the project file).</summary>
internal static class LatencyPaths
{
    /// <summary>Gets the build output folder of Hotswap.Benchmarks.Plugin, built with the same configuration as this assembly.</summary>
    /// <remarks>Without a trailing separator: PluginPublisher finds no entry assembly in a folder path that ends with one.</remarks>
    public static string PluginOutput { get; } = Path.TrimEndingDirectorySeparator(
        typeof(LatencyPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "Hotswap.SwapLatency.PluginOutput")?.Value
        ?? throw new InvalidOperationException("The assembly has no [AssemblyMetadata(\"Hotswap.SwapLatency.PluginOutput\")]: build it with the project file."));
}
