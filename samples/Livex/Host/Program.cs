using Hotswap;
using Hotswap.Samples;
using Livex.Contracts;

// The Livex sample: jobs queued by v1 (some before the swap, some by v1 code still running after it)
// are handled by v2's live function and live type.
string project = Path.Combine(Demo.SamplesDirectory, "Livex", "Plugins", "Worker", "Worker.csproj");
if (!args.Contains("--demo"))
{
    // Each heartbeat, the current worker queues two jobs and the host runs them on the current generation.
    var jobs = new JobQueue();
    return await Interactive.RunAsync(
        "Livex",
        [("Plugins/Worker", "worker")],
        null,
        host =>
        {
            host.Invoke("worker", "produce", jobs, 2);
            var done = new List<string>();
            while (jobs.TryDequeue(out Job job))
            {
                using GenerationLease lease = host.Acquire();
                Vault vault = lease.Generation.Vault;
                done.Add(job.Kind == "function" ? (string)vault.LiveFunctions.Invoke(job.Name, job.Data)! : vault.LiveTypes.Create<IJobHandler>(job.Name).Handle(job.Data));
            }

            return string.Join("; ", done);
        });
}

using var demo = new Demo(
    "Hotswap Livex demo",
    "A job is a live function or live type name plus LiveData (JSON), never a plugin object: jobs v1 produced run on v2's code, and do not keep v1 in memory.");
PublishResult v1 = await demo.BuildAndPublishAsync(project, "worker", 1);
await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = demo.Root });
Demo.Step($"host loaded {await host.LoadAsync()}");

var queue = new JobQueue();
host.Invoke("worker", "produce", queue, 40);
Demo.Step($"worker v1 queued {queue.Count} jobs");
var releaseLate = new TaskCompletionSource();
ValueTask<object?> late = host.InvokeAsync("worker", "produceLate", [queue, 10, releaseLate.Task]);
Demo.Step("worker v1 code is still running, and will queue 10 more jobs after the swap");

SwapEvidence evidence = await DemoSwap.SwapWhileCallingAsync(
    host,
    () => (string)host.Invoke("worker", "ping")!,
    () => demo.BuildAndPublishAsync(project, "worker", 2),
    []);
releaseLate.SetResult();
int lateJobs = (int)(await late)!;
Demo.Step($"v1 code, finishing after the swap, queued {lateJobs} late jobs; {queue.Count} jobs wait");
UnloadedEventArgs? v1Gone = await Demo.WhenUnloadedAsync(Demo.UnloadedOf(host, "worker", v1.Version));
int queuedWhenCollected = queue.Count;
Demo.Step(v1Gone is null ? "worker v1 is still in memory" : $"worker v1's code left memory while {queuedWhenCollected} of its jobs were still queued");

var handled = new List<string>();
while (queue.TryDequeue(out Job job))
{
    using GenerationLease lease = host.Acquire();
    Vault vault = lease.Generation.Vault;
    handled.Add(job.Kind == "function"
        ? (string)vault.LiveFunctions.Invoke(job.Name, job.Data)!
        : vault.LiveTypes.Create<IJobHandler>(job.Name).Handle(job.Data));
}

Demo.Step("for example: " + handled[0]);
Demo.Step("and:         " + handled[^1]);
int byV2 = handled.Count(h => h.StartsWith("v2 ", StringComparison.Ordinal));

demo.CheckSwap(evidence);
demo.Check("all 50 jobs v1 produced (40 queued before the swap, 10 by v1 code after it) were handled by v2", handled.Count == 50 && byV2 == 50);
demo.Check("worker v1 was proven collected while its jobs were still queued", v1Gone is not null && queuedWhenCollected == 50);
return demo.Finish(
[
    .. evidence.Lines(),
    ("jobs queued by v1 before the swap", "40"),
    ("jobs queued late by v1 code", lateJobs.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ("jobs handled by v2", byV2.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ("old worker context collected", v1Gone is null ? "NO" : $"yes, with {queuedWhenCollected} of its jobs still queued"),
]);
