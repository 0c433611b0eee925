using BenchmarkDotNet.Attributes;
using Hotswap.SideBySide.Contracts;

namespace Hotswap.SideBySide;

/// <summary>
/// One synchronous call that follows reloads, on one thread: McMaster's users' volatile field (the
/// baseline, so the Ratio column is Hotswap / McMaster), Hotswap's generated proxy, and
/// <c>PluginHost.Invoke</c> with a static lambda. The same plugin build behind all three.
/// </summary>
/// <remarks>
/// Each invocation makes <see cref="Calls"/> calls in the same loop, so "per op" is per call and the
/// loop costs the same in every method. The McMaster call reads the volatile field at every call, as
/// a host that follows reloads must; the proxy is read once into a local, since it follows reloads
/// by itself.
/// </remarks>
[MaxWarmupCount(8)]
[MaxIterationCount(20)]
public class CallBenchmark
{
    /// <summary>The calls per invocation.</summary>
    public const int Calls = 1000;

    private HotswapSide? _hotswap;
    private McMasterSide? _mcmaster;
    private PluginHost _host = null!;
    private ISideProbe _proxy = null!;

    /// <summary>Loads build 1 with both libraries.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _hotswap = HotswapSide.CreateAsync(1, watch: false).GetAwaiter().GetResult();
        _host = _hotswap.Host;
        _proxy = _hotswap.Proxy;
        _mcmaster = McMasterSide.Create(1, watch: false);
    }

    /// <summary>Stops both.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _hotswap?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _mcmaster?.Dispose();
    }

    /// <summary>McMaster: a call on the instance in the volatile field the <c>Reloaded</c> handler sets.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public int McMasterVolatileField()
    {
        McMasterSide side = _mcmaster!;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += side.Current.Add(i, 1);
        }

        return sum;
    }

    /// <summary>Hotswap: a call through the generated proxy, one lease per call.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int HotswapProxy()
    {
        ISideProbe proxy = _proxy;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += proxy.Add(i, 1);
        }

        return sum;
    }

    /// <summary>Hotswap: <c>host.Invoke(name, static lambda, state)</c>.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int HotswapLambdaInvoke()
    {
        PluginHost host = _host;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += host.Invoke(HotswapSide.PluginName, static (ISideProbe p, int x) => p.Add(x, 1), i);
        }

        return sum;
    }
}
