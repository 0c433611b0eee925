using Hotswap;

[assembly: HotswapPlugin(typeof(Fleet.Greeter.GreeterPlugin))]

namespace Fleet.Greeter;

/// <summary>Answers <c>greet</c> with its build: <c>v1:hello you</c>, <c>v2:hello you</c>; v3 fails to start (its database is unreachable).</summary>
public sealed class GreeterPlugin : Plugin
{
#if DEMO_V3
    private const string Tag = "v3";
#elif DEMO_V2
    private const string Tag = "v2";
#else
    private const string Tag = "v1";
#endif

    /// <inheritdoc/>
    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
#if DEMO_V3
        throw new InvalidOperationException("v3 cannot reach its database at db.internal:5432.");
#else
        return Task.CompletedTask;
#endif
    }

    /// <inheritdoc/>
    public override object? Invoke(string name, params object?[] args) => name == "greet" ? $"{Tag}:hello {args[0]}" : null;
}
