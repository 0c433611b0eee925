using Hotswap;

[assembly: HotswapPlugin(typeof(Clock.ClockPlugin))]

namespace Clock;

/// <summary>
/// One source, two ways to run it: loaded from a version folder (reloadable), or compiled into the
/// host and added with AddStatic (for a debugger, unit tests or NativeAOT; never reloaded).
/// </summary>
public sealed class ClockPlugin : Plugin
{
#if DEMO_V2
    private const string Version = "v2";
    private const string Format = "HH:mm:ss.fff";
#else
    private const string Version = "v1";
    private const string Format = "HH:mm";
#endif

    private string _mode = "?";

    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _mode = context.Version == "static" ? "static" : "loaded";
        return Task.CompletedTask;
    }

    public override object? Invoke(string name, params object?[] args)
        => name == "now" ? $"{Version}:{_mode} clock says {((DateTimeOffset)args[0]!).ToString(Format, System.Globalization.CultureInfo.InvariantCulture)}" : null;
}
