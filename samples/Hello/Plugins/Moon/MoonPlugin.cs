using Hello.Contracts;
using Hotswap;

[assembly: HotswapPlugin(typeof(Moon.MoonPlugin))]

namespace Moon;

/// <summary>The plugin that does not change in the demo: carried over unchanged, told of each new generation.</summary>
public sealed class MoonPlugin : Plugin
{
    private LifecycleLog? _log;

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _log = context.Data as LifecycleLog;
        _log?.Add($"moon v1: OnLoad ({context.Version})");
        return Task.CompletedTask;
    }

    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        _log?.Add($"moon v1: OnInit (generation {vault.Generation})");
        return Task.CompletedTask;
    }

    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _log?.Add("moon v1: OnFree");
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args)
    {
        if (name == "heartbeat")
        {
            _log?.Add("moon v1: hello");
        }

        return null;
    }
}
