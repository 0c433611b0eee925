using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Hotswap;

/// <summary>The store's follows: a range read, then a watch from its revision + 1 that resumes and re-lists.</summary>
internal sealed partial class FleetStore
{
    private async IAsyncEnumerable<StoreView> FollowCoreAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        // One slot, newest wins: a slow consumer skips to the newest view (state of the world), and as the
        // pump writes views in revision order, what it reads is never older than what it read before.
        Channel<StoreView> views = Channel.CreateBounded<StoreView>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
            SingleWriter = true,
        });
        Task pump;
        using (ExecutionContext.SuppressFlow())
        {
            pump = Task.Run(() => PumpAsync(prefix, views.Writer, stop.Token));
        }

        try
        {
            while (true)
            {
                StoreView? next = null;
                try
                {
                    if (!await views.Reader.WaitToReadAsync(stop.Token).ConfigureAwait(false))
                    {
                        break;
                    }

                    views.Reader.TryRead(out next);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }

                if (next is not null)
                {
                    yield return next;
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Reads, watches, resumes and re-lists until <paramref name="token"/> is cancelled; writes each view.</summary>
    private async Task PumpAsync(string prefix, ChannelWriter<StoreView> writer, CancellationToken token)
    {
        ByteString key = Bytes(prefix);
        ByteString rangeEnd = ByteString.CopyFromUtf8(EtcdClient.GetRangeEnd(prefix));
        ImmutableDictionary<string, StoreEntry> entries = ImmutableDictionary<string, StoreEntry>.Empty.WithComparers(StringComparer.Ordinal);
        long revision = 0;
        bool list = true;
        bool relisted = false;
        int failures = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (list)
                {
                    StoreView read = await RetryAsync("get-prefix", prefix, attempt => ReadPrefixAsync(prefix, attempt), token).ConfigureAwait(false);
                    entries = (ImmutableDictionary<string, StoreEntry>)read.Entries;
                    revision = read.Revision;
                    list = false;
                    writer.TryWrite(read with { Relisted = relisted });
                    relisted = false;
                }

                try
                {
                    using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = _client.GetConnection().WatchClient.Watch(s_requireLeader, deadline: null, cancellationToken: token);
                    // Until etcd confirms the watch, the stream is bounded by the call timeout: a call the channel
                    // routed to a dead member's subchannel can otherwise wait, silently, until that member is back.
                    using (var deadline = new CancellationTokenSource(_callTimeout, _timeProvider))
                    using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(token, deadline.Token))
                    {
                        await call.RequestStream.WriteAsync(new WatchRequest
                        {
                            CreateRequest = new WatchCreateRequest { Key = key, RangeEnd = rangeEnd, StartRevision = revision + 1, ProgressNotify = true },
                        }, bounded.Token).ConfigureAwait(false);
                        if (!await call.ResponseStream.MoveNext(bounded.Token).ConfigureAwait(false))
                        {
                            throw new RpcException(new Status(StatusCode.Unavailable, "The watch stream ended before the watch was created."));
                        }
                    }

                    for (bool more = true; more; more = await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
                    {
                        WatchResponse response = call.ResponseStream.Current;
                        failures = 0;
                        MarkReachable();
                        if (response.CompactRevision > 0)
                        {
                            // The resume revision was compacted: read everything again and watch from that read's
                            // revision + 1, never from the compaction revision itself (etcd issue 18089 lost a
                            // delete there, and 3.4.23 has the bug).
                            FleetStoreLog.WatchCompacted(_logger, prefix, revision + 1, response.CompactRevision);
                            list = true;
                            relisted = true;
                            break;
                        }

                        if (response.Canceled)
                        {
                            FleetStoreLog.WatchCancelled(_logger, prefix, response.CancelReason, revision + 1);
                            break;
                        }

                        if (response.Events.Count > 0)
                        {
                            foreach (Mvccpb.Event change in response.Events)
                            {
                                string changed = change.Kv.Key.ToStringUtf8();
                                entries = change.Type == Mvccpb.Event.Types.EventType.Delete ? entries.Remove(changed) : entries.SetItem(changed, Entry(change.Kv));
                                revision = Math.Max(revision, change.Kv.ModRevision);
                            }

                            writer.TryWrite(new StoreView(entries, revision, Relisted: false));
                        }
                        else if (!response.Created && response.Header.Revision > revision)
                        {
                            // A progress notification: every change up to the header's revision was delivered, so
                            // a resume may start after it. (Not a creation's header: events before it may still come.)
                            revision = response.Header.Revision;
                        }
                    }

                    if (!list)
                    {
                        throw new RpcException(new Status(StatusCode.Unavailable, "The watch stream ended."));
                    }
                }
                catch (Exception e) when (IsOutage(e, token))
                {
                    MarkUnreachable();
                    TimeSpan delay = Backoff(failures++);
                    FleetStoreLog.WatchBroken(_logger, prefix, Describe(e), revision + 1, delay.TotalMilliseconds);
                    await Task.Delay(delay, _timeProvider, token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception) when (token.IsCancellationRequested)
        {
            // The follow ended (the consumer stopped, or the store was disposed): nothing to report.
        }
        catch (Exception e)
        {
            // Not an outage (etcd refused the watch itself): the consumer gets it from the sequence.
            writer.TryComplete(e);
        }
        finally
        {
            writer.TryComplete();
        }
    }
}
