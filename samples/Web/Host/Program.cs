using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Hotswap;
using Hotswap.Samples;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// The Web sample: an ASP.NET Core service whose plugin serves GET /hello, swapped under HTTP load.
string samples = Demo.SamplesDirectory;
string helloProject = Path.Combine(samples, "Web", "Plugins", "Hello", "Hello.csproj");
int swaps = OptionValue("--swaps", 10);
int clients = OptionValue("--clients", 8);
return args.Contains("--demo") ? await RunDemoAsync() : await RunInteractiveAsync();

async Task<int> RunDemoAsync()
{
    using var demo = new Demo(
        "Hotswap Web demo",
        $"An ASP.NET Core service on Kestrel swaps the plugin behind GET /hello between two builds {swaps} times while {clients} clients keep sending requests: no failed request, each answered by one version, and every old version leaves memory.");
    PublishResult v2 = await demo.BuildAndPublishAsync(helloProject, "hello", 2);
    PublishResult v1 = await demo.BuildAndPublishAsync(helloProject, "hello", 1); // current: v1

    await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = demo.Root, WriteStatus = false });
    var unloaded = new ConcurrentQueue<UnloadedEventArgs>();
    var stuck = new ConcurrentQueue<UnloadStuckEventArgs>();
    host.Unloaded += (_, e) => unloaded.Enqueue(e);
    host.UnloadStuck += (_, e) => stuck.Enqueue(e);
    (await host.LoadAsync()).EnsureSuccess();

    await using WebApplication app = CreateApp(host, "http://127.0.0.1:0");
    await app.StartAsync();
    string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    Demo.Step($"Kestrel listens on {address}; GET /hello is served by plugin 'hello' v1");

    using var http = new HttpClient { BaseAddress = new Uri(address) };
    var load = new HttpLoad(http, clients);
    Demo.Step($"{clients} clients now send GET /hello without pause");
    await load.RunForAsync(TimeSpan.FromSeconds(2)); // steady state, nothing swapping

    load.Phase = HttpLoad.Swapping;
    var reloads = new List<ReloadResult>();
    var retired = new List<PluginVersionInfo>();
    PublishResult serving = v1;
    for (int i = 0; i < swaps; i++)
    {
        PublishResult next = serving == v1 ? v2 : v1;
        PluginPublisher.Activate(demo.Root, "hello", next.Version);
        ReloadResult reload = await host.ReloadAsync();
        reloads.Add(reload);
        if (reload.Published)
        {
            retired.Add(new PluginVersionInfo("hello", serving.Version));
            serving = next;
        }

        // Let the clients be served by the new version for a moment before the next swap.
        await load.WaitForAsync(next == v1 ? "v1" : "v2", answers: 200);
    }

    Demo.Step($"swapped {reloads.Count(static r => r.Published)} times; median swap {Median(reloads.Select(static r => r.Duration.TotalMilliseconds)):0.0} ms");
    load.Phase = HttpLoad.Steady;
    await load.RunForAsync(TimeSpan.FromSeconds(1));
    await load.StopAsync();

    StatusCheck status = await ReadStatusAsync(http, serving.Version);
    await app.StopAsync();

    // Every retired version must be proven collected: one Unloaded per retirement.
    var deadline = Stopwatch.StartNew();
    while (unloaded.Count < retired.Count && stuck.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(60))
    {
        await Task.Delay(50);
    }

    demo.Check("every swap published a new generation", reloads.TrueForAll(static r => r.Published));
    demo.Check("requests were served by v1 and by v2", load.Served("v1") > 0 && load.Served("v2") > 0);
    demo.Check("no request failed (non-2xx or transport error)", load.NotSuccess == 0 && load.TransportErrors == 0);
    demo.Check("every response carried exactly one version", load.Mixed == 0);
    demo.Check($"all {retired.Count} retired versions were proven collected", unloaded.Count >= retired.Count && stuck.IsEmpty);
    demo.Check("the status page names the version serving", status.NamesServing);
    return demo.Finish(
    [
        ("requests", load.Total.ToString("N0", CultureInfo.InvariantCulture)),
        ("served by v1 / v2", $"{load.Served("v1"):N0} / {load.Served("v2"):N0}"),
        ("non-2xx responses", load.NotSuccess.ToString(CultureInfo.InvariantCulture)),
        ("transport errors", load.TransportErrors == 0 ? "0" : $"{load.TransportErrors} (first: {load.FirstError})"),
        ("latency steady p50 / p99", $"{load.Percentile(HttpLoad.Steady, 50):0.00} / {load.Percentile(HttpLoad.Steady, 99):0.00} ms"),
        ("latency while swapping p50 / p99", $"{load.Percentile(HttpLoad.Swapping, 50):0.00} / {load.Percentile(HttpLoad.Swapping, 99):0.00} ms"),
        ("swaps", $"{reloads.Count(static r => r.Published)}, median {Median(reloads.Select(static r => r.Duration.TotalMilliseconds)):0.0} ms each"),
        ("old versions collected", $"{unloaded.Count} of {retired.Count}" + (unloaded.IsEmpty ? "" : $", slowest {unloaded.Max(static u => u.Elapsed.TotalMilliseconds):0.0} ms after Unload()")),
        ("status page", status.Text),
    ]);
}

