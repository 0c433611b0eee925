using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Sticky.StickyPlugin))]

namespace Sticky;

public sealed class StickyPlugin : Plugin
{
    private int _ticks;

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        // Pins on purpose: Sticky is the fixture whose version never unloads, for the tests of a stuck version.
#pragma warning disable HSW1001 // a host static event subscribed and never unsubscribed
        HostEvents.Tick += OnTick;
#pragma warning restore HSW1001
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args) => name == "ticks" ? _ticks : null;

    private void OnTick(object? sender, EventArgs e) => _ticks++;
}
