using System.Globalization;
using Hotswap;
using Hotswap.Shared.Etcd;
using Hotswap.Samples;

namespace Fleet.Host;

/// <summary>
/// The fleet demo: a local 3-member etcd cluster, four host processes calling their plugin without
/// pause, a rollout in waves, a bad version stopped by the canary's NACK, an abort, and the evidence.
/// </summary>
internal static class FleetDemo
{
    private const string Fleet = "demo";
    private const string Plugin = "greeter";
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(2);

    public static async Task<int> RunAsync()
    {
        using var demo = new Demo(
            "Hotswap Fleet demo",
            "Four host processes, one plugin, a 3-member etcd cluster: v2 rolled out in waves under load, a broken v3 stopped by the canary's NACK, a rollout aborted midway, and not one failed call.");
        string project = Path.Combine(Demo.SamplesDirectory, "Fleet", "Plugins", "Greeter", "Greeter.csproj");
        string work = Directory.CreateTempSubdirectory("hotswap-fleet-demo-").FullName; // the artifacts and the hosts' plugins roots
        string artifacts = Path.Combine(work, "artifacts");
        Directory.CreateDirectory(artifacts);
        var packed = new Dictionary<int, FleetArtifact>();
        foreach (int build in new[] { 1, 2, 3 })
        {
            PublishResult published = await demo.BuildAndPublishAsync(project, Plugin, build);
            packed[build] = await FleetArtifacts.PackAsync(published.VersionDirectory, Path.Combine(artifacts, $"{Plugin}-v{build}.zip"));
            Demo.Step($"packed v{build}: {packed[build].Version}, digest {packed[build].Digest[..16]}...");
        }

        await using EtcdCluster etcd = await EtcdCluster.StartAsync(); // returns once every member answers a health check
        await using var controller = new RolloutController(new RolloutControllerOptions { Endpoints = etcd.Endpoints, Fleet = Fleet, LeaseTtl = TimeSpan.FromSeconds(3) });
        Demo.Step($"etcd: 3 members healthy in {etcd.LastStartDuration.TotalSeconds:0.0} s at {etcd.Endpoints}");
        await controller.SetStableAsync(Plugin, packed[1].Version, new Uri(packed[1].Path), packed[1].Digest);
        var hosts = new List<HostProcess>();
        try
        {
            for (int i = 1; i <= 4; i++)
            {
                hosts.Add(HostProcess.Start(etcd.Endpoints, Fleet, $"host-{i}", Path.Combine(work, $"host-{i}")));
            }

            await WaitUntilAsync(() => hosts.TrueForAll(h => h.Printed(l => l == $"serving {Plugin}@{packed[1].Version}")), "every host to serve v1");
            Demo.Step("4 hosts joined the fleet, fetched v1 from its artifact and serve it; each calls it without pause");

            // 1. v2 in waves: one canary, half, everyone.
            string v2 = await RolloutAsync(controller, packed[2], "1,50%,100%", TimeSpan.FromSeconds(1), "completed");
            bool allOnV2 = hosts.TrueForAll(h => h.Printed(l => l == $"serving {Plugin}@{packed[2].Version}"));

            // 2. v3 cannot start: the canary NACKs and nobody else moves.
            string v3 = await RolloutAsync(controller, packed[3], "1,100%", TimeSpan.FromSeconds(1), "aborted");
            FleetStatus afterV3 = await controller.GetStatusAsync();
            FleetRolloutStatus v3Rollout = afterV3.Plugins.Single().Rollout!;
            bool onlyCanaryTried = v3Rollout.Admitted.Count == 1 && hosts.Skip(1).All(h => !h.Printed(l => l.Contains(packed[3].Version, StringComparison.Ordinal)));
            Demo.Step($"v3 stopped: {v3Rollout.Reason}");

            // 3. v1 again, stopped by an operator after the canary moved: the canary goes back to v2.
            using var stop = new CancellationTokenSource();
            Task running = controller.RunAsync(Plugin, stop.Token);
            await controller.StartAsync(Plugin, packed[1].Version, new Uri(packed[1].Path), packed[1].Digest, "1,100%", TimeSpan.FromHours(1), maxNacks: 0);
            await WaitUntilAsync(() => hosts[0].Lines.Count(l => l == $"serving {Plugin}@{packed[1].Version}") >= 2, "the canary to serve v1 again");
            Demo.Step("a rollout back to v1: the canary moved, then an operator aborts it");
            await controller.AbortAsync(Plugin, "aborted by the demo's operator");
            await WaitUntilAsync(() => hosts[0].Lines.Count(l => l == $"serving {Plugin}@{packed[2].Version}") >= 2, "the canary to serve v2 again");
            await stop.CancelAsync();
            await running;
            Demo.Step("the canary is back on v2, the stable version");

            FleetStatus final = await controller.GetStatusAsync();
            var reports = new List<(string Host, string Report)>();
            foreach (HostProcess host in hosts)
            {
                reports.Add((host.HostId, await host.StopAsync()));
            }

            long failures = reports.Sum(static r => Field(r.Report, "failures"));
            long calls = reports.Sum(static r => Field(r.Report, "calls"));
            demo.Check("v2 reached every host, wave by wave, and became stable", v2 == "completed" && allOnV2 && final.Plugins.Single().StableVersion == packed[2].Version);
            demo.Check("v3's canary NACKed in phase OnLoad and no other host fetched v3", v3 == "aborted" && v3Rollout.Reason?.Contains("phase OnLoad", StringComparison.Ordinal) == true && onlyCanaryTried);
            demo.Check("the aborted rollout left every host on v2", reports.TrueForAll(r => r.Report.Contains($"serving={Plugin}@{packed[2].Version}", StringComparison.Ordinal)));
            demo.Check("not one failed call on any host", failures == 0 && calls > 0);
            return demo.Finish([
                ("calls, all hosts", calls.ToString("N0", CultureInfo.InvariantCulture)),
                ("failed calls", failures.ToString(CultureInfo.InvariantCulture)),
                ("v3's NACK", v3Rollout.Reason ?? "(none)"),
                .. reports.Select(static r => (r.Host, r.Report)),
            ]);
        }
        finally
        {
            foreach (HostProcess host in hosts)
            {
                host.Dispose();
            }

            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Starts a rollout, drives it until it ends in <paramref name="expected"/> (or the deadline), printing each change.</summary>
    private static async Task<string> RolloutAsync(RolloutController controller, FleetArtifact artifact, string waves, TimeSpan bake, string expected)
    {
        using var stop = new CancellationTokenSource();
        Task running = controller.RunAsync(Plugin, stop.Token);
        string id = await controller.StartAsync(Plugin, artifact.Version, new Uri(artifact.Path), artifact.Digest, waves, bake, maxNacks: 0);
        Demo.Step($"rollout {id}: {artifact.Version}, waves {waves}");
        string? last = null;
        string state = "running";
        await WaitUntilAsync(
            () =>
            {
                FleetRolloutStatus? rollout = controller.GetStatusAsync().GetAwaiter().GetResult().Plugins.Single().Rollout;
                string now = rollout is null ? "none" : $"{rollout.State}, wave {rollout.Wave} of {rollout.Waves.Count}, admitted {string.Join(" ", rollout.Admitted)}";
                if (now != last)
                {
                    Demo.Step("  " + now);
                    last = now;
                }

                state = rollout?.State ?? "none";
                return state is "completed" or "aborted";
            },
            $"the rollout to end {expected}");
        await stop.CancelAsync();
        await running;
        return state;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        long start = TimeProvider.System.GetTimestamp();
        while (!condition())
        {
            if (TimeProvider.System.GetElapsedTime(start) > s_deadline)
            {
                throw new TimeoutException($"The demo waited {s_deadline.TotalSeconds:0} s for {what}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System);
        }
    }

    private static long Field(string report, string name)
        => report.Split(' ').FirstOrDefault(f => f.StartsWith(name + "=", StringComparison.Ordinal)) is { } field
            ? long.Parse(field[(name.Length + 1)..], CultureInfo.InvariantCulture)
            : 0;
}
