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

    /// <summary>
    /// The plugin's name from <c>--name</c> or the project, checked before anything is built or
    /// written: one folder name of ASCII letters, digits, '.', '-' and '_', not starting with a dot,
    /// so that nothing is ever created outside the plugins root.
    /// </summary>
    /// <param name="given">The <c>--name</c> value, or <see langword="null"/>.</param>
    /// <param name="project">The project file, for the default name.</param>
    /// <param name="output">Where the error goes.</param>
    /// <returns>The name, or <see langword="null"/> after an error was written.</returns>
    public static string? CheckedName(string? given, string project, CliOutput output)
    {
        string name = given ?? DefaultName(project);
        if (IsPortableName(name))
        {
            return name;
        }

        output.Error(given is null
            ? $"The project's name '{name}' is not a valid plugin name: pass --name with one folder name of letters, digits, '.', '-' and '_' that does not start with a dot."
            : $"--name '{name}' is not a valid plugin name: use one folder name of letters, digits, '.', '-' and '_' that does not start with a dot.");
        return null;
    }

    /// <summary>Whether a name is one portable folder name: ASCII letters, digits, '.', '-', '_', not starting with a dot.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public static bool IsPortableName(string name)
        => name.Length is > 0 and <= 255 && name[0] != '.' && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
