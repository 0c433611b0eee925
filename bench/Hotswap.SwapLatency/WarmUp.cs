using System.Runtime.CompilerServices;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.SwapLatency;

/// <summary>How a new version is warmed before the switch.</summary>
internal enum WarmUp
{
    /// <summary><see cref="PluginHostOptions.Precompile"/> off, and the plugin's <c>WarmUpAsync</c> does nothing.</summary>
    Off,

    /// <summary><see cref="PluginHostOptions.Precompile"/> on, and the plugin's <c>WarmUpAsync</c> calls its hot path once through the contract, from its own code.</summary>
    On,

    /// <summary>
    /// <see cref="PluginHostOptions.Precompile"/> on, and the host's own warm-up
    /// (<see cref="PluginHostOptions.WarmUp"/>) calls the new export through the contract once: the
    /// same call, made from code in the host's (default) load context, as the proxy's is.
    /// </summary>
    HostCall,
}

/// <summary>What each <see cref="WarmUp"/> mode hands the plugin, and its name in the tables.</summary>
internal static class WarmUpModes
{
    // The load data that makes the plugin's WarmUpAsync call its hot path itself (CalculatorPlugin.WarmUpData).
    private const string PluginCall = "warm-up";


    /// <summary>Gets the load data for a mode: what the plugin's <c>OnLoadAsync</c> reads to know how to warm up.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>The data.</returns>
    public static object? Data(WarmUp mode) => mode switch
    {
        WarmUp.On => PluginCall,
        _ => null,
    };

    /// <summary>Gets the host's warm-up for a mode: for <see cref="WarmUp.HostCall"/>, one call through the contract on the new generation's export.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>The warm-up, or <see langword="null"/>.</returns>
    public static Func<Generation, CancellationToken, Task>? HostWarmUp(WarmUp mode) => mode == WarmUp.HostCall
        ? static (generation, cancellationToken) =>
        {
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(Call(generation.GetExport<ICalculator>(SwapRoot.PluginName)));
        }
        : null;

    /// <summary>Gets the mode's name in the tables.</summary>
    /// <param name="mode">The mode.</param>
    /// <returns>The name.</returns>
    public static string Name(WarmUp mode) => mode switch
    {
        WarmUp.On => "on",
        WarmUp.HostCall => "on, host warm-up",
        _ => "off",
    };

    // Not inlined: a real interface dispatch from a call site in the host's code.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Call(ICalculator calculator) => calculator.Add(1, 2);
}
