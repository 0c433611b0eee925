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

        SoakReport report = await SoakRunner.RunAsync(options, Console.Error).ConfigureAwait(false);
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
