using System.Collections.Concurrent;

namespace Hotswap;

/// <summary>
/// The host-lifetime ids of plugin names: the index of a plugin's export in every generation's
/// export table, so a proxy finds its target with one array read.
/// </summary>
/// <remarks>
/// Ids are unique under any concurrency (assignment is serialized) and bounded: only a name that a
/// generation actually holds gets one, so a caller asking for an unknown name never grows the
/// tables. Reads take no lock.
/// </remarks>
internal sealed class PluginIds
{
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the id of a plugin a generation holds, assigning the next one on its first generation.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <returns>The id.</returns>
    public int Assign(string pluginName)
    {
        if (_ids.TryGetValue(pluginName, out int id))
        {
            return id;
        }

        lock (_gate)
        {
            if (!_ids.TryGetValue(pluginName, out id))
            {
                id = _ids.Count;
                _ids[pluginName] = id;
            }

            return id;
        }
    }

    /// <summary>Gets the id of a plugin name, or -1 when no generation ever held it.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <returns>The id, or -1.</returns>
    public int Find(string pluginName) => _ids.TryGetValue(pluginName, out int id) ? id : -1;
}
