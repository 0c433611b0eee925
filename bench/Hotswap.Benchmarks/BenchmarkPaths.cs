using System.Reflection;

namespace Hotswap.Benchmarks;

/// <summary>Paths baked into this assembly at build time (see HotswapBenchmarkPaths in the project file).</summary>
internal static class BenchmarkPaths
{
    /// <summary>Gets the build output folder of Hotswap.Benchmarks.Plugin, built with the same configuration as this assembly.</summary>
    /// <remarks>Without a trailing separator: PluginPublisher finds no entry assembly in a folder path that ends with one.</remarks>
    public static string PluginOutput { get; } = Path.TrimEndingDirectorySeparator(Read("Hotswap.Benchmarks.PluginOutput"));

    /// <summary>Gets the folder BenchmarkDotNet writes its reports and logs to.</summary>
    public static string Artifacts { get; } = Read("Hotswap.Benchmarks.Artifacts");

    private static string Read(string key)
        => typeof(BenchmarkPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"The assembly has no [AssemblyMetadata(\"{key}\")]: build it with the project file.");
}
