using System.Diagnostics;
using System.Globalization;
using Hotswap.Soak.Contracts;

namespace Hotswap.FleetScale;

/// <summary>
/// A child process: runs its share of the fleet's agents, each beside its own <see cref="PluginHost"/> on its own
/// plugins root, and answers the parent's commands on standard input (one a line): <c>check</c> calls every host
/// once and says which build answered; <c>stop</c> (or the end of standard input: the parent is gone) stops
/// every agent and host and exits. Lines for the parent start with <see cref="Prefix"/>; anything else on
/// standard output (the etcd client writes there) is ignored by the parent.
/// </summary>
internal static class ChildRun
{
    public const string Prefix = "@fleetscale ";

    public const string Plugin = "soak";

    public static async Task<int> RunAsync(ScaleOptions options)
    {
        long started = Stopwatch.GetTimestamp();
        var hosts = new List<(PluginHost Host, FleetAgent Agent)>();
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int answered = 0;
        int nacks = 0;
        try
        {
            foreach (string hostId in options.HostIds)
            {
                string root = Path.Combine(options.Work, hostId);
                Directory.CreateDirectory(root);
                // No watcher: the agent reloads its host itself (and 200 inotify instances would pass Linux's default limit of 128).
                PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root });
                (await host.LoadAsync()).EnsureSuccess(); // an empty root: the agent fetches the stable version
                var agent = new FleetAgent(host, new FleetAgentOptions { Endpoints = options.Endpoints, Fleet = options.Fleet, HostId = hostId, LeaseTtl = options.LeaseTtl });
                bool first = true;
                agent.Answered += (_, e) =>
                {
                    // The first answer of each agent is for the stable version it fetched on joining.
                    if (first)
                    {
                        first = false;
                        if (!e.Acknowledged)
                        {
                            Interlocked.Increment(ref nacks);
                            Say($"error {hostId} NACKed {e.Version}: {e.Phase} {e.FilePath} {e.Reason}");
                        }

                        if (Interlocked.Increment(ref answered) == options.HostIds.Count)
                        {
                            joined.TrySetResult();
                        }
                    }
                    else if (!e.Acknowledged)
                    {
                        Say($"error {hostId} NACKed {e.Version}: {e.Phase} {e.FilePath} {e.Reason}");
                    }
                };
                hosts.Add((host, agent));
                await agent.StartAsync();
            }

            Say($"started {Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)}");
            // One reader of standard input for the whole run (Console.In blocks): its lines, then null at its end.
            var lines = System.Threading.Channels.Channel.CreateUnbounded<string?>();
            var reader = new Thread(() =>
            {
                while (Console.In.ReadLine() is { } line)
                {
                    lines.Writer.TryWrite(line);
                }

                lines.Writer.TryWrite(null);
            }) { IsBackground = true };
            reader.Start();
            Task<string?> next = lines.Reader.ReadAsync().AsTask();
            if (await Task.WhenAny(joined.Task, next) != joined.Task)
            {
                return 1;
            }

            Say($"joined {Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} {nacks}");
            while (await next is { } command && command != "stop")
            {
                next = lines.Reader.ReadAsync().AsTask();
                if (command == "check")
                {
                    int build1 = 0, build2 = 0, failed = 0;
                    foreach ((PluginHost host, _) in hosts)
                    {
                        try
                        {
                            int build = host.Invoke<ISoakProbe, int, int>(Plugin, static (probe, _) => probe.Identify().Build, 0);
                            build1 += build == 1 ? 1 : 0;
                            build2 += build == 2 ? 1 : 0;
                        }
                        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or PluginLoadException)
                        {
                            failed++;
                        }
                    }

                    Say($"checked {build1} {build2} {failed}");
                }
            }

            return 0;
        }
        finally
        {
            long stopping = Stopwatch.GetTimestamp();
            // All at once: with the store gone (the parent died with its cluster) each revoke waits out its call
            // timeout, and one after another that would keep a child alive for minutes.
            await Task.WhenAll(hosts.Select(static async h =>
            {
                await h.Agent.DisposeAsync();
                await h.Host.DisposeAsync();
            }));

            try
            {
                Directory.Delete(options.Work, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }

            Say($"stopped {Stopwatch.GetElapsedTime(stopping).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)}");
        }
    }

    private static void Say(string line)
    {
        lock (Console.Out)
        {
            Console.Out.WriteLine(Prefix + line);
            Console.Out.Flush();
        }
    }
}
