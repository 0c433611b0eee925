using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>Options of a <see cref="PluginHost"/>.</summary>
public sealed class PluginHostOptions
{
    /// <summary>Gets or sets the plugins root: one folder per plugin, each with a <c>current</c> file and immutable version folders.</summary>
    /// <value>Required unless static plugins are added; <see langword="null"/> by default.</value>
    public string? PluginsRoot { get; set; }

    /// <summary>Gets or sets how long one lifecycle hook (<c>OnLoadAsync</c>, <c>OnInitAsync</c>, <c>OnFreeAsync</c>) may run before it counts as failed.</summary>
    /// <value>30 seconds by default.</value>
    public TimeSpan LifecycleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long a retiring version may take to drain its calls, and then, after
    /// <c>Unload()</c>, to be proven collected, before <see cref="PluginHost.UnloadStuck"/> is raised.
    /// </summary>
    /// <value>10 seconds by default.</value>
    public TimeSpan UnloadTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the most blocking full collections the unload watchdog forces for one burst of
    /// unloads. After that it only checks whether the runtime's own collections took the retired
    /// contexts, and forces one more collection just before reporting a version stuck.
    /// </summary>
    /// <value>16 by default (about 4 seconds of doubling pauses); at least 1. A context is usually proven collected within 2 or 3.</value>
    public int UnloadForcedCollections { get; set; } = 16;

