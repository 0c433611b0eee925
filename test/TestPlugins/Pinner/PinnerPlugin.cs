using System.ComponentModel;
using System.Runtime.InteropServices;
using Hotswap;
using TestContracts;

[assembly: HotswapPlugin(typeof(Pinner.PinnerPlugin))]

namespace Pinner;

/// <summary>Pins its version from outside the plugin in the way its load data names, and never lets go.</summary>
public sealed class PinnerPlugin : Plugin
{
    private static readonly ManualResetEventSlim s_never = new();
    private Timer? _timer;
    private GCHandle _handle;
    private int _ticks;

    // This fixture pins its version on purpose, in each way the plugin analyzers catch: their
    // warnings are the point here (the hotswap diagnose tests then name what holds it).
#pragma warning disable HSW1001, HSW1002, HSW1003, HSW1005, HSW1006
    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        switch (context.Data as string)
        {
            case "event":
                HostEvents.Tick += OnTick;
                break;
            case "timer":
                // Never disposed: the runtime's timer queue keeps the callback, and so this version.
                _timer = new Timer(OnTimer, null, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
                break;
            case "thread":
                new Thread(Spin) { IsBackground = true, Name = "pinner-spin" }.Start();
                break;
            case "gchandle":
                _handle = GCHandle.Alloc(this, GCHandleType.Normal);
                break;
            case "typedescriptor":
                // TypeDescriptor's static tables keep the provider, and the provider keeps this type.
                TypeDescriptor.AddAttributes(typeof(PinnerPlugin), new DescriptionAttribute("pinned"));
                break;
            default:
                break;
        }

        return Task.CompletedTask;
    }
#pragma warning restore HSW1001, HSW1002, HSW1003, HSW1005, HSW1006

    public override object? Invoke(string name, params object?[] args) => name switch
    {
        "type" => GetType(),
        "throw" => throw new PinnerException("thrown by the pinner"),
        "ticks" => _ticks + (_timer is null ? 0 : 0) + (_handle.IsAllocated ? 0 : 0),
        _ => null,
    };

    private static void Spin()
    {
        // Waits forever in plugin code: this thread's stack holds the version.
        s_never.Wait();
    }

    private void OnTick(object? sender, EventArgs e) => _ticks++;

    private void OnTimer(object? state) => _ticks++;
}
