using System.ComponentModel;
using System.Runtime.CompilerServices;

namespace Hotswap;

/// <summary>
/// The base class of the proxies generated for <see cref="PluginContractAttribute"/> interfaces.
/// Each member of a proxy leases the current generation, calls the plugin's export, and releases
/// the lease when the call is over: when it returns, when its task completes, or when its
/// enumeration is disposed.
/// </summary>
/// <typeparam name="TContract">The contract interface.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class PluginProxy<TContract> : IProxyTarget
    where TContract : class
{
    private readonly GenerationSource _source;
    private readonly string _pluginName;

    // The plugin's id, -1 until a generation holds the plugin (ids are only given to loaded names).
    private int _pluginId;

    // What a call serves while nothing changes: the serving generation and the plugin's export in it,
    // checked once to be a TContract. Written only by the generation source, when it switches
    // generations (Retarget), so it never names anything but the generation serving now, and pins
    // nothing of a generation that no longer serves. Null when the serving generation cannot be
    // called this way: the call takes the checked path, which says why.
    private Target? _target;

    /// <summary>Initializes the proxy.</summary>
    /// <param name="binding">The plugin to call, from <see cref="PluginHost.GetProxy{T}(string)"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="binding"/> is <see langword="null"/>.</exception>
    protected PluginProxy(ProxyBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        _source = binding.Source;
        _pluginName = binding.PluginName;
        _pluginId = _source.Ids.Find(_pluginName);
        _source.Track(this);
    }

    /// <summary>Leases the current generation and returns the plugin's export; dispose <paramref name="lease"/> when the call is over.</summary>
    /// <param name="lease">The lease taken.</param>
    /// <returns>The export of the plugin's current version.</returns>
    /// <exception cref="KeyNotFoundException">The current generation has no plugin of that name.</exception>
    /// <exception cref="InvalidCastException">The plugin exports nothing, or nothing of type <typeparamref name="TContract"/>.</exception>
    /// <exception cref="InvalidOperationException">No generation is loaded yet.</exception>
    /// <exception cref="ObjectDisposedException">The host was disposed.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected internal TContract Enter(out ProxyLease lease)
    {
        // One read of a word only a switch writes, then the lease on that generation: a plain
        // increment of this thread's cell and one read of the generation's state. A switch (or a
        // probation's call counting) sends the call down the checked path.
        Target? target = Volatile.Read(ref _target);
        if (target is not null && target.Generation == _source.Current && target.Generation.Monitor is null && target.Generation.Leases.TryAcquireLocal(out LeaseCell? cell))
        {
            lease = new ProxyLease(target.Generation, cell, target.PluginId);
            return target.Export;
        }

        return EnterSlow(out lease);
    }

    /// <summary>
    /// The fast path of a synchronous call: leases the generation serving now in this thread's own
    /// cell and returns the plugin's export, when nothing has changed since this thread's last call
    /// (the same generation, not on probation with automatic rollback). Otherwise returns
    /// <see langword="false"/> holding nothing, and the call takes <see cref="Enter"/>.
    /// </summary>
    /// <param name="target">The export of the plugin's current version.</param>
    /// <param name="lease">The lease taken; dispose it when the call is over (returned or thrown).</param>
    /// <returns><see langword="true"/> when the lease was taken.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    protected internal bool TryEnter([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TContract? target, out ProxyLocalLease lease)
    {
        // The target must be the generation serving now: while a switch retargets the proxies one by one,
        // a proxy not yet retargeted must not serve the previous generation to a thread that has already
        // seen the new one (a switch is one atomic write for every caller, proxies included).
        Target? t = Volatile.Read(ref _target);
        if (t is not null && t.Generation == _source.Current && t.Generation.Monitor is null && t.Leases.TryAcquireOwn(out LeaseCell? cell))
        {
            lease = new ProxyLocalLease(cell);
            target = t.Export;
            return true;
        }

        lease = default;
        target = null;
        return false;
    }

    /// <summary>Points the proxy at the generation serving now; called by the generation source on every switch, one at a time.</summary>
    /// <param name="generation">The generation serving, or <see langword="null"/> when none does.</param>
    void IProxyTarget.Retarget(PluginGeneration? generation)
    {
        Target? target = null;
        if (generation is not null)
        {
            int id = _pluginId >= 0 ? _pluginId : _source.Ids.Find(_pluginName);
            if ((uint)id < (uint)generation.Exports.Length && generation.Exports[id] is TContract export)
            {
                target = new Target(generation, export, id);
            }
        }

        Volatile.Write(ref _target, target);
    }

    /// <summary>Returns a task that completes as <paramref name="task"/> does, holding <paramref name="lease"/> until then.</summary>
    /// <param name="task">The plugin's task.</param>
    /// <param name="lease">The call's lease.</param>
    /// <returns><paramref name="task"/> itself when it is a plain completed task; otherwise a host-side task, so that a task the caller keeps never pins the plugin version that made it.</returns>
    protected static Task Track(Task task, ProxyLease lease)
    {
        if (task is null || task.IsCompleted)
        {
            CountFault(task, lease);
            lease.Dispose();
            return task is null || task.GetType() == typeof(Task) ? task! : TaskResults.Detach(task);
        }

        return TaskResults.ReleaseAfterAsync(task, lease.MakeShared()!, lease.PluginId);
    }

    /// <summary>Returns a task that completes as <paramref name="task"/> does, holding <paramref name="lease"/> until then.</summary>
    /// <typeparam name="T">The task's result type.</typeparam>
    /// <param name="task">The plugin's task.</param>
    /// <param name="lease">The call's lease.</param>
    /// <returns><paramref name="task"/> itself when it is a plain completed task; otherwise a host-side task, so that a task the caller keeps never pins the plugin version that made it.</returns>
    protected static Task<T> Track<T>(Task<T> task, ProxyLease lease)
    {
        if (task is null || task.IsCompleted)
        {
            CountFault(task, lease);
            lease.Dispose();
            return task is null || task.GetType() == typeof(Task<T>) ? task! : TaskResults.Detach(task);
        }

        return TaskResults.ReleaseAfterAsync(task, lease.MakeShared()!, lease.PluginId);
    }

    /// <summary>Returns a task that completes as <paramref name="task"/> does, holding <paramref name="lease"/> until then.</summary>
    /// <param name="task">The plugin's task.</param>
    /// <param name="lease">The call's lease.</param>
    /// <returns>A task equivalent to <paramref name="task"/> that holds nothing of the plugin.</returns>
    protected static ValueTask Track(ValueTask task, ProxyLease lease)
    {
        if (task.IsCompletedSuccessfully)
        {
            task.GetAwaiter().GetResult(); // lets a pooled source be reused
            lease.Dispose();
            return default;
        }

        return new ValueTask(Track(task.AsTask(), lease));
    }

    /// <summary>Returns a task that completes as <paramref name="task"/> does, holding <paramref name="lease"/> until then.</summary>
    /// <typeparam name="T">The task's result type.</typeparam>
    /// <param name="task">The plugin's task.</param>
    /// <param name="lease">The call's lease.</param>
    /// <returns>A task equivalent to <paramref name="task"/> that holds nothing of the plugin.</returns>
    protected static ValueTask<T> Track<T>(ValueTask<T> task, ProxyLease lease)
    {
        if (task.IsCompletedSuccessfully)
        {
            T result = task.Result;
            lease.Dispose();
            return new ValueTask<T>(result);
        }

        return new ValueTask<T>(Track(task.AsTask(), lease));
    }

    /// <summary>
    /// Returns a sequence that, each time it is enumerated, leases the current generation, calls
    /// <paramref name="start"/> on the plugin's export, and holds the lease until the enumerator is disposed.
    /// </summary>
    /// <typeparam name="TState">The call's arguments.</typeparam>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="state">The call's arguments.</param>
    /// <param name="start">Calls the plugin's member.</param>
    /// <returns>The sequence.</returns>
    protected IAsyncEnumerable<T> Enumerate<TState, T>(TState state, Func<TContract, TState, IAsyncEnumerable<T>> start)
        => new LeasedAsyncEnumerable<TContract, TState, T>(this, state, start);

    /// <summary>
    /// Returns a sequence that, each time it is enumerated, leases the current generation, calls
    /// <paramref name="start"/> on the plugin's export, and holds the lease until the enumerator is disposed.
    /// </summary>
    /// <remarks>
    /// A lazy sequence (an iterator, a LINQ query) runs plugin code on every step, so the plugin is
    /// called when the sequence is enumerated, once per enumeration, not when the member returns.
    /// </remarks>
    /// <typeparam name="TState">The call's arguments.</typeparam>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="state">The call's arguments.</param>
    /// <param name="start">Calls the plugin's member.</param>
    /// <returns>The sequence.</returns>
    protected IEnumerable<T> Enumerate<TState, T>(TState state, Func<TContract, TState, IEnumerable<T>> start)
        => new LeasedEnumerable<TContract, TState, T>(this, state, start);

    /// <summary>Creates the tracker of one event of the contract: handlers follow every reload to the current version.</summary>
    /// <typeparam name="THandler">The event's delegate type.</typeparam>
    /// <param name="add">Subscribes a handler on an export.</param>
    /// <param name="remove">Unsubscribes a handler from an export.</param>
    /// <returns>The tracker.</returns>
    protected ProxyEvent<TContract, THandler> CreateEvent<THandler>(Action<TContract, THandler> add, Action<TContract, THandler> remove)
        where THandler : Delegate
        => new(_source, _pluginName, add, remove);

    private static void CountFault(Task? task, ProxyLease lease)
    {
        if (task is { IsFaulted: true, Exception: { } error })
        {
            lease.CountFailure(error.InnerException ?? error);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TContract EnterSlow(out ProxyLease lease)
    {
        PluginGeneration generation = _source.AcquireLocal(out LeaseCell? cell);
        return EnterChecked(generation, cell, out lease);
    }

    private TContract EnterChecked(PluginGeneration generation, LeaseCell? cell, out ProxyLease lease)
    {
        TContract target;
        int id = _pluginId;
        try
        {
            if (id < 0)
            {
                id = _source.Ids.Find(_pluginName);
                _pluginId = id;
            }

            target = generation.GetExport<TContract>(id, _pluginName);
        }
        catch
        {
            generation.Leases.Release(cell);
            throw;
        }

        lease = new ProxyLease(generation, cell, id);

        // On probation with automatic rollback every call comes here and is counted, until the monitor is removed.
        generation.Monitor?.Call(id);
        return target;
    }

    /// <summary>The generation a proxy serves and the plugin's export in it; immutable.</summary>
    private sealed class Target(PluginGeneration generation, TContract export, int pluginId)
    {
        public readonly PluginGeneration Generation = generation;
        public readonly LeaseCounter Leases = generation.Leases;
        public readonly TContract Export = export;
        public readonly int PluginId = pluginId;
    }
}
