using Hello.Contracts;
using Hotswap;
using Hotswap.Samples;

// The Hello sample: two plugins, their lifecycle log, InvokeEach across them, and a live swap of one.
string samples = Demo.SamplesDirectory;
string worldProject = Path.Combine(samples, "Hello", "Plugins", "World", "World.csproj");
string moonProject = Path.Combine(samples, "Hello", "Plugins", "Moon", "Moon.csproj");
return args.Contains("--demo") ? await RunDemoAsync() : await RunInteractiveAsync();

async Task<int> RunDemoAsync()
{
    using var demo = new Demo(
        "Hotswap Hello demo",
        "A running host switches plugin 'world' from v1 to v2 while two threads keep calling it: no restart, no failed call, and v1's code leaves memory.");
    PublishResult[] v1 = await Task.WhenAll(demo.BuildAndPublishAsync(worldProject, "world", 1), demo.BuildAndPublishAsync(moonProject, "moon", 1));
    PublishResult worldV1 = v1[0];

    var log = new LifecycleLog();
    await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = demo.Root });
    ReloadResult first = await host.LoadAsync(log);
    Demo.Step($"host loaded {first}");
    Print(log.TakeNew());
    host.InvokeEach("heartbeat");
    Demo.Step("InvokeEach(\"heartbeat\") visited every plugin:");
    Print(log.TakeNew());

    SwapEvidence evidence = await DemoSwap.SwapWhileCallingAsync(
        host,
        () => (string)host.Invoke("world", "hello", "you")!,
        () => demo.BuildAndPublishAsync(worldProject, "world", 2),
        [new PluginVersionInfo("world", worldV1.Version)],
        log);

    Print(log.TakeNew());
    host.InvokeEach("heartbeat");
    Demo.Step("InvokeEach(\"heartbeat\") after the swap:");
    Print(log.TakeNew());
    Print(log.TakeNew());

    demo.CheckSwap(evidence);
    demo.Check("world was Loaded and moon carried over Unchanged", evidence.Swap.Find("world")?.Outcome == ReloadOutcome.Loaded && evidence.Swap.Find("moon")?.Outcome == ReloadOutcome.Unchanged);
    demo.Check("world v1 got OnFree after its last call", log.All.Contains("world v1: OnFree (its last call returned)"));
    return demo.Finish(evidence.Lines());
}

async Task<int> RunInteractiveAsync()
{
    string root = Path.Combine(samples, "Hello", "plugins");
    var log = new LifecycleLog();
    await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, Watch = true });
    if (!File.Exists(Path.Combine(root, "world", "current")) || !File.Exists(Path.Combine(root, "moon", "current")))
    {
        Console.WriteLine("Publishing v1 of world and moon first...");
        foreach ((string project, string name) in new[] { (worldProject, "world"), (moonProject, "moon") })
        {
            string output = Directory.CreateTempSubdirectory().FullName;
            System.Diagnostics.Process.Start("dotnet", ["publish", project, "-c", "Release", "-o", output, "--nologo", "-v", "quiet"]).WaitForExit();
            await PluginPublisher.PublishAsync(output, root, name);
        }
    }

    host.Reloaded += (_, e) => Console.WriteLine($"reloaded: {e.Result}");
    host.ReloadFailed += (_, e) => Console.WriteLine($"reload FAILED, still serving: {e.Result.Error?.Message}");
    host.Unloaded += (_, e) => Console.WriteLine($"unloaded {e.Version} ({e.Elapsed.TotalMilliseconds:0} ms after Unload)");
    await host.LoadAsync(log);
    Console.WriteLine($"""
        The host is running on {root} and reloads whatever is published there.
        Edit samples/Hello/Plugins/World/WorldPlugin.cs, then in another terminal:
          dotnet run --project src/Hotswap.Cli -- build samples/Hello/Plugins/World samples/Hello/plugins --name world
        Ctrl+C stops.
        """);
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    using var heartbeat = new PeriodicTimer(TimeSpan.FromSeconds(2));
    try
    {
        while (await heartbeat.WaitForNextTickAsync(stop.Token))
        {
            host.InvokeEach("heartbeat");
            Print(log.TakeNew());
        }
    }
    catch (OperationCanceledException)
    {
    }

    return 0;
}

static void Print(IEnumerable<string> lines)
{
    foreach (string line in lines)
    {
        Console.WriteLine("      " + line);
    }
}
