using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Hotswap;

/// <summary>An async sequence from a plugin that holds a lease from the start of each enumeration until its disposal.</summary>
internal sealed class LeasedAsyncEnumerable<TContract, TState, T>(
    PluginProxy<TContract> proxy,
    TState state,
    Func<TContract, TState, IAsyncEnumerable<T>> start) : IAsyncEnumerable<T>
    where TContract : class
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        TContract target = proxy.Enter(out ProxyLease lease);

        // The enumeration spans awaits and threads: the lease moves to the generation's shared count.
        PluginGeneration generation = lease.MakeShared()!;
        try
        {
            return new Enumerator(start(target, state).GetAsyncEnumerator(cancellationToken), generation, lease.PluginId);
        }
        catch (Exception ex)
        {
            generation.CountFailure(lease.PluginId, ex);
            generation.Leases.ReleaseShared();
            throw;
        }
    }

    /// <summary>
    /// Forwards to the plugin's enumerator. Its own <see cref="ValueTask{TResult}"/>s come from a
    /// reusable source of the host's, so neither a pending step nor a disposed enumerator that the
    /// caller keeps holds an object of the plugin's.
    /// </summary>
    private sealed class Enumerator : IAsyncEnumerator<T>, IValueTaskSource<bool>
    {
        private readonly Action _onStepCompleted;
        private readonly int _pluginId;
        private IAsyncEnumerator<T>? _inner;
        private PluginGeneration? _generation;
        private ManualResetValueTaskSourceCore<bool> _step;
        private ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter _awaiter;
        private T _current = default!;

        public Enumerator(IAsyncEnumerator<T> inner, PluginGeneration generation, int pluginId)
        {
            _inner = inner;
            _generation = generation;
            _pluginId = pluginId;
            _onStepCompleted = OnStepCompleted;
            _step.RunContinuationsAsynchronously = false;
        }

        public T Current => _current;

        public ValueTask<bool> MoveNextAsync()
        {
            IAsyncEnumerator<T> inner = _inner ?? throw new ObjectDisposedException(nameof(IAsyncEnumerator<T>));
            ValueTask<bool> next;
            try
            {
                next = inner.MoveNextAsync();
            }
            catch (Exception ex)
            {
                CountFailure(ex);
                throw;
            }

            if (next.IsCompletedSuccessfully)
            {
                bool more = next.Result;
                _current = more ? inner.Current : default!;
                return new ValueTask<bool>(more);
            }

            _step.Reset();
            _awaiter = next.ConfigureAwait(false).GetAwaiter();
            _awaiter.UnsafeOnCompleted(_onStepCompleted);
            return new ValueTask<bool>(this, _step.Version);
        }

        public ValueTask DisposeAsync()
        {
            IAsyncEnumerator<T>? inner = Interlocked.Exchange(ref _inner, null);
            if (inner is null)
            {
                return ValueTask.CompletedTask;
            }

            _current = default!;
            _awaiter = default;
            ValueTask disposing;
            try
            {
                disposing = inner.DisposeAsync();
            }
            catch
            {
                Release();
                throw;
            }

            if (disposing.IsCompletedSuccessfully)
            {
                disposing.GetAwaiter().GetResult();
                Release();
                return ValueTask.CompletedTask;
            }

            return ReleaseAfterAsync(disposing.AsTask());
        }

        bool IValueTaskSource<bool>.GetResult(short token) => _step.GetResult(token);

        ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _step.GetStatus(token);

        void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _step.OnCompleted(continuation, state, token, flags);

        private void OnStepCompleted()
        {
            ConfiguredValueTaskAwaitable<bool>.ConfiguredValueTaskAwaiter awaiter = _awaiter;
            _awaiter = default;
            try
            {
                bool more = awaiter.GetResult();
                _current = more && _inner is { } inner ? inner.Current : default!;
                _step.SetResult(more);
            }
#pragma warning disable CA1031 // Forwarded: the plugin's exception is the caller's, through the step's task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                CountFailure(ex);
                _step.SetException(ex);
            }
        }

        private async ValueTask ReleaseAfterAsync(Task disposing)
        {
            try
            {
                await disposing.ConfigureAwait(false);
            }
            finally
            {
                Release();
            }
        }

        private void Release() => Interlocked.Exchange(ref _generation, null)?.Leases.ReleaseShared();

        /// <summary>The enumeration is the call: a step that throws counts as its failure on probation.</summary>
        private void CountFailure(Exception exception) => Volatile.Read(ref _generation)?.CountFailure(_pluginId, exception);
    }
}
