using Hotswap;
using MyContracts;

// A console host: loads the plugins under the plugins root (the first argument, default "plugins"),
// reloads whenever 'hotswap build' publishes there, and prints the plugin's answer after every load.
string root = Path.GetFullPath(args.Length > 0 ? args[0] : "plugins");
Directory.CreateDirectory(root);

await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, Watch = true });

// Keep the proxy for the host's whole life: every call reaches the plugin's current version.
IGreeter greeter = host.GetProxy<IGreeter>("myplugin");

// Every new generation (the first load included) prints the plugin's answer.
void Answer(ReloadResult result)
{
    if (result.Find("myplugin") is not { Outcome: not ReloadOutcome.Removed })
    {
        Console.WriteLine($"[gen {result.Generation}] no plugin 'myplugin' under {root} yet: publish one with 'hotswap build <plugin project> {root}'");
        return;
    }

    Console.WriteLine($"[gen {result.Generation}] {greeter.Greet("you")}");
}

host.Reloaded += (_, e) =>
{
    if (e.Result.Published)
    {
        Answer(e.Result);
    }
};
host.ReloadFailed += (_, e) => Console.WriteLine($"reload failed, still serving the previous version: {e.Result.Error?.Message}");

await host.LoadAsync();
Console.WriteLine($"Watching {root}. Ctrl+C stops.");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}
