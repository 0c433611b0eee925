using Hotswap.Benchmarks.Contracts;

namespace Hotswap.Benchmarks;

/// <summary>
/// The calculator plugin published as "calc" into a fresh plugins root and loaded, with the two
/// ways the call benchmarks reach it: its export itself, and a proxy.
/// </summary>
internal sealed class LoadedCalculator : IDisposable
{
    private readonly PluginRoot _root;

    public LoadedCalculator()
    {
        _root = PluginRoot.Create();
        _root.Publish("calc");
        Host = _root.LoadHost();
        using (GenerationLease lease = Host.Acquire())
        {
            // Kept beyond the lease on purpose: nothing reloads here, and this is the baseline.
            Direct = lease.Generation.GetExport<ICalculator>("calc");
        }

        Proxy = Host.GetProxy<ICalculator>("calc");
    }

    public PluginHost Host { get; }

    /// <summary>Gets the plugin's export: a call on it is what a call costs without Hotswap.</summary>
    public ICalculator Direct { get; }

    /// <summary>Gets the generated proxy: one lease on the current generation per call.</summary>
    public ICalculator Proxy { get; }

    /// <summary>Stops the host and deletes the plugins root.</summary>
    public void Dispose()
    {
        PluginRoot.Stop(Host);
        _root.Dispose();
    }
}
