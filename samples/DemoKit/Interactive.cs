using System.Diagnostics;

namespace Hotswap.Samples;

/// <summary>
/// A sample's interactive mode: the host keeps running on <c>samples/&lt;Sample&gt;/plugins</c> with the
/// watcher on, prints a heartbeat from its plugins, and reloads whenever a plugin is rebuilt with
/// <c>hotswap build</c>. Ctrl+C stops.
/// </summary>
public static class Interactive
{
    /// <summary>Runs until Ctrl+C.</summary>
    /// <param name="sample">The sample's folder name.</param>
    /// <param name="plugins">Each plugin's project folder (relative to the sample) and name; version 1 is published first if nothing is.</param>
    /// <param name="configure">Adds what the sample's host needs (an extension factory, static plugins).</param>
    /// <param name="heartbeat">What to print every 2 seconds, read from the current generation.</param>
    public static async Task<int> RunAsync(string sample, IReadOnlyList<(string ProjectFolder, string Name)> plugins, Action<PluginHostOptions>? configure, Func<PluginHost, string> heartbeat)
    {
        string sampleDirectory = Path.Combine(Demo.SamplesDirectory, sample);
        string root = Path.Combine(sampleDirectory, "plugins");
        foreach ((string folder, string name) in plugins)
        {
            if (!File.Exists(Path.Combine(root, name, "current")))
            {
                Console.WriteLine($"Publishing v1 of {name} first...");
                string output = Directory.CreateTempSubdirectory("hotswap-sample-").FullName;
                using Process build = Process.Start("dotnet", ["publish", Path.Combine(sampleDirectory, folder), "-c", "Release", "-o", output, "--nologo", "-v", "quiet"]);
                await build.WaitForExitAsync();
                await PluginPublisher.PublishAsync(output, root, name);
                Directory.Delete(output, recursive: true);
            }
        }

        var options = new PluginHostOptions { PluginsRoot = root, Watch = true };
        configure?.Invoke(options);
        await using PluginHost host = PluginHost.Create(options);
        host.Reloaded += (_, e) => Console.WriteLine($"reloaded: {e.Result}");
        host.ReloadFailed += (_, e) => Console.WriteLine($"reload FAILED, still serving: {e.Result.Error?.Message}");
        host.Unloaded += (_, e) => Console.WriteLine($"unloaded {e.Version} ({e.Elapsed.TotalMilliseconds:0} ms after Unload)");
        Console.WriteLine((await host.LoadAsync()).ToString());
        (string folder0, string name0) = plugins[0];
        Console.WriteLine($"""
            The host is running on {root} and reloads whatever is published there.
            Edit a plugin under samples/{sample}/{folder0}, then in another terminal:
              dotnet run --project src/Hotswap.Cli -- build samples/{sample}/{folder0} samples/{sample}/plugins --name {name0}
            (add "-- -p:DemoVersion=2" to build the demo's version 2). Ctrl+C stops.
            """);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                try
                {
                    Console.WriteLine("heartbeat: " + heartbeat(host));
                }
                catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException)
                {
                    Console.WriteLine("heartbeat: " + ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        return 0;
    }
}
