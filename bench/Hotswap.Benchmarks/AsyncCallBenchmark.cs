using BenchmarkDotNet.Attributes;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.Benchmarks;

/// <summary>
/// The cost of one awaited call into a loaded plugin, direct against through the proxy, for a
/// value task and a task that are already completed, and for a task that completes later.
/// </summary>
/// <remarks>
/// Each invocation awaits <see cref="Awaits"/> calls in the same loop, so "per op" is per call.
/// A proxy call whose task is not completed when it returns holds its lease until the task
/// completes (the <c>Yielding</c> pair): that is where the proxy's own async cost shows.
/// </remarks>
[MaxWarmupCount(10)]
[MaxIterationCount(30)]
public class AsyncCallBenchmark
{
    /// <summary>The awaited calls per invocation.</summary>
    public const int Awaits = 100;

    private LoadedCalculator? _calculator;
    private ICalculator _direct = null!;
    private ICalculator _proxy = null!;

    /// <summary>Publishes the plugin as "calc", loads it, and takes its export and a proxy.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _calculator = new LoadedCalculator();
        (_direct, _proxy) = (_calculator.Direct, _calculator.Proxy);
    }

    /// <summary>Stops the host and deletes the plugins root.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _calculator?.Dispose();
    }

    /// <summary>Awaits a completed value task from the export itself.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = Awaits)]
    public async Task<int> DirectValueTask()
    {
        ICalculator calculator = _direct;
        int sum = 0;
        for (int i = 0; i < Awaits; i++)
        {
            sum += await calculator.AddValueAsync(i, 1);
        }

        return sum;
    }

    /// <summary>Awaits a completed value task through the proxy.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Awaits)]
    public async Task<int> ProxyValueTask()
    {
        ICalculator calculator = _proxy;
        int sum = 0;
        for (int i = 0; i < Awaits; i++)
        {
            sum += await calculator.AddValueAsync(i, 1);
        }

        return sum;
    }

    /// <summary>Awaits a completed task from the export itself.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Awaits)]
    public async Task<int> DirectTask()
    {
        ICalculator calculator = _direct;
        int sum = 0;
        for (int i = 0; i < Awaits; i++)
        {
            sum += await calculator.AddTaskAsync(i, 1);
        }

        return sum;
    }

    /// <summary>Awaits a completed task through the proxy.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Awaits)]
    public async Task<int> ProxyTask()
    {
        ICalculator calculator = _proxy;
        int sum = 0;
        for (int i = 0; i < Awaits; i++)
        {
            sum += await calculator.AddTaskAsync(i, 1);
        }

        return sum;
    }

    /// <summary>Awaits a task from the export itself that completes later, on the thread pool.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Awaits)]
    public async Task<int> DirectYielding()
    {
        ICalculator calculator = _direct;
        int sum = 0;
        for (int i = 0; i < Awaits; i++)
        {
            sum += await calculator.AddYieldingAsync(i, 1);
        }

        return sum;
    }

    /// <summary>Awaits a task through the proxy that completes later: the lease is held until it does.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Awaits)]
    public async Task<int> ProxyYielding()
    {
        ICalculator calculator = _proxy;
        int sum = 0;
        for (int i = 0; i < Awaits; i++)
        {
            sum += await calculator.AddYieldingAsync(i, 1);
        }

        return sum;
    }
}
