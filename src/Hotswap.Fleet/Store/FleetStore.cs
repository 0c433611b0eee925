using System.Collections.Immutable;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Hotswap;

/// <summary>
/// The one type that speaks etcd's protocol for Hotswap: key-value calls with a deadline each and retries with
/// backoff, create-if-absent and compare-and-swap that stay single answers across retries, a session lease with
/// its own keep-alive loop, and prefix follows that resume from their revision and never miss a change.
/// </summary>
/// <remarks>
/// <para>Every call gets <see cref="FleetStoreOptions.CallTimeout"/> as its deadline; a call that fails with
/// <c>Unavailable</c>, a passed deadline (an <see cref="RpcException"/> or a <see cref="TaskCanceledException"/>
/// from the client: both mean the outcome is uncertain) or a broken connection is tried again after a backoff
/// (<see cref="FleetStoreOptions.MinBackoff"/> doubling to <see cref="FleetStoreOptions.MaxBackoff"/>, with
/// jitter) until it succeeds or the caller's token is cancelled (then <see cref="OperationCanceledException"/>).
/// Other failures (a bad request) are thrown as the client's <see cref="RpcException"/>.</para>
/// <para>Thread-safe: every member may be called concurrently. Start and stop order: the keep-alive loop
/// starts with the first leased call; each follow runs its own watch loop; <see cref="DisposeAsync"/> stops
/// the follows and the keep-alive, then revokes the lease, then closes the client.</para>
/// </remarks>
internal sealed partial class FleetStore : IAsyncDisposable
{
    /// <summary>
    /// etcd's "require leader" header: a member that loses its leader ends the streams that carry it (watch,
    /// keep-alive) instead of leaving them silent, so they reopen on a member that has one.
    /// </summary>
    private static readonly Metadata s_requireLeader = new() { { "hasleader", "true" } };

    private readonly EtcdClient _client;
    private readonly TimeSpan _callTimeout;
    private readonly TimeSpan _leaseTtl;
    private readonly TimeSpan _minBackoff;
    private readonly TimeSpan _maxBackoff;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    // Cancelled by DisposeAsync: stops the keep-alive loop, every follow, and every call in flight. Never disposed:
    // follows still running their finally blocks may link to its token after DisposeAsync returned.
    private readonly CancellationTokenSource _disposing = new();
    private volatile bool _reachable = true;
    private int _disposed;

    /// <summary>Builds a store on the options (copied: later changes to them are not seen). It connects lazily.</summary>
    /// <param name="options">The endpoints, deadlines, backoff, lease TTL, clock and logger.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message lists every error.</exception>
    public FleetStore(FleetStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _callTimeout = options.CallTimeout;
        _leaseTtl = TimeSpan.FromSeconds(Math.Ceiling(options.LeaseTtl.TotalSeconds));
        _minBackoff = options.MinBackoff;
        _maxBackoff = options.MaxBackoff;
        _timeProvider = options.TimeProvider;
        _logger = options.Logger;
        _client = new EtcdClient(string.Join(",", options.Endpoints.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
    }

    /// <summary>
    /// <see langword="false"/> from a failed call, a broken watch or keep-alive, until the next success of any of
    /// them; <see langword="true"/> before the first call.
    /// </summary>
    public bool IsReachable => _reachable;

    /// <summary>Writes a key (not bound to any lease). Idempotent, so retried freely.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>The store revision of the write.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task<long> PutAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Forget(key);
        var request = new PutRequest { Key = Bytes(key), Value = Bytes(value) };
        return CallAsync("put", key, async attempt => (await _client.PutAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false)).Header.Revision, cancellationToken);
    }

