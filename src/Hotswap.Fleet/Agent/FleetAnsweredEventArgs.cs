namespace Hotswap;

/// <summary>What a <see cref="FleetAgent"/> answered for one version: ACK (it serves) or NACK (it refused, and why).</summary>
public sealed class FleetAnsweredEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="FleetAnsweredEventArgs"/> class.</summary>
    /// <param name="pluginName">The plugin.</param>
    /// <param name="rolloutId">The rollout the answer belongs to (<c>stable</c> when no rollout set the version).</param>
    /// <param name="version">The version answered for.</param>
    /// <param name="acknowledged">Whether the host serves it.</param>
    /// <param name="phase">A NACK's phase.</param>
    /// <param name="filePath">A NACK's file or URL, when known.</param>
    /// <param name="reason">A NACK's reason.</param>
    public FleetAnsweredEventArgs(string pluginName, string rolloutId, string version, bool acknowledged, string? phase, string? filePath, string? reason)
    {
        PluginName = pluginName;
        RolloutId = rolloutId;
        Version = version;
        Acknowledged = acknowledged;
        Phase = phase;
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>Gets the plugin.</summary>
    public string PluginName { get; }

    /// <summary>Gets the rollout the answer belongs to (<c>stable</c> when no rollout set the version).</summary>
    public string RolloutId { get; }

    /// <summary>Gets the version answered for.</summary>
    public string Version { get; }

    /// <summary>Gets a value indicating whether the host serves the version (ACK); <see langword="false"/> for a NACK.</summary>
    public bool Acknowledged { get; }

    /// <summary>Gets a NACK's phase (a <see cref="ReloadPhase"/> name).</summary>
    public string? Phase { get; }

    /// <summary>Gets a NACK's file or URL, when known.</summary>
    public string? FilePath { get; }

    /// <summary>Gets a NACK's reason.</summary>
    public string? Reason { get; }

    /// <inheritdoc/>
    public override string ToString() => Acknowledged
        ? $"ACK {PluginName}@{Version} ({RolloutId})"
        : $"NACK {PluginName}@{Version} ({RolloutId}) in phase {Phase}: {Reason}{(FilePath is null ? "" : $" (file: {FilePath})")}";
}
