using System.Diagnostics;
using System.Runtime;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.SwapLatency;

/// <summary>
/// The first, second and third proxy call right after a swap, against a steady call, for each
/// warm-up mode (<see cref="WarmUp"/>): one host per mode, swapped in turn (which goes first
/// rotates), so that whatever drifts during the run lands on every mode alike.
/// </summary>
/// <remarks>
/// <para>
/// Everything runs on one dedicated thread, the way a server thread meets a swap: it calls the
/// serving version (the steady call is the last of those), runs the reload itself (blocking until
/// <see cref="PluginHost.ReloadAsync"/> returns), then makes the next three calls, each timed alone
/// with <see cref="Stopwatch.GetTimestamp"/>. So every row includes one timer read (the table gives
/// its cost). Between the calls, untimed, the thread reads how many methods the JIT compiled on it
/// and how many bytes it allocated.
/// </para>
/// <para>
/// Before each swap the runner waits until the version retired by the previous swap of that host
/// was unloaded (its forced collections over), as between two deployments of a real server; the
/// version a swap retires drains and unloads in the background while the three calls run, as it
/// would in a server. Samples with a collection during the three calls are counted.
/// </para>
/// </remarks>
internal static class FirstCallTest
{
    // Swaps of each host before the measured ones, untimed, then half a second of calls: the host's
    // own code (tiered, in the default context) reaches its optimized tier, the thread its lease slot.
    private const int DiscardedSwaps = 5;

    /// <summary>Runs the test on a dedicated thread.</summary>
    /// <param name="swaps">Measured swaps per mode.</param>
    /// <param name="warmUps">The modes, one host each.</param>
    /// <param name="progress">Where progress goes.</param>
    /// <returns>The report.</returns>
    public static FirstCallReport Run(int swaps, WarmUp[] warmUps, TextWriter progress)
    {
        FirstCallReport? report = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                report = RunOnThisThread(swaps, warmUps, progress);
            }
#pragma warning disable CA1031 // Handed back to the caller's thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        })
        { Name = "first-call", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"The first-call test failed: {failure.Message}", failure);
        }

        return report!;
    }

    private static FirstCallReport RunOnThisThread(int swaps, WarmUp[] warmUps, TextWriter progress)
    {
        var modes = new List<ModeSamples>();
        try
        {
            foreach (WarmUp warmUp in warmUps)
            {
                modes.Add(new ModeSamples(SwapRoot.CreateAsync(warmUp).GetAwaiter().GetResult(), swaps));
            }

            return Measure(swaps, modes, progress);
        }
        finally
        {
            foreach (ModeSamples mode in modes)
            {
                mode.Root.Dispose();
            }
        }
    }

    private static FirstCallReport Measure(int swaps, List<ModeSamples> modes, TextWriter progress)
    {
        int sink = 0;
        for (int i = -DiscardedSwaps; i < swaps; i++)
        {
            if (i == 0)
            {
                sink += CallFor(modes, TimeSpan.FromMilliseconds(500));
            }

            // Rotate which mode goes first.
            for (int k = 0; k < modes.Count; k++)
            {
                ModeSamples mode = modes[(i + DiscardedSwaps + k) % modes.Count];
                sink += Sample(mode, i);
            }

            if (i >= 0 && (i + 1) % 50 == 0)
            {
                progress.WriteLine($"swap-latency: first-call test, {i + 1} of {swaps} swaps per mode");
            }
        }

        GC.KeepAlive(sink);
        double timer = Ticks.TimerOverhead();
        return new FirstCallReport(swaps, timer, [.. modes.Select(m => m.Summarize())]);
    }

    /// <summary>
    /// Calls every mode's proxy for a while: the host's own code (in the default context, tiered)
    /// gets the time it needs to be promoted to its optimized tier before anything is measured.
    /// </summary>
    private static int CallFor(List<ModeSamples> modes, TimeSpan duration)
    {
        int sink = 0;
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            foreach (ModeSamples mode in modes)
            {
                for (int n = 0; n < 1000; n++)
                {
                    sink += mode.Root.Proxy.Add(n, 1);
                }
            }
        }

        return sink;
    }

    /// <summary>One swap of one mode: steady calls, the swap, three timed calls. Sample <paramref name="index"/> below 0 is discarded.</summary>
    private static int Sample(ModeSamples mode, int index)
    {
        SwapRoot root = mode.Root;
        ICalculator proxy = root.Proxy;
        root.WaitForUnloads();

        int sink = 0;
        for (int n = 0; n < 1000; n++)
        {
            sink += proxy.Add(n, 1);
        }

        long batchStart = Stopwatch.GetTimestamp();
        for (int n = 0; n < 1000; n++)
        {
            sink += proxy.Add(n, 1);
        }

        long batch = Stopwatch.GetTimestamp() - batchStart;

        long s0 = Stopwatch.GetTimestamp();
        sink += proxy.Add(index, 1);
        long s1 = Stopwatch.GetTimestamp();

        long reload = root.Swap();

        int collections = GC.CollectionCount(0);
        long jit0 = JitInfo.GetCompiledMethodCount(currentThread: true);
        long alloc0 = GC.GetAllocatedBytesForCurrentThread();
        long t0 = Stopwatch.GetTimestamp();
        sink += proxy.Add(index, 2);
        long t1 = Stopwatch.GetTimestamp();
        long jit1 = JitInfo.GetCompiledMethodCount(currentThread: true);
        long alloc1 = GC.GetAllocatedBytesForCurrentThread();
        long t2 = Stopwatch.GetTimestamp();
        sink += proxy.Add(index, 3);
        long t3 = Stopwatch.GetTimestamp();
        long jit2 = JitInfo.GetCompiledMethodCount(currentThread: true);
        long alloc2 = GC.GetAllocatedBytesForCurrentThread();
        long t4 = Stopwatch.GetTimestamp();
        sink += proxy.Add(index, 4);
        long t5 = Stopwatch.GetTimestamp();
        long jit3 = JitInfo.GetCompiledMethodCount(currentThread: true);
        long alloc3 = GC.GetAllocatedBytesForCurrentThread();
        bool collected = GC.CollectionCount(0) != collections;

        if (index >= 0)
        {
            mode.Add(index, s1 - s0, batch / 1000.0, reload, [t1 - t0, t3 - t2, t5 - t4], [jit1 - jit0, jit2 - jit1, jit3 - jit2], [alloc1 - alloc0, alloc2 - alloc1, alloc3 - alloc2], collected);
        }

        return sink;
    }

    /// <summary>The samples of one mode.</summary>
    private sealed class ModeSamples(SwapRoot root, int swaps)
    {
        private readonly double[] _steady = new double[swaps];
        private readonly double[] _batch = new double[swaps];
        private readonly double[] _reload = new double[swaps];
        private readonly double[][] _calls = [new double[swaps], new double[swaps], new double[swaps]];
        private readonly long[] _jit = new long[3];
        private readonly long[] _allocated = new long[3];
        private int _collected;

        public SwapRoot Root { get; } = root;

        public void Add(int i, long steady, double batchTicksPerCall, long reload, long[] calls, long[] jit, long[] allocated, bool collected)
        {
            _steady[i] = Ticks.ToNanoseconds(steady);
            _batch[i] = Ticks.ToNanoseconds(1) * batchTicksPerCall;
            _reload[i] = Ticks.ToNanoseconds(reload) / 1e6;
            for (int k = 0; k < 3; k++)
            {
                _calls[k][i] = Ticks.ToNanoseconds(calls[k]);
                _jit[k] += jit[k];
                _allocated[k] += allocated[k];
            }

            _collected += collected ? 1 : 0;
        }

        public FirstCallMode Summarize()
        {
            int n = _steady.Length;
            var rows = new List<FirstCallRow> { Row("steady call", _steady, 0, 0) };
            for (int k = 0; k < 3; k++)
            {
                rows.Add(Row(k switch { 0 => "1st call after swap", 1 => "2nd call after swap", _ => "3rd call after swap" }, _calls[k], (double)_jit[k] / n, (double)_allocated[k] / n));
            }

            Array.Sort(_batch);
            Array.Sort(_reload);
            return new FirstCallMode(Root.WarmUp, [.. rows], Ticks.Percentile(_batch, 0.5), Ticks.Percentile(_reload, 0.5), Ticks.Percentile(_reload, 0.9), _collected);
        }

        private static FirstCallRow Row(string name, double[] samples, double jit, double allocated)
        {
            double[] sorted = [.. samples];
            Array.Sort(sorted);
            return new FirstCallRow(name, Ticks.Percentile(sorted, 0.5), Ticks.Percentile(sorted, 0.9), Ticks.Percentile(sorted, 0.99), sorted[^1], jit, allocated);
        }
    }
}

