using Hotswap;
using Nested.Contract;
using TestContracts;

[assembly: HotswapPlugin(typeof(Nested.Outer.NestedOuterPlugin))]

namespace Nested.Outer;

/// <summary>
/// Hosts the sub-plugins of the folder the test names (setting <c>subRoot</c>) with a PluginHost of
/// its own, created here, so it shares this plugin's load context (and its Nested.Contract) with them.
/// </summary>
public sealed class NestedOuterPlugin : Plugin
{
#if NESTED_OUTER_V2
    private const string Mark = "outer2";
#else
    private const string Mark = "outer1";
#endif
    private readonly PluginLocation _where = Probe.Locate(typeof(NestedOuterPlugin).Assembly);
    private PluginHost? _sub;

    public override async Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        _sub = PluginHost.Create(new PluginHostOptions { PluginsRoot = _where.Setting("subRoot") });
        (await _sub.LoadAsync(cancellationToken: cancellationToken)).EnsureSuccess();
    }

    public override async Task OnFreeAsync(CancellationToken cancellationToken)
    {
        if (_sub is not null)
        {
            await _sub.DisposeAsync(); // retires every sub-plugin; their contexts go with this one's
        }
    }

    public override object? Invoke(string name, params object?[] args) => name switch
    {
        "hello" => Hello((string)args[0]!),
        "reloadSub" => _sub!.ReloadAsync(),
        "subContext" => System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(typeof(ISayHello).Assembly)?.Name,
        _ => null,
    };

    private string Hello(string who)
    {
        using GenerationLease lease = _sub!.Acquire();
        return $"{Mark}[{string.Join(",", lease.Generation.Plugins.Select(static p => p.PluginName).Order(StringComparer.Ordinal).Select(p => lease.Generation.GetExport<ISayHello>(p).Hello(who)))}]";
    }
}
