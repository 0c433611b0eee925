using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Hotswap.SwapLatency;

/// <summary>
/// A latency histogram in <see cref="Stopwatch"/> ticks, preallocated: recording a value is an
/// increment of one array element and a compare, and allocates nothing. Values below 128 ticks
/// have a bucket each; above, each power of two is split into 64 buckets (at most 1.6 % wide).
/// Written by one thread; read after that thread stopped.
/// </summary>
internal sealed class Histogram
{
    private const int SubBits = 6;
    private const int Sub = 1 << SubBits;
    private const int Buckets = (64 - SubBits + 1) * Sub; // the highest value, 2^64 - 1, lands in the last one

    private readonly long[] _counts = new long[Buckets];

    /// <summary>Gets the number of values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Gets the largest value recorded, exactly.</summary>
    public long Max { get; private set; }

    /// <summary>Records one value.</summary>
    /// <param name="ticks">The value, in ticks (negative counts as 0).</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long ticks)
    {
        ulong value = ticks < 0 ? 0 : (ulong)ticks;
        _counts[Index(value)]++;
        Count++;
        if ((long)value > Max)
        {
            Max = (long)value;
        }
    }

    /// <summary>Adds every value of <paramref name="other"/> to this histogram.</summary>
    /// <param name="other">The histogram to add.</param>
    public void Add(Histogram other)
    {
        for (int i = 0; i < Buckets; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>Gets the value at a quantile: the upper end of the bucket that holds it (the exact maximum for the last one).</summary>
    /// <param name="quantile">Between 0 and 1.</param>
    /// <returns>The value, in ticks; 0 when nothing was recorded.</returns>
    public long ValueAt(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        for (int i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(UpperBound(i), Max);
            }
        }

        return Max;
    }

    /// <summary>Gets how many values are above <paramref name="ticks"/> (to the bucket's resolution).</summary>
    /// <param name="ticks">The threshold.</param>
    /// <returns>The count of values in buckets above the threshold's bucket.</returns>
    public long CountAbove(long ticks)
    {
        long above = 0;
        for (int i = Index((ulong)Math.Max(0, ticks)) + 1; i < Buckets; i++)
        {
            above += _counts[i];
        }

        return above;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Index(ulong value)
    {
        int top = 63 - BitOperations.LeadingZeroCount(value | 1);
        if (top <= SubBits)
        {
            return (int)value; // below 2 * Sub: one bucket per value
        }

        int shift = top - SubBits;
        return ((shift + 1) << SubBits) + (int)(value >> shift) - Sub;
    }

    private static long UpperBound(int index)
    {
        if (index < 2 * Sub)
        {
            return index;
        }

        int shift = (index >> SubBits) - 1;
        long low = (long)((index & (Sub - 1)) + Sub) << shift;
        return low + (1L << shift) - 1;
    }
}