    /// <summary>
    /// Gets or sets what names the cause of a version reported stuck before
    /// <see cref="PluginHost.UnloadStuck"/> is raised: its answer is added to
    /// <see cref="UnloadStuckEventArgs.Cause"/>, the log, the status file and <c>hotswap status</c>.
    /// </summary>
    /// <value>
    /// <see langword="null"/> (off) by default. <c>UnloadDiagnosers.HeapDump()</c> from the package
    /// <c>Hotswap.Diagnostics</c> names the shortest chain of references from a GC root to the
    /// version; it pauses the whole process while it dumps the heap (about 0.8 to 1.7 seconds for a
    /// 200 MB heap), once for the versions found stuck together. The report waits for the answer (at
    /// most 5 minutes once the diagnosis has started; one runs at a time); a version is listed in
    /// <see cref="PluginHost.StuckVersions"/> once reported.
    /// </value>
    public IUnloadDiagnoser? UnloadDiagnoser { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether each new version's own code is compiled before the
    /// switch: every non-generic method of its assembly, so that no caller pays the first
    /// compilation (code in a collectible context gets no ReadyToRun and no tiering).
    /// </summary>
    /// <value>
    /// <see langword="true"/> by default. It costs the reload about a tenth of a millisecond per
    /// method of the plugin's assembly, off the call path; turn it off for very large plugins that
    /// reload often, and warm their hot paths in <see cref="Plugin.WarmUpAsync"/> instead.
    /// </value>
    public bool Precompile { get; set; } = true;

    /// <summary>
    /// Gets or sets host code that runs against each new generation before it serves, after the
    /// plugins' <see cref="Plugin.WarmUpAsync"/> and before the health gate, under
    /// <see cref="LifecycleTimeout"/>: call the new versions' exports through your contracts once,
    /// the way your proxies will (<see cref="Generation.GetExport{T}(string)"/>), so that no caller
    /// pays their first call.
    /// </summary>
    /// <remarks>
    /// The runtime caches interface dispatch per load context: a call made by the plugin's own code
    /// (in <see cref="Plugin.WarmUpAsync"/>) prepares the plugin's calls, not the host's. Only a call
    /// made from the host's code prepares the host's. The generation is not serving yet: do not keep
    /// it or its exports. A failure or timeout fails the reload in phase
    /// <see cref="ReloadPhase.WarmUp"/>; the previous generation keeps serving.
    /// </remarks>
    /// <value><see langword="null"/> by default.</value>
    public Func<Generation, CancellationToken, Task>? WarmUp { get; set; }

    /// <summary>
    /// Gets or sets how long, after a switch, the previous generation stays loaded and ready to
    /// serve again, so that <see cref="PluginHost.RollbackAsync"/> switches back in one step without
    /// loading anything. When the period ends (or the next reload switches), it retires as usual.
    /// </summary>
    /// <value>
    /// <see cref="TimeSpan.Zero"/> by default: no probation, the previous generation retires at the
    /// switch. During probation the host holds two generations in memory: every version the reload
    /// replaced, with its load context, its objects and its vault contributions, stays alive; a
    /// reload during probation ends the previous probation first, so there are never more than two.
    /// At most about 49.7 days, or <see cref="Timeout.InfiniteTimeSpan"/> to keep it until the next reload.
    /// </value>
    public TimeSpan Probation { get; set; }

    /// <summary>The longest finite <see cref="Probation"/>, the longest a timer waits (about 49.7 days); <see cref="Timeout.InfiniteTimeSpan"/> keeps the previous generation until the next reload.</summary>
    internal static readonly TimeSpan MaxProbation = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    /// <summary>
    /// Gets or sets when the host rolls a new version back by itself during <see cref="Probation"/>:
    /// the share of its calls that threw, over a minimum number of calls.
    /// </summary>
    /// <value><see langword="null"/> by default: only <see cref="PluginHost.RollbackAsync"/> rolls back. Needs a positive <see cref="Probation"/>.</value>
    public AutoRollbackOptions? AutoRollback { get; set; }

    /// <summary>
    /// Gets or sets how many retired versions of one plugin may be draining (still running calls)
    /// at once. A reload that would retire one more is refused, naming the versions still draining
    /// and the calls that hold them; no call is ever cancelled to make room.
    /// </summary>
    /// <value><see langword="null"/> by default: no bound. At least 1 when set.</value>
    public int? MaxDrainingVersions { get; set; }

    /// <summary>
    /// Gets the names (simple names, compared ignoring case) of assemblies the host shares with its
    /// plugins in addition to what must be shared: a plugin gets the host's copy even when it ships its
    /// own, and is refused when it was built against a newer version than the host's.
    /// </summary>
    /// <remarks>
    /// What is always shared: the framework, <c>Hotswap.Abstractions</c>, the contract assemblies (the
    /// host's assemblies that reference <c>Hotswap.Abstractions</c>) and every assembly whose types
    /// appear in the public surface of a shared one. Everything else a plugin ships loads privately
    /// (docs/concepts.md, "What is shared"). Name here an assembly whose types the host hands to
    /// plugins outside any contract, for example through <see cref="Services"/>.
    /// </remarks>
    public IList<string> SharedAssemblies { get; } = [];

    /// <summary>
    /// Gets or sets the load context the host shares with its plugins: where their shared assemblies
    /// (the contracts above all) come from.
    /// </summary>
    /// <value>
    /// <see langword="null"/> by default: the context of the code that calls <see cref="PluginHost.Create"/>,
    /// which is the default context for an application, and a plugin's own context for a host a plugin
    /// creates (a nested host: its sub-plugins share the plugin's contracts).
    /// </value>
    public System.Runtime.Loader.AssemblyLoadContext? SharingContext { get; set; }

    /// <summary>Gets or sets the logger factory of the host and of the plugins' <see cref="IPluginContext.Logger"/>.</summary>
    /// <value><see langword="null"/> by default: nothing is logged.</value>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Gets or sets the source of time for timeouts, delays and durations.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets the factory of the <c>Hotswap</c> meter (see docs/observability.md): under
    /// dependency injection, the container's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>,
    /// so that its instruments are scoped to the container.
    /// </summary>
    /// <value><see langword="null"/> by default: the host records on one process-wide <c>Hotswap</c> meter.</value>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets the host services offered to plugins through <see cref="IPluginContext.Services"/>.</summary>
    /// <value><see langword="null"/> by default: plugins see an empty provider.</value>
    public IServiceProvider? Services { get; set; }

    /// <summary>
    /// Gets or sets the factory of each generation's <see cref="Vault.Extension"/>, called once per
    /// generation after every new plugin's <c>OnLoadAsync</c> and before any <c>OnInitAsync</c>.
    /// </summary>
    /// <value><see langword="null"/> by default: vaults have no extension.</value>
    public Func<object>? ExtensionFactory { get; set; }

    /// <summary>Gets or sets a value indicating whether the host reloads by itself when a plugin is published, added or removed under <see cref="PluginsRoot"/>.</summary>
    /// <value><see langword="false"/> by default. Watching starts once <c>LoadAsync</c> has run, whatever its result.</value>
    public bool Watch { get; set; }

    /// <summary>Gets or sets how the watcher notices changes.</summary>
    /// <value><see cref="WatchMode.Events"/> by default.</value>
    public WatchMode WatchMode { get; set; } = WatchMode.Events;

    /// <summary>Gets or sets how long the watcher waits after the first change before reloading; changes in that window join the same reload.</summary>
    /// <value>100 milliseconds by default.</value>
    public TimeSpan WatchDebounce { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets how often <see cref="WatchMode.Polling"/> reads the plugins root.</summary>
    /// <value>1 second by default.</value>
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets a value indicating whether the watcher also reloads on SIGHUP (Linux and macOS), which then no longer terminates the process.</summary>
    /// <value><see langword="false"/> by default. Takes effect only with <see cref="Watch"/>.</value>
    public bool ReloadOnSignal { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the host reports its status under the plugins root
    /// (<c>.hotswap/hosts/</c>), for <c>hotswap status</c> and so that pruning keeps the versions it holds.
    /// </summary>
    /// <value><see langword="true"/> by default.</value>
    public bool WriteStatus { get; set; } = true;

    /// <summary>Gets or sets how often the host refreshes its status (calls in flight change between reloads).</summary>
    /// <value>2 seconds by default.</value>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets the public keys (SubjectPublicKeyInfo PEM, as written by <c>hotswap keygen</c> or
    /// <see cref="PluginPublisher.GetPublicKey"/>) whose signatures the host trusts. Any key here
    /// turns enforcement on: a version that is unsigned, signed by another key, or whose manifest
    /// changed after signing is refused in phase <see cref="ReloadPhase.Verify"/>, and so is a signed
    /// version whose sequence is lower than the newest this host has served, unless the plugin's
    /// <c>allow-downgrade</c> marker names it (written by <c>hotswap rollback</c>).
    /// </summary>
    /// <remarks>Several keys may be trusted at once, so a key can be rotated: trust the new key, sign with it, then remove the old one.</remarks>
    /// <value>Empty by default: signatures are not checked.</value>
    public IList<string> TrustedKeys { get; } = new List<string>();

    internal List<StaticPluginRegistration> StaticPlugins { get; } = [];

    /// <summary>
    /// Adds a plugin compiled into the host. It goes through the same lifecycle, imports, vault and
    /// live collection as a loaded plugin, with no load context: for debuggers, unit tests and
    /// NativeAOT. Static plugins are never reloaded; they can be mixed with loaded plugins.
    /// </summary>
    /// <typeparam name="TPlugin">The plugin class.</typeparam>
    /// <param name="name">The plugin's name, unique (ignoring case) among all plugins of the host.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null, empty or not a valid plugin name.</exception>
    public PluginHostOptions AddStatic<TPlugin>(string name)
        where TPlugin : Plugin, new()
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!PluginLayout.IsValidName(name))
        {
            throw new ArgumentException(SR.InvalidPluginName(name), nameof(name));
        }

        StaticPlugins.Add(new StaticPluginRegistration(name, typeof(TPlugin), static () => new TPlugin()));
        return this;
    }
}
