using System.Globalization;
using Hotswap.SideBySide.Contracts;

namespace Hotswap.SideBySide;

/// <summary>
/// The guarantee rows: calls in flight across a swap. At each swap, <see cref="SideOptions.InFlightCalls"/>
/// calls of 20 to 40 ms are started on the serving version; then the other build is deployed and the
/// swap triggered, by the API or by the library's watcher; the calls wait for the swap to be done
/// (the library's own event), and only then load their version's dependency (not loaded before)
/// and write to the connection their version closes in its cleanup. A failed call threw; a mixed
/// call saw another build than the one that started it.
/// </summary>
internal static class InFlightPart
{
    private static readonly TimeSpan s_swapTimeout = TimeSpan.FromSeconds(10);

    // After a watcher's swap, how long to wait for a second, late reload of the same deploy.
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(600);

    public static async Task RunAsync(SideOptions options, SideReport report)
    {
        foreach (bool watch in new[] { false, true })
        {
            // Hotswap first for the API, McMaster first for the watcher: neither always goes first.
            Tally hotswap = default!;
            Tally mcmaster = default!;
            if (!watch)
            {
                hotswap = await RunHotswapAsync(options, watch);
                mcmaster = await RunMcMasterAsync(options, watch);
            }
            else
            {
                mcmaster = await RunMcMasterAsync(options, watch);
                hotswap = await RunHotswapAsync(options, watch);
            }

            string trigger = watch ? "by the watcher (deploy only)" : "by the API (deploy, then reload)";
            report.AddText($"calls in flight across a swap, {trigger}: failed / mixed-version", hotswap.Summary, mcmaster.Summary, $"{options.InFlightRounds} swaps x {options.InFlightCalls} calls; failures by exception: Hotswap {hotswap.Failures}; McMaster {mcmaster.Failures}");
            report.Note($"in flight {trigger}: the dependency was first loaded after the swap in {hotswap.LateSwaps} of {options.InFlightRounds} swaps (Hotswap) and {mcmaster.LateSwaps} (McMaster, counting only calls that got that far); reloads per deploy: Hotswap {hotswap.ReloadsText}, McMaster {mcmaster.ReloadsText}.");
        }
    }

    private static async Task<Tally> RunHotswapAsync(SideOptions options, bool watch)
    {
        Console.Error.WriteLine($"// in flight: Hotswap, {(watch ? "watcher" : "API")}");
        await using HotswapSide side = await HotswapSide.CreateAsync(1, watch);
        var tally = new Tally();
        TaskCompletionSource? gate = null;
        int reloads = 0;
        side.Host.Reloaded += (_, e) =>
        {
            if (e.Result.Published)
            {
                Interlocked.Increment(ref reloads);
                Volatile.Read(ref gate)?.TrySetResult();
            }
        };

        int build = 1;
        for (int round = 0; round < options.InFlightRounds; round++)
        {
            build = 3 - build;
            var swapped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref gate, swapped);
            long unloaded = side.UnloadedCount;
            Interlocked.Exchange(ref reloads, 0);
            Task<SideAnswer>[] calls = StartCalls(side.Proxy, swapped.Task, options.InFlightCalls, round);
            await side.PublishAsync(build, activate: true);
            if (!watch)
            {
                (await side.Host.ReloadAsync()).EnsureSuccess();
            }

            await tally.WaitSwapAsync(swapped);
            await tally.CountAsync(calls);
            if (watch)
            {
                await Task.Delay(s_quiet);
            }

            tally.Reloads.Add(Volatile.Read(ref reloads));
            if (tally.SwapsMissed == 0 && side.Proxy.Build() != build)
            {
                throw new InvalidOperationException($"Hotswap did not serve build {build} after the swap.");
            }

            if (tally.SwapsMissed == 0)
            {
                await side.WaitUnloadedAsync(unloaded + 1, TimeSpan.FromSeconds(30));
            }
        }

