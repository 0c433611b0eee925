using System.Diagnostics;
using Hotswap.Benchmarks.Contracts;

namespace Hotswap.SwapLatency;

/// <summary>
/// The latency of every proxy call made by M threads calling in a loop, while the plugin is
/// swapped every few milliseconds, against the same threads with nothing swapping.
/// </summary>
/// <remarks>
/// <para>
/// One host, warm-up on (the default <see cref="PluginHostOptions.Precompile"/> and the plugin's
/// warm-up). For each thread count, the threads call without pause for the whole test and the
/// controller alternates the phases: steady, swapping, steady, swapping... (so drift lands on
/// both), with an unrecorded pause after each swapping phase until every retired version was
/// unloaded, so a steady phase never pays for the previous swaps' collections.
/// </para>
/// <para>
/// Each call is timed alone: one <see cref="Stopwatch.GetTimestamp"/> before, one after, so every
/// value includes one timer read (the report gives its cost). The value goes into the thread's own
/// preallocated histogram of the phase the call started in: nothing is allocated and nothing
/// shared is written on the call path.
/// </para>
/// </remarks>
internal static class LoadTest
{
    private const int Steady = 0;
    private const int Swapping = 1;
    private const int Pause = 2;
    private const int Stop = 3;

    /// <summary>Runs the test for each thread count.</summary>
    /// <param name="options">The options.</param>
    /// <param name="progress">Where progress goes.</param>
    /// <returns>The report.</returns>
    public static LoadReport Run(LatencyOptions options, TextWriter progress)
    {
        using SwapRoot root = SwapRoot.CreateAsync(WarmUp.On).GetAwaiter().GetResult();
        var results = new List<LoadResult>();
        foreach (int threads in options.Threads)
        {
            results.Add(RunThreads(root, threads, options));
            LoadResult last = results[^1];
            progress.WriteLine($"swap-latency: load test, {threads} thread(s): {last.Swaps} swaps, p99.9 {last.Swapping.P999:F0} ns swapping vs {last.Steady.P999:F0} ns steady");
        }

        return new LoadReport(options.Rounds, options.Phase.TotalSeconds, options.Interval.TotalMilliseconds, Ticks.TimerOverhead(), [.. results]);
    }

    private static LoadResult RunThreads(SwapRoot root, int threadCount, LatencyOptions options)
    {
        var state = new PhaseState();
        var callers = new Caller[threadCount];
        var threads = new Thread[threadCount];
        for (int t = 0; t < threadCount; t++)
        {
            Caller caller = callers[t] = new Caller(root.Proxy, state);
            threads[t] = new Thread(caller.Run) { Name = $"caller-{t}", IsBackground = true };
        }

        using var clock = new ManualResetEventSlim(false); // never set: a wait on it is a sleep
        state.Phase = Pause;
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        var swapTimes = new List<double>();
        var phaseSeconds = new double[2];
        var gen2 = new int[2];
        var gen0 = new int[2];
        var interrupts = new Interrupts[2];
        try
        {
            clock.Wait(500); // the callers' code compiled, and promoted to its optimized tier, before anything is recorded

            for (int round = 0; round < options.Rounds; round++)
            {
                // Steady.
                (int g0, int g2) = (GC.CollectionCount(0), GC.CollectionCount(2));
                Interrupts before = Interrupts.Read();
                long start = Stopwatch.GetTimestamp();
                Volatile.Write(ref state.Phase, Steady);
                clock.Wait(options.Phase);
                Volatile.Write(ref state.Phase, Pause);
                phaseSeconds[Steady] += Stopwatch.GetElapsedTime(start).TotalSeconds;
                gen0[Steady] += GC.CollectionCount(0) - g0;
                gen2[Steady] += GC.CollectionCount(2) - g2;
                interrupts[Steady] = interrupts[Steady].Plus(Interrupts.Read().Since(before));

                // Swapping: a swap starts every interval (at once when the previous one took longer).
                (g0, g2) = (GC.CollectionCount(0), GC.CollectionCount(2));
                before = Interrupts.Read();
                start = Stopwatch.GetTimestamp();
                Volatile.Write(ref state.Phase, Swapping);
                long end = start + (long)(options.Phase.TotalSeconds * Stopwatch.Frequency);
                long interval = (long)(options.Interval.TotalSeconds * Stopwatch.Frequency);
                for (long next = start; next < end; next += interval)
                {
                    long now = Stopwatch.GetTimestamp();
                    if (next > now)
                    {
                        clock.Wait(TimeSpan.FromSeconds((double)(next - now) / Stopwatch.Frequency));
                    }
                    else
                    {
                        next = now; // behind: the next swap starts now, and the one after an interval later
                    }

                    swapTimes.Add(Ticks.ToNanoseconds(root.Swap()) / 1e6);
                }

                Volatile.Write(ref state.Phase, Pause);
                phaseSeconds[Swapping] += Stopwatch.GetElapsedTime(start).TotalSeconds;
                gen0[Swapping] += GC.CollectionCount(0) - g0;
                gen2[Swapping] += GC.CollectionCount(2) - g2;
                interrupts[Swapping] = interrupts[Swapping].Plus(Interrupts.Read().Since(before));

                // Unrecorded: the retired versions unload before the next steady phase.
                root.WaitForUnloads();
            }
        }
        finally
        {
            // Also when a swap failed: no caller may still be calling when the host is disposed.
            Volatile.Write(ref state.Phase, Stop);
            foreach (Thread thread in threads)
            {
                thread.Join();
            }
        }

        if (callers.Select(c => c.Failure).FirstOrDefault(f => f is not null) is { } failure)
        {
            throw new InvalidOperationException($"A call failed: {failure.Message}", failure);
        }

        var steady = new Histogram();
        var swapping = new Histogram();
        foreach (Caller caller in callers)
        {
            steady.Add(caller.Histograms[Steady]);
            swapping.Add(caller.Histograms[Swapping]);
        }

        double[] sorted = [.. swapTimes];
        Array.Sort(sorted);
        return new LoadResult(
            threadCount,
            sorted.Length,
            sorted.Length == 0 ? 0 : Ticks.Percentile(sorted, 0.5),
            sorted.Length == 0 ? 0 : sorted[^1],
            Summarize(steady, phaseSeconds[Steady], gen0[Steady], gen2[Steady], interrupts[Steady]),
            Summarize(swapping, phaseSeconds[Swapping], gen0[Swapping], gen2[Swapping], interrupts[Swapping]));
    }

