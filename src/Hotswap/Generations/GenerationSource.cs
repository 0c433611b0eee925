using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// The current generation of one host, and how callers lease it: what the host's calls, the
/// generated proxies and their events depend on, so none of them reaches into the host itself.
/// </summary>
/// <remarks>
/// Callers never take a lock: a lease is one read of the current generation and one attempt on its
/// <see cref="LeaseCounter"/>; an attempt that meets a retired generation reads again and finds its
/// successor. The reload side publishes with one atomic write (<see cref="Publish"/>).
/// </remarks>
internal sealed class GenerationSource
{
    private readonly HashSet<IProxyEvent> _events = [];

    // The proxies, weakly: a proxy the host's user dropped is collected and forgotten at the next switch.
    private readonly List<WeakReference<IProxyTarget>> _proxies = [];
    private readonly Lock _proxyGate = new();
    private int _pruneAt = 16;
    private readonly ILogger _logger;
    private PluginGeneration? _current;
    private int _closed;

    public GenerationSource(ILogger logger) => _logger = logger;

    /// <summary>Gets the ids of plugin names, shared by every generation of the host.</summary>
    public PluginIds Ids { get; } = new();

    /// <summary>Gets the generation serving now, or <see langword="null"/> before the first load and after the host closed.</summary>
    public PluginGeneration? Current => Volatile.Read(ref _current);

    /// <summary>Gets a value indicating whether the host closed (disposed).</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Leases the current generation for a call that releases on this thread, with <see cref="LeaseCounter.Release(LeaseCell?)"/>.</summary>
    /// <param name="cell">The cell counted in, to pass to the release.</param>
    /// <returns>The generation leased.</returns>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public PluginGeneration AcquireLocal(out LeaseCell? cell)
    {
        PluginGeneration? generation = Volatile.Read(ref _current);
        if (generation is not null && generation.Leases.TryAcquireLocal(out cell))
        {
            return generation;
        }

        return AcquireLocalSlow(out cell);
    }

    /// <summary>Leases the current generation with a lease any thread may release, or returns <see langword="null"/> when nothing serves.</summary>
    /// <returns>The generation leased, or <see langword="null"/>.</returns>
    public PluginGeneration? TryAcquireShared()
    {
        while (Volatile.Read(ref _current) is { } generation)
        {
            if (generation.Leases.TryAcquireShared())
            {
                return generation;
            }
        }

        return null;
    }

    /// <summary>Leases the current generation with a lease any thread may release, with <see cref="LeaseCounter.ReleaseShared"/>.</summary>
    /// <returns>The generation leased.</returns>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    public PluginGeneration AcquireShared() => TryAcquireShared() ?? throw NothingServing();

    /// <summary>Switches callers to <paramref name="generation"/> in one atomic write, then moves the proxies' event subscriptions to it.</summary>
    /// <param name="generation">The new generation.</param>
    public void Publish(PluginGeneration generation)
    {
        Volatile.Write(ref _current, generation);
        RetargetProxies();

        // Subscriptions move while the previous generation can still be leased: its retirement
        // starts after this returns.
        FollowEvents();
    }

    /// <summary>Stops serving: later calls fail with <see cref="ObjectDisposedException"/>.</summary>
    /// <returns>The generation that was serving, for the caller to retire.</returns>
    public PluginGeneration? Close()
    {
        Volatile.Write(ref _closed, 1);
        PluginGeneration? serving = Interlocked.Exchange(ref _current, null);
        RetargetProxies();
        return serving;
    }

    /// <summary>
    /// Adds a proxy that follows every switch (<see cref="IProxyTarget.Retarget"/>), and points it
    /// at the generation serving now. Under the same lock as the switches' retargeting, so a proxy
    /// created during a switch ends on the generation that switch published.
    /// </summary>
    /// <param name="proxy">The proxy.</param>
    public void Track(IProxyTarget proxy)
    {
        lock (_proxyGate)
        {
            if (_proxies.Count >= _pruneAt)
            {
                _proxies.RemoveAll(static p => !p.TryGetTarget(out _));
                _pruneAt = Math.Max(16, _proxies.Count * 2);
            }

            _proxies.Add(new WeakReference<IProxyTarget>(proxy));
            proxy.Retarget(Volatile.Read(ref _current));
        }
    }

    /// <summary>Adds or removes an event tracker that follows each switch.</summary>
    /// <param name="tracker">The tracker.</param>
    /// <param name="track">Whether to add or remove it.</param>
    public void TrackEvent(IProxyEvent tracker, bool track)
    {
        lock (_events)
        {
            _ = track ? _events.Add(tracker) : _events.Remove(tracker);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private PluginGeneration AcquireLocalSlow(out LeaseCell? cell)
    {
        while (true)
        {
            // The generation retired between the read and the lease: the next read sees its successor.
            PluginGeneration generation = Volatile.Read(ref _current) ?? throw NothingServing();
            if (generation.Leases.TryAcquireLocal(out cell))
            {
                return generation;
            }
        }
    }

    /// <summary>Points every live proxy at the generation serving now (read under the lock, so the last switch wins).</summary>
    private void RetargetProxies()
    {
        lock (_proxyGate)
        {
            PluginGeneration? serving = Volatile.Read(ref _current);
            _proxies.RemoveAll(proxy =>
            {
                if (!proxy.TryGetTarget(out IProxyTarget? target))
                {
                    return true;
                }

                target.Retarget(serving);
                return false;
            });
        }
    }

    private void FollowEvents()
    {
        IProxyEvent[] trackers;
        lock (_events)
        {
            if (_events.Count == 0)
            {
                return;
            }

            trackers = [.. _events];
        }

        foreach (IProxyEvent tracker in trackers)
        {
            try
            {
                tracker.Follow();
            }
#pragma warning disable CA1031 // Isolation boundary: a plugin's event accessor that throws must not stop the other subscriptions or the reload.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.EventFollowFailed(_logger, ex);
            }
        }
    }

    private Exception NothingServing() => IsClosed
        ? new ObjectDisposedException(typeof(PluginHost).FullName)
        : new InvalidOperationException(SR.NothingLoaded);
}
