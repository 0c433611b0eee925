namespace Hotswap;

/// <summary>
/// An immutable snapshot of the plugins serving together (name to version) and their
/// <see cref="Hotswap.Vault"/>. Obtain one through <see cref="PluginHost.Acquire"/>: the lease
/// keeps every version of the generation loaded until it is disposed.
/// </summary>
/// <remarks>
/// Members may be called from any thread while a lease is held. After the lease is disposed, a
/// retired generation may be freed at any time; calls then throw <see cref="ObjectDisposedException"/>.
/// </remarks>
public abstract class Generation
{
    private protected Generation()
    {
    }

    /// <summary>Gets the generation's number: 1 for the first load, one more for each published reload.</summary>
    public abstract long Number { get; }

    /// <summary>Gets the generation's vault.</summary>
    public abstract Vault Vault { get; }

    /// <summary>Gets the plugin versions of this generation, in the order <see cref="InvokeEach"/> visits them (dependency order, ties by name).</summary>
    public abstract IReadOnlyList<PluginVersionInfo> Plugins { get; }

    /// <summary>Returns whether the generation has a plugin of that name.</summary>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <returns><see langword="true"/> when the plugin is part of this generation.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> is <see langword="null"/>.</exception>
    public abstract bool Contains(string pluginName);

    /// <summary>Calls <see cref="Plugin.Invoke"/> on one plugin of this generation.</summary>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <returns>What the plugin returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> or <paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">The generation has no plugin of that name.</exception>
    /// <exception cref="ObjectDisposedException">The generation was freed.</exception>
    public abstract object? Invoke(string pluginName, string name, params object?[] args);

    /// <summary>Calls <see cref="Plugin.Invoke"/> on every plugin, in <see cref="Plugins"/> order; a failure does not stop the others.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="AggregateException">One or more plugins threw; each inner exception is a <see cref="PluginException"/> naming its plugin.</exception>
    /// <exception cref="ObjectDisposedException">The generation was freed.</exception>
    public abstract void InvokeEach(string name, params object?[] args);

    /// <summary>Calls <see cref="Plugin.Invoke"/> on every plugin, in reverse <see cref="Plugins"/> order; a failure does not stop the others.</summary>
    /// <param name="name">The function's name.</param>
    /// <param name="args">The arguments.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is <see langword="null"/>.</exception>
    /// <exception cref="AggregateException">One or more plugins threw; each inner exception is a <see cref="PluginException"/> naming its plugin.</exception>
    /// <exception cref="ObjectDisposedException">The generation was freed.</exception>
    public abstract void InvokeEachBackward(string name, params object?[] args);

    /// <summary>Gets what a plugin of this generation exported, as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">A contract type the exported object implements.</typeparam>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <returns>The exported object. Do not keep it beyond the lease: it belongs to this generation's version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="pluginName"/> is <see langword="null"/>.</exception>
    /// <exception cref="KeyNotFoundException">The generation has no plugin of that name.</exception>
    /// <exception cref="InvalidCastException">The plugin exported nothing, or nothing of type <typeparamref name="T"/>.</exception>
    /// <exception cref="ObjectDisposedException">The generation was freed.</exception>
    public abstract T GetExport<T>(string pluginName)
        where T : class;
}
