namespace Hotswap;

/// <summary>
/// Data of <see cref="PluginHost.UnloadStuck"/>: a retired version was not drained, or its load
/// context not collected, within <see cref="PluginHostOptions.UnloadTimeout"/>.
/// </summary>
public sealed class UnloadStuckEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="UnloadStuckEventArgs"/> class.</summary>
    /// <param name="version">The version that is stuck.</param>
    /// <param name="elapsed">How long it has been waiting.</param>
    /// <param name="cause">What is known of the cause, as sentences.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cause"/> is <see langword="null"/>.</exception>
    public UnloadStuckEventArgs(PluginVersionInfo version, TimeSpan elapsed, string cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        Version = version;
        Elapsed = elapsed;
        Cause = cause;
    }

    /// <summary>Gets the version that is stuck.</summary>
    public PluginVersionInfo Version { get; }

    /// <summary>Gets how long it has been waiting.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets what is known of the cause.</summary>
    public string Cause { get; }

    /// <summary>Gets a value indicating whether the version was still draining calls (<see langword="true"/>) or already unloaded but not collected.</summary>
    public bool StillDraining { get; init; }
}
