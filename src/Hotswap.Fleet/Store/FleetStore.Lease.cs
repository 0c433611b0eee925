using Etcdserverpb;
using Grpc.Core;

namespace Hotswap;

/// <summary>
/// The store's session lease: granted on the first leased call, kept alive by a loop of the store's own (the
/// client's keep-alive dies with its member or in an election), granted again when it is gone, with every
/// leased key put again.
/// </summary>
internal sealed partial class FleetStore
{
    // Guards _leasedKeys and _keepAlive. _leaseGate serializes grants (and the re-puts after one).
    private readonly Dictionary<string, LeasedKey> _leasedKeys = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _leaseGate = new(1, 1);
    private Task? _keepAlive;
    private long _leaseId;

    /// <summary>The latest value of a leased key, and whether it was created (an election or lock key) or put.</summary>
    private readonly record struct LeasedKey(string Value, bool Created);

    /// <summary>
    /// Writes a key bound to the store's session lease: it disappears when the store is disposed or stops
    /// renewing. The store remembers the latest value and puts it again whenever it grants a new lease.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>The store revision of the write.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public async Task<long> PutLeasedAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        lock (_leasedKeys)
        {
            _leasedKeys[key] = new LeasedKey(value, Created: false);
        }

        while (true)
        {
            long lease = await EnsureLeaseAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await PutWithLeaseAsync(key, value, lease, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // "requested lease not found": it expired before the keep-alive noticed.
                await RenewLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Creates a key bound to the session lease if it does not exist: an election or lock key. When a new lease
    /// is granted later, the key is created again only if nobody else took it meanwhile.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value (the holder's identity).</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>As <see cref="CreateAsync"/>: true when this store holds the key with this value.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public async Task<bool> CreateLeasedAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (true)
        {
            long lease = await EnsureLeaseAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                bool created = await CreateCoreAsync(key, value, lease, cancellationToken).ConfigureAwait(false);
                lock (_leasedKeys)
                {
                    if (created)
                    {
                        _leasedKeys[key] = new LeasedKey(value, Created: true);
                    }
                    else
                    {
                        _leasedKeys.Remove(key);
                    }
                }

                return created;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                await RenewLeaseAsync(lease, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The session lease's id, or 0 before the first leased call (for tests and diagnostics).</summary>
    internal long LeaseId => Volatile.Read(ref _leaseId);

    /// <summary>A key written without the lease, or deleted, is no longer renewed.</summary>
    private void Forget(string key)
    {
        lock (_leasedKeys)
        {
            _leasedKeys.Remove(key);
        }
    }

    private Task<long> PutWithLeaseAsync(string key, string value, long lease, CancellationToken cancellationToken)
    {
        var request = new PutRequest { Key = Bytes(key), Value = Bytes(value), Lease = lease };
        return CallAsync("put-leased", key, async attempt => (await _client.PutAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false)).Header.Revision, cancellationToken);
    }

    private async Task<long> EnsureLeaseAsync(CancellationToken cancellationToken)
    {
        long lease = Volatile.Read(ref _leaseId);
        if (lease != 0)
        {
            return lease;
        }

        await _leaseGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_leaseId != 0)
            {
                return _leaseId;
            }

            lease = await GrantAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _leaseId, lease);
            lock (_leasedKeys)
            {
                if (_keepAlive is null)
                {
                    // The loop belongs to the store, not to the first caller's context.
                    using (ExecutionContext.SuppressFlow())
                    {
                        _keepAlive = Task.Run(() => KeepAliveLoopAsync(_disposing.Token));
                    }
                }
            }

            return lease;
        }
        finally
        {
            _leaseGate.Release();
        }
    }

    private async Task<long> GrantAsync(CancellationToken cancellationToken)
    {
        long ttl = (long)_leaseTtl.TotalSeconds;
        LeaseGrantResponse granted = await CallAsync("lease-grant", "", async attempt => await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = ttl }, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        FleetStoreLog.LeaseGranted(_logger, granted.ID, granted.TTL);
        return granted.ID;
    }