/// <summary>One row of the first-call table.</summary>
/// <param name="Name">Which call.</param>
/// <param name="Median">The median, in nanoseconds.</param>
/// <param name="P90">The 90th percentile, in nanoseconds.</param>
/// <param name="P99">The 99th percentile, in nanoseconds.</param>
/// <param name="Max">The slowest, in nanoseconds.</param>
/// <param name="JitMethods">Methods the JIT compiled on the calling thread during the call, on average.</param>
/// <param name="AllocatedBytes">Bytes the calling thread allocated during the call, on average.</param>
internal sealed record FirstCallRow(string Name, double Median, double P90, double P99, double Max, double JitMethods, double AllocatedBytes);

/// <summary>The first-call results of one mode.</summary>
/// <param name="WarmUp">How new versions were warmed.</param>
/// <param name="Rows">Steady, 1st, 2nd, 3rd call.</param>
/// <param name="SteadyBatch">The median over swaps of a steady call's time in a loop of 1000 calls, in nanoseconds (no timer read per call).</param>
/// <param name="ReloadMedian">The median time of <see cref="PluginHost.ReloadAsync"/>, in milliseconds.</param>
/// <param name="ReloadP90">Its 90th percentile, in milliseconds.</param>
/// <param name="SamplesWithCollection">Samples with a garbage collection during the three calls.</param>
internal sealed record FirstCallMode(WarmUp WarmUp, FirstCallRow[] Rows, double SteadyBatch, double ReloadMedian, double ReloadP90, int SamplesWithCollection);

/// <summary>The first-call test's results.</summary>
/// <param name="Swaps">Measured swaps per mode.</param>
/// <param name="TimerOverhead">The median of two back-to-back timer reads, in nanoseconds: included in every single-call row.</param>
/// <param name="Modes">One per warm-up mode, in the order asked.</param>
internal sealed record FirstCallReport(int Swaps, double TimerOverhead, FirstCallMode[] Modes);
