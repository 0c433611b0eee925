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
    /// <returns>The plan.</returns>
    public static ReloadPlan Create(IReadOnlyCollection<PluginSource> sources, IReadOnlyCollection<ServingPlugin>? serving)
    {
        var byName = sources.ToDictionary(static s => s.Name, StringComparer.OrdinalIgnoreCase);
        var old = (serving ?? []).ToDictionary(static s => s.Name, StringComparer.OrdinalIgnoreCase);
        var carried = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var changed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (PluginSource source in sources)
        {
            if (old.TryGetValue(source.Name, out ServingPlugin? kept) && (kept.Version == source.Version || !kept.Reloadable))
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
                    carried.Remove(name);
                    changed.Add(name);
                    grew = true;
                }
            }
        }

        var plugins = new List<PlannedPlugin>();
        var toLoad = new List<PluginSource>();
        foreach (string name in byName.Keys.Concat(old.Keys).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            old.TryGetValue(name, out ServingPlugin? previous);
            if (carried.Contains(name))
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
        => [.. Plugins.Select(static p => p.Outcome is ReloadOutcome.Unchanged or ReloadOutcome.NotReloadable
            ? new PluginOutcome(p.Name, p.Outcome, p.PreviousVersion, p.PreviousVersion)
            : new PluginOutcome(p.Name, ReloadOutcome.Failed, p.PreviousVersion, p.PreviousVersion))];
}
