using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hotswap.FleetScale;

/// <summary>Everything one run measured, as a Markdown table or a JSON document.</summary>
internal sealed class ScaleReport
{
    public required string Machine { get; init; }

    public required string LoadAverageAtStart { get; init; }

    public string LoadAverageAtEnd { get; set; } = "";

    public required int Agents { get; init; }

    public required int Processes { get; init; }

    public required string Waves { get; init; }

    public required double BakeSeconds { get; init; }

    public required double LeaseTtlSeconds { get; init; }

    public double EtcdStartSeconds { get; set; }

    public double JoinSeconds { get; set; }

    public double RolloutSeconds { get; set; }

    public List<WaveReport> WaveTimes { get; } = [];

    public int ServingV2ByCall { get; set; }

    public int ServingOtherByCall { get; set; }

    public int FailedCalls { get; set; }

    public int Nacks { get; set; }

    public Dictionary<string, long> KeysAtEnd { get; } = [];

    public Dictionary<string, long> EventsDuringJoin { get; } = [];

    public Dictionary<string, long> EventsDuringRollout { get; } = [];

    public long EstimatedDeliveriesDuringRollout { get; set; }

    public long MeasuredDeliveriesDuringRollout { get; set; }

    public long MeasuredDeliveriesDuringJoin { get; set; }

    public double WatchersAtEnd { get; set; }

    public double WatchStreamsAtEnd { get; set; }

    public double IdleSeconds { get; set; }

    public double ExpectedKeepAlivesPerSecond { get; set; }

    public double LeaseRenewalsPerSecondIdle { get; set; }

    public double KeepAliveMessagesPerSecondIdle { get; set; }

    public double LeaseRenewalsPerSecondRollout { get; set; }

    public double KeepAliveMessagesPerSecondRollout { get; set; }

    public double LeasesGrantedDuringRollout { get; set; }

    public double LeasesExpiredDuringRun { get; set; }

    public double EtcdWritesDuringRollout { get; set; }

    public double EtcdRangesDuringRollout { get; set; }

    public double EtcdCpuPercentIdle { get; set; }

    public double EtcdCpuPercentJoin { get; set; }

    public double EtcdCpuPercentRollout { get; set; }

    public double EtcdCpuSecondsRollout { get; set; }

    public List<double> EtcdRssMiB { get; } = [];

    public List<double> EtcdPeakRssMiB { get; } = [];

    public double EtcdDbSizeMiB { get; set; }

    public List<double> ChildRssMiB { get; } = [];

    public List<double> ChildPeakRssMiB { get; } = [];

    public double ChildCpuSecondsRollout { get; set; }

    public double RunnerCpuSecondsRollout { get; set; }

    public double HostLatencyMedian { get; set; }

    public double HostLatencyP99 { get; set; }

    public double HostLatencyMax { get; set; }

    public double StopSeconds { get; set; }

    public List<string> Problems { get; } = [];

    public bool Passed => Problems.Count == 0;

    public sealed record WaveReport(int Wave, string Spec, int Admitted, double AdmittedAt, double ServingAt, double AdvancedAt);

    public void WriteJson(Stream output)
    {
        JsonSerializer.Serialize(output, this, ScaleJsonContext.Default.ScaleReport);
    }

