namespace Hotswap;

/// <summary>
/// Deletes a plugin's old version folders, never one still needed. In order: take the
/// <see cref="PruneLock"/> exclusive (waiting for hosts between reading <c>current</c> and
/// reporting what they load, and for publishes flipping <c>current</c>); read <c>current</c>; read
/// what every live host holds (<see cref="HostStatus.AllVersions"/>: serving, kept, loading, retiring,
/// stuck); list the version folders; delete those that are neither current, nor among the newest
/// kept, nor held; release the lock.
/// </summary>
internal static class PluginPruner
{
    /// <summary>Prunes; returns the version ids deleted.</summary>
    /// <exception cref="IOException">The prune lock stayed held past <paramref name="lockTimeout"/> (nothing was deleted), or the plugin folder cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The prune lock cannot be created, or the plugin folder cannot be read.</exception>
    public static IReadOnlyList<string> Prune(string pluginsRoot, string pluginName, int keep, TimeProvider time, TimeSpan lockTimeout)
    {
        string root = Path.GetFullPath(pluginsRoot);
        string pluginDirectory = Path.Combine(root, pluginName);
        if (!Directory.Exists(pluginDirectory))
        {
            return [];
        }

        // Held from before reading current and the statuses until the last deletion: a host that
        // read current before we took it has already reported what it loads; one that reads it
        // after we release sees only folders we kept.
        using PruneLock exclusive = PruneLock.EnterExclusive(root, time, lockTimeout)
            ?? throw new IOException(SR.PruneLockBusy(PruneLock.PathOf(root), lockTimeout));

        string? current = PluginLayout.ReadCurrentOf(pluginDirectory);
        var inUse = HostStatusReader.ReadLiveHosts(root)
            .SelectMany(static h => h.AllVersions)
            .Where(v => string.Equals(v.Name, pluginName, StringComparison.OrdinalIgnoreCase))
            .Select(static v => v.Version)
            .ToHashSet(StringComparer.Ordinal);
        List<string> versions = PluginLayout.ListVersions(pluginDirectory);
        var kept = new HashSet<string>(versions.Where(v => v != current).TakeLast(keep), StringComparer.Ordinal);
        var deleted = new List<string>();
        foreach (string version in versions)
        {
            if (version == current || kept.Contains(version) || inUse.Contains(version))
            {
                continue;
            }

            // Rename first: a host scanning now sees the folder gone at once, never half deleted.
            string doomed = Path.Combine(pluginDirectory, PluginLayout.StagingPrefix + "pruned-" + version);
            try
            {
                Directory.Move(Path.Combine(pluginDirectory, version), doomed);
                Directory.Delete(doomed, recursive: true);
                deleted.Add(version);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Locked (Windows) or racing another prune: leave it for the next one.
            }
        }

        return deleted;
    }
}
