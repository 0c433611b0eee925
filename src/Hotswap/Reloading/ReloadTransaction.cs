using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// One reload, steps 2 to 5 of docs/lifecycle.md, and its end: <see cref="Verify"/>,
/// <see cref="LoadAsync"/>, <see cref="Link"/>, <see cref="InitializeAsync"/>, then either
/// <see cref="CommitAsync"/> or <see cref="RollbackAsync"/>. Called in that order, once each.
/// </summary>
/// <remarks>
/// <para>
/// Everything before <see cref="CommitAsync"/> runs beside the serving generation and touches none
/// of it: new versions live in new contexts, the new vault is new, and no serving (carried)
/// version runs any hook. Only <c>SaveState</c> runs on a serving version, and it only reads.
/// </para>
/// <para>
/// <see cref="CommitAsync"/> cannot fail: it is where carried versions join the new vault
/// (<c>OnInitAsync</c>), after every step that can fail, so that a carried version only ever sees
/// a vault that will serve. A carried version whose <c>OnInitAsync</c> throws or times out there is
/// logged; the reload still publishes.
/// </para>
/// </remarks>
internal sealed class ReloadTransaction
{
    private readonly HostRuntime _host;
    private readonly PluginGeneration? _serving;
    private readonly ReloadPlan _plan;
    private readonly object? _data;
    private readonly CancellationToken _cancellationToken;
    private readonly List<PluginVersion> _fresh = [];
    private readonly Dictionary<string, PluginVersion> _verified = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<PluginVersion, PluginVersion> _replaced = [];
    private readonly Action<PluginGeneration> _onDrained;
    private PluginVersion[] _ordered = [];
    private Vault? _vault;
    private PluginGeneration? _generation;

    /// <param name="host">What the host's parts share.</param>
    /// <param name="serving">The generation serving, or <see langword="null"/> on the first load.</param>
    /// <param name="plan">What to load.</param>
    /// <param name="number">The new generation's number.</param>
    /// <param name="data">The data for the new versions' <c>OnLoadAsync</c>.</param>
    /// <param name="onDrained">Called once the new generation has retired and drained.</param>
    /// <param name="cancellationToken">Cancels the reload.</param>
    public ReloadTransaction(HostRuntime host, PluginGeneration? serving, ReloadPlan plan, long number, object? data, Action<PluginGeneration> onDrained, CancellationToken cancellationToken)
    {
        _host = host;
        _onDrained = onDrained;
        Number = number;
        _serving = serving;
        _plan = plan;
        _data = data;
        _cancellationToken = cancellationToken;
    }

    /// <summary>Gets the step running or last run, named in an unexpected failure.</summary>
    public ReloadPhase Phase { get; private set; } = ReloadPhase.Verify;

    /// <summary>Gets the number of the generation this reload builds: higher than any the host built before, so a number is never reused after a rollback.</summary>
    public long Number { get; }

