using System.Runtime.InteropServices;

namespace Hotswap.Soak;

/// <summary>
/// The soak runner: many reloads while threads call, then a count of everything that went wrong.
/// Progress goes to standard error, the report to standard output.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (!SoakOptions.TryParse(args, out SoakOptions options, out string? error))
        {
            if (error is not null)
            {
                await Console.Error.WriteLineAsync($"soak: {error}").ConfigureAwait(false);
            }

            await (error is null ? Console.Out : Console.Error).WriteLineAsync(SoakOptions.Usage).ConfigureAwait(false);
            return error is null ? 0 : 2;
        }

        // Ctrl+C (or SIGTERM) stops the reloads early; the run still waits for the unloads, reports
        // and deletes its plugins root. A second Ctrl+C ends the process at once.
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

        SoakReport report;
        try
        {
            report = await SoakRunner.RunAsync(options, Console.Error, stop.Token).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            // The setup failed (the plugin not built, the first load failed): nothing was soaked.
            await Console.Error.WriteLineAsync($"soak: {ex.Message}").ConfigureAwait(false);
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

        return report.Passed ? 0 : 1;
    }
}
