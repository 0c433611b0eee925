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

    public static Option<long?> Sequence() => new("--sequence") { Description = "The signed manifest's sequence number (at least 1). Default: one more than the highest of the plugin's version folders." };

    /// <summary>Reads a private key file for signing; <see langword="null"/> with a message when it cannot.</summary>
    public static string? ReadPrivateKey(string path, CliOutput output)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            output.Error($"The signing key '{path}' cannot be read: {ex.Message}");
            return null;
        }

        try
        {
            string keyId = PluginPublisher.GetKeyId(text);
            if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                output.Error($"'{path}' holds the public key {keyId}; signing needs the private key (the .key file written by 'hotswap keygen').");
                return null;
            }
        }
        catch (ArgumentException ex)
        {
            output.Error($"'{path}': {ex.Message}");
            return null;
        }

        return text;
    }

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
