using System.Runtime.InteropServices;

namespace Hotswap.FleetScale;

/// <summary>
/// The fleet scale runner: one rollout across many agents against a real local 3-member etcd cluster, and what
/// it cost. Progress goes to standard error, the report (Markdown, or JSON with <c>--json</c>) to standard output.
/// With <c>--child</c> this process is one of the parent's agent processes.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (!ScaleOptions.TryParse(args, out ScaleOptions options, out string? error))
        {
            if (error.Length > 0)
            {
                await Console.Error.WriteLineAsync($"fleetscale: {error}");
            }

            await (error.Length == 0 ? Console.Out : Console.Error).WriteLineAsync(ScaleOptions.Usage);
            return error.Length == 0 ? 0 : 2;
        }

        if (options.Child)
        {
            // A child stops when its standard input ends (the parent stopped or died); Ctrl+C in the terminal
            // reaches it too, and is left to the parent, which stops it in order.
            Console.CancelKeyPress += static (_, e) => e.Cancel = true;
            return await ChildRun.RunAsync(options);
        }

        // Ctrl+C or SIGTERM: the run stops, kills every process it started and deletes its folders.
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        };
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });

        ScaleReport report;
        try
        {
            report = await ParentRun.RunAsync(options, Console.Error, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("fleetscale: stopped; every process the run started was stopped and its folders deleted.");
            return 1;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or OperationCanceledException or IOException)
        {
            await Console.Error.WriteLineAsync($"fleetscale: {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : "")}");
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
            report.WriteMarkdown(Console.Out);
        }

        return report.Passed ? 0 : 1;
    }
}