async Task<int> RunInteractiveAsync()
{
    string root = Path.Combine(samples, "Web", "plugins");
    if (!File.Exists(Path.Combine(root, "hello", "current")))
    {
        Console.WriteLine("Publishing v1 of hello first...");
        string output = Directory.CreateTempSubdirectory().FullName;
        Process.Start("dotnet", ["publish", helloProject, "-c", "Release", "-o", output, "--nologo", "-v", "quiet"]).WaitForExit();
        await PluginPublisher.PublishAsync(output, root, "hello");
    }

    await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = root, Watch = true });
    host.Reloaded += (_, e) => Console.WriteLine($"reloaded: {e.Result}");
    host.ReloadFailed += (_, e) => Console.WriteLine($"reload FAILED, still serving: {e.Result.Error?.Message}");
    (await host.LoadAsync()).EnsureSuccess();
    await using WebApplication app = CreateApp(host, "http://127.0.0.1:5080");
    Console.WriteLine("""
        Serving http://127.0.0.1:5080/hello and the status page http://127.0.0.1:5080/hotswap (loopback only).
        Edit samples/Web/Plugins/Hello/HelloPlugin.cs, then in another terminal:
          dotnet run --project src/Hotswap.Cli -- build samples/Web/Plugins/Hello samples/Web/plugins --name hello
        Ctrl+C stops.
        """);
    await app.RunAsync();
    return 0;
}

static WebApplication CreateApp(PluginHost host, string url)
{
    WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
    builder.WebHost.UseUrls(url);
    builder.Logging.ClearProviders();
    WebApplication app = builder.Build();
    app.MapPluginEndpoints(host);

    // A loopback-only demo: anonymous users may see the status page. A real service names a policy.
    app.MapHotswapStatus(host, "/hotswap", static o => o.AllowAnonymous = true);
    return app;
}

static async Task<StatusCheck> ReadStatusAsync(HttpClient http, string servingVersion)
{
    try
    {
        string json = await http.GetStringAsync("/hotswap.json");
        bool names = json.Contains(servingVersion, StringComparison.Ordinal);
        return new StatusCheck(names, names ? $"/hotswap.json lists hello {servingVersion}" : "/hotswap.json does not name the serving version");
    }
    catch (HttpRequestException ex)
    {
        return new StatusCheck(false, $"/hotswap.json failed: {ex.Message}");
    }
}

static double Median(IEnumerable<double> values)
{
    double[] sorted = [.. values.Order()];
    return sorted.Length == 0 ? 0 : sorted[sorted.Length / 2];
}

