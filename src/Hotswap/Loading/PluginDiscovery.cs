namespace Hotswap;

/// <summary>Step 1 of a reload: reads the plugins root and every plugin's <c>current</c> file.</summary>
internal static class PluginDiscovery
{
    /// <summary>Lists the published plugins, ordered by name. Throws <see cref="PluginLoadException"/> (phase Discover).</summary>
    public static List<DiscoveredPlugin> Scan(string pluginsRoot, Func<string, string, bool>? isLoaded = null)
    {
        if (!Directory.Exists(pluginsRoot))
        {
            throw new PluginLoadException(SR.AllPlugins, ReloadPhase.Discover, pluginsRoot, SR.RootMissing);
        }

        List<PluginFolder> plugins;
        try
        {
            plugins = PluginLayout.ListPlugins(pluginsRoot);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException(SR.AllPlugins, ReloadPhase.Discover, pluginsRoot, SR.RootUnreadable(ex), ex);
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var found = new List<DiscoveredPlugin>(plugins.Count);
        foreach ((string name, string directory) in plugins)
        {
            if (seen.TryGetValue(name, out string? other))
            {
                throw new PluginLoadException(name, ReloadPhase.Discover, directory, SR.NameCollision(name, other));
            }

            seen.Add(name, name);
            string current = PluginLayout.CurrentFile(directory);
            string? version;
            string? refused;
            try
            {
                refused = PluginLayout.CheckCurrent(current, out version);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new PluginLoadException(name, ReloadPhase.Discover, current, SR.CurrentUnreadable(ex), ex);
            }

            if (refused is not null)
            {
                throw new PluginLoadException(name, ReloadPhase.Discover, current, refused);
            }

            if (version is null)
            {
                continue; // not published yet: the first build is still running, or the folder is not a plugin.
            }

            // A version already loaded had its folder checked (and verified) when it was loaded, and
            // version folders are immutable: a reload with nothing changed skips the check.
            string versionDirectory = Path.Combine(directory, version);
            if (isLoaded?.Invoke(name, version) != true && !Directory.Exists(versionDirectory))
            {
                throw new PluginLoadException(name, ReloadPhase.Discover, current, SR.CurrentNamesMissingFolder(version, versionDirectory));
            }

            found.Add(new DiscoveredPlugin(name, directory, version, versionDirectory));
        }

        return found;
    }
}
