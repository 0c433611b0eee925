namespace Hotswap.Cli.Building;

/// <summary>Makes sure a plugin's folder under a plugins root exists and can be written, before anything is built.</summary>
internal static class PluginFolder
{
    /// <summary>Creates the plugin's folder (and the root) if missing.</summary>
    /// <param name="pluginsRoot">The plugins root.</param>
    /// <param name="pluginName">A checked plugin name.</param>
    /// <param name="problem">One line naming the path and why, when it cannot.</param>
    /// <returns><see langword="true"/> when the folder exists now.</returns>
    public static bool TryCreate(string pluginsRoot, string pluginName, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        string root = Path.GetFullPath(pluginsRoot);
        string folder = Path.Combine(root, pluginName);
        try
        {
            if (File.Exists(root))
            {
                problem = $"The plugins root '{root}' is a file, not a folder.";
                return false;
            }

            Directory.CreateDirectory(folder);
            problem = null;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"The plugins root '{root}' cannot be used: creating '{folder}' failed: {CliOutput.OneLine(ex.Message)}";
            return false;
        }
    }
}
