using System.Reflection;

namespace Hotswap.Soak;

/// <summary>Paths baked into this assembly at build time (see SoakPluginPaths in the project file).</summary>
internal static class SoakPaths
{
    private static readonly string s_output1 = Read("Hotswap.Soak.PluginOutput1");
    private static readonly string s_output2 = Read("Hotswap.Soak.PluginOutput2");

    /// <summary>Gets the build output folder of one build of the soak plugin, built with the same configuration as this assembly.</summary>
    /// <param name="build">1 or 2.</param>
    /// <returns>The folder, without a trailing separator (PluginPublisher finds no entry assembly in a folder path that ends with one).</returns>
    public static string PluginOutput(int build) => build switch
    {
        1 => s_output1,
        2 => s_output2,
        _ => throw new ArgumentOutOfRangeException(nameof(build), build, "The soak plugin has builds 1 and 2."),
    };

    private static string Read(string key)
        => Path.TrimEndingDirectorySeparator(
            typeof(SoakPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"The assembly has no [AssemblyMetadata(\"{key}\")]: build it with the project file."));
}
