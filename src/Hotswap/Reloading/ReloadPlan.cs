namespace Hotswap;

/// <summary>Where a plugin of the next generation comes from: a version folder, or a static registration.</summary>
internal sealed record PluginSource(string Name, string Version, DiscoveredPlugin? Found, StaticPluginRegistration? Static);

/// <summary>What the plan needs to know of a serving version.</summary>
internal sealed record ServingPlugin(string Name, string Version, bool Reloadable, bool IsStatic, IReadOnlyList<string> Imports)
{
    public static ServingPlugin Of(PluginVersion version)
        => new(version.Name, version.Version, version.Reloadable, version.IsStatic, version.ImportNames);
}

/// <summary>One plugin's line in the plan: what it becomes, and the version it comes from.</summary>
internal sealed record PlannedPlugin(string Name, ReloadOutcome Outcome, string? Version, string? PreviousVersion);

/// <summary>
/// Step 1 of a reload, after discovery: which plugins are carried over, which are loaded, which
/// are removed. A pure function of the serving versions and of what is on disk.
/// </summary>
/// <remarks>
/// A plugin is loaded when it is new or its version folder changed (and the serving version is
/// reloadable); every reloadable plugin that imports a changed or removed one, transitively, is
/// loaded with it in the same transaction, so no plugin keeps an export of a retired version.
/// </remarks>
internal sealed class ReloadPlan
{
    private ReloadPlan(List<PlannedPlugin> plugins, HashSet<string> carried, List<PluginSource> toLoad, bool firstLoad)
    {
        Plugins = plugins;
        Carried = carried;
        ToLoad = toLoad;
        HasWork = firstLoad || plugins.Exists(static p => p.Outcome is ReloadOutcome.Loaded or ReloadOutcome.Removed);
    }

    /// <summary>Gets every plugin of the serving and the next generation, ordered by name.</summary>
    public IReadOnlyList<PlannedPlugin> Plugins { get; }

    /// <summary>Gets the names of the serving versions carried into the next generation.</summary>
    public IReadOnlySet<string> Carried { get; }

    /// <summary>Gets the plugins to load, ordered by name.</summary>
    public IReadOnlyList<PluginSource> ToLoad { get; }

    /// <summary>Gets a value indicating whether a new generation is needed: the first load, or any plugin loaded or removed.</summary>
    public bool HasWork { get; }

    /// <summary>Plans the next generation.</summary>
    /// <param name="sources">Every plugin on disk and every static plugin.</param>
    /// <param name="serving">The serving versions; <see langword="null"/> on the first load.</param>
    /// <param name="rolledBack">
    /// The versions rolled back, by plugin name: a plugin whose published version is still the one
    /// rolled back is not loaded (it keeps its serving version, or stays absent) and is reported
    /// <see cref="ReloadOutcome.RolledBack"/>.
    /// </param>
    /// <returns>The plan.</returns>
    public static ReloadPlan Create(IReadOnlyCollection<PluginSource> sources, IReadOnlyCollection<ServingPlugin>? serving, IReadOnlyDictionary<string, string>? rolledBack = null)
    {
        var byName = sources.ToDictionary(static s => s.Name, StringComparer.OrdinalIgnoreCase);
        var old = (serving ?? []).ToDictionary(static s => s.Name, StringComparer.OrdinalIgnoreCase);
        var carried = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var changed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var refused = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (PluginSource source in sources)
        {
            if (rolledBack is not null && source.Found is not null && rolledBack.TryGetValue(source.Name, out string? version) && version == source.Version)
            {
                refused.Add(source.Name);
                if (old.ContainsKey(source.Name))
                {
                    carried.Add(source.Name);
                }
                else
                {
                    byName.Remove(source.Name); // never loaded: absent from the next generation
                }
            }
            else if (old.TryGetValue(source.Name, out ServingPlugin? kept) && (kept.Version == source.Version || !kept.Reloadable))
            {
                carried.Add(source.Name);
            }
            else
            {
                changed.Add(source.Name);
            }
        }

        foreach (string name in old.Keys)
        {
            if (!byName.ContainsKey(name))
            {
                changed.Add(name);
            }
        }

        // Dependents of a changed plugin reload with it, transitively.
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (string name in carried.ToList())
            {
                ServingPlugin version = old[name];
                if (version.Reloadable && version.Imports.Any(changed.Contains))
                {
                    // It must not keep an export of a retired version: it reloads from what is
                    // published, even when that is the version rolled back.
                    carried.Remove(name);
                    changed.Add(name);
                    refused.Remove(name);
                    grew = true;
                }
            }
        }

        var plugins = new List<PlannedPlugin>();
        var toLoad = new List<PluginSource>();
        foreach (string name in byName.Keys.Concat(old.Keys).Concat(refused).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            old.TryGetValue(name, out ServingPlugin? previous);
            if (refused.Contains(name))
            {
                plugins.Add(new(name, ReloadOutcome.RolledBack, previous?.Version, previous?.Version));
            }
            else if (carried.Contains(name))
            {
                // A static plugin can never be reloaded: every reload reports it so.
                ReloadOutcome outcome = previous!.IsStatic || previous.Version != byName[name].Version ? ReloadOutcome.NotReloadable : ReloadOutcome.Unchanged; // carried names are serving.
                plugins.Add(new(name, outcome, previous.Version, previous.Version));
            }
            else if (byName.TryGetValue(name, out PluginSource? source))
            {
                plugins.Add(new(name, ReloadOutcome.Loaded, source.Version, previous?.Version));
                toLoad.Add(source);
            }
            else
            {
                plugins.Add(new(name, ReloadOutcome.Removed, null, previous?.Version));
            }
        }

        plugins.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        toLoad.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return new ReloadPlan(plugins, carried, toLoad, serving is null);
    }

    /// <summary>The outcomes of a reload that published this plan.</summary>
    /// <returns>One outcome per plugin.</returns>
    public List<PluginOutcome> Outcomes()
        => [.. Plugins.Select(static p => new PluginOutcome(p.Name, p.Outcome, p.Version, p.PreviousVersion))];

    /// <summary>The outcomes of a reload that failed: every plugin it would have changed is <see cref="ReloadOutcome.Failed"/> and keeps its previous version.</summary>
    /// <returns>One outcome per plugin.</returns>
    public List<PluginOutcome> FailedOutcomes()
        => [.. Plugins.Select(static p => p.Outcome is ReloadOutcome.Unchanged or ReloadOutcome.NotReloadable or ReloadOutcome.RolledBack
            ? new PluginOutcome(p.Name, p.Outcome, p.PreviousVersion, p.PreviousVersion)
            : new PluginOutcome(p.Name, ReloadOutcome.Failed, p.PreviousVersion, p.PreviousVersion))];
}
