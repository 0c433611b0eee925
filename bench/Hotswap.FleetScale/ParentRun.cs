using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Hotswap.Shared.Etcd;

namespace Hotswap.FleetScale;

/// <summary>
/// The parent: starts the etcd cluster, builds the two artifacts, seeds the stable version, starts the child
/// processes and waits until every agent joined (fetched and serves v1), measures an idle window, rolls v1 to
/// v2 with a <see cref="RolloutController"/>, checks every host with a call, and counts what it cost etcd.
/// Everything it started is stopped and deleted on the way out, on Ctrl+C too.
/// </summary>
internal static class ParentRun
{
    private const double MiB = 1024 * 1024;

    public static async Task<ScaleReport> RunAsync(ScaleOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var report = new ScaleReport
        {
            Machine = $".NET {Environment.Version}, {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores",
            LoadAverageAtStart = ProcStats.LoadAverage(),
            Agents = options.Agents,
            Processes = options.Processes,
            Waves = options.Waves,
            BakeSeconds = options.Bake.TotalSeconds,
            LeaseTtlSeconds = options.LeaseTtl.TotalSeconds,
        };
        string work = Path.Combine(Path.GetTempPath(), "hotswap-fleetscale-" + Guid.NewGuid().ToString("N")[..12]);
        string fleet = "scale" + Guid.NewGuid().ToString("N")[..8];
        string prefix = "/hotswap/fleets/" + fleet + "/";
        Directory.CreateDirectory(work);
        var children = new List<ChildProcess>();
        EtcdCluster? etcd = null;
        try
        {
            log.WriteLine($"fleet scale: {options.Agents} agents in {options.Processes} processes; load average {report.LoadAverageAtStart}");
            etcd = await EtcdCluster.StartAsync(cancellationToken);
            report.EtcdStartSeconds = etcd.LastStartDuration.TotalSeconds;
            log.WriteLine($"  etcd: 3 members healthy in {etcd.LastStartDuration.TotalSeconds:F2} s at {etcd.Endpoints}");

            // The two artifacts: each build of the soak plugin published into a build root, then packed.
            string builds = Path.Combine(work, "builds");
            FleetArtifact v1 = await PackAsync(1, builds, work, cancellationToken);
            FleetArtifact v2 = await PackAsync(2, builds, work, cancellationToken);
            log.WriteLine($"  artifacts: v1 {v1.Version}, v2 {v2.Version}");

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var client = new EtcdClient(etcd.Endpoints);

            // The stable record, as StableRecord's JSON (FleetRecords.cs): the agents fetch v1 from it on joining.
            string stable = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["target"] = new Dictionary<string, string> { ["version"] = v1.Version, ["artifact"] = new Uri(v1.Path).AbsoluteUri, ["digest"] = v1.Digest },
            });
            PutResponse put = await client.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(prefix + "plugins/" + ChildRun.Plugin + "/stable"), Value = ByteString.CopyFromUtf8(stable) }, cancellationToken: cancellationToken);
            await using var watcher = new FleetWatcher(client, prefix, ChildRun.Plugin);
            watcher.Start(put.Header.Revision + 1);

            // Join: the children start their agents; each fetches v1 through its own agent and ACKs it.
            string[] hostIds = [.. Enumerable.Range(1, options.Agents).Select(static i => "h" + i.ToString("D5", CultureInfo.InvariantCulture))];
            EtcdMetrics beforeJoin = await EtcdMetrics.ReadAsync(http, etcd.ClientUrls, cancellationToken);
            double etcdCpuBeforeJoin = EtcdCpu(etcd);
            double joinStart = watcher.Now;
            FleetWatcher.Counts joinEvents0 = watcher.Snapshot();
            for (int p = 0; p < options.Processes; p++)
            {
                int index = p;
                children.Add(ChildProcess.Start(p, options, etcd.Endpoints, fleet, Path.Combine(work, "agents", "p" + p.ToString(CultureInfo.InvariantCulture)), hostIds.Where((_, i) => i % options.Processes == index), log));
            }

            using (var joinDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                joinDeadline.CancelAfter(options.Timeout);
                foreach (ChildProcess child in children)
                {
                    string[] joined = await child.ExpectAsync("joined", joinDeadline.Token);
                    report.Nacks += int.Parse(joined[1], CultureInfo.InvariantCulture);
                    log.WriteLine($"  child {child.Index} (pid {child.ProcessId}): its agents joined after {joined[0]} ms");
                }
            }

            await watcher.WaitAsync(() => watcher.AllServing(hostIds, v1.Version) is not null, options.Timeout, "every agent to register serving v1", cancellationToken);
            report.JoinSeconds = watcher.AllServing(hostIds, v1.Version)!.Value - joinStart; // checked just above
            double joinEnd = watcher.Now;
            EtcdMetrics afterJoin = await EtcdMetrics.ReadAsync(http, etcd.ClientUrls, cancellationToken);
            report.EtcdCpuPercentJoin = 100 * (EtcdCpu(etcd) - etcdCpuBeforeJoin) / (joinEnd - joinStart);
            report.MeasuredDeliveriesDuringJoin = (long)afterJoin.Delta(beforeJoin, "etcd_debugging_mvcc_events_total");
            Fill(report.EventsDuringJoin, watcher.Snapshot().Minus(joinEvents0));
            log.WriteLine($"  join: all {options.Agents} agents serving v1 {report.JoinSeconds:F1} s after the processes started");

            // Idle: only keep-alives (and the hosts' own status writes, which are local files).
            EtcdMetrics idle0 = await EtcdMetrics.ReadAsync(http, etcd.ClientUrls, cancellationToken);
            double idleCpu0 = EtcdCpu(etcd);
            long idleStart = Stopwatch.GetTimestamp();
            await Task.Delay(options.Idle, cancellationToken);
            double idleSeconds = Stopwatch.GetElapsedTime(idleStart).TotalSeconds;
            EtcdMetrics idle1 = await EtcdMetrics.ReadAsync(http, etcd.ClientUrls, cancellationToken);
            report.IdleSeconds = idleSeconds;
            report.EtcdCpuPercentIdle = idleSeconds > 0 ? 100 * (EtcdCpu(etcd) - idleCpu0) / idleSeconds : 0;
            report.LeaseRenewalsPerSecondIdle = idleSeconds > 0 ? idle1.Delta(idle0, "etcd_debugging_lease_renewed_total") / idleSeconds : 0;
            report.KeepAliveMessagesPerSecondIdle = idleSeconds > 0 ? idle1.Delta(idle0, "grpc_server_msg_received_total{grpc_method=\"LeaseKeepAlive\"") / idleSeconds : 0;
            report.ExpectedKeepAlivesPerSecond = options.Agents / (options.LeaseTtl.TotalSeconds / 3);
            log.WriteLine($"  idle {idleSeconds:F0} s: {report.LeaseRenewalsPerSecondIdle:F1} lease renewals/s, etcd {report.EtcdCpuPercentIdle:F1} % of a core");

            // The rollout, driven by one controller in this process.
            await using var controller = new RolloutController(new RolloutControllerOptions { Endpoints = etcd.Endpoints, Fleet = fleet });
            using var stopController = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            EtcdMetrics rollout0 = await EtcdMetrics.ReadAsync(http, etcd.ClientUrls, cancellationToken);
            double etcdCpu0 = EtcdCpu(etcd);
            double runnerCpu0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            double childCpu0 = children.Sum(static c => ProcStats.Read(c.ProcessId).CpuSeconds);
            FleetWatcher.Counts rolloutEvents0 = watcher.Snapshot();
            double start = watcher.Now;
            Task running = controller.RunAsync(ChildRun.Plugin, stopController.Token);
            string id = await controller.StartAsync(ChildRun.Plugin, v2.Version, new Uri(v2.Path), v2.Digest, options.Waves, options.Bake, maxNacks: 0, cancellationToken);
            log.WriteLine($"  rollout {id} started");
            await watcher.WaitAsync(
                () => watcher.RolloutState is { } s && (!s.Equals("running", StringComparison.OrdinalIgnoreCase) || running.IsCompleted)
                    && (watcher.AllServing(hostIds, v2.Version) is not null || !s.Equals("completed", StringComparison.OrdinalIgnoreCase)),
                options.Timeout,
                "the rollout to complete and every agent to serve v2",
                cancellationToken);
            double end = watcher.Now;
            if (!string.Equals(watcher.RolloutState, "completed", StringComparison.OrdinalIgnoreCase))
            {
                report.Problems.Add($"The rollout ended {watcher.RolloutState}, not completed.");
            }

            double? allServing = watcher.AllServing(hostIds, v2.Version);
            report.RolloutSeconds = (allServing ?? end) - start;
            EtcdMetrics rollout1 = await EtcdMetrics.ReadAsync(http, etcd.ClientUrls, cancellationToken);
            report.EtcdCpuSecondsRollout = EtcdCpu(etcd) - etcdCpu0;
            report.EtcdCpuPercentRollout = 100 * report.EtcdCpuSecondsRollout / (end - start);
            report.RunnerCpuSecondsRollout = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - runnerCpu0;
            report.ChildCpuSecondsRollout = children.Sum(static c => ProcStats.Read(c.ProcessId).CpuSeconds) - childCpu0;
            FleetWatcher.Counts rolloutEvents = watcher.Snapshot().Minus(rolloutEvents0);
            Fill(report.EventsDuringRollout, rolloutEvents);
            report.EstimatedDeliveriesDuringRollout = (rolloutEvents.Of("plugins") * options.Agents) + (2 * rolloutEvents.Total);
            report.MeasuredDeliveriesDuringRollout = (long)rollout1.Delta(rollout0, "etcd_debugging_mvcc_events_total");
            report.LeaseRenewalsPerSecondRollout = rollout1.Delta(rollout0, "etcd_debugging_lease_renewed_total") / (end - start);
            report.KeepAliveMessagesPerSecondRollout = rollout1.Delta(rollout0, "grpc_server_msg_received_total{grpc_method=\"LeaseKeepAlive\"") / (end - start);
            report.LeasesGrantedDuringRollout = rollout1.Delta(rollout0, "etcd_debugging_lease_granted_total") / 3; // applied by every member
            report.LeasesExpiredDuringRun = rollout1.Delta(beforeJoin, "etcd_debugging_server_lease_expired_total");
            // etcd_mvcc_* count what each member applied: one member's share is the cluster's.
            report.EtcdWritesDuringRollout = (rollout1.Delta(rollout0, "etcd_mvcc_put_total") + rollout1.Delta(rollout0, "etcd_mvcc_txn_total")) / 3;
            report.EtcdRangesDuringRollout = rollout1.Delta(rollout0, "etcd_mvcc_range_total") / 3;
            report.WatchersAtEnd = rollout1["etcd_debugging_mvcc_watcher_total"];
            report.WatchStreamsAtEnd = rollout1["etcd_debugging_mvcc_watch_stream_total"];
            report.EtcdDbSizeMiB = rollout1["etcd_mvcc_db_total_size_in_bytes"] / 3 / MiB;
            AddWaves(report, watcher, hostIds, v2.Version, options.Waves, start);
            log.WriteLine($"  rollout: every agent ACKed and serving v2 after {report.RolloutSeconds:F2} s");

            // Every host answers one call: which build serves it.
            foreach (ChildProcess child in children)
            {
                await child.SendAsync("check");
            }

            foreach (ChildProcess child in children)
            {
                string[] checkedBuilds = await child.ExpectAsync("checked", cancellationToken);
                report.ServingOtherByCall += int.Parse(checkedBuilds[0], CultureInfo.InvariantCulture);
                report.ServingV2ByCall += int.Parse(checkedBuilds[1], CultureInfo.InvariantCulture);
                report.FailedCalls += int.Parse(checkedBuilds[2], CultureInfo.InvariantCulture);
                ProcStats stats = ProcStats.Read(child.ProcessId);
                report.ChildRssMiB.Add(stats.RssBytes / MiB);
                report.ChildPeakRssMiB.Add(stats.PeakRssBytes / MiB);
                report.Nacks += child.Errors.Count(static e => e.Contains("NACKed", StringComparison.Ordinal));
            }

            foreach (int pid in etcd.ProcessIds)
            {
                ProcStats stats = ProcStats.Read(pid);
                report.EtcdRssMiB.Add(stats.RssBytes / MiB);
                report.EtcdPeakRssMiB.Add(stats.PeakRssBytes / MiB);
            }

            foreach (string kind in FleetWatcher.Kinds)
            {
                report.KeysAtEnd[kind] = await CountAsync(client, prefix + kind + "/", cancellationToken);
            }

            report.KeysAtEnd["total"] = await CountAsync(client, prefix, cancellationToken);
            if (report.ServingV2ByCall != options.Agents)
            {
                report.Problems.Add($"{report.ServingV2ByCall} of {options.Agents} hosts answered a call from build 2.");
            }

            if (report.Nacks > 0)
            {
                report.Problems.Add($"{report.Nacks} NACKs.");
            }

            await stopController.CancelAsync();
            await running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            long stopping = Stopwatch.GetTimestamp();
            bool[] stopped = await Task.WhenAll(children.Select(static c => c.StopAsync(TimeSpan.FromSeconds(60))));
            report.StopSeconds = Stopwatch.GetElapsedTime(stopping).TotalSeconds;
            if (stopped.Contains(false))
            {
                report.Problems.Add("A child process did not stop within 60 s and was killed.");
            }

            report.LoadAverageAtEnd = ProcStats.LoadAverage();
            return report;
        }
        finally
        {
            foreach (ChildProcess child in children)
            {
                await child.DisposeAsync();
            }

            if (etcd is not null)
            {
                await etcd.DisposeAsync();
            }

            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private static async Task<FleetArtifact> PackAsync(int build, string builds, string work, CancellationToken cancellationToken)
    {
        PublishResult published = await PluginPublisher.PublishAsync(ScalePaths.PluginOutput(build), builds, ChildRun.Plugin, new PublishOptions(), cancellationToken);
        return await FleetArtifacts.PackAsync(published.VersionDirectory, Path.Combine(work, published.Version + ".zip"), cancellationToken);
    }

    private static double EtcdCpu(EtcdCluster etcd) => etcd.ProcessIds.Sum(static pid => ProcStats.Read(pid).CpuSeconds);

    private static async Task<long> CountAsync(EtcdClient client, string prefix, CancellationToken cancellationToken)
    {
        RangeResponse response = await client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFromUtf8(EtcdClient.GetRangeEnd(prefix)), CountOnly = true }, cancellationToken: cancellationToken);
        return response.Count;
    }

    private static void Fill(Dictionary<string, long> into, FleetWatcher.Counts counts)
    {
        for (int i = 0; i < FleetWatcher.Kinds.Length; i++)
        {
            into[FleetWatcher.Kinds[i]] = counts.ByKind[i];
        }

        into["other"] = counts.ByKind[^1];
        into["total"] = counts.Total;
    }

    /// <summary>Each wave: when the record first admitted its hosts, when they all ACKed and served v2, when the next wave (or completion) was written.</summary>
    private static void AddWaves(ScaleReport report, FleetWatcher watcher, string[] hostIds, string version, string waves, double start)
    {
        IReadOnlyList<FleetWatcher.WaveMark> marks = watcher.Waves();
        var latencies = new List<double>();
        int before = 0;
        string[] plan = waves.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        for (int w = 0; w < plan.Length; w++)
        {
            int wave = w;
            FleetWatcher.WaveMark? admitted = marks.Where(m => m.Wave == wave && m.Admitted > 0).Cast<FleetWatcher.WaveMark?>().FirstOrDefault();
            if (admitted is not { } a)
            {
                continue;
            }

            int count = marks.Where(m => m.Wave == wave).Max(static m => m.Admitted);
            // Admitted in host-id order (docs/fleet.md, "Rollouts"): the wave's hosts are the first `count` ids.
            double serving = watcher.AllServing(hostIds.Take(count), version) ?? double.NaN;
            foreach (string host in hostIds.Skip(before).Take(count - before))
            {
                latencies.Add((watcher.AllServing([host], version) ?? double.NaN) - a.At);
            }

            before = Math.Max(before, count);
            FleetWatcher.WaveMark? next = marks.Where(m => m.Wave > wave || m.State.Equals("completed", StringComparison.OrdinalIgnoreCase)).Cast<FleetWatcher.WaveMark?>().FirstOrDefault();
            report.WaveTimes.Add(new ScaleReport.WaveReport(wave + 1, plan[wave], count, a.At - start, serving - start, (next?.At ?? double.NaN) - start));
        }

        latencies.Sort();
        if (latencies.Count > 0)
        {
            report.HostLatencyMedian = latencies[latencies.Count / 2];
            report.HostLatencyP99 = latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)];
            report.HostLatencyMax = latencies[^1];
        }
    }
}
