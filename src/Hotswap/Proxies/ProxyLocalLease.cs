using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// The lease of a synchronous proxy call taken on its fast path (<see cref="PluginProxy{TContract}.TryEnter"/>):
/// one count in the calling thread's own cell, released on the same thread.
/// </summary>
/// <remarks>A value type so a call allocates nothing; generated code disposes each one exactly once, on the thread that took it.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct ProxyLocalLease : IDisposable
{
    private readonly LeaseCell _cell;

    internal ProxyLocalLease(LeaseCell cell) => _cell = cell;

    /// <summary>Releases the lease.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Dispose() => LeaseCounter.ReleaseOwn(_cell);
}