int OptionValue(string name, int fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out int value) && value > 0 ? value : fallback;
}

internal sealed record StatusCheck(bool NamesServing, string Text);

/// <summary>What GET /hello answers; the plugin's own type has the same shape.</summary>
internal sealed record Greeting(string Version, string Text);

/// <summary>Clients sending GET /hello in a loop, counting answers by version and latencies by phase.</summary>
internal sealed class HttpLoad
{
    public const string Steady = "steady";
    public const string Swapping = "swapping";

    private readonly HttpClient _http;
    private readonly int _clients;
    private readonly ConcurrentDictionary<string, long> _byVersion = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _latencies = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _running = [];
    private long _notSuccess;
    private long _transportErrors;
    private long _mixed;
    private string? _firstError;

    public HttpLoad(HttpClient http, int clients)
    {
        _http = http;
        _clients = clients;
    }

    public volatile string Phase = Steady;

    public long Total => _byVersion.Values.Sum() + NotSuccess + TransportErrors;

    public long NotSuccess => Interlocked.Read(ref _notSuccess);

    public long TransportErrors => Interlocked.Read(ref _transportErrors);

    public long Mixed => Interlocked.Read(ref _mixed);

    public string? FirstError => Volatile.Read(ref _firstError);

    public long Served(string version) => _byVersion.TryGetValue(version, out long count) ? count : 0;

    /// <summary>Starts the clients if they are not running, then lets them run for <paramref name="duration"/>.</summary>
    public async Task RunForAsync(TimeSpan duration)
    {
        if (_running.Count == 0)
        {
            for (int i = 0; i < _clients; i++)
            {
                _running.Add(Task.Run(() => ClientAsync(_stop.Token)));
            }
        }

        await Task.Delay(duration);
    }

    /// <summary>Waits until <paramref name="answers"/> more requests were answered by <paramref name="version"/>.</summary>
    public async Task WaitForAsync(string version, int answers)
    {
        long target = Served(version) + answers;
        var deadline = Stopwatch.StartNew();
        while (Served(version) < target && deadline.Elapsed < TimeSpan.FromSeconds(30) && TransportErrors == 0)
        {
            await Task.Delay(10);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
    }

    public double Percentile(string phase, int percentile)
    {
        if (!_latencies.TryGetValue(phase, out ConcurrentQueue<double>? queue) || queue.IsEmpty)
        {
            return 0;
        }

        double[] sorted = [.. queue.Order()];
        return sorted[Math.Min(sorted.Length - 1, sorted.Length * percentile / 100)];
    }

    private async Task ClientAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            string phase = Phase;
            long started = Stopwatch.GetTimestamp();
            try
            {
                using HttpResponseMessage response = await _http.GetAsync("/hello?name=load", CancellationToken.None);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _notSuccess);
                    Interlocked.CompareExchange(ref _firstError, $"HTTP {(int)response.StatusCode}", null);
                    continue;
                }

                Greeting? greeting = await response.Content.ReadFromJsonAsync<Greeting>(CancellationToken.None);
                _latencies.GetOrAdd(phase, static _ => new ConcurrentQueue<double>()).Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

                // One version from start to end: the version and the text it wrote must agree.
                bool consistent = greeting is not null && (greeting.Version == "v1" ? greeting.Text.StartsWith("hello,", StringComparison.Ordinal) : greeting.Text.StartsWith("good day,", StringComparison.Ordinal));
                if (!consistent)
                {
                    Interlocked.Increment(ref _mixed);
                }

                _byVersion.AddOrUpdate(greeting?.Version ?? "?", 1, static (_, n) => n + 1);
            }
            catch (HttpRequestException ex)
            {
                Interlocked.Increment(ref _transportErrors);
                Interlocked.CompareExchange(ref _firstError, ex.Message, null);
            }
        }
    }
}
