using Hotswap;
using Hotswap.Soak.Contracts;

[assembly: HotswapPlugin(typeof(Hotswap.Soak.Probes.SoakPlugin))]

namespace Hotswap.Soak.Probes;

/// <summary>
/// The soak plugin: exports a <see cref="SoakProbe"/> that knows its version (from the context),
/// its build, and the generation it was initialized in, and tells the <see cref="SoakMonitor"/>
/// when it is loaded and freed.
/// </summary>
public sealed class SoakPlugin : Plugin
{
#if SOAK_BUILD_2
    /// <summary>Which build of this source this is.</summary>
    public const int Build = 2;
#else
    /// <summary>Which build of this source this is.</summary>
    public const int Build = 1;
#endif

    private readonly SoakProbe _probe = new(Build);

    /// <inheritdoc/>
    public override object? Export() => _probe;

    /// <inheritdoc/>
    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var monitor = context.Data as SoakMonitor;
        _probe.Load(context.PluginName, context.Version, monitor);
        monitor?.OnLoaded();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task OnInitAsync(Vault vault, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vault);
        _probe.Init(vault.Generation);
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override Task OnFreeAsync(CancellationToken cancellationToken)
    {
        _probe.Free();
        return Task.CompletedTask;
    }
}
