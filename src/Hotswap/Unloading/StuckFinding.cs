namespace Hotswap;

/// <summary>
/// A retired version found stuck: what the watchdog (or a hung <c>OnFreeAsync</c>) found, and, once
/// the host has reported it, the cause it was reported with. The watchdog keeps it while the
/// version's context is alive.
/// </summary>
/// <param name="version">The version.</param>
/// <param name="elapsed">How long it had waited when it was found stuck.</param>
/// <param name="cause">What the host knows by itself.</param>
/// <param name="context">A weak reference to its load context; <see langword="null"/> for a static plugin, which has none.</param>
/// <param name="collections">The collections forced for it.</param>
internal sealed class StuckFinding(PluginVersionInfo version, TimeSpan elapsed, string cause, WeakReference? context, int collections)
{
    private string? _reported;

    public PluginVersionInfo Version { get; } = version;

    public TimeSpan Elapsed { get; } = elapsed;

    public string Cause { get; } = cause;

    public WeakReference? Context { get; } = context;

    public int Collections { get; } = collections;

    /// <summary>Gets a value indicating whether its context was collected after all.</summary>
    public bool Collected => Context is { IsAlive: false };

    /// <summary>Gets the cause the version was reported stuck with, or <see langword="null"/> while it has not been (it is being diagnosed).</summary>
    public string? Reported
    {
        get => Volatile.Read(ref _reported);
        set => Volatile.Write(ref _reported, value);
    }
}

/// <summary>A retired version reported stuck, with the cause it was reported with.</summary>
/// <param name="Version">The version.</param>
/// <param name="Cause">The cause, as in <see cref="UnloadStuckEventArgs.Cause"/>.</param>
internal readonly record struct StuckReport(PluginVersionInfo Version, string Cause);
