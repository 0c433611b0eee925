namespace Hotswap;

/// <summary>What a reload did to one plugin.</summary>
public sealed class PluginOutcome
{
    /// <summary>Initializes a new instance of the <see cref="PluginOutcome"/> class.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="outcome">What happened to it.</param>
    /// <param name="version">The version serving after the reload, or <see langword="null"/> when none does.</param>
    /// <param name="previousVersion">The version serving before the reload, or <see langword="null"/> when none did.</param>
    /// <exception cref="ArgumentException"><paramref name="pluginName"/> is null or empty.</exception>
    public PluginOutcome(string pluginName, ReloadOutcome outcome, string? version, string? previousVersion)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginName);
        PluginName = pluginName;
        Outcome = outcome;
        Version = version;
        PreviousVersion = previousVersion;
    }

    /// <summary>Gets the plugin's name.</summary>
    public string PluginName { get; }

    /// <summary>Gets what happened to the plugin.</summary>
    public ReloadOutcome Outcome { get; }

    /// <summary>Gets the version serving after the reload, or <see langword="null"/> when none does.</summary>
    public string? Version { get; }

    /// <summary>Gets the version serving before the reload, or <see langword="null"/> when none did.</summary>
    public string? PreviousVersion { get; }

    /// <summary>Returns <c>name: Outcome (version)</c>.</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() => Version is null ? $"{PluginName}: {Outcome}" : $"{PluginName}: {Outcome} ({Version})";
}
