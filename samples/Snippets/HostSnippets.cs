using System.Collections.Concurrent;
using Hotswap;

namespace Snippets;

public static class HostSnippets
{
    public static async Task QuickStartAsync()
    {
        #region quickstart
        await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = "plugins" });
        (await host.LoadAsync()).EnsureSuccess();               // first generation
        string hello = (string)host.Invoke("world", "greet", "you")!;
        ReloadResult next = await host.ReloadAsync();           // all-or-nothing; the old version drains, then unloads
        #endregion
        _ = (hello, next);
    }

    public static async Task ProxyAsync()
    {
        await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = "plugins" });
        (await host.LoadAsync()).EnsureSuccess();
        #region proxy
        // Keep it for the life of the host: each call reaches the current version and holds a lease
        // on it until the call is over (for a Task, until it completes).
        IGreeter greeter = host.GetProxy<IGreeter>("world");
        string greeting = greeter.Greet("you");

        // Without a contract proxy: a static lambda and its state, no allocation.
        string again = host.Invoke("world", static (IGreeter g, string name) => g.Greet(name), "you");
        #endregion
        _ = (greeting, again);
    }

    public static async Task PublishAsync()
    {
        #region publish
        // Copy a build into a new immutable version folder, then flip plugins/world/current.
        PublishResult published = await PluginPublisher.PublishAsync("bin/World", "plugins", "world");
        Console.WriteLine($"published {published.Version}");
        #endregion
    }

    public static async Task HostAsync()
    {
        #region host
        await using PluginHost host = PluginHost.Create(new PluginHostOptions
        {
            PluginsRoot = "plugins",
            ExtensionFactory = () => new GreetingRegistry(),    // one extension per generation
        });

        host.Reloaded += (_, e) => Console.WriteLine(e.Result);
        host.ReloadFailed += (_, e) => Console.WriteLine(e.Result.Error!.Message);   // names plugin, phase, file
        host.Unloaded += (_, e) => Console.WriteLine($"{e.Version} collected after {e.Elapsed.TotalMilliseconds:0} ms");
        host.UnloadStuck += (_, e) => Console.WriteLine($"{e.Version} stuck: {e.Cause}");

        (await host.LoadAsync()).EnsureSuccess();

        // One call, one lease: it runs on one version from start to end.
        object? reply = host.Invoke("world", "greet", "you");

        // Several calls that must see the same versions share one lease.
        using (GenerationLease lease = host.Acquire())
        {
            IGreeter greeter = lease.Generation.GetExport<IGreeter>("world");   // don't keep it past the lease
            lease.Generation.InvokeEach("tick");
            Console.WriteLine(greeter.Greet("you") + lease.Generation.Vault.Extension<GreetingRegistry>()["registering"].Greet("you"));
        }
        #endregion
        _ = reply;
    }

    public static void DrainJobs(PluginHost host, ConcurrentQueue<Job> queue)
    {
        #region drain-jobs
        // A job queued by version 1 and run after a reload is handled by version 2's code.
        while (queue.TryDequeue(out Job? job))
        {
            using GenerationLease lease = host.Acquire();
            Vault vault = lease.Generation.Vault;
            string done = job.Kind == "function"
                ? (string)vault.LiveFunctions.Invoke(job.Name, job.Data)!
                : vault.LiveTypes.Create<IJobHandler>(job.Name).Handle(job.Data);
            Console.WriteLine(done);
        }
        #endregion
    }

    public static async Task ProbationAsync()
    {
        #region probation
        await using PluginHost host = PluginHost.Create(new PluginHostOptions
        {
            PluginsRoot = "plugins",
            Probation = TimeSpan.FromMinutes(2),                // the previous generation stays loaded, ready to serve again
            AutoRollback = new AutoRollbackOptions { FailureRate = 0.2, MinimumCalls = 50 },
            MaxDrainingVersions = 3,                            // refuse a reload while 3 old versions still run calls
        });
        host.RolledBack += (_, e) => Console.WriteLine($"{(e.IsAutomatic ? "auto" : "manual")} rollback: {e.Result}");
        (await host.LoadAsync()).EnsureSuccess();

        ReloadResult next = await host.ReloadAsync();          // warm-up and health gate before the switch
        ReloadResult back = await host.RollbackAsync();        // one atomic switch back, nothing loaded
        #endregion
        _ = (next, back);
    }

    public static PluginHost StaticHost()
    {
        #region static
        // The same plugin compiled into the host: same lifecycle, no load context, never reloaded.
        var options = new PluginHostOptions { PluginsRoot = "plugins" }
            .AddStatic<WorldPlugin>("world-static");
        return PluginHost.Create(options);
        #endregion
    }
}
