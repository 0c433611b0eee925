using System.Globalization;

namespace Hotswap.FleetScale;

/// <summary>
/// The counters etcd 3.4 exposes on <c>/metrics</c> (Prometheus text) that say what the fleet cost it, summed over
/// the members: a snapshot before and one after make a delta.
/// </summary>
internal sealed class EtcdMetrics
{
    /// <summary>The series read, each summed over the members; label sets are matched as written here.</summary>
    public static readonly string[] Series =
    [
        "etcd_debugging_lease_renewed_total",                  // lease renewals applied (by the leader)
        "etcd_debugging_lease_granted_total",
        "etcd_debugging_lease_revoked_total",
        "etcd_debugging_server_lease_expired_total",           // leases that ran out (a keep-alive came too late)
        "etcd_debugging_mvcc_events_total",                    // watch events sent to watchers, by every member
        "etcd_debugging_mvcc_watcher_total",                   // gauge: watchers now
        "etcd_debugging_mvcc_watch_stream_total",              // gauge: watch streams now
        "etcd_debugging_mvcc_slow_watcher_total",              // gauge: watchers behind
        "etcd_mvcc_db_total_size_in_bytes",                    // gauge: the backend file, per member
        "etcd_mvcc_put_total",
        "etcd_mvcc_txn_total",
        "etcd_mvcc_range_total",
        "etcd_server_proposals_committed_total",
        "grpc_server_msg_received_total{grpc_method=\"LeaseKeepAlive\"",
        "grpc_server_msg_received_total{grpc_method=\"Watch\"",
        "grpc_server_started_total{grpc_method=\"Watch\"",
        "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Range\"",
        "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Put\"",
        "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Txn\"",
    ];

    private readonly Dictionary<string, double> _values;

    private EtcdMetrics(Dictionary<string, double> values) => _values = values;

    public double this[string series] => _values.TryGetValue(series, out double v) ? v : 0;

    public static async Task<EtcdMetrics> ReadAsync(HttpClient http, IReadOnlyList<string> clientUrls, CancellationToken cancellationToken)
    {
        var values = Series.ToDictionary(static s => s, static _ => 0.0, StringComparer.Ordinal);
        foreach (string url in clientUrls)
        {
            string text = await http.GetStringAsync(new Uri(url + "/metrics"), cancellationToken);
            foreach (string line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                {
                    continue;
                }

                foreach (string series in Series)
                {
                    // "name value" or "name{labels} value"; a series written with an open brace matches that label prefix.
                    if (line.StartsWith(series, StringComparison.Ordinal) && (series.Contains('{', StringComparison.Ordinal) || line.Length > series.Length && line[series.Length] == ' '))
                    {
                        values[series] += double.Parse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture);
                    }
                }
            }
        }

        return new EtcdMetrics(values);
    }

    public double Delta(EtcdMetrics before, string series) => this[series] - before[series];
}
