using System.ComponentModel;

namespace Hotswap;

/// <summary>
/// A lease taken by a generated proxy for one call. Released on the thread that took it, or handed
/// to the completion of the call's task.
/// </summary>
/// <remarks>A value type so a call allocates nothing; generated code disposes each one exactly once.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ProxyLease : IDisposable
{
    private readonly PluginGeneration? _generation;
    private readonly LeaseCell? _cell;
    private readonly int _pluginId;

    internal ProxyLease(PluginGeneration generation, LeaseCell? cell, int pluginId)
    {
        _generation = generation;
        _cell = cell;
        _pluginId = pluginId;
    }

    /// <summary>Gets the id of the plugin called.</summary>
    internal int PluginId => _pluginId;

    /// <summary>Releases the lease.</summary>
    public void Dispose() => _generation?.Leases.Release(_cell);

    /// <summary>Releases the lease of a call that returned, or, when <paramref name="returned"/> is <see langword="false"/>, of one that threw: counted as failed when its generation is on probation with automatic rollback (see <see cref="PluginHostOptions.AutoRollback"/>).</summary>
    /// <param name="returned">Whether the call returned.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void Dispose(bool returned)
    {
        if (!returned)
        {
            CountThrown();
        }

        _generation?.Leases.Release(_cell);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void CountThrown() => _generation?.Monitor?.Fail(_pluginId);

    /// <summary>
    /// Counts the call as failed when its generation is on probation with automatic rollback (see
    /// <see cref="PluginHostOptions.AutoRollback"/>); a cancellation is not a failure. Called by a
    /// proxy whose call threw before returning its task.
    /// </summary>
    /// <param name="exception">What the plugin threw.</param>
    public void CountFailure(Exception exception) => _generation?.CountFailure(_pluginId, exception);

    /// <summary>Turns the lease into one any thread may release; returns the generation to release it on.</summary>
    internal PluginGeneration? MakeShared()
    {
        _generation?.Leases.MakeShared(_cell);
        return _generation;
    }
}
