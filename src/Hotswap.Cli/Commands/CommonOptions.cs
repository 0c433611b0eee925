using System.CommandLine;

namespace Hotswap.Cli.Commands;

internal static class CommonOptions
{
    public static Option<bool> Json() => new("--json") { Description = "Print one JSON document instead of text, for scripts." };

    public static Argument<string> Project() => new("pluginProject") { Description = "The plugin's project file, or a folder holding exactly one." };

    public static Argument<string> PluginsRoot() => new("pluginsRoot") { Description = "The plugins root: one folder per plugin, each with immutable version folders and a 'current' file." };

    public static Option<string?> Name() => new("--name", "-n") { Description = "The plugin's name (its folder under the plugins root). Default: the project's file name, lower-cased." };

    public static Option<string> Configuration() => new("--configuration", "-c") { Description = "The build configuration.", DefaultValueFactory = _ => "Release" };

    public static Option<int> Keep() => new("--keep") { Description = "How many old version folders to keep besides the current one; versions a running host holds are always kept.", DefaultValueFactory = _ => 3 };

    /// <summary>Resolves a project argument to a project file; <see langword="null"/> with a message when it cannot.</summary>
    public static string? ResolveProject(string path, CliOutput output)
    {
        if (File.Exists(path))
        {
            return Path.GetFullPath(path);
        }

        if (Directory.Exists(path))
        {
            string[] projects = Directory.GetFiles(path, "*.csproj");
            if (projects.Length == 1)
            {
                return Path.GetFullPath(projects[0]);
            }

            output.Error($"'{path}' holds {projects.Length} project files; name the one to build.");
            return null;
        }

        output.Error($"The plugin project '{path}' does not exist.");
        return null;
    }

    public static string DefaultName(string project) => Path.GetFileNameWithoutExtension(project).ToLowerInvariant();
}
