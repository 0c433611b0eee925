using System.Reflection;

namespace Hotswap.FleetScale;

/// <summary>Paths baked into this assembly at build time (see FleetScalePluginPaths in the project file).</summary>
internal static class ScalePaths
{
    /// <summary>Gets the build output folder of one build of the soak plugin.</summary>
    /// <param name="build">1 or 2.</param>
    /// <returns>The folder, without a trailing separator (PluginPublisher finds no entry assembly in a folder path that ends with one).</returns>
    public static string PluginOutput(int build) => build switch
    {
        1 => Read("Hotswap.FleetScale.PluginOutput1"),
        2 => Read("Hotswap.FleetScale.PluginOutput2"),
        _ => throw new ArgumentOutOfRangeException(nameof(build), build, "The soak plugin has builds 1 and 2."),
    };

    private static string Read(string key)
        => Path.TrimEndingDirectorySeparator(
            typeof(ScalePaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"The assembly has no [AssemblyMetadata(\"{key}\")]: build it with the project file."));
}
