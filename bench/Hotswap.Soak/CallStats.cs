using System.Diagnostics;

namespace Hotswap.Soak;

/// <summary>
/// What one calling thread did and saw. Written by that thread only; read by others with
/// <see cref="Volatile"/> reads while it runs (progress), and exactly after it was joined.
/// </summary>
internal sealed class CallStats
{
    /// <summary>The number of operation kinds.</summary>
    public const int Kinds = (int)OperationKind.DelayedAsyncProxy + 1;

    /// <summary>Plugin calls made: each call into the plugin counts once, two in one lease count twice.</summary>
    public long Calls;

    /// <summary>Operations that threw.</summary>
    public long Failed;

    /// <summary>Operations that saw two versions: within one call, or within one lease.</summary>
    public long Mixed;

    /// <summary>Calls answered by a version already freed, by the wrong build for its version folder, by another plugin, or by an older generation than one this thread had already seen.</summary>
    public long Stale;

    /// <summary>Gets the operations run, by kind.</summary>
    public long[] Operations { get; } = new long[Kinds];

    /// <summary>Gets the time the operations took, in <see cref="Stopwatch"/> ticks, by kind.</summary>
    public long[] TotalTicks { get; } = new long[Kinds];

    /// <summary>Gets the longest operation, in <see cref="Stopwatch"/> ticks, by kind.</summary>
    public long[] MaxTicks { get; } = new long[Kinds];

    /// <summary>Counts one operation that took <paramref name="ticks"/> and made <paramref name="calls"/> calls.</summary>
    /// <param name="kind">What it was.</param>
    /// <param name="calls">The plugin calls it made.</param>
    /// <param name="ticks">How long it took, in <see cref="Stopwatch"/> ticks.</param>
    public void Count(OperationKind kind, int calls, long ticks)
    {
        Calls += calls;
        Operations[(int)kind]++;
        TotalTicks[(int)kind] += ticks;
        MaxTicks[(int)kind] = Math.Max(MaxTicks[(int)kind], ticks);
    }

    /// <summary>Adds <paramref name="other"/>'s counts to this one's.</summary>
    /// <param name="other">Another thread's stats, after it was joined.</param>
    public void Add(CallStats other)
    {
        Calls += other.Calls;
        Failed += other.Failed;
        Mixed += other.Mixed;
        Stale += other.Stale;
        for (int i = 0; i < Kinds; i++)
        {
            Operations[i] += other.Operations[i];
            TotalTicks[i] += other.TotalTicks[i];
            MaxTicks[i] = Math.Max(MaxTicks[i], other.MaxTicks[i]);
        }
    }
}
