using System.Globalization;
using Hotswap;

// fleet host --endpoints E --fleet F --host-id H --root R --plugin P --call NAME [--arg A]
//
// Loads the plugins root, joins the fleet, and calls `plugin.Invoke(call, arg)` on two threads
// without pause from the first successful call on. It prints one line per event on stdout:
//   ready <hostId>                        joined the fleet (its registration written)
//   answer <ACK|NACK> <plugin>@<version>  the agent answered
//   serving <plugin>@<version>            the host's live generation serves it
//   report calls=<n> failures=<n> serving=<versions> answers=<list> reachable=<bool>   on "report" from stdin
// and ends, on "exit" or the end of stdin, with a last report line prefixed "stopped".
if (args.Contains("--demo"))
{
    return await Fleet.Host.FleetDemo.RunAsync();
}

if (args is not ["host", .. string[] rest])
{
    Console.Error.WriteLine("usage: Fleet.Host --demo | host --endpoints E --fleet F --host-id H --root R --plugin P --call NAME [--arg A]");
    return 2;
}

Dictionary<string, string> options = Options(rest);
string root = Path.GetFullPath(options["--root"]);
string plugin = options["--plugin"];
string call = options["--call"];
object?[] callArguments = options.TryGetValue("--arg", out string? argument) ? [argument] : [];
Directory.CreateDirectory(root);

await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, Watch = false });
(await host.LoadAsync()).EnsureSuccess();
var fleetOptions = new FleetAgentOptions
{
    Endpoints = options["--endpoints"],
    Fleet = options["--fleet"],
    HostId = options["--host-id"],
    LeaseTtl = TimeSpan.FromSeconds(double.Parse(options.GetValueOrDefault("--lease-ttl", "3"), CultureInfo.InvariantCulture)),
    CallTimeout = TimeSpan.FromSeconds(2),
};
await using var agent = new FleetAgent(host, fleetOptions);
var output = new object();
void Say(string line)
{
    lock (output)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}

var answers = new List<string>();
agent.Answered += (_, e) =>
{
    string answer = $"{(e.Acknowledged ? "ACK" : "NACK")} {e.PluginName}@{e.Version}";
    lock (answers)
    {
        answers.Add(answer);
    }

    Say("answer " + answer);
};
host.Reloaded += (_, _) => Say("serving " + Serving());
await agent.StartAsync();
Say("ready " + agent.HostId);

long calls = 0;
long failures = 0;
bool served = false;
string? lastFailure = null;
using var stop = new CancellationTokenSource();
Task[] callers = [.. Enumerable.Range(0, 2).Select(caller => Task.Factory.StartNew(
    () =>
    {
        while (!stop.IsCancellationRequested)
        {
            bool servedBefore = Volatile.Read(ref served); // a call started before the plugin ever served may fail: it is not counted
            try
            {
                _ = host.Invoke(plugin, call, callArguments);
                Volatile.Write(ref served, true);
                Interlocked.Increment(ref calls);
            }
#pragma warning disable CA1031 // Every failed call is counted, whatever it is.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (servedBefore)
                {
                    Interlocked.Increment(ref failures); // a call after the plugin first served: a real failure
                    lastFailure = ex.Message;
                }
                else
                {
                    Thread.Yield(); // not loaded yet (the agent has not fetched it): not a failure
                }
            }
        }
    },
    CancellationToken.None,
    TaskCreationOptions.LongRunning,
    TaskScheduler.Default))];

while (Console.In.ReadLine() is { } command && command != "exit")
{
    if (command == "report")
    {
        Say("report " + Report());
    }
}

await stop.CancelAsync();
await Task.WhenAll(callers);
Say("stopped " + Report());
return 0;

string Report()
{
    string list;
    lock (answers)
    {
        list = string.Join(",", answers.Select(static a => a.Replace(' ', ':')));
    }

    return string.Create(CultureInfo.InvariantCulture, $"calls={Interlocked.Read(ref calls)} failures={Interlocked.Read(ref failures)} serving={Serving()} answers={list} reachable={agent.IsStoreReachable}{(lastFailure is null ? "" : " lastFailure=" + lastFailure.Replace(' ', '_'))}");
}

string Serving()
{
    try
    {
        using GenerationLease lease = host.Acquire();
        return string.Join(",", lease.Generation.Plugins.Select(static p => p.ToString()));
    }
    catch (InvalidOperationException)
    {
        return "";
    }
}

static Dictionary<string, string> Options(string[] args)
{
    var options = new Dictionary<string, string>(StringComparer.Ordinal);
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        options[args[i]] = args[i + 1];
    }

    return options;
}
