using Hello.Contracts;
using Hotswap;

[assembly: HotswapPlugin(typeof(World.WorldPlugin))]

namespace World;

public sealed class WorldPlugin : Plugin
{
#if DEMO_V2
    private const string Version = "v2";
    private const string Greeting = "HELLO";   // the change version 2 brings
#else
    private const string Version = "v1";
    private const string Greeting = "hello";
#endif

    private readonly List<string> _early = [$"world {Version}: constructed"];
    private LifecycleLog? _log;

    public override bool Reloadable
    {
        get
        {
            _early.Add($"world {Version}: Reloadable");
            return true;
        }
    }

    public override object? Export()
    {
        _early.Add($"world {Version}: Export");
        return null;
    }

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _log = context.Data as LifecycleLog;
        _early.ForEach(line => _log?.Add(line));
        _log?.Add($"world {Version}: OnLoad ({context.Version})");
        return Task.CompletedTask;
    }

    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        _log?.Add($"world {Version}: OnInit (generation {vault.Generation})");
        return Task.CompletedTask;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _log?.Add($"world {Version}: OnFree (its last call returned)");
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args)
    {
        switch (name)
        {
            case "hello":
                return $"{Version}:world says {Greeting} to {args[0]}";
            case "heartbeat":
                _log?.Add($"world {Version}: {Greeting}");
                return null;
            default:
                return null;
        }
    }
}