    public void WriteMarkdown(TextWriter w)
    {
        string F(double v, string format = "F1") => v.ToString(format, CultureInfo.InvariantCulture);
        string N(double v) => v.ToString("N0", CultureInfo.InvariantCulture);
        string Pairs(List<double> now, List<double> peak) => string.Join(", ", now.Select((x, i) => $"{F(x, "F0")} ({F(peak[i], "F0")})"));
        w.WriteLine($"Fleet scale: {Agents} agents in {Processes} processes, waves {Waves}, bake {F(BakeSeconds, "F0")} s, lease TTL {F(LeaseTtlSeconds, "F0")} s");
        w.WriteLine($"{Machine}; load average {LoadAverageAtStart} at the start, {LoadAverageAtEnd} at the end");
        w.WriteLine();
        w.WriteLine("| what | figure |");
        w.WriteLine("|---|---|");
        w.WriteLine($"| etcd cluster start (3 members, healthy) | {F(EtcdStartSeconds, "F2")} s |");
        w.WriteLine($"| join: processes started to every agent registered and serving v1 (fetched by its agent) | {F(JoinSeconds)} s |");
        w.WriteLine($"| **rollout: start to every agent ACKed and serving v2** | **{F(RolloutSeconds, "F2")} s** |");
        foreach (WaveReport wave in WaveTimes)
        {
            w.WriteLine($"| wave {wave.Wave} (`{wave.Spec}`, {wave.Admitted} hosts cumulative): admitted at / all serving at / next wave at | {F(wave.AdmittedAt, "F2")} / {F(wave.ServingAt, "F2")} / {F(wave.AdvancedAt, "F2")} s |");
        }

        w.WriteLine($"| one host, from its wave's admission to ACKed and serving: median / p99 / max | {F(HostLatencyMedian, "F2")} / {F(HostLatencyP99, "F2")} / {F(HostLatencyMax, "F2")} s |");
        w.WriteLine($"| hosts answering a call from build 2 / another build / failing, after the rollout | {ServingV2ByCall} / {ServingOtherByCall} / {FailedCalls} |");
        w.WriteLine($"| NACKs | {Nacks} |");
        w.WriteLine($"| keys under the fleet prefix at the end ({string.Join(", ", KeysAtEnd.Where(static k => k.Key != "total").Select(static k => $"{k.Key} {k.Value}"))}) | {N(KeysAtEnd.GetValueOrDefault("total"))} |");
        w.WriteLine($"| watch events on the fleet prefix during the join ({Kinds(EventsDuringJoin)}) | {N(EventsDuringJoin.GetValueOrDefault("total"))} |");
        w.WriteLine($"| watch events on the fleet prefix during the rollout ({Kinds(EventsDuringRollout)}) | {N(EventsDuringRollout.GetValueOrDefault("total"))} |");
        w.WriteLine($"| deliveries during the rollout, estimated: plugins events x {Agents} agents + all events x 2 (controller, this runner) | {N(EstimatedDeliveriesDuringRollout)} |");
        w.WriteLine($"| deliveries during the rollout, measured (`etcd_debugging_mvcc_events_total`, 3 members) | {N(MeasuredDeliveriesDuringRollout)} |");
        w.WriteLine($"| deliveries during the join, measured | {N(MeasuredDeliveriesDuringJoin)} |");
        w.WriteLine($"| watchers / watch streams at the end (`etcd_debugging_mvcc_watcher_total`, `_watch_stream_total`) | {N(WatchersAtEnd)} / {N(WatchStreamsAtEnd)} |");
        w.WriteLine($"| lease keep-alives per second, expected: agents / (TTL / 3) | {F(ExpectedKeepAlivesPerSecond)} |");
        w.WriteLine($"| lease renewals per second, idle {F(IdleSeconds, "F0")} s (`etcd_debugging_lease_renewed_total`) | {F(LeaseRenewalsPerSecondIdle)} |");
        w.WriteLine($"| keep-alive messages received per second, idle (`grpc_server_msg_received_total`, LeaseKeepAlive) | {F(KeepAliveMessagesPerSecondIdle)} |");
        w.WriteLine($"| lease renewals per second during the rollout | {F(LeaseRenewalsPerSecondRollout)} |");
        w.WriteLine($"| keep-alive messages received per second during the rollout | {F(KeepAliveMessagesPerSecondRollout)} |");
        w.WriteLine($"| leases granted during the rollout (the controller's, and agents' re-grants after an expiry) / leases expired from the join to the end | {N(LeasesGrantedDuringRollout)} / {N(LeasesExpiredDuringRun)} |");
        w.WriteLine($"| etcd writes (put + txn) / ranges during the rollout | {N(EtcdWritesDuringRollout)} / {N(EtcdRangesDuringRollout)} |");
        w.WriteLine($"| etcd CPU, 3 members together, % of one core: idle / join / rollout | {F(EtcdCpuPercentIdle)} / {F(EtcdCpuPercentJoin)} / {F(EtcdCpuPercentRollout)} |");
        w.WriteLine($"| etcd CPU seconds during the rollout, 3 members | {F(EtcdCpuSecondsRollout, "F2")} |");
        w.WriteLine($"| etcd RSS per member at the end (peak), MiB | {Pairs(EtcdRssMiB, EtcdPeakRssMiB)} |");
        w.WriteLine($"| etcd database size (MiB, one member) | {F(EtcdDbSizeMiB, "F2")} |");
        w.WriteLine($"| agents' processes: RSS per process at the end (peak), MiB | {Pairs(ChildRssMiB, ChildPeakRssMiB)} |");
        w.WriteLine($"| agents' processes: CPU seconds during the rollout, all together | {F(ChildCpuSecondsRollout, "F1")} |");
        w.WriteLine($"| the runner (controller and its watcher): CPU seconds during the rollout | {F(RunnerCpuSecondsRollout, "F1")} |");
        w.WriteLine($"| stop: every agent and host disposed, processes exited | {F(StopSeconds)} s |");
        foreach (string problem in Problems)
        {
            w.WriteLine($"! {problem}");
        }

        static string Kinds(Dictionary<string, long> counts) => string.Join(", ", counts.Where(static k => k.Key != "total" && k.Value > 0).Select(static k => $"{k.Key} {k.Value}"));
    }
}

/// <summary>The report's JSON: camel case, indented.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(ScaleReport))]
internal sealed partial class ScaleJsonContext : JsonSerializerContext
{
}
