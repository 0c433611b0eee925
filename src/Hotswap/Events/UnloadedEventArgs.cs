namespace Hotswap;

/// <summary>Data of <see cref="PluginHost.Unloaded"/>: a version's load context was proven collected.</summary>
public sealed class UnloadedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="UnloadedEventArgs"/> class.</summary>
    /// <param name="version">The version that was unloaded.</param>
    /// <param name="elapsed">The time from <c>Unload()</c> to the proof of collection.</param>
    /// <param name="collections">The number of forced garbage collections it took.</param>
    public UnloadedEventArgs(PluginVersionInfo version, TimeSpan elapsed, int collections)
    {
        Version = version;
        Elapsed = elapsed;
        Collections = collections;
    }

    /// <summary>Gets the version that was unloaded.</summary>
    public PluginVersionInfo Version { get; }

    /// <summary>Gets the time from <c>Unload()</c> to the proof of collection.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Gets the number of forced garbage collections it took.</summary>
    public int Collections { get; }
}