        return tally;
    }

    private static async Task<Tally> RunMcMasterAsync(SideOptions options, bool watch)
    {
        Console.Error.WriteLine($"// in flight: McMaster, {(watch ? "watcher" : "API")}");
        using McMasterSide side = McMasterSide.Create(1, watch);
        var tally = new Tally();
        TaskCompletionSource? gate = null;
        int reloads = 0;
        side.Swapped += (_, _) =>
        {
            Interlocked.Increment(ref reloads);
            Volatile.Read(ref gate)?.TrySetResult();
        };

        int build = 1;
        for (int round = 0; round < options.InFlightRounds; round++)
        {
            build = 3 - build;
            var swapped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref gate, swapped);
            Interlocked.Exchange(ref reloads, 0);
            Task<SideAnswer>[] calls = StartCalls(side.Current, swapped.Task, options.InFlightCalls, round);
            side.CopyBuild(build);
            if (!watch)
            {
                side.Reload();
            }

            await tally.WaitSwapAsync(swapped);
            await tally.CountAsync(calls);
            if (watch)
            {
                await Task.Delay(s_quiet);
            }

            tally.Reloads.Add(Volatile.Read(ref reloads));
            if (tally.SwapsMissed == 0 && side.Current.Build() != build)
            {
                throw new InvalidOperationException($"McMaster did not serve build {build} after the swap.");
            }
        }

        return tally;
    }

    // Calls of 20 to 40 ms in all: 10 to 20 ms before the gate, 10 to 20 ms after it. Every other
    // call writes the connection before it touches the dependency, so that a failure of either shows.
    private static Task<SideAnswer>[] StartCalls(ISideProbe probe, Task gate, int count, int round)
    {
        var random = new Random(round);
        var calls = new Task<SideAnswer>[count];
        for (int i = 0; i < count; i++)
        {
            calls[i] = Call(probe, gate, random.Next(10, 21), random.Next(10, 21), connectionFirst: i % 2 == 1);
        }

        return calls;

        static Task<SideAnswer> Call(ISideProbe probe, Task gate, int before, int after, bool connectionFirst)
        {
            try
            {
                return probe.ServeAsync(before, gate, after, connectionFirst);
            }
            catch (Exception ex)
            {
                return Task.FromException<SideAnswer>(ex);
            }
        }
    }

    private sealed class Tally
    {
        private readonly SortedDictionary<string, int> _failures = new(StringComparer.Ordinal);
        private int _calls;
        private int _failed;
        private int _mixed;

        public int LateSwaps { get; private set; }

        public int SwapsMissed { get; private set; }

        public List<int> Reloads { get; } = [];

        public string Summary => string.Create(CultureInfo.InvariantCulture, $"{_failed} / {_mixed} of {_calls}{(SwapsMissed > 0 ? $", {SwapsMissed} swaps never done" : string.Empty)}");

        // A swap that never comes (a reload that failed where nobody sees it) is counted, and the
        // gate opened anyway so the calls end; the run goes on.
        public async Task WaitSwapAsync(TaskCompletionSource swapped)
        {
            try
            {
                await swapped.Task.WaitAsync(s_swapTimeout);
            }
            catch (TimeoutException)
            {
                SwapsMissed++;
                swapped.TrySetResult();
            }
        }

        public string Failures => _failures.Count == 0 ? "none" : string.Join(", ", _failures.Select(f => $"{f.Value} {f.Key}"));

        public string ReloadsText => Reloads.Count == 0 ? "-" : $"{Reloads.Min()} to {Reloads.Max()}";

        public async Task CountAsync(Task<SideAnswer>[] calls)
        {
            bool late = false;
            foreach (Task<SideAnswer> call in calls)
            {
                _calls++;
                try
                {
                    SideAnswer answer = await call;
                    late |= answer.DependencyLoadedLate;
                    if (answer.Mixed)
                    {
                        _mixed++;
                    }
                }
                catch (Exception ex)
                {
                    _failed++;
                    string name = Describe(ex);
                    _failures[name] = _failures.GetValueOrDefault(name) + 1;
                }
            }

            if (late)
            {
                LateSwaps++;
            }
        }

        private static string Describe(Exception ex)
            => ex.InnerException is { } inner && ex is not ObjectDisposedException
                ? $"{ex.GetType().Name} ({inner.GetType().Name})"
                : ex.GetType().Name;
    }
}
