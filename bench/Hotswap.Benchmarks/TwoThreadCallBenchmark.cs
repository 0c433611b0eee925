using BenchmarkDotNet.Attributes;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.Benchmarks;

/// <summary>
/// Whether calls scale across threads: the per-call cost when two threads call at once, against
/// one thread alone. A call that shares nothing writable between threads costs the same per op
/// in the two-thread variants as in the one-thread ones.
/// </summary>
/// <remarks>
/// Two dedicated threads are started once and parked; each invocation hands them their work and
/// waits for them. Each thread makes <see cref="Calls"/> calls per invocation, and
/// <c>OperationsPerInvoke</c> is <see cref="Calls"/>, so "per op" is per call per thread. The
/// one-thread variants run on one of the same threads, so the hand-off costs the same.
/// </remarks>
[MaxWarmupCount(10)]
[MaxIterationCount(30)]
public class TwoThreadCallBenchmark
{
    /// <summary>The calls each thread makes per invocation.</summary>
    public const int Calls = 200_000;

    private LoadedCalculator? _calculator;
    private ICalculator _direct = null!;
    private ICalculator _proxy = null!;
    private Func<int> _callDirect = null!;
    private Func<int> _callProxy = null!;
    private Caller? _first;
    private Caller? _second;

    /// <summary>Loads the plugin, takes its export and a proxy, and starts the two calling threads.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _calculator = new LoadedCalculator();
        (_direct, _proxy) = (_calculator.Direct, _calculator.Proxy);
        _callDirect = CallDirect;
        _callProxy = CallProxy;
        _first = new Caller("bench-caller-1");
        _second = new Caller("bench-caller-2");
    }

    /// <summary>Stops the calling threads and the host, and deletes the plugins root.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _first?.Dispose();
        _second?.Dispose();
        _calculator?.Dispose();
    }

    /// <summary>One thread calls the export directly.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public int OneThreadDirect()
    {
        _first!.Start(_callDirect);
        return _first.Join();
    }

    /// <summary>One thread calls through the proxy.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int OneThreadProxy()
    {
        _first!.Start(_callProxy);
        return _first.Join();
    }

    /// <summary>Two threads call the same export directly, at once.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int TwoThreadsDirect()
    {
        _first!.Start(_callDirect);
        _second!.Start(_callDirect);
        return _first.Join() + _second.Join();
    }

    /// <summary>Two threads call through the same proxy, at once.</summary>
    /// <returns>The sum of the results.</returns>
    [Benchmark(OperationsPerInvoke = Calls)]
    public int TwoThreadsProxy()
    {
        _first!.Start(_callProxy);
        _second!.Start(_callProxy);
        return _first.Join() + _second.Join();
    }

    private int CallDirect()
    {
        ICalculator calculator = _direct;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += calculator.Add(i, 1);
        }

        return sum;
    }

    private int CallProxy()
    {
        ICalculator calculator = _proxy;
        int sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += calculator.Add(i, 1);
        }

        return sum;
    }

    /// <summary>A dedicated background thread, parked until handed work, that runs it and reports back.</summary>
    private sealed class Caller : IDisposable
    {
        private readonly Thread _thread;
        private readonly ManualResetEventSlim _go = new(initialState: false);
        private readonly ManualResetEventSlim _done = new(initialState: false);
        private Func<int>? _work;
        private int _result;
        private volatile bool _stopping;

        public Caller(string name)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = name };
            _thread.Start();
        }

        /// <summary>Hands the thread its work; call <see cref="Join"/> before the next <see cref="Start"/>.</summary>
        public void Start(Func<int> work)
        {
            _work = work;
            _done.Reset();
            _go.Set();
        }

        /// <summary>Waits for the work handed by <see cref="Start"/> and returns its result.</summary>
        public int Join()
        {
            _done.Wait();
            return _result;
        }

        public void Dispose()
        {
            _stopping = true;
            _go.Set();
            _thread.Join();
            _go.Dispose();
            _done.Dispose();
        }

        private void Run()
        {
            while (true)
            {
                _go.Wait();
                _go.Reset();
                if (_stopping)
                {
                    return;
                }

                _result = _work!();
                _done.Set();
            }
        }
    }
}
