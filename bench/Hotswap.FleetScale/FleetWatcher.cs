using System.Diagnostics;
using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Hotswap.FleetScale;

/// <summary>
/// The runner's one extra watcher on the whole fleet prefix: counts every event by kind of key, and notes when
/// each host first answered and first served each version, and when the rollout record admitted each wave and
/// changed state. Times are seconds on one stopwatch, started with the watcher.
/// </summary>
/// <remarks>Not resilient to a broken stream: a benchmark run whose watch breaks fails (<see cref="Failure"/>).</remarks>
internal sealed class FleetWatcher : IAsyncDisposable
{
    public static readonly string[] Kinds = ["hosts", "plugins", "answers", "controllers"];

    private readonly EtcdClient _client;
    private readonly string _prefix;
    private readonly string _plugin;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly long[] _events = new long[Kinds.Length + 1];
    private readonly Dictionary<(string Host, string Version), (double At, bool Ack)> _answers = [];
    private readonly Dictionary<(string Host, string Version), double> _serving = [];
    private readonly List<WaveMark> _waves = [];
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;

    public FleetWatcher(EtcdClient client, string fleetPrefix, string plugin)
    {
        _client = client;
        _prefix = fleetPrefix;
        _plugin = plugin;
    }

    /// <summary>A rollout record as seen: its wave index, how many hosts it had admitted, its state, when.</summary>
    public readonly record struct WaveMark(int Wave, int Admitted, string State, double At);

    /// <summary>Counts by kind of key (<see cref="Kinds"/>, then anything else), from one snapshot.</summary>
    public readonly record struct Counts(long[] ByKind)
    {
        public long Total => ByKind.Sum();

        public long Of(string kind) => ByKind[Array.IndexOf(Kinds, kind)];

        public Counts Minus(Counts before) => new([.. ByKind.Select((n, i) => n - before.ByKind[i])]);
    }

    public Exception? Failure { get; private set; }

    public double Now => Stopwatch.GetElapsedTime(_started).TotalSeconds;

    public string? RolloutState { get; private set; }

    public void Start(long fromRevision)
    {
        using (ExecutionContext.SuppressFlow())
        {
            _loop = Task.Run(() => LoopAsync(fromRevision, _stop.Token));
        }
    }

    public Counts Snapshot()
    {
        lock (_gate)
        {
            return new Counts([.. _events]);
        }
    }

    public IReadOnlyList<WaveMark> Waves()
    {
        lock (_gate)
        {
            return [.. _waves];
        }
    }

    /// <summary>When <paramref name="host"/> first answered for <paramref name="version"/> (null: not yet), and whether it was an ACK.</summary>
    public (double At, bool Ack)? AnswerOf(string host, string version)
    {
        lock (_gate)
        {
            return _answers.TryGetValue((host, version), out var a) ? a : null;
        }
    }

    /// <summary>When <paramref name="host"/>'s registration first said it serves <paramref name="version"/>.</summary>
    public double? ServingSince(string host, string version)
    {
        lock (_gate)
        {
            return _serving.TryGetValue((host, version), out double at) ? at : null;
        }
    }

    /// <summary>When every host of <paramref name="hosts"/> had ACKed and served <paramref name="version"/> (null: not yet).</summary>
    public double? AllServing(IEnumerable<string> hosts, string version)
    {
        double last = 0;
        lock (_gate)
        {
            foreach (string host in hosts)
            {
                if (!_answers.TryGetValue((host, version), out var a) || !a.Ack || !_serving.TryGetValue((host, version), out double s))
                {
                    return null;
                }

                last = Math.Max(last, Math.Max(a.At, s));
            }
        }

        return last;
    }

    /// <summary>Waits until <paramref name="done"/> holds, re-checked after every watch response.</summary>
    public async Task WaitAsync(Func<bool> done, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (Failure is { } failure)
            {
                throw new InvalidOperationException("The runner's fleet watch broke.", failure);
            }

            if (done())
            {
                return;
            }

            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task LoopAsync(long fromRevision, CancellationToken token)
    {
        try
        {
            using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = _client.GetConnection().WatchClient.Watch(cancellationToken: token);
            await call.RequestStream.WriteAsync(new WatchRequest
            {
                CreateRequest = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(_prefix), RangeEnd = ByteString.CopyFromUtf8(EtcdClient.GetRangeEnd(_prefix)), StartRevision = fromRevision },
            }, token);
            while (await call.ResponseStream.MoveNext(token))
            {
                WatchResponse response = call.ResponseStream.Current;
                if (response.Canceled)
                {
                    throw new InvalidOperationException($"The watch was cancelled: {response.CancelReason} (compacted at {response.CompactRevision}).");
                }

                double at = Now;
                lock (_gate)
                {
                    foreach (Mvccpb.Event change in response.Events)
                    {
                        Observe(change, at);
                    }

                    _changed.TrySetResult();
                    _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
        }
        catch (Exception e) when (!token.IsCancellationRequested)
        {
            Failure = e;
            lock (_gate)
            {
                _changed.TrySetResult();
            }
        }
    }

    private void Observe(Mvccpb.Event change, double at)
    {
        string key = change.Kv.Key.ToStringUtf8()[_prefix.Length..];
        string[] parts = key.Split('/');
        int kind = Array.IndexOf(Kinds, parts[0]);
        _events[kind < 0 ? Kinds.Length : kind]++;
        if (change.Type == Mvccpb.Event.Types.EventType.Delete)
        {
            return;
        }

        // Only the records read below are JSON (a controller key holds the controller's id).
        bool record = parts[0] switch
        {
            "answers" => parts.Length == 5 && parts[1] == _plugin,
            "hosts" => parts.Length == 2,
            "plugins" => parts.Length == 3 && parts[1] == _plugin && parts[2] == "rollout",
            _ => false,
        };
        if (!record)
        {
            return;
        }

        using JsonDocument doc = JsonDocument.Parse(change.Kv.Value.Memory);
        JsonElement value = doc.RootElement;
        switch (parts[0])
        {
            case "answers" when parts.Length == 5 && parts[1] == _plugin:
                // answers/{plugin}/{rolloutId}/{version}/{hostId}
                _answers.TryAdd((parts[4], parts[3]), (at, value.GetProperty("ack").GetBoolean()));
                break;
            case "hosts" when parts.Length == 2 && value.TryGetProperty("serving", out JsonElement serving):
                foreach (JsonElement s in serving.EnumerateArray())
                {
                    if (s.GetProperty("plugin").GetString() == _plugin)
                    {
                        _serving.TryAdd((parts[1], s.GetProperty("version").GetString() ?? ""), at);
                    }
                }

                break;
            case "plugins" when parts.Length == 3 && parts[1] == _plugin && parts[2] == "rollout":
                string state = value.GetProperty("state").GetString() ?? "";
                RolloutState = state;
                _waves.Add(new WaveMark(value.GetProperty("wave").GetInt32(), value.TryGetProperty("admitted", out JsonElement admitted) ? admitted.GetArrayLength() : 0, state, at));
                break;
        }
    }
}
