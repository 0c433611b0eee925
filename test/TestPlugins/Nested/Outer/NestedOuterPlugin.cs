using Hotswap;
using Microsoft.Extensions.DependencyInjection;
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
    private ServiceProvider? _container;

    public override async Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        string? root = _where.Setting("subRoot");
        if (_where.Setting("viaContainer") == "true")
        {
            // A container of the plugin's own: AddHotswap, called from here, shares this plugin's context.
            var services = new ServiceCollection();
            services.AddHotswap(o =>
            {
                o.PluginsRoot = root;
                o.WriteStatus = false;
            });
            _container = services.BuildServiceProvider();
            _sub = _container.GetRequiredService<PluginHost>();
        }
        else
        {
            _sub = PluginHost.Create(new PluginHostOptions { PluginsRoot = root });
        }

        (await _sub.LoadAsync(cancellationToken: cancellationToken)).EnsureSuccess();
    }

    public override async Task OnFreeAsync(CancellationToken cancellationToken)
    {
        if (_container is not null)
        {
            await _container.DisposeAsync(); // disposes the sub-host it made
        }
        else if (_sub is not null)
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
