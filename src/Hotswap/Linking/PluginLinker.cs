using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>Step 4 of a reload: fills imports and orders the generation's versions by dependency.</summary>
internal static class PluginLinker
{
    /// <summary>
    /// Checks every import of every version and fills those of the new versions; returns all
    /// versions in dependency order (exporters first), ties broken by name. Throws (phase Link).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static PluginVersion[] Link(IReadOnlyCollection<PluginVersion> versions, IReadOnlySet<PluginVersion> fresh)
    {
        var byName = versions.ToDictionary(static v => v.Name, StringComparer.OrdinalIgnoreCase);
        // Every version is checked, carried ones too: a carried version that cannot be reloaded may
        // import a plugin that was removed.
        foreach (PluginVersion version in versions.OrderBy(static v => v.Name, StringComparer.Ordinal))
        {
            foreach ((string target, System.Reflection.PropertyInfo property) in version.Imports)
            {
                string propertyName = $"{property.DeclaringType?.Name}.{property.Name}";
                if (!byName.TryGetValue(target, out PluginVersion? exporter))
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Link, version.EntryAssemblyPath, SR.UnknownImport(propertyName, target));
                }

                object? exported = exporter.Exported;
                if (exported is null || !property.PropertyType.IsInstanceOfType(exported))
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Link, version.EntryAssemblyPath, SR.ImportTypeMismatch(propertyName, property.PropertyType, exporter.Name, exported));
                }

                if (!version.Reloadable && exporter.Reloadable)
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Link, version.EntryAssemblyPath, SR.NotReloadableImportsReloadable(exporter.Name));
                }
            }
        }

        PluginVersion[] ordered = Order(versions, byName);
        foreach (PluginVersion version in ordered)
        {
            if (!fresh.Contains(version))
            {
                continue;
            }

            foreach ((string target, System.Reflection.PropertyInfo property) in version.Imports)
            {
                try
                {
                    property.SetValue(version.GetInstance(), byName[target].Exported);
                }
                catch (System.Reflection.TargetInvocationException ex) when (ex.InnerException is not null)
                {
                    throw new PluginLoadException(version.Name, ReloadPhase.Link, version.EntryAssemblyPath, SR.HookThrew($"the setter of import '{property.Name}'", ex.InnerException), ex.InnerException);
                }
            }
        }

        return ordered;
    }

    /// <summary>Kahn's algorithm; among the versions ready at each step, the smallest name goes first.</summary>
    private static PluginVersion[] Order(IReadOnlyCollection<PluginVersion> versions, Dictionary<string, PluginVersion> byName)
    {
        var pending = versions.ToDictionary(static v => v, static v => v.ImportNames.Length);
        var dependents = versions.ToDictionary(static v => v, static _ => new List<PluginVersion>());
        foreach (PluginVersion version in versions)
        {
            foreach (string target in version.ImportNames)
            {
                dependents[byName[target]].Add(version);
            }
        }

        var ready = new SortedSet<PluginVersion>(versions.Where(v => pending[v] == 0), Comparer<PluginVersion>.Create(static (a, b) => string.CompareOrdinal(a.Name, b.Name)));
        var ordered = new List<PluginVersion>(versions.Count);
        while (ready.Min is { } next)
        {
            ready.Remove(next);
            ordered.Add(next);
            foreach (PluginVersion dependent in dependents[next])
            {
                if (--pending[dependent] == 0)
                {
                    ready.Add(dependent);
                }
            }
        }

        if (ordered.Count < versions.Count)
        {
            List<string> cycle = FindCycle(versions.Where(v => pending[v] > 0).ToList(), byName);
            PluginVersion first = byName[cycle[0]];
            throw new PluginLoadException(first.Name, ReloadPhase.Link, first.EntryAssemblyPath, SR.ImportCycle(cycle));
        }

        return [.. ordered];
    }

    /// <summary>Walks imports from the smallest name among the blocked versions until a name repeats.</summary>
    private static List<string> FindCycle(List<PluginVersion> blocked, Dictionary<string, PluginVersion> byName)
    {
        var blockedSet = blocked.ToHashSet();
        PluginVersion current = blocked.OrderBy(static v => v.Name, StringComparer.Ordinal).First();
        var path = new List<string>();
        var seen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        while (!seen.ContainsKey(current.Name))
        {
            seen[current.Name] = path.Count;
            path.Add(current.Name);
            current = current.ImportNames
                .Select(n => byName[n])
                .Where(blockedSet.Contains)
                .OrderBy(static v => v.Name, StringComparer.Ordinal)
                .First();
        }

        List<string> cycle = path[seen[current.Name]..];
        cycle.Add(current.Name);
        return cycle;
    }
}
