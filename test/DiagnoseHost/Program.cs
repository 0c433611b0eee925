using System.Runtime.CompilerServices;
using Hotswap;
using Hotswap.Diagnostics;

namespace DiagnoseHost;

/// <summary>
/// <c>DiagnoseHost &lt;pluginsRoot&gt; &lt;pinnerBuild&gt; &lt;cleanBuild&gt; &lt;mode&gt;</c>: publishes the pinner
/// as "pinned" and the clean build as "clean", loads both (the mode is the pinner's load data; "cache"
/// and "exception" are pins the host makes itself), publishes both again and reloads, then prints
/// <c>stuck pinned@V</c>, <c>unloaded clean@V</c> and <c>ready</c>, and waits for <c>exit</c>.
/// With a fifth argument <c>self</c> the host diagnoses itself (<see cref="UnloadDiagnosers.HeapDump"/>): it
/// also prints <c>cause ...</c>, the stuck report's cause on one line, and is ready once its status
/// file carries that cause. With a sixth, <c>twice</c>, it then publishes the pinner once more and
/// reloads, so that the second version is stuck too, and prints <c>cause2 ...</c>, that report's cause.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string root = args[0];
        string pinnerBuild = args[1];
        string cleanBuild = args[2];
        string mode = args[3];
        bool self = args.Length > 4 && args[4] == "self";
        bool twice = args.Length > 5 && args[5] == "twice";
        Directory.CreateDirectory(root);
        var clock = new SteppingClock();
        PublishResult pinnedOld = await PluginPublisher.PublishAsync(pinnerBuild, root, "pinned", new PublishOptions { TimeProvider = clock });
        PublishResult cleanOld = await PluginPublisher.PublishAsync(cleanBuild, root, "clean", new PublishOptions { TimeProvider = clock });

        var stuck = new TaskCompletionSource<UnloadStuckEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stuckAgain = new TaskCompletionSource<UnloadStuckEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var unloaded = new Dictionary<string, TaskCompletionSource<string>>
        {
            ["pinned"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
            ["clean"] = new(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        using var statusWritten = new StatusWatch(root);
        await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, UnloadTimeout = TimeSpan.FromSeconds(2), UnloadDiagnoser = self ? UnloadDiagnosers.HeapDump() : null });
        host.UnloadStuck += (_, e) =>
        {
            if (!stuck.TrySetResult(e))
            {
                stuckAgain.TrySetResult(e);
            }
        };
        host.Unloaded += (_, e) => unloaded[e.Version.PluginName].TrySetResult($"{e.Version.PluginName}@{e.Version.Version}");
        (await host.LoadAsync(mode)).EnsureSuccess();
        PinFromHost(host, mode);
        Console.WriteLine($"loaded pinned@{pinnedOld.Version} clean@{cleanOld.Version}");

        await PluginPublisher.PublishAsync(pinnerBuild, root, "pinned", new PublishOptions { TimeProvider = clock });
        await PluginPublisher.PublishAsync(cleanBuild, root, "clean", new PublishOptions { TimeProvider = clock });
        (await host.ReloadAsync()).EnsureSuccess();
        if (mode == "none")
        {
            Console.WriteLine("unloaded " + await unloaded["pinned"].Task.WaitAsync(TimeSpan.FromMinutes(1)));
        }
        else
        {
            UnloadStuckEventArgs report = await stuck.Task.WaitAsync(TimeSpan.FromMinutes(1));
            Console.WriteLine($"stuck {report.Version}");
            if (self)
            {
                Console.WriteLine("cause " + report.Cause.ReplaceLineEndings(" "));
                await statusWritten.UntilAsync(() => HostStatusReader.ReadLiveHosts(root).Any(h => h.ProcessId == Environment.ProcessId && h.Stuck.Any(v => v.Cause == report.Cause)));
            }
        }

        Console.WriteLine("unloaded " + await unloaded["clean"].Task.WaitAsync(TimeSpan.FromMinutes(1)));
        if (twice)
        {
            await PluginPublisher.PublishAsync(pinnerBuild, root, "pinned", new PublishOptions { TimeProvider = clock });
            (await host.ReloadAsync()).EnsureSuccess();
            Console.WriteLine("cause2 " + (await stuckAgain.Task.WaitAsync(TimeSpan.FromMinutes(1))).Cause.ReplaceLineEndings(" "));
        }

        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line && line != "exit")
        {
        }

        return 0;
    }

    /// <summary>The pins the host makes itself, in a method of their own so that no frame of Main holds a plugin object.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PinFromHost(PluginHost host, string mode)
    {
        switch (mode)
        {
            case "cache":
                HostCache.Remember((Type)host.Invoke("pinned", "type")!, "pinned");
                break;
            case "exception":
                try
                {
                    host.Invoke("pinned", "throw");
                }
                catch (Exception ex)
                {
                    HostCache.LastError = ex;
                }

                break;
            default:
                break;
        }
    }

    /// <summary>Each publish gets its own build time, so that publishing the same build again is a new version.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now = _now.AddSeconds(1);
    }
}
