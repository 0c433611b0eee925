namespace Hotswap.SwapLatency;

/// <summary>
/// The swap latency runner: the first calls after a swap, with warm-up on and off, and the call
/// latencies of several threads while the plugin is swapped every few milliseconds. Progress goes
/// to standard error, the report to standard output.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (!LatencyOptions.TryParse(args, out LatencyOptions options, out string? error))
        {
            if (error is not null)
            {
                Console.Error.WriteLine($"swap-latency: {error}");
            }

            (error is null ? Console.Out : Console.Error).WriteLine(LatencyOptions.Usage);
            return error is null ? 0 : 2;
        }

        Console.Error.WriteLine($"swap-latency: {LatencyReport.Machine}");
        LatencyReport report;
        try
        {
            FirstCallReport? first = options.FirstCall ? FirstCallTest.Run(options.Swaps, options.WarmUps, Console.Error) : null;
            LoadReport? load = options.Load ? LoadTest.Run(options, Console.Error) : null;
            RollbackReport? rollback = options.Rollback ? RollbackTest.Run(options.Swaps, Console.Error) : null;
            report = new LatencyReport(options.CommandLine, first, load, rollback);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            Console.Error.WriteLine($"swap-latency: {ex.Message}");
            return 1;
        }

        if (options.Json)
        {
            using Stream output = Console.OpenStandardOutput();
            report.WriteJson(output);
            output.WriteByte((byte)'\n');
        }
        else
        {
            report.WriteText(Console.Out);
        }

        return 0;
    }
}
