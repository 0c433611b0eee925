using Hotswap;

[assembly: HotswapPlugin(typeof(TimerLeak.TimerLeakPlugin))]

namespace TimerLeak;

/// <summary>Pins its version on purpose: a timer started at load and never disposed.</summary>
public sealed class TimerLeakPlugin : Plugin
{
    private Timer? _timer;
    private int _ticks;

#pragma warning disable HSW1002 // the point of this fixture: the timer is never disposed, so the version never unloads
    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _timer = new Timer(OnTick, null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        return Task.CompletedTask;
    }
#pragma warning restore HSW1002

    public override object? Invoke(string name, params object?[] args) => name == "ticks" ? _ticks : null;

    private void OnTick(object? state) => _ticks++;
}
