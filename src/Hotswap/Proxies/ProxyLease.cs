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

    internal ProxyLease(PluginGeneration generation, LeaseCell? cell)
    {
        _generation = generation;
        _cell = cell;
    }

    /// <summary>Releases the lease.</summary>
    public void Dispose() => _generation?.Leases.Release(_cell);

    /// <summary>Turns the lease into one any thread may release; returns the generation to release it on.</summary>
    internal PluginGeneration? MakeShared()
    {
        _generation?.Leases.MakeShared(_cell);
        return _generation;
    }
}