    /// <summary>Reads one key.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>The key's entry, or <see langword="null"/> when it does not exist.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task<StoreEntry?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var request = new RangeRequest { Key = Bytes(key) };
        return CallAsync("get", key, async attempt =>
        {
            RangeResponse response = await _client.GetAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false);
            return response.Kvs.Count == 0 ? null : Entry(response.Kvs[0]);
        }, cancellationToken);
    }

    /// <summary>Reads every key under a prefix in one linearizable read.</summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>The keys and the store revision of the read (<see cref="StoreView.Relisted"/> is false).</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task<StoreView> GetPrefixAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return CallAsync("get-prefix", prefix, attempt => ReadPrefixAsync(prefix, attempt), cancellationToken);
    }

    /// <summary>Deletes one key (no error when it does not exist). A leased key deleted here is no longer renewed.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>A task that completes when the key is gone.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Forget(key);
        var request = new DeleteRangeRequest { Key = Bytes(key) };
        return CallAsync("delete", key, async attempt => (await _client.DeleteAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false)).Header.Revision, cancellationToken);
    }

    /// <summary>Creates a key if it does not exist (not bound to any lease): a one-time record such as an answer.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>
    /// <see langword="true"/> when this call created the key, or when it holds exactly <paramref name="value"/>
    /// already (so a retry after an uncertain outcome is not a second answer); <see langword="false"/> when it
    /// holds another value.
    /// </returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task<bool> CreateAsync(string key, string value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        Forget(key);
        return CreateCoreAsync(key, value, lease: 0, cancellationToken);
    }

    /// <summary>
    /// Compare-and-swap on a key's mod revision: writes <paramref name="value"/> (or deletes the key when it is
    /// null) only if the key's mod revision is <paramref name="expectedModRevision"/> (0: the key must not exist).
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="expectedModRevision">The mod revision the key must have; 0 when it must not exist.</param>
    /// <param name="value">The new value, or <see langword="null"/> to delete the key.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>
    /// The revision of the write, or <see langword="null"/> on conflict. After an attempt with an uncertain
    /// outcome, a conflict where the key now holds exactly <paramref name="value"/> at a newer revision is taken
    /// as that attempt having applied, and its revision is returned; an uncertain delete is reported as a
    /// conflict (nothing tells it apart from another writer's delete).
    /// </returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task<long?> CompareAndSwapAsync(string key, long expectedModRevision, string? value, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentOutOfRangeException.ThrowIfNegative(expectedModRevision);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return TransactAsync(new[] { (key, expectedModRevision) }, new[] { (key, value) }, cancellationToken);
    }

    /// <summary>
    /// A transaction: when every key's mod revision is as expected (0: the key must not exist), every write is
    /// applied (a null value deletes the key), all in one revision; otherwise nothing is written.
    /// </summary>
    /// <param name="compares">The keys and the mod revisions they must have.</param>
    /// <param name="writes">The keys to write and their values (null: delete); each key once.</param>
    /// <param name="cancellationToken">Ends the retries.</param>
    /// <returns>
    /// The revision of the writes, or <see langword="null"/> on conflict. As in
    /// <see cref="CompareAndSwapAsync"/>, a conflict after an uncertain attempt where every written key holds
    /// exactly its value, all at one revision newer than every expected one (and every deleted key is absent),
    /// is taken as that attempt having applied.
    /// </returns>
    /// <exception cref="ArgumentException">A key is empty, a revision negative, or a key written twice.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The store was disposed.</exception>
    /// <exception cref="RpcException">etcd refused the request for a reason other than an outage.</exception>
    public Task<long?> TransactAsync(IReadOnlyList<(string Key, long ExpectedModRevision)> compares, IReadOnlyList<(string Key, string? Value)> writes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compares);
        ArgumentNullException.ThrowIfNull(writes);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var request = new TxnRequest();
        long newestExpected = 0;
        foreach ((string key, long expected) in compares)
        {
            ArgumentException.ThrowIfNullOrEmpty(key, nameof(compares));
            ArgumentOutOfRangeException.ThrowIfNegative(expected, nameof(compares));
            newestExpected = Math.Max(newestExpected, expected);
            request.Compare.Add(new Compare { Key = Bytes(key), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expected });
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string key, string? value) in writes)
        {
            ArgumentException.ThrowIfNullOrEmpty(key, nameof(writes));
            if (!written.Add(key))
            {
                throw new ArgumentException($"The transaction writes '{key}' twice; etcd refuses a key written twice in one transaction.", nameof(writes));
            }

            request.Success.Add(value is null
                ? new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(key) } }
                : new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes(value) } });
            // On conflict the keys are read back in the same revision, to tell "my earlier attempt applied" apart.
            request.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = Bytes(key) } });
            Forget(key);
        }

        string what = writes.Count > 0 ? writes[0].Key : compares.Count > 0 ? compares[0].Key : "";
        return CallAsync<long?>("txn", what, async attempt =>
        {
            TxnResponse response = await _client.TransactionAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false);
            if (response.Succeeded)
            {
                return response.Header.Revision;
            }

            return attempt.EarlierUncertain ? AppliedEarlier(writes, response, newestExpected) : null;
        }, cancellationToken);
    }

    /// <summary>
    /// Follows every key under a prefix: yields the whole view after a range read, then the whole updated view
    /// after each watch response with changes. See the remarks for what it promises.
    /// </summary>
    /// <param name="prefix">The prefix.</param>
    /// <param name="cancellationToken">Ends the follow.</param>
    /// <returns>The views, in increasing revision order.</returns>
    /// <remarks>
    /// <para>The watch starts at the read's revision + 1 with progress notifications on. A slow consumer gets only
    /// the newest view (state of the world); it never gets an older revision after a newer one. When the watch
    /// breaks (a member killed, the whole store down) it is reopened with backoff from the last revision seen + 1,
    /// so no change is missed; when that revision was compacted, the prefix is read again and the view it yields
    /// has <see cref="StoreView.Relisted"/> set, and the watch goes on from the new read's revision + 1.</para>
    /// <para>It never throws for store outages. When <paramref name="cancellationToken"/> is cancelled, or the
    /// store disposed, the sequence simply ends: it completes without throwing
    /// <see cref="OperationCanceledException"/>.</para>
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The store was disposed before the follow started.</exception>
    /// <exception cref="RpcException">From the sequence: etcd refused the read or the watch for a reason other than an outage.</exception>
    public IAsyncEnumerable<StoreView> FollowAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return FollowCoreAsync(prefix, cancellationToken);
    }

    /// <summary>
    /// Stops every follow and the keep-alive loop, revokes the session lease (so its keys are deleted at once;
    /// best effort, bounded by <see cref="FleetStoreOptions.CallTimeout"/>), then closes the client. Idempotent.
    /// </summary>
    /// <returns>A task that completes when the store is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        Task? keepAlive;
        lock (_leasedKeys)
        {
            keepAlive = _keepAlive;
        }

        if (keepAlive is not null)
        {
            // The loop ends on the cancellation; the wait is bounded all the same.
            await keepAlive.WaitAsync(_callTimeout, _timeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await RevokeLeaseAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    private static StoreEntry Entry(Mvccpb.KeyValue kv) => new(kv.Key.ToStringUtf8(), kv.Value.ToStringUtf8(), kv.ModRevision, kv.CreateRevision);

    /// <summary>
    /// After an uncertain attempt and a conflict: the revision of that attempt if the keys read back (one range per
    /// write, in order) show it applied: every put key holds its value, all at one revision newer than every
    /// expected one, and every deleted key is absent. A transaction of deletes only is never taken as applied.
    /// </summary>
    internal static long? AppliedEarlier(IReadOnlyList<(string Key, string? Value)> writes, TxnResponse response, long newestExpected)
    {
        long? revision = null;
        for (int i = 0; i < writes.Count; i++)
        {
            RangeResponse read = response.Responses[i].ResponseRange;
            string? value = writes[i].Value;
            if (value is null)
            {
                if (read.Kvs.Count != 0)
                {
                    return null;
                }

                continue;
            }

            if (read.Kvs.Count == 0 || read.Kvs[0].Value.ToStringUtf8() != value || (revision is { } r && r != read.Kvs[0].ModRevision))
            {
                return null;
            }

            revision = read.Kvs[0].ModRevision;
        }

        return revision > newestExpected ? revision : null;
    }

    private async Task<StoreView> ReadPrefixAsync(string prefix, Attempt attempt)
    {
        var request = new RangeRequest { Key = Bytes(prefix), RangeEnd = ByteString.CopyFromUtf8(EtcdClient.GetRangeEnd(prefix)) };
        RangeResponse response = await _client.GetAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false);
        ImmutableDictionary<string, StoreEntry>.Builder entries = ImmutableDictionary.CreateBuilder<string, StoreEntry>(StringComparer.Ordinal);
        foreach (Mvccpb.KeyValue kv in response.Kvs)
        {
            StoreEntry entry = Entry(kv);
            entries[entry.Key] = entry;
        }

        return new StoreView(entries.ToImmutable(), response.Header.Revision, Relisted: false);
    }

    private async Task<bool> CreateCoreAsync(string key, string value, long lease, CancellationToken cancellationToken)
    {
        var request = new TxnRequest();
        request.Compare.Add(new Compare { Key = Bytes(key), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
        request.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes(value), Lease = lease } });
        request.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = Bytes(key) } });
        return await CallAsync("create", key, async attempt =>
        {
            TxnResponse response = await _client.TransactionAsync(request, deadline: attempt.Deadline, cancellationToken: attempt.Token).ConfigureAwait(false);
            if (response.Succeeded)
            {
                return true;
            }

            RangeResponse read = response.Responses[0].ResponseRange;
            return read.Kvs.Count > 0 && read.Kvs[0].Value.ToStringUtf8() == value;
        }, cancellationToken).ConfigureAwait(false);
    }
}
