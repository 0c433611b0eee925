using Hotswap;

[assembly: HotswapPlugin(typeof(FleetGreeter.FleetGreeterPlugin))]

namespace FleetGreeter;

/// <summary>Answers <c>greet</c> with its version: <c>v1:hello you</c> or <c>v2:hello you</c>.</summary>
public sealed class FleetGreeterPlugin : Plugin
{
#if FLEET_GREETER_V2
    private const string Tag = "v2";
#else
    private const string Tag = "v1";
#endif

    public override object? Invoke(string name, params object?[] args)
        => name == "greet" ? $"{Tag}:hello {args[0]}" : null;
}