    private static LoadPhase Summarize(Histogram histogram, double seconds, int gen0, int gen2, Interrupts interrupts) => new(
        seconds,
        histogram.Count,
        histogram.Count / seconds,
        Ticks.ToNanoseconds(histogram.ValueAt(0.5)),
        Ticks.ToNanoseconds(histogram.ValueAt(0.99)),
        Ticks.ToNanoseconds(histogram.ValueAt(0.999)),
        Ticks.ToNanoseconds(histogram.ValueAt(0.9999)),
        Ticks.ToNanoseconds(histogram.Max),
        histogram.CountAbove(Ticks.FromNanoseconds(100)),
        histogram.CountAbove(Ticks.FromNanoseconds(10_000)),
        histogram.CountAbove(Ticks.FromNanoseconds(1_000_000)),
        gen0,
        gen2,
        interrupts);

    /// <summary>The phase every caller reads before each call.</summary>
    private sealed class PhaseState
    {
        public int Phase;
    }

    /// <summary>One calling thread and its two histograms (steady, swapping).</summary>
    private sealed class Caller(ICalculator proxy, PhaseState state)
    {
        public Histogram[] Histograms { get; } = [new Histogram(), new Histogram()];

        /// <summary>Gets what a call threw, if one did; the thread stopped calling then.</summary>
        public Exception? Failure { get; private set; }

        public void Run()
        {
            try
            {
                Loop();
            }
#pragma warning disable CA1031 // Handed to the controller, which reports it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Failure = ex;
            }
        }

        private void Loop()
        {
            Histogram[] histograms = Histograms;
            int sink = 0;
            while (true)
            {
                int phase = Volatile.Read(ref state.Phase);
                if (phase == Stop)
                {
                    break;
                }

                long start = Stopwatch.GetTimestamp();
                sink += proxy.Add(sink, 1);
                long elapsed = Stopwatch.GetTimestamp() - start;
                if (phase < Pause)
                {
                    histograms[phase].Record(elapsed);
                }
            }

            GC.KeepAlive(sink);
        }
    }
}

/// <summary>The calls of one phase of the load test, all threads together.</summary>
/// <param name="Seconds">The phases' time, in all.</param>
/// <param name="Calls">Calls recorded.</param>
/// <param name="CallsPerSecond">Calls per second, all threads.</param>
/// <param name="P50">The median call, in nanoseconds.</param>
/// <param name="P99">The 99th percentile, in nanoseconds.</param>
/// <param name="P999">The 99.9th percentile, in nanoseconds.</param>
/// <param name="P9999">The 99.99th percentile, in nanoseconds.</param>
/// <param name="Max">The slowest call, in nanoseconds.</param>
/// <param name="Over100Ns">Calls over 100 ns.</param>
/// <param name="Over10Us">Calls over 10 µs.</param>
/// <param name="Over1Ms">Calls over 1 ms.</param>
/// <param name="Gen0Collections">Collections of any generation during the phase.</param>
/// <param name="Gen2Collections">Full collections during the phase.</param>
/// <param name="Interrupts">The machine's TLB shootdowns and function-call interrupts during the phase (see <see cref="SwapLatency.Interrupts"/>).</param>
internal sealed record LoadPhase(double Seconds, long Calls, double CallsPerSecond, double P50, double P99, double P999, double P9999, double Max, long Over100Ns, long Over10Us, long Over1Ms, int Gen0Collections, int Gen2Collections, Interrupts Interrupts);

/// <summary>The load test's results for one thread count.</summary>
/// <param name="Threads">Calling threads.</param>
/// <param name="Swaps">Swaps run during the swapping phases.</param>
/// <param name="SwapMedian">The median swap (<see cref="PluginHost.ReloadAsync"/>), in milliseconds.</param>
/// <param name="SwapMax">The slowest swap, in milliseconds.</param>
/// <param name="Steady">The steady phases.</param>
/// <param name="Swapping">The swapping phases.</param>
internal sealed record LoadResult(int Threads, int Swaps, double SwapMedian, double SwapMax, LoadPhase Steady, LoadPhase Swapping);

/// <summary>The load test's results.</summary>
/// <param name="Rounds">Steady/swapping phase pairs per thread count.</param>
/// <param name="PhaseSeconds">Seconds per phase.</param>
/// <param name="IntervalMilliseconds">Milliseconds from one swap's start to the next.</param>
/// <param name="TimerOverhead">The median of two back-to-back timer reads, in nanoseconds: included in every value.</param>
/// <param name="Results">One per thread count.</param>
internal sealed record LoadReport(int Rounds, double PhaseSeconds, double IntervalMilliseconds, double TimerOverhead, LoadResult[] Results);
