using System.ComponentModel;

namespace Hotswap;

/// <summary>
/// The handlers subscribed to one event through a generated proxy. They are subscribed on the
/// current version's export; on every switch they move to the new export and are removed from the
/// old one, so a retired version never holds them and they never pin it.
/// </summary>
/// <typeparam name="TContract">The contract interface.</typeparam>
/// <typeparam name="THandler">The event's delegate type.</typeparam>
/// <remarks>
/// Between the switch and the move, an event raised by the new version is not yet delivered; one
/// raised by the old version still is. A plugin absent from the generation keeps the handlers
/// waiting until it is loaded again.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyEvent<TContract, THandler> : IProxyEvent
    where TContract : class
    where THandler : Delegate
{
    private readonly GenerationSource _source;
    private readonly string _pluginName;
    private readonly Action<TContract, THandler> _add;
    private readonly Action<TContract, THandler> _remove;
    private readonly List<THandler> _handlers = [];
    private readonly Lock _gate = new();
    private PluginGeneration? _attached;

    internal ProxyEvent(GenerationSource source, string pluginName, Action<TContract, THandler> add, Action<TContract, THandler> remove)
    {
        _source = source;
        _pluginName = pluginName;
        _add = add;
        _remove = remove;
    }

    /// <summary>Subscribes <paramref name="handler"/> on the current version and on every later one.</summary>
    /// <param name="handler">The handler; <see langword="null"/> is ignored.</param>
    public void Add(THandler? handler)
    {
        if (handler is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_handlers.Count == 0)
            {
                // Registered before leasing: a switch after this point moves these handlers too.
                _source.TrackEvent(this, track: true);
            }

            if (!TryLeaseCurrent(out PluginGeneration? generation, out TContract? target))
            {
                _handlers.Add(handler); // waits for the plugin to be loaded
                return;
            }

            try
            {
                if (generation != _attached)
                {
                    MoveTo(generation, target);
                }

                _add(target, handler);
                _handlers.Add(handler);
            }
            finally
            {
                generation.Leases.ReleaseShared();
            }
        }
    }

    /// <summary>Unsubscribes <paramref name="handler"/>.</summary>
    /// <param name="handler">The handler; <see langword="null"/> is ignored.</param>
    public void Remove(THandler? handler)
    {
        if (handler is null)
        {
            return;
        }

        lock (_gate)
        {
            int index = _handlers.LastIndexOf(handler);
            if (index < 0)
            {
                return;
            }

            _handlers.RemoveAt(index);
            if (_attached is { } attached && attached.Leases.TryAcquireShared())
            {
                try
                {
                    if (Target(attached) is { } target)
                    {
                        _remove(target, handler);
                    }
                }
                finally
                {
                    attached.Leases.ReleaseShared();
                }
            }

            if (_handlers.Count == 0)
            {
                _attached = null;
                _source.TrackEvent(this, track: false);
            }
        }
    }

    /// <inheritdoc/>
    void IProxyEvent.Follow()
    {
        lock (_gate)
        {
            if (_handlers.Count > 0 && TryLeaseCurrent(out PluginGeneration? generation, out TContract? target))
            {
                try
                {
                    if (generation != _attached)
                    {
                        MoveTo(generation, target);
                    }
                }
                finally
                {
                    generation.Leases.ReleaseShared();
                }
            }
        }
    }

    /// <summary>Subscribes every handler on <paramref name="target"/>, then unsubscribes them from the export they were on.</summary>
    private void MoveTo(PluginGeneration generation, TContract target)
    {
        PluginGeneration? previous = _attached;
        _attached = generation;
        TContract? old = null;
        bool leasedOld = previous is not null && previous.Leases.TryAcquireShared();
        try
        {
            old = leasedOld ? Target(previous!) : null;
            if (ReferenceEquals(old, target))
            {
                return; // carried over unchanged: the handlers are already there
            }

            foreach (THandler handler in _handlers)
            {
                _add(target, handler);
            }

            if (old is not null)
            {
                foreach (THandler handler in _handlers)
                {
                    _remove(old, handler);
                }
            }
        }
        finally
        {
            if (leasedOld)
            {
                previous!.Leases.ReleaseShared();
            }
        }
    }

    private bool TryLeaseCurrent([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PluginGeneration? generation, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TContract? target)
    {
        generation = _source.TryAcquireShared();
        target = generation is null ? null : Target(generation);
        if (target is null && generation is not null)
        {
            generation.Leases.ReleaseShared();
            generation = null;
        }

        return target is not null;
    }

    private TContract? Target(PluginGeneration generation)
    {
        object?[] exports = generation.Exports;
        int id = _source.Ids.Find(_pluginName); // ids are assigned to names as generations hold them: looked up each time
        return (uint)id < (uint)exports.Length ? exports[id] as TContract : null;
    }
}

/// <summary>An event tracker the host moves to the new generation after each switch.</summary>
internal interface IProxyEvent
{
    /// <summary>Moves the handlers to the current generation's export.</summary>
    void Follow();
}