    /// <summary>Step 2: checks every changed plugin's folder and assemblies, before any context is created.</summary>
    /// <exception cref="PluginLoadException">A folder or an assembly is refused (phase Verify).</exception>
    public void Verify()
    {
        Phase = ReloadPhase.Verify;
        foreach (PluginSource source in _plan.ToLoad)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            if (source.Found is { } plugin)
            {
                try
                {
                    PluginVersion verified = PluginLoader.Verify(plugin, _host.Assemblies, _host.TrustedKeys, _cancellationToken);
                    _host.Downgrades.Check(plugin, verified.Sequence);
                    _verified[source.Name] = verified;
                }
                catch (Exception ex) when (ex is not PluginLoadException and not OperationCanceledException)
                {
                    throw new PluginLoadException(plugin.Name, ReloadPhase.Verify, plugin.VersionDirectory, SR.Unexpected(ex), ex);
                }
            }
        }
    }

    /// <summary>Step 3: a context per version (none for static plugins), the plugin created, <c>Reloadable</c> and <c>Export()</c> read.</summary>
    /// <returns>A task that completes when every plugin was loaded.</returns>
    /// <exception cref="PluginLoadException">A plugin cannot be loaded or created, or a hook failed.</exception>
    public async Task LoadAsync()
    {
        Phase = ReloadPhase.Load;
        foreach (PluginSource source in _plan.ToLoad)
        {
            _cancellationToken.ThrowIfCancellationRequested();
            PluginVersion version;
            if (source.Static is { } registration)
            {
                // The factory is the plugin's constructor: bounded like every other piece of plugin code.
                PluginVersion? created = null;
                await _host.Hooks.RunStepAsync(registration.Name, registration.PluginType.Assembly.Location, ReloadPhase.Construct, () => created = PluginLoader.LoadStatic(registration), _cancellationToken).ConfigureAwait(false);
                version = created!; // the step completed: LoadStatic returned.
                _fresh.Add(version);
            }
            else
            {
                version = _verified[source.Name];
                _fresh.Add(version);
                PluginVersion loading = version;
                await _host.Hooks.RunStepAsync(version.Name, version.EntryAssemblyPath, ReloadPhase.Load, () => Load(loading), _cancellationToken).ConfigureAwait(false);
            }

            bool reloadable = await _host.Hooks.CallAsync(version, ReloadPhase.Reloadable, static p => p.Reloadable, _cancellationToken).ConfigureAwait(false);
            version.Reloadable = reloadable && !version.IsStatic;
            version.Exported = await _host.Hooks.CallAsync(version, ReloadPhase.Export, static p => p.Export(), _cancellationToken).ConfigureAwait(false);
            if (_serving is not null && _serving.TryGetVersion(version.Name, out PluginVersion? old))
            {
                _replaced[version] = old;
            }
        }
    }

    /// <summary>Loads the assembly and creates the plugin (its module initializers and constructor run here), naming plugin, phase and file in any failure.</summary>
    private void Load(PluginVersion version)
    {
        try
        {
            PluginLoader.Load(version, _host.Assemblies, _host.Logger);
        }
        catch (Exception ex) when (ex is not PluginLoadException)
        {
            throw new PluginLoadException(version.Name, ReloadPhase.Load, version.EntryAssemblyPath, SR.Unexpected(ex), ex);
        }
        finally
        {
            if (version.LoadContext is not null)
            {
                _host.Telemetry.ContextCreated(); // live until proven collected, whether the load succeeded or not
            }
        }
    }

    /// <summary>Step 4: fills imports and orders every version of the next generation by dependency (ties by name).</summary>
    /// <exception cref="PluginLoadException">An import is unknown, of the wrong type, or part of a cycle (phase Link).</exception>
    public void Link()
    {
        Phase = ReloadPhase.Link;
        var carried = (_serving?.Versions ?? []).Where(v => _plan.Carried.Contains(v.Name)).ToList();
        _ordered = PluginLinker.Link([.. carried, .. _fresh], _fresh.ToHashSet());
        List<PluginVersion> fresh = [.. _ordered.Where(_fresh.Contains)];
        _fresh.Clear();
        _fresh.AddRange(fresh);
    }

    /// <summary>
    /// Step 5, for the new versions only: <c>OnLoadAsync</c>, the vault, <c>OnInitAsync</c>,
    /// <c>WarmUpAsync</c>, the health gate (<c>CheckHealthAsync</c>), then the state handoff
    /// (<c>SaveState</c> on the version replaced, <c>RestoreState</c> on its successor).
    /// </summary>
    /// <returns>A task that completes when every new version is initialized.</returns>
    /// <exception cref="PluginLoadException">A hook failed or timed out, or the vault cannot be built.</exception>
    public async Task InitializeAsync()
    {
        Phase = ReloadPhase.OnLoad;
        foreach (PluginVersion version in _fresh)
        {
            version.Context = new PluginContext(version.Name, version.Version, _host.LoggerFactory.CreateLogger("Hotswap.Plugins." + version.Name), _host.Services, _data);
            version.OnLoadCalled = true;
            PluginContext context = version.Context;
            await _host.Hooks.RunAsync(version, ReloadPhase.OnLoad, (p, ct) => p.OnLoadAsync(context, ct), _cancellationToken).ConfigureAwait(false);
        }

        Phase = ReloadPhase.Vault;
        Vault vault = VaultBuilder.Build(Number, _host.ExtensionFactory, _host.DataBag, _ordered);
        _vault = vault;

        Phase = ReloadPhase.OnInit;
        foreach (PluginVersion version in _fresh)
        {
            await _host.Hooks.RunAsync(version, ReloadPhase.OnInit, (p, ct) => p.OnInitAsync(vault, ct), _cancellationToken).ConfigureAwait(false);
        }

        // Before the switch, while the previous generation serves: the new versions run their hot
        // paths once (compiled now, not on a caller's time), then say whether they are fit to serve.
        Phase = ReloadPhase.WarmUp;
        foreach (PluginVersion version in _fresh)
        {
            if (_host.Precompile && !version.IsStatic)
            {
                System.Reflection.Assembly assembly = version.GetInstance().GetType().Assembly;
                await _host.Hooks.RunStepAsync(version.Name, version.EntryAssemblyPath, ReloadPhase.WarmUp, () => Precompiler.Prepare(assembly), _cancellationToken).ConfigureAwait(false);
            }

            await _host.Hooks.RunAsync(version, ReloadPhase.WarmUp, static (p, ct) => p.WarmUpAsync(ct), _cancellationToken).ConfigureAwait(false);
        }

        if (_host.WarmUp is { } warmUp)
        {
            // The host's own calls, from its own code, against the generation about to serve: only
            // they prepare the host's call sites (interface dispatch is cached per load context).
            PluginGeneration generation = Build();
            try
            {
                await _host.Hooks.RunHostAsync(ReloadPhase.WarmUp, SR.HostWarmUp, ct => warmUp(generation, ct), _cancellationToken).ConfigureAwait(false);
            }
            catch (PluginLoadException ex) when (ex.InnerException is { } thrown && ThrownBy(thrown) is { } culprit)
            {
                throw new PluginLoadException(culprit.Name, ReloadPhase.WarmUp, culprit.EntryAssemblyPath, ex.Reason ?? ex.Message, thrown);
            }
        }

        Phase = ReloadPhase.HealthGate;
        foreach (PluginVersion version in _fresh)
        {
            PluginHealth health = default;
            await _host.Hooks.RunAsync(version, ReloadPhase.HealthGate, async (p, ct) => health = await p.CheckHealthAsync(ct).ConfigureAwait(false), _cancellationToken).ConfigureAwait(false);
            if (!health.IsHealthy)
            {
                throw new PluginLoadException(version.Name, ReloadPhase.HealthGate, version.EntryAssemblyPath, SR.Unhealthy(health.Reason!)); // not healthy: a reason is set.
            }
        }

        Phase = ReloadPhase.SaveState;
        foreach (PluginVersion version in _fresh)
        {
            if (!_replaced.TryGetValue(version, out PluginVersion? old) || old.Instance is null)
            {
                continue;
            }

            LiveData? state = await _host.Hooks.CallAsync(old, ReloadPhase.SaveState, static p => p.SaveState(), _cancellationToken).ConfigureAwait(false);
            if (state is not null)
            {
                string from = old.Version;
                await _host.Hooks.CallAsync(version, ReloadPhase.RestoreState, p =>
                {
                    p.RestoreState(state, from);
                    return true;
                }, _cancellationToken).ConfigureAwait(false);
            }
        }

        _cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>
    /// The point of no return: carried versions join the new vault, and the generation is built,
    /// holding a reference on each of its versions. Never fails; the caller publishes the result.
    /// </summary>
    /// <returns>The new generation.</returns>
    public async Task<PluginGeneration> CommitAsync()
    {
        Phase = ReloadPhase.Switch;
        Vault vault = _vault!; // InitializeAsync ran.
        foreach (PluginVersion version in _ordered)
        {
            if (_fresh.Contains(version))
            {
                continue;
            }

            try
            {
                // Not cancellable: once here the reload publishes, and the carried version must see the vault it serves with.
                await _host.Hooks.RunAsync(version, ReloadPhase.OnInit, (p, ct) => p.OnInitAsync(vault, ct), CancellationToken.None).ConfigureAwait(false);
            }
            catch (PluginLoadException ex)
            {
                Log.CarriedInitFailed(_host.Logger, version.Name, version.Version, Number, ex.Reason ?? ex.Message, ex.InnerException);
            }
        }

        PluginGeneration generation = Build();
        foreach (PluginVersion version in _ordered)
        {
            version.AddGenerationRef();
            _host.Downgrades.Served(version.Name, version.Sequence);
        }

        return generation;
    }

    /// <summary>The new version whose code threw <paramref name="exception"/> (its innermost frame in a new version's assembly), or <see langword="null"/> when the host's own code did.</summary>
    private PluginVersion? ThrownBy(Exception exception)
    {
        foreach (System.Diagnostics.StackFrame frame in new System.Diagnostics.StackTrace(exception, fNeedFileInfo: false).GetFrames())
        {
            if (frame.GetMethod()?.DeclaringType?.Assembly is { } assembly
                && System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(assembly) is { } context
                && _fresh.Find(v => v.LoadContext == context) is { } version)
            {
                return version;
            }
        }

        return null;
    }

    /// <summary>The new generation, built once: before the host's warm-up when there is one, else at the commit.</summary>
    private PluginGeneration Build() => _generation ??= new PluginGeneration(Number, _vault!, _ordered, _host.Ids, _onDrained); // the vault is built first

    /// <summary>
    /// Undoes a failed reload: clears the new vault, then frees and unloads every new version
    /// (<c>OnFreeAsync</c> in reverse order for those whose <c>OnLoadAsync</c> was called), and
    /// watches their contexts like retired ones. The serving generation is untouched.
    /// </summary>
    /// <param name="retirement">Frees, unloads and watches the new versions.</param>
    /// <returns>A task that completes when the new versions were freed and their unload started.</returns>
    public Task RollbackAsync(Retirement retirement)
    {
        _vault?.Clear();
        _generation?.Clear(); // built for the host's warm-up: a reference it kept pins nothing
        return retirement.DiscardAsync([.. _fresh]);
    }
}
