using System.Text;

namespace Hotswap;

/// <summary>
/// Downgrade protection (docs/plugin-format.md, "Downgrades"): the highest sequence each plugin
/// has served in this host, the refusal of a signed version below it, and the operator's
/// <c>&lt;plugin&gt;/allow-downgrade</c> marker that lets exactly one version through.
/// </summary>
/// <remarks>
/// Reloads are serialized, but <see cref="Served"/> and <see cref="Check"/> also take a lock so the
/// guard holds whatever thread calls it. The state is the host's memory: a new host starts with none.
/// </remarks>
internal sealed class DowngradeGuard
{
    /// <summary>The marker's file name, beside <c>current</c>.</summary>
    public const string MarkerFileName = "allow-downgrade";

    private readonly Dictionary<string, long> _newest = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();

    /// <summary>Writes the marker allowing <paramref name="version"/>: a flushed sibling renamed over it, then the folder flushed.</summary>
    public static void Allow(string pluginDirectory, string version)
    {
        string temp = Path.Combine(pluginDirectory, "." + MarkerFileName + "-" + Guid.NewGuid().ToString("N"));
        using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(Encoding.UTF8.GetBytes(version + "\n"));
            Durable.FlushFile(stream);
        }

        File.Move(temp, Path.Combine(pluginDirectory, MarkerFileName), overwrite: true);
        Durable.FlushDirectory(pluginDirectory);
    }

    /// <summary>Removes the marker: a publish or an activation other than a rollback ends what the rollback allowed.</summary>
    public static void Revoke(string pluginDirectory)
    {
        string marker = Path.Combine(pluginDirectory, MarkerFileName);
        if (File.Exists(marker) || new FileInfo(marker).LinkTarget is not null)
        {
            File.Delete(marker);
            Durable.FlushDirectory(pluginDirectory);
        }
    }

    /// <summary>Refuses (phase Verify) a version whose sequence is below the newest served, unless the marker names it.</summary>
    /// <exception cref="PluginLoadException">The version is a downgrade the operator did not allow.</exception>
    public void Check(DiscoveredPlugin plugin, long? sequence)
    {
        if (sequence is not { } candidate)
        {
            return;
        }

        long newest;
        lock (_lock)
        {
            if (!_newest.TryGetValue(plugin.Name, out newest) || candidate >= newest)
            {
                return;
            }
        }

        if (IsAllowed(plugin))
        {
            return;
        }

        throw new PluginLoadException(plugin.Name, ReloadPhase.Verify, Path.Combine(plugin.VersionDirectory, PluginManifest.FileName), SR.Downgrade(plugin.Name, plugin.VersionDirectory, candidate, newest));
    }

    /// <summary>Records that a version with <paramref name="sequence"/> now serves.</summary>
    public void Served(string pluginName, long? sequence)
    {
        if (sequence is not { } served)
        {
            return;
        }

        lock (_lock)
        {
            _newest[pluginName] = _newest.TryGetValue(pluginName, out long newest) ? Math.Max(newest, served) : served;
        }
    }

    private static bool IsAllowed(DiscoveredPlugin plugin)
    {
        string marker = Path.Combine(plugin.PluginDirectory, MarkerFileName);
        try
        {
            // A regular file only, read bounded: a link, a FIFO or a huge file allows nothing.
            var info = new FileInfo(marker);
            if (!info.Exists || info.LinkTarget is not null || info.Length > 1024 || (info.Attributes & (FileAttributes.Device | FileAttributes.ReparsePoint)) != 0)
            {
                return false;
            }

            return string.Equals(File.ReadAllText(marker).Trim(), plugin.Version, StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // no marker (or none readable): nothing is allowed
        }
    }
}