    /// <summary>The lease <paramref name="stale"/> is gone: grant a new one (unless another caller did) and put every leased key again.</summary>
    private async Task RenewLeaseAsync(long stale, CancellationToken cancellationToken)
    {
        await _leaseGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_leaseId != stale)
            {
                return;
            }

            KeyValuePair<string, LeasedKey>[] keys;
            lock (_leasedKeys)
            {
                keys = _leasedKeys.ToArray();
            }

            FleetStoreLog.LeaseLost(_logger, stale, keys.Length);
            long lease = await GrantAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _leaseId, lease);
            foreach ((string key, LeasedKey leased) in keys)
            {
                if (!leased.Created)
                {
                    await PutWithLeaseAsync(key, leased.Value, lease, cancellationToken).ConfigureAwait(false);
                }
                else if (!await CreateCoreAsync(key, leased.Value, lease, cancellationToken).ConfigureAwait(false))
                {
                    FleetStoreLog.LeasedKeyTaken(_logger, key);
                    lock (_leasedKeys)
                    {
                        _leasedKeys.Remove(key);
                    }
                }
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // The new lease went too, mid re-put: the keep-alive finds it gone and renews again.
        }
        finally
        {
            _leaseGate.Release();
        }
    }

    /// <summary>
    /// Sends a keep-alive every third of the TTL on a stream of its own; reopens the stream with backoff when it
    /// breaks, and renews the lease when etcd answers that it is gone (TTL 0). Ends when the store is disposed.
    /// </summary>
    private async Task KeepAliveLoopAsync(CancellationToken token)
    {
        TimeSpan interval = _leaseTtl / 3;
        int failures = 0;
        while (!token.IsCancellationRequested)
        {
            long lease = Volatile.Read(ref _leaseId);
            try
            {
                using AsyncDuplexStreamingCall<LeaseKeepAliveRequest, LeaseKeepAliveResponse> call = _client.GetConnection().LeaseClient.LeaseKeepAlive(s_requireLeader, deadline: null, cancellationToken: token);
                while (true)
                {
                    lease = Volatile.Read(ref _leaseId);
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = lease }, token).ConfigureAwait(false);
                    using (var deadline = new CancellationTokenSource(_callTimeout, _timeProvider))
                    using (var linked = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token))
                    {
                        if (!await call.ResponseStream.MoveNext(linked.Token).ConfigureAwait(false))
                        {
                            throw new RpcException(new Status(StatusCode.Unavailable, "The keep-alive stream ended."));
                        }
                    }

                    failures = 0;
                    MarkReachable();
                    if (call.ResponseStream.Current.TTL <= 0)
                    {
                        await RenewLeaseAsync(lease, token).ConfigureAwait(false);
                        continue;
                    }

                    await Task.Delay(interval, _timeProvider, token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (!token.IsCancellationRequested && IsOutage(e, token))
            {
                MarkUnreachable();
                // Never wait longer than a keep-alive interval: the lease must not lapse while the store is reachable.
                TimeSpan delay = Backoff(failures++);
                delay = delay < interval ? delay : interval;
                FleetStoreLog.KeepAliveBroken(_logger, lease, Describe(e), delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _timeProvider, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception) when (token.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>On dispose: revoke the lease so its keys go at once; retried within one call timeout, then given up.</summary>
    private async Task RevokeLeaseAsync()
    {
        long lease = Volatile.Read(ref _leaseId);
        if (lease == 0)
        {
            return;
        }

        using var bound = new CancellationTokenSource(_callTimeout, _timeProvider);
        try
        {
            await RetryAsync("lease-revoke", "", async attempt => await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false), bound.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException)
        {
            FleetStoreLog.RevokeFailed(_logger, lease, e);
        }
    }
}
