using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Hotswap;
using Microsoft.Extensions.Logging;

#region plugin
[assembly: HotswapPlugin(typeof(Snippets.WorldPlugin))]

namespace Snippets;

public sealed class WorldPlugin : Plugin
{
    private ILogger _log = null!;

    public override bool Reloadable => true;                 // false: the first version stays forever

    public override object? Export() => new Greeter();        // what the host and other plugins may use

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _log = context.Logger;                                 // name, version, logger, services, load data
        return Task.CompletedTask;
    }

    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        _log.LogInformation("joining generation {Generation}", vault.Generation);
        return Task.CompletedTask;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _log.LogInformation("last call returned; releasing what I hold");
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args)
        => name == "greet" ? new Greeter().Greet((string)args[0]!) : null;

    private sealed class Greeter : IGreeter
    {
        public string Greet(string name) => $"hello {name}";
    }
}
#endregion

#region import
public sealed class PoliteWorldPlugin : Plugin
{
    [Import("world")]                                          // filled with world's export, same generation
    public IGreeter World { get; set; } = null!;

    public override object? Invoke(string name, params object?[] args)
        => name == "greet" ? World.Greet((string)args[0]!) + ", please" : null;
}
#endregion

#region vault-plugin
public sealed class RegisteringPlugin : Plugin
{
    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        // Called for every generation this version joins: fill this generation's extension.
        vault.Extension<GreetingRegistry>().Add("registering", new PoliteGreeter());

        // Host-lifetime data: survives every reload. Store host types or LiveData only.
        vault.DataBag.GetOrAdd("inits", () => new StrongBox<int>()).Value++;
        return Task.CompletedTask;
    }

    private sealed class PoliteGreeter : IGreeter
    {
        public string Greet(string name) => $"good day, {name}";
    }
}
#endregion

#region live
public sealed class ResizeJob
{
    public int ImageId { get; set; }

    public int Width { get; set; }
}

public static class Jobs
{
    [LiveFunction("resize")]                                   // called by name: always the newest version's code
    public static string Resize(LiveData data)
    {
        ResizeJob job = data.To<ResizeJob>()!;                 // this version's own type
        return $"image {job.ImageId} resized to {job.Width}";
    }

    public static void Enqueue(ConcurrentQueue<Job> queue, int imageId)
        => queue.Enqueue(new Job("function", "resize", LiveData.Create(new ResizeJob { ImageId = imageId, Width = 640 })));
}

[LiveType("thumbnail")]                                        // created by name: the newest version's type
public sealed class ThumbnailJob : IJobHandler
{
    public string Handle(LiveData data) => $"thumbnail of {data.To<ResizeJob>()!.ImageId}";
}
#endregion

#region state
public sealed class CounterPlugin : Plugin
{
    private int _count;

    public override object? Invoke(string name, params object?[] args)
        => name == "increment" ? Interlocked.Increment(ref _count) : null;

    public override LiveData? SaveState() => LiveData.Create(Volatile.Read(ref _count));

    public override void RestoreState(LiveData state, string fromVersion) => _count = state.To<int>();
}
#endregion
