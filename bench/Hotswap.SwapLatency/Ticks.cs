using System.Diagnostics;

namespace Hotswap.SwapLatency;

/// <summary>Conversions of <see cref="Stopwatch"/> ticks, and the cost of reading the timer.</summary>
internal static class Ticks
{
    private static readonly double s_nanosecondsPerTick = 1e9 / Stopwatch.Frequency;

    /// <summary>Converts ticks to nanoseconds.</summary>
    /// <param name="ticks">The ticks.</param>
    /// <returns>The nanoseconds.</returns>
    public static double ToNanoseconds(long ticks) => ticks * s_nanosecondsPerTick;

    /// <summary>Converts nanoseconds to ticks.</summary>
    /// <param name="nanoseconds">The nanoseconds.</param>
    /// <returns>The ticks, rounded down.</returns>
    public static long FromNanoseconds(double nanoseconds) => (long)(nanoseconds / s_nanosecondsPerTick);

    /// <summary>
    /// Measures what two back-to-back <see cref="Stopwatch.GetTimestamp"/> calls read apart: what
    /// every single timed call includes on top of the call itself.
    /// </summary>
    /// <returns>The median of 10,000 pairs, in nanoseconds.</returns>
    public static double TimerOverhead()
    {
        var samples = new long[10_000];
        for (int i = 0; i < samples.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            samples[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(samples);
        return ToNanoseconds(samples[samples.Length / 2]);
    }

    /// <summary>The nearest-rank percentile of sorted samples.</summary>
    /// <param name="sorted">The samples, sorted ascending; not empty.</param>
    /// <param name="quantile">Between 0 and 1.</param>
    /// <returns>The sample at that rank.</returns>
    public static double Percentile(double[] sorted, double quantile)
        => sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
