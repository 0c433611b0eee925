using System.Reflection;
using System.Runtime.Loader;
using Hotswap;
using Polly;
using Serilog;

// A web host as a service team writes one: Serilog, Swagger, Polly, Newtonsoft, health checks, Hotswap.
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Host.UseSerilog(static (_, configuration) => configuration.MinimumLevel.Warning().WriteTo.Console());
builder.Services.AddEndpointsApiExplorer();
builder.Services.AddSwaggerGen();
builder.Services.AddHealthChecks();
builder.Services.AddSingleton(new ResiliencePipelineBuilder().AddTimeout(TimeSpan.FromSeconds(1)).Build());
WebApplication app = builder.Build();
app.UseSwagger();
app.MapGet("/", static () => Newtonsoft.Json.JsonConvert.SerializeObject(new { ok = true }));
app.MapHealthChecks("/health");
await app.StartAsync();
using (var client = new HttpClient())
{
    string address = app.Urls.First();
    _ = await client.GetStringAsync(address + "/");
    _ = await client.GetStringAsync(address + "/swagger/v1/swagger.json");
}

// Every assembly the default context can provide: loaded, or a trusted platform assembly.
var names = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
foreach (string path in (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
{
    names.Add(Path.GetFileNameWithoutExtension(path));
}

foreach (Assembly loaded in AssemblyLoadContext.Default.Assemblies.Where(static a => !a.IsDynamic))
{
    names.Add(loaded.GetName().Name!);
}

var host = new HostAssemblies();
List<string> framework = [.. names.Where(host.IsFramework)];
List<string> own = [.. names.Where(n => !host.IsFramework(n))];

// Shared by necessity: Hotswap.Abstractions, contracts, forced (none here), and what their public surface uses, transitively.
var shared = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
var pending = new Queue<string>();
foreach (string name in own)
{
    if (host.MustShare(name) is { } why)
    {
        shared[name] = why;
        pending.Enqueue(name);
    }
}

while (pending.TryDequeue(out string? name))
{
    foreach ((string used, string type) in host.SurfaceOf(name))
    {
        if (!shared.ContainsKey(used) && host.TryGetVersion(used, out _))
        {
            shared[used] = $"in the public surface of {name} ({type})";
            pending.Enqueue(used);
        }
    }
}

Console.WriteLine($"Assemblies the host provides: {names.Count} ({framework.Count} of the shared frameworks, {own.Count} of the application)");
Console.WriteLine($"Before (whatever the host provides is shared): {names.Count} shared, {own.Count} of them the application's");
Console.WriteLine($"Now (by necessity): {framework.Count + shared.Count} shared: the {framework.Count} framework assemblies and {shared.Count} of the application's {own.Count}:");
foreach ((string name, string why) in shared)
{
    Console.WriteLine($"  {name}: {why}");
}

Console.WriteLine($"Private to each plugin that ships them: {own.Count - shared.Count} of the application's assemblies, for example {string.Join(", ", own.Where(n => !shared.ContainsKey(n)).Take(8))}");
await app.StopAsync();
