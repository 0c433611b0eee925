using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// What the host tells one plugin version about itself, passed to <see cref="Plugin.OnLoadAsync"/>.
/// </summary>
/// <remarks>
/// Anything a plugin registers with a host-owned object (an event, a timer, a cancellation
/// registration) keeps its version in memory after it retires. Hand such registrations to
/// <see cref="RegisterForDispose"/> and the host releases them when the version retires.
/// </remarks>
public interface IPluginContext
{
    /// <summary>Gets the plugin's name: its folder name under the plugins root.</summary>
    string PluginName { get; }

    /// <summary>Gets the version id: the name of the version folder this version was loaded from.</summary>
    string Version { get; }

    /// <summary>Gets a logger whose category names the plugin.</summary>
    ILogger Logger { get; }

    /// <summary>Gets the host's services; an empty provider when the host configured none.</summary>
    IServiceProvider Services { get; }

    /// <summary>Gets the data the host passed to <c>LoadAsync</c> or <c>ReloadAsync</c> for the reload that loaded this version.</summary>
    object? Data { get; }

    /// <summary>
    /// Registers an object that the host disposes when this version retires, after
    /// <see cref="Plugin.OnFreeAsync"/> returned and before its load context is unloaded.
    /// </summary>
    /// <param name="disposable">The object to dispose.</param>
    /// <exception cref="ArgumentNullException"><paramref name="disposable"/> is <see langword="null"/>.</exception>
    void RegisterForDispose(IDisposable disposable);
}
