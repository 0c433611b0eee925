using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using Hotswap.Cli.Building;

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

    /// <summary><c>-v|--verbosity</c>, as in <c>dotnet build</c>: <c>q[uiet]</c>, <c>m[inimal]</c> (the default), <c>n[ormal]</c>, <c>d[etailed]</c>, <c>diag[nostic]</c>.</summary>
    public static Option<BuildVerbosity> Verbosity() => new("--verbosity", "-v")
    {
        Description = "How much of the build to show, and the verbosity passed to dotnet publish: q[uiet], m[inimal], n[ormal], d[etailed] or diag[nostic]. Minimal (the default) shows the build's warnings and errors.",
        HelpName = "level",
        DefaultValueFactory = static _ => BuildVerbosity.Minimal,
        CustomParser = static result =>
        {
            string given = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            BuildVerbosity? verbosity = given.ToLowerInvariant() switch
            {
                "q" or "quiet" => BuildVerbosity.Quiet,
                "m" or "minimal" => BuildVerbosity.Minimal,
                "n" or "normal" => BuildVerbosity.Normal,
                "d" or "detailed" => BuildVerbosity.Detailed,
                "diag" or "diagnostic" => BuildVerbosity.Diagnostic,
                _ => null,
            };
            if (verbosity is null)
            {
                result.AddError($"'{given}' is not a verbosity for --verbosity: use q[uiet], m[inimal], n[ormal], d[etailed] or diag[nostic].");
                return BuildVerbosity.Minimal;
            }

            return verbosity.Value;
        },
    };

    /// <summary>Reads a private key file for signing.</summary>
    /// <param name="path">The key file.</param>
    /// <param name="key">The key's PEM text.</param>
    /// <param name="error">One line naming the file and why it cannot be used.</param>
    /// <returns><see langword="true"/> when it holds a private key.</returns>
    public static bool TryReadPrivateKey(string path, [NotNullWhen(true)] out string? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"The signing key '{path}' cannot be read: {CliOutput.OneLine(ex.Message)}";
            return false;
        }

        try
        {
            string keyId = PluginPublisher.GetKeyId(text);
            if (!text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                error = $"'{path}' holds the public key {keyId}; signing needs the private key (the .key file written by 'hotswap keygen').";
                return false;
            }
        }
        catch (ArgumentException ex)
        {
            error = $"'{path}': {CliOutput.OneLine(ex.Message)}";
            return false;
        }

        key = text;
        error = null;
        return true;
    }

    /// <summary>Resolves a project argument to a project file.</summary>
    /// <param name="path">A project file, or a folder holding exactly one.</param>
    /// <param name="project">The project file's full path.</param>
    /// <param name="error">One line naming the path and what is wrong with it.</param>
    /// <returns><see langword="true"/> when it names one project.</returns>
    public static bool TryResolveProject(string path, [NotNullWhen(true)] out string? project, [NotNullWhen(false)] out string? error)
    {
        project = null;
        error = null;
        try
        {
            if (File.Exists(path))
            {
                project = Path.GetFullPath(path);
                return true;
            }

            if (Directory.Exists(path))
            {
                string[] projects = Directory.GetFiles(path, "*.csproj");
                if (projects.Length == 1)
                {
                    project = Path.GetFullPath(projects[0]);
                    return true;
                }

                error = $"'{path}' holds {projects.Length} project files; name the one to build.";
                return false;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error = $"The plugin project '{path}' cannot be read: {CliOutput.OneLine(ex.Message)}";
            return false;
        }

        error = $"The plugin project '{path}' does not exist.";
        return false;
    }

    public static string DefaultName(string project) => Path.GetFileNameWithoutExtension(project).ToLowerInvariant();

    /// <summary>
    /// The plugin's name from <c>--name</c> or the project, checked before anything is built or
    /// written: one folder name of ASCII letters, digits, '.', '-' and '_', not starting with a dot,
    /// so that nothing is ever created outside the plugins root.
    /// </summary>
    /// <param name="given">The <c>--name</c> value, or <see langword="null"/>.</param>
    /// <param name="project">The project file, for the default name.</param>
    /// <param name="name">The name.</param>
    /// <param name="error">Why it is not a valid name.</param>
    /// <returns><see langword="true"/> when it is one.</returns>
    public static bool TryCheckName(string? given, string project, [NotNullWhen(true)] out string? name, [NotNullWhen(false)] out string? error)
    {
        name = given ?? DefaultName(project);
        if (IsPortableName(name))
        {
            error = null;
            return true;
        }

        error = given is null
            ? $"The project's name '{name}' is not a valid plugin name: pass --name with one folder name of letters, digits, '.', '-' and '_' that does not start with a dot."
            : $"--name '{name}' is not a valid plugin name: use one folder name of letters, digits, '.', '-' and '_' that does not start with a dot.";
        name = null;
        return false;
    }

    /// <summary>Whether a name is one portable folder name: ASCII letters, digits, '.', '-', '_', not starting with a dot.</summary>
    /// <param name="name">The name.</param>
    /// <returns><see langword="true"/> when it is.</returns>
    public static bool IsPortableName(string name)
        => name.Length is > 0 and <= 255 && name[0] != '.' && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
