using System.Collections;

namespace Hotswap;

/// <summary>
/// A sequence from a plugin that holds a lease from the start of each enumeration until its disposal:
/// a lazy <see cref="IEnumerable{T}"/> (an iterator, a LINQ query) runs plugin code in every
/// <see cref="IEnumerator.MoveNext"/>, long after the member that returned it.
/// </summary>
internal sealed class LeasedEnumerable<TContract, TState, T>(
    PluginProxy<TContract> proxy,
    TState state,
    Func<TContract, TState, IEnumerable<T>> start) : IEnumerable<T>
    where TContract : class
{
    public IEnumerator<T> GetEnumerator()
    {
        TContract target = proxy.Enter(out ProxyLease lease);

        // The caller may keep the enumerator across awaits and threads (a foreach in an async
        // method): the lease moves to the generation's shared count, which any thread may release.
        PluginGeneration generation = lease.MakeShared()!; // a lease from Enter always has a generation
        try
        {
            return new Enumerator(start(target, state).GetEnumerator(), generation, lease.PluginId);
        }
        catch (Exception ex)
        {
            generation.CountFailure(lease.PluginId, ex);
            generation.Leases.ReleaseShared();
            throw;
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Forwards to the plugin's enumerator and releases the lease on the first <see cref="Dispose"/>.
    /// A disposed enumerator drops the plugin's, so one the caller keeps pins nothing.
    /// </summary>
    private sealed class Enumerator(IEnumerator<T> inner, PluginGeneration generation, int pluginId) : IEnumerator<T>
    {
        private IEnumerator<T>? _inner = inner;
        private PluginGeneration? _generation = generation;
        // default! here and below: Current before the first MoveNext or after the last is unspecified, as for any enumerator.
        private T _current = default!;

        public T Current => _current;

        object? IEnumerator.Current => _current;

        public bool MoveNext()
        {
            IEnumerator<T> inner = _inner ?? throw new ObjectDisposedException(nameof(IEnumerator<T>));
            bool more;
            try
            {
                more = inner.MoveNext();
            }
            catch (Exception ex)
            {
                // The enumeration is the call: a step that throws counts as its failure on probation.
                Volatile.Read(ref _generation)?.CountFailure(pluginId, ex);

                throw;
            }

            _current = more ? inner.Current : default!;
            return more;
        }

        public void Reset()
        {
            IEnumerator<T> inner = _inner ?? throw new ObjectDisposedException(nameof(IEnumerator<T>));
            inner.Reset();
            _current = default!;
        }

        public void Dispose()
        {
            IEnumerator<T>? inner = Interlocked.Exchange(ref _inner, null);
            if (inner is null)
            {
                return;
            }

            _current = default!;
            try
            {
                inner.Dispose();
            }
            finally
            {
                Interlocked.Exchange(ref _generation, null)?.Leases.ReleaseShared();
            }
        }
    }
}
