using System.Runtime.ExceptionServices;

namespace Hotswap;

/// <summary>The result of <see cref="PluginHost.LoadAsync"/> or <see cref="PluginHost.ReloadAsync"/>.</summary>
/// <remarks>
/// A failed result's <see cref="Error"/> holds a host-side copy of the exception thrown by plugin
/// code (its type name, message and stack trace, as text): keeping the result keeps nothing of the
/// failed version, which is unloaded and watched like a retired one.
/// </remarks>
public sealed class ReloadResult
{
    /// <summary>Initializes a new instance of the <see cref="ReloadResult"/> class.</summary>
    /// <param name="generation">The number of the generation serving after the reload.</param>
    /// <param name="published">Whether the reload published a new generation.</param>
    /// <param name="plugins">What happened to each plugin, ordered by name.</param>
    /// <param name="error">The failure, or <see langword="null"/> when the reload succeeded.</param>
    /// <param name="duration">How long the reload took.</param>
    /// <exception cref="ArgumentNullException"><paramref name="plugins"/> is <see langword="null"/>.</exception>
    public ReloadResult(long generation, bool published, IReadOnlyList<PluginOutcome> plugins, PluginLoadException? error, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(plugins);
        Generation = generation;
        Published = published;
        Plugins = plugins;
        Error = error;
        Duration = duration;
    }

    /// <summary>Gets a value indicating whether the reload succeeded (possibly with nothing to do).</summary>
    public bool Succeeded => Error is null;

    /// <summary>Gets a value indicating whether the reload published a new generation.</summary>
    public bool Published { get; }

    /// <summary>Gets the number of the generation serving after the reload; 0 when none serves.</summary>
    public long Generation { get; }

    /// <summary>Gets what happened to each plugin, ordered by name.</summary>
    public IReadOnlyList<PluginOutcome> Plugins { get; }

    /// <summary>Gets the failure, naming the plugin, phase and file; <see langword="null"/> when the reload succeeded.</summary>
    public PluginLoadException? Error { get; }

    /// <summary>Gets how long the reload took.</summary>
    public TimeSpan Duration { get; }

    /// <summary>Gets a value indicating whether this is the result of a rollback (<see cref="PluginHost.RollbackAsync"/>, or automatic).</summary>
    public bool RolledBack => RollbackReason is not null;

    /// <summary>Gets why the host rolled back, for a rollback's result; <see langword="null"/> otherwise.</summary>
    public string? RollbackReason { get; init; }

    /// <summary>Gets the outcome of one plugin.</summary>
    /// <param name="pluginName">The plugin's name (case-insensitive).</param>
    /// <returns>The plugin's outcome, or <see langword="null"/> when the reload did not concern it.</returns>
    public PluginOutcome? Find(string pluginName)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        foreach (PluginOutcome outcome in Plugins)
        {
            if (string.Equals(outcome.PluginName, pluginName, StringComparison.OrdinalIgnoreCase))
            {
                return outcome;
            }
        }

        return null;
    }

    /// <summary>Throws <see cref="Error"/> when the reload failed.</summary>
    /// <returns>This result, when it succeeded.</returns>
    /// <exception cref="PluginLoadException">The reload failed.</exception>
    public ReloadResult EnsureSuccess()
    {
        if (Error is not null)
        {
            ExceptionDispatchInfo.Throw(Error);
        }

        return this;
    }

    /// <summary>Returns a one-line summary of the reload.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        string plugins = Plugins.Count == 0 ? "no plugins" : string.Join(", ", Plugins);
        if (!Succeeded)
        {
            return $"reload failed, generation {Generation} still serving: {Error!.Message}"; // Error is non-null when !Succeeded.
        }

        if (RolledBack)
        {
            return $"rolled back to generation {Generation} ({RollbackReason}): {plugins}";
        }

        return Published
            ? $"generation {Generation}: {plugins}"
            : $"nothing to reload, generation {Generation} still serving: {plugins}";
    }
}
