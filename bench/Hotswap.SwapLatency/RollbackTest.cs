using System.Diagnostics;

namespace Hotswap.SwapLatency;

/// <summary>
/// The time of <see cref="PluginHost.RollbackAsync"/>: a host with a probation swaps to the second
/// version folder (keeping the first loaded), then rolls back to it, timed from the call to its
/// return, then the first proxy call after it. Nothing is loaded by a rollback.
/// </summary>
/// <remarks>
/// Each round: flip <c>current</c> back to the first folder and reload (nothing to load; the
/// rolled-back version's refusal lapses), flip to the second and reload (a new context; the first
/// generation is kept), call once, roll back (timed), call once (timed), then wait until the version
/// rolled back was unloaded, so rounds do not overlap. One dedicated thread, as in the first-call test.
/// </remarks>
internal static class RollbackTest
{
    private const int DiscardedRounds = 5;

    /// <summary>Runs the test.</summary>
    /// <param name="rounds">Measured rollbacks.</param>
    /// <param name="progress">Where progress goes.</param>
    /// <returns>The report.</returns>
    public static RollbackReport Run(int rounds, TextWriter progress)
    {
        RollbackReport? report = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                report = RunOnThisThread(rounds, progress);
            }
#pragma warning disable CA1031 // Handed back to the caller's thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
            }
        })
        { Name = "rollback", IsBackground = true };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException($"The rollback test failed: {failure.Message}", failure);
        }

        return report!;
    }

    private static RollbackReport RunOnThisThread(int rounds, TextWriter progress)
    {
        using SwapRoot root = SwapRoot.CreateAsync(WarmUp.On, TimeSpan.FromHours(1)).GetAwaiter().GetResult();
        var call = new double[rounds];
        var duration = new double[rounds];
        var firstCall = new double[rounds];
        for (int i = -DiscardedRounds; i < rounds; i++)
        {
            root.FlipAndReload(0).EnsureSuccess();
            ReloadResult swapped = root.FlipAndReload(1).EnsureSuccess();
            if (!swapped.Published || swapped.Find(SwapRoot.PluginName)?.Outcome != ReloadOutcome.Loaded)
            {
                throw new InvalidOperationException($"The swap before the rollback loaded nothing: {swapped}");
            }

            _ = root.Proxy.Add(i, 1);
            long start = Stopwatch.GetTimestamp();
            ReloadResult back = root.Host.RollbackAsync().GetAwaiter().GetResult();
            long returned = Stopwatch.GetTimestamp();
            _ = root.Proxy.Add(i, 2);
            long answered = Stopwatch.GetTimestamp();
            if (!back.RolledBack)
            {
                throw new InvalidOperationException($"The rollback did not roll back: {back}");
            }

            root.ExpectUnload();
            root.WaitForUnloads();
            if (i >= 0)
            {
                call[i] = Ticks.ToNanoseconds(returned - start);
                firstCall[i] = Ticks.ToNanoseconds(answered - returned);
                duration[i] = back.Duration.TotalMilliseconds * 1e6;
            }

            if (i >= 0 && (i + 1) % 50 == 0)
            {
                progress.WriteLine($"swap-latency: rollback test, {i + 1} of {rounds} rollbacks");
            }
        }

        return new RollbackReport(rounds, Row(call), Row(duration), Row(firstCall));
    }

    private static RollbackRow Row(double[] samples)
    {
        double[] sorted = [.. samples.Order()];
        return new RollbackRow(Ticks.Percentile(sorted, 0.5), Ticks.Percentile(sorted, 0.9), Ticks.Percentile(sorted, 0.99), sorted[^1]);
    }
}

/// <summary>What the rollback test measured, in nanoseconds.</summary>
/// <param name="Rounds">Measured rollbacks.</param>
/// <param name="Call">From the call of <see cref="PluginHost.RollbackAsync"/> to its return.</param>
/// <param name="Duration">The result's <see cref="ReloadResult.Duration"/>: until the older generation serves again.</param>
/// <param name="FirstCall">The first proxy call after the rollback returned.</param>
internal sealed record RollbackReport(int Rounds, RollbackRow Call, RollbackRow Duration, RollbackRow FirstCall);

/// <summary>Percentiles of one measurement, in nanoseconds.</summary>
internal sealed record RollbackRow(double Median, double P90, double P99, double Max);
