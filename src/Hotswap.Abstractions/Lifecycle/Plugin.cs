namespace Hotswap;

/// <summary>
/// The base class of every plugin. A plugin assembly names its subclass with
/// <see cref="HotswapPluginAttribute"/>; the host creates one instance per loaded plugin version
/// and drives it through the lifecycle below. Every member has a no-op default.
/// </summary>
/// <remarks>
/// <para>Lifecycle of one plugin version, in this order:</para>
/// <list type="number">
/// <item><description>the public parameterless constructor;</description></item>
/// <item><description><see cref="Reloadable"/> and <see cref="Export"/>;</description></item>
/// <item><description><see cref="OnLoadAsync"/> (after every plugin of the new generation was created);</description></item>
/// <item><description><see cref="OnInitAsync"/> (after the generation's <see cref="Vault"/> was built; again, at the commit, for each later generation the version is carried into);</description></item>
/// <item><description><see cref="WarmUpAsync"/>, then <see cref="CheckHealthAsync"/>, before any caller can reach the new version;</description></item>
/// <item><description><see cref="RestoreState"/>, with what the version it replaces returned from <see cref="SaveState"/>;</description></item>
/// <item><description>calls through <see cref="Invoke"/> while the version serves;</description></item>
/// <item><description><see cref="OnFreeAsync"/>, once, after the last call that used this version returned.</description></item>
/// </list>
/// <para>
/// <see cref="OnFreeAsync"/> is also called when a reload fails after this version's
/// <see cref="OnLoadAsync"/> was called, so it must tolerate a version that never served.
/// </para>
/// </remarks>
public abstract class Plugin
{
    /// <summary>
    /// Gets a value indicating whether later versions of this plugin may replace this one.
    /// </summary>
    /// <value>
    /// <see langword="true"/> by default. When <see langword="false"/>, the first loaded version
    /// stays for the life of the host and republished versions are reported as
    /// <c>NotReloadable</c>.
    /// </value>
    public virtual bool Reloadable => true;

    /// <summary>
    /// Returns the object this plugin offers to the host and to other plugins.
    /// </summary>
    /// <returns>The exported object, or <see langword="null"/> (the default) to export nothing.</returns>
    public virtual object? Export() => null;

    /// <summary>
    /// Called once every plugin of the new generation has been created, in dependency order.
    /// </summary>
    /// <param name="context">What the host tells this version about itself.</param>
    /// <param name="cancellationToken">Cancelled when the reload is abandoned or times out.</param>
    /// <returns>A task that completes when the plugin is loaded.</returns>
    public virtual Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called once the generation's <see cref="Vault"/> has been built, in dependency order, for every
    /// version of the new generation: new versions, and versions carried over unchanged, which fill
    /// the new vault as they filled the previous one.
    /// </summary>
    /// <remarks>
    /// <para>
    /// New versions are called first, while the reload can still fail. Carried-over versions are
    /// serving, so they are called only once the reload can no longer fail, just before the switch: a
    /// serving version never sees a vault that does not serve, and a failed reload leaves it exactly as
    /// it was. So a new version's <see cref="OnInitAsync"/> runs before its carried-over dependencies
    /// have filled the new vault; use what they export through imports instead.
    /// </para>
    /// <para>
    /// A carried-over version's failure here (an exception, or the lifecycle timeout) can no longer
    /// fail the reload: it is logged, and the generation serves without that version's contributions.
    /// Use the vault within this call (fill the extension, read live functions); do not keep it.
    /// </para>
    /// </remarks>
    /// <param name="vault">The vault of the generation this version is joining.</param>
    /// <param name="cancellationToken">Cancelled when the reload is abandoned or times out.</param>
    /// <returns>A task that completes when the plugin is initialized.</returns>
    public virtual Task OnInitAsync(Vault vault, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called on a new version after its <see cref="OnInitAsync"/> and before the switch, to run its
    /// hot paths once: code in a collectible load context gets no ReadyToRun and no tiered
    /// compilation, so whatever runs here is compiled before the first caller arrives instead of on
    /// its time.
    /// </summary>
    /// <remarks>
    /// The previous version is still serving while this runs. An exception, or not completing within
    /// the host's lifecycle timeout, fails the reload (phase <see cref="ReloadPhase.WarmUp"/>): the
    /// previous version keeps serving. Touch nothing outside the version (no writes to shared state):
    /// the reload may still fail after this.
    /// </remarks>
    /// <param name="cancellationToken">Cancelled when the reload is abandoned or times out.</param>
    /// <returns>A task that completes when the version is warm.</returns>
    public virtual Task WarmUpAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called on a new version after <see cref="WarmUpAsync"/> and before the switch: says whether the
    /// version is fit to serve (its dependencies reachable, its configuration valid).
    /// </summary>
    /// <remarks>
    /// <see cref="PluginHealth.Unhealthy"/> fails the reload (phase <see cref="ReloadPhase.HealthGate"/>)
    /// with the reason given, and the previous version keeps serving; so does an exception or the
    /// lifecycle timeout.
    /// </remarks>
    /// <param name="cancellationToken">Cancelled when the reload is abandoned or times out.</param>
    /// <returns><see cref="PluginHealth.Healthy"/> (the default) or <see cref="PluginHealth.Unhealthy"/> with a reason.</returns>
    public virtual Task<PluginHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(PluginHealth.Healthy);

    /// <summary>
    /// Called once, after the last call that used this version returned and no generation
    /// uses it any more, in reverse dependency order. Release what the plugin holds here:
    /// after it returns, the version's load context is unloaded.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the host's lifecycle timeout elapses.</param>
    /// <returns>A task that completes when the plugin has released its resources.</returns>
    public virtual Task OnFreeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Called on the serving version, just before a new version of this plugin is switched in, to hand
    /// its state over. Runs concurrently with calls still served by this version.
    /// </summary>
    /// <remarks>
    /// Consistency rule: the state is taken once, after every other step of the reload succeeded and
    /// immediately before the switch. A write this version accepts after <see cref="SaveState"/> (a call
    /// already running, or one that leased the old generation just before the switch) is not carried
    /// over. Keep state that must never lose a write in the <see cref="DataBag"/> instead.
    /// </remarks>
    /// <returns>The state, or <see langword="null"/> (the default) for none.</returns>
    public virtual LiveData? SaveState() => null;

    /// <summary>
    /// Called on a new version before it is switched in, with the state the version it replaces
    /// saved. An exception fails the reload: the previous version keeps serving with its state.
    /// </summary>
    /// <param name="state">The state from <see cref="SaveState"/>; unwrap it into this version's own types.</param>
    /// <param name="fromVersion">The version id the state comes from.</param>
    public virtual void RestoreState(LiveData state, string fromVersion)
    {
    }

    /// <summary>
    /// Handles a call by name from the host (<c>Invoke</c>, <c>InvokeEach</c>).
    /// </summary>
    /// <param name="name">The name of the function to run.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>
    /// The result, or <see langword="null"/> (the default) when the plugin does not handle
    /// <paramref name="name"/>. An asynchronous function returns a <see cref="Task"/>; the host
    /// keeps this version alive until it completes.
    /// </returns>
    public virtual object? Invoke(string name, params object?[] args) => null;
}
