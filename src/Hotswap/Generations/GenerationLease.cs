namespace Hotswap;

/// <summary>
/// Proof that a caller is using a generation: while any lease on it is held, none of its plugin
/// versions is freed or unloaded. Dispose it when done; disposing twice is harmless.
/// </summary>
public sealed class GenerationLease : IDisposable
{
    private PluginGeneration? _generation;

    internal GenerationLease(PluginGeneration generation) => _generation = generation;

    /// <summary>Gets the leased generation.</summary>
    /// <exception cref="ObjectDisposedException">The lease was disposed.</exception>
    public Generation Generation
    {
        get
        {
            PluginGeneration? generation = Volatile.Read(ref _generation);
            ObjectDisposedException.ThrowIf(generation is null, this);
            return generation;
        }
    }

    /// <summary>Releases the lease.</summary>
    public void Dispose() => Interlocked.Exchange(ref _generation, null)?.Leases.ReleaseShared();
}
