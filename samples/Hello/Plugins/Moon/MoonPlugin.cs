using Hello.Contracts;
using Hotswap;

[assembly: HotswapPlugin(typeof(Moon.MoonPlugin))]

namespace Moon;

public sealed class MoonPlugin : Plugin
{
#if DEMO_V2
    private const string Version = "v2";
    private const string Greeting = "HELLO";   // the change version 2 brings
#else
    private const string Version = "v1";
    private const string Greeting = "hello";
#endif

    private readonly List<string> _early = [$"moon {Version}: constructed"];
    private LifecycleLog? _log;

    public override bool Reloadable
    {
        get
        {
            _early.Add($"moon {Version}: Reloadable");
            return true;
        }
    }

    public override object? Export()
    {
        _early.Add($"moon {Version}: Export");
        return null;
    }

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _log = context.Data as LifecycleLog;
        _early.ForEach(line => _log?.Add(line));
        _log?.Add($"moon {Version}: OnLoad ({context.Version})");
        return Task.CompletedTask;
    }

    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        _log?.Add($"moon {Version}: OnInit (generation {vault.Generation})");
        return Task.CompletedTask;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _log?.Add($"moon {Version}: OnFree (its last call returned)");
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args)
    {
        switch (name)
        {
            case "hello":
                return $"{Version}:moon says {Greeting} to {args[0]}";
            case "heartbeat":
                _log?.Add($"moon {Version}: {Greeting}");
                return null;
            default:
                return null;
        }
    }
}
