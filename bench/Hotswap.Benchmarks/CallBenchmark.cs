using BenchmarkDotNet.Attributes;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.Benchmarks;

/// <summary>
/// The cost of one synchronous call into a loaded plugin, on one thread, by each way the host
/// offers, against a direct interface call on the plugin's export.
/// </summary>
/// <remarks>
/// Each invocation makes <see cref="Calls"/> calls in the same loop, so "per op" is per call and
/// the loop costs the same in every method.
/// </remarks>
[MaxWarmupCount(10)]
[MaxIterationCount(30)]
public class CallBenchmark
{
    /// <summary>The calls per invocation.</summary>
    public const int Calls = 1000;

    private LoadedCalculator? _calculator;
    private PluginHost _host = null!;
    private ICalculator _direct = null!;
    private ICalculator _proxy = null!;

    /// <summary>Publishes the plugin as "calc", loads it, and takes its export and a proxy.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _calculator = new LoadedCalculator();
        (_host, _direct, _proxy) = (_calculator.Host, _calculator.Direct, _calculator.Proxy);
    }

    /// <summary>Stops the host and deletes the plugins root.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _calculator?.Dispose();
    }

    /// <summary>An interface call on the export itself: what a call costs without Hotswap.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public int Direct()
    {
        ICalculator calculator = _direct;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += calculator.Add(i, 1);
        }

        return sum;
    }

    /// <summary>A call through the generated proxy: one lease on the current generation per call.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int Proxy()
    {
        ICalculator calculator = _proxy;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += calculator.Add(i, 1);
        }

        return sum;
    }

    /// <summary>A call through <c>PluginHost.Invoke(name, static lambda, state)</c>.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int LambdaInvoke()
    {
        PluginHost host = _host!;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += host.Invoke("calc", static (ICalculator c, int x) => c.Add(x, 1), i);
        }

        return sum;
    }

    /// <summary>A call by name through <c>Plugin.Invoke</c>: the arguments array and boxes are expected.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int InvokeByName()
    {
        PluginHost host = _host!;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += (int)host.Invoke("calc", "add", i, 1)!;
        }

        return sum;
    }
}
