using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Sticky.StickyPlugin))]

namespace Sticky;

public sealed class StickyPlugin : Plugin
{
    private int _ticks;

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        HostEvents.Tick += OnTick;
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args) => name == "ticks" ? _ticks : null;

    private void OnTick(object? sender, EventArgs e) => _ticks++;
}
