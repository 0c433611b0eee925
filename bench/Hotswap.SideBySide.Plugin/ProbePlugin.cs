using Hotswap;

[assembly: HotswapPlugin(typeof(Hotswap.SideBySide.Probes.ProbePlugin))]

namespace Hotswap.SideBySide.Probes;

/// <summary>
/// The plugin's Hotswap entry: exports a <see cref="Probe"/> and hands it to the host to dispose
/// when this version retires (after its last call), which closes the probe's connection.
/// McMaster.NETCore.Plugins never sees this class: its host creates the <see cref="Probe"/> itself.
/// </summary>
public sealed class ProbePlugin : Plugin
{
    private readonly Probe _probe = new();

    /// <inheritdoc/>
    public override object? Export() => _probe;

    /// <inheritdoc/>
    public override Task OnLoadAsync(IPluginContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The plugin's cleanup, the way a Hotswap plugin does it: disposed at retirement, after the
        // version's last lease, before its load context is unloaded.
        context.RegisterForDispose(_probe);
        return Task.CompletedTask;
    }
}
