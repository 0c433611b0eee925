using System.Reflection;

namespace Hotswap.SideBySide;

/// <summary>Paths baked into this assembly at build time (see SideBySidePluginPaths in the project file).</summary>
internal static class SidePaths
{
    /// <summary>The plugin's entry assembly file name, in both builds' output folders.</summary>
    public const string EntryAssembly = "Hotswap.SideBySide.Plugin.dll";

    private static readonly string s_output1 = Read("Hotswap.SideBySide.PluginOutput1");
    private static readonly string s_output2 = Read("Hotswap.SideBySide.PluginOutput2");

    /// <summary>Gets the folder BenchmarkDotNet writes its reports and logs to.</summary>
    public static string Artifacts { get; } = Read("Hotswap.SideBySide.Artifacts");

    /// <summary>Gets the build output folder of one build of the plugin.</summary>
    /// <param name="build">1 or 2.</param>
    /// <returns>The folder, without a trailing separator (PluginPublisher finds no entry assembly in a folder path that ends with one).</returns>
    public static string PluginOutput(int build) => build switch
    {
        1 => s_output1,
        2 => s_output2,
        _ => throw new ArgumentOutOfRangeException(nameof(build), build, "The plugin has builds 1 and 2."),
    };

    /// <summary>Creates an empty folder under the temp folder.</summary>
    /// <param name="what">A word for the folder's name.</param>
    /// <returns>The folder's full path.</returns>
    public static string CreateTemp(string what)
    {
        string path = Path.Combine(Path.GetTempPath(), $"hotswap-side-{what}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Deletes a folder made by <see cref="CreateTemp"/>, best effort.</summary>
    /// <param name="path">The folder.</param>
    public static void DeleteTemp(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"// could not delete {path}: {ex.Message}");
        }
    }

    private static string Read(string key)
        => Path.TrimEndingDirectorySeparator(
            typeof(SidePaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == key)?.Value
            ?? throw new InvalidOperationException($"The assembly has no [AssemblyMetadata(\"{key}\")]: build it with the project file."));
}
