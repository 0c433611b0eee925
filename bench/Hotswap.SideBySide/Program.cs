using System.Globalization;
using System.Runtime.InteropServices;

namespace Hotswap.SideBySide;

/// <summary>
/// Hotswap side by side with McMaster.NETCore.Plugins: the rows of issue 15's table, measured in one
/// run, interleaved. Progress goes to standard error, the report to standard output.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["--child", string mode, string value])
        {
            return mode.StartsWith("cold-", StringComparison.Ordinal)
                ? await ColdPart.ChildAsync(mode, value)
                : await MemoryPart.ChildAsync(mode, int.Parse(value, CultureInfo.InvariantCulture));
        }

        if (!SideOptions.TryParse(args, out SideOptions options, out string? error))
        {
            if (error.Length > 0)
            {
                Console.Error.WriteLine($"side-by-side: {error}");
            }

            (error.Length > 0 ? Console.Error : Console.Out).WriteLine(SideOptions.Usage);
            return error.Length > 0 ? 2 : 0;
        }

        var report = new SideReport
        {
            Machine = $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC",
            LoadAtStart = ProcessStats.LoadAverage(),
        };
        Console.Error.WriteLine($"// {report.Machine}; load average {report.LoadAtStart}");

        if (options.Only.Contains("calls"))
        {
            CallPart.Run(options, report);
        }

        if (options.Only.Contains("reload"))
        {
            Console.Error.WriteLine("// reload and settle");
            await ReloadPart.RunReloadAsync(options, report);
        }

        if (options.Only.Contains("deploy"))
        {
            Console.Error.WriteLine("// deploy");
            await ReloadPart.RunDeployAsync(options, report);
        }

        if (options.Only.Contains("cold"))
        {
            Console.Error.WriteLine("// cold start");
            await ColdPart.RunAsync(options, report);
        }

        if (options.Only.Contains("memory"))
        {
            await MemoryPart.RunAsync(options, report);
        }

        if (options.Only.Contains("inflight"))
        {
            await InFlightPart.RunAsync(options, report);
        }

        report.LoadAtEnd = ProcessStats.LoadAverage();
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
