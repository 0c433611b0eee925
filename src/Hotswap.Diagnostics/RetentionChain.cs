namespace Hotswap.Diagnostics;

/// <summary>
/// The shortest chain of references from a GC root to an object of a stuck plugin version: the root,
/// then one link per object, the last one the first object reached that belongs to the version.
/// </summary>
/// <param name="RootKind">What kind of root holds the chain: <c>static-field</c>, <c>strong-handle</c>, <c>pinned-handle</c>, <c>other-handle</c>, <c>thread-stack</c>, <c>finalizer-queue</c>, <c>static-storage</c>.</param>
/// <param name="Root">The root in words: <c>static field HostApp.Cache.Items</c>, <c>thread 7 (pinner-spin) in Pinner.PinnerPlugin.Spin</c>, <c>strong GC handle</c>.</param>
/// <param name="Links">The objects from the root to the version's object, each with the field of the previous one that references it.</param>
internal sealed record RetentionChain(string RootKind, string Root, IReadOnlyList<ChainLink> Links)
{
    /// <summary>Gets the first object of the chain that belongs to the version: what the host holds of it.</summary>
    public ChainLink? PluginEnd => Links.Count == 0 ? null : Links[^1];

    /// <summary>
    /// Gets the last object outside the version, reading from the root: the one whose reference to the
    /// version is what must go (a host object, or a runtime one such as a delegate or a timer); null
    /// when the root itself references the version's object.
    /// </summary>
    public ChainLink? HostEnd => Links.Count < 2 ? null : Links[^2];

    /// <summary>Gets the chain on one line: the root, then each object with the field that reaches it.</summary>
    public string Describe() => string.Join(" -> ", [Root, .. Links.Select(static l => l.Describe())]);

    /// <summary>Gets the chain on one line, at most <paramref name="ends"/> objects from each end, the ones between counted.</summary>
    /// <param name="ends">How many objects to name at the root's end and at the version's.</param>
    public string Describe(int ends)
    {
        if (Links.Count <= 2 * ends + 1)
        {
            return Describe();
        }

        return string.Join(" -> ", [Root, .. Links.Take(ends).Select(static l => l.Describe()), $"({Links.Count - 2 * ends} more)", .. Links.Skip(Links.Count - ends).Select(static l => l.Describe())]);
    }

    /// <summary>What to change, in one sentence: the reference from the last object outside the version (or the root) to the version's object.</summary>
    public string Advice()
    {
        ChainLink? pluginEnd = PluginEnd;
        if (pluginEnd is null)
        {
            return "Nothing of the version was named; read the chain.";
        }

        if (RootKind == "thread-stack" && Links.Count == 1 && pluginEnd.Via is null)
        {
            return $"A thread still runs the version's code ({pluginEnd.Type}.{pluginEnd.Detail}): make it end (a token the plugin observes, or IPluginContext.RegisterForDispose) before the version retires.";
        }

        string what = pluginEnd.Detail is null ? pluginEnd.Type : $"{pluginEnd.Type} [{pluginEnd.Detail}]";
        string holder = HostEnd is { } hostEnd ? $"{hostEnd.Type}{(pluginEnd.Via is null ? "" : "." + pluginEnd.Via)}, reached from {Root}," : Root;
        return $"Culprit: {holder} holds {what}. Release it (unsubscribe, dispose, evict) when the version retires; the version is collected once nothing outside it holds it.";
    }
}

/// <summary>One object of a <see cref="RetentionChain"/>.</summary>
/// <param name="Type">The object's type, as the runtime names it.</param>
/// <param name="Via">The field (or <c>[i]</c> array element) of the previous object, or of the root, that references it; null when unknown.</param>
/// <param name="Detail">What the object is about, when that says more than its type: the method a delegate calls, the type a <c>System.RuntimeType</c> stands for.</param>
/// <param name="Assembly">The assembly of the type (its file name), for objects of the version and the host's own types.</param>
/// <param name="Version">The plugin version (<c>name@version</c>) the object belongs to, or null for an object outside every stuck version.</param>
internal sealed record ChainLink(string Type, string? Via, string? Detail, string? Assembly, string? Version)
{
    public string Describe()
    {
        string text = Via is null ? Type : $"{Type} (via {Via})";
        if (Detail is not null)
        {
            text += $" [{Detail}]";
        }

        return Version is null ? text : $"{text} ({Assembly}, {Version})";
    }
}

/// <summary>A plugin version whose load context was unloaded and is still alive.</summary>
/// <param name="Plugin">The plugin's name.</param>
/// <param name="Version">The version.</param>
/// <param name="Context">The load context object's address in the dump, in hexadecimal.</param>
/// <param name="Chain">What holds it; null when no root reaches it (the runtime is collecting it: it is not listed as stuck).</param>
internal sealed record StuckVersion(string Plugin, string Version, string Context, RetentionChain Chain);

/// <summary>What <c>hotswap diagnose</c> found in one dump.</summary>
/// <param name="Stuck">Every version unloaded and still held from outside, with its chain.</param>
/// <param name="Loaded">The plugin load contexts not unloaded (serving, kept, draining): never stuck.</param>
/// <param name="Collecting">Versions unloaded that no root holds any more: the runtime is collecting them.</param>
internal sealed record DiagnoseFindings(IReadOnlyList<StuckVersion> Stuck, IReadOnlyList<string> Loaded, IReadOnlyList<string> Collecting);
