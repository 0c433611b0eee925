using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Hotswap.SideBySide;

/// <summary>The runner's command line.</summary>
internal sealed class SideOptions
{
    /// <summary>The parts of the run, in the order they run.</summary>
    public static readonly string[] Parts = ["calls", "reload", "deploy", "cold", "memory", "inflight"];

    /// <summary>The usage text.</summary>
    public const string Usage = """
        usage: Hotswap.SideBySide [--only PART[,PART...]] [--rounds N] [--call-rounds N] [--cold N]
                                  [--reloads N] [--inflight-rounds N] [--inflight-calls N] [--json]
          --only             calls, reload (with settle), deploy, cold, memory, inflight (all)
          --rounds           reload and deploy: measured Hotswap/McMaster round pairs (30)
          --call-rounds      calls: BenchmarkDotNet runs of the call class (3)
          --cold             cold start: child processes per library (10)
          --reloads          memory: reloads per child process (4000); threads read at 500
          --inflight-rounds  in flight: swaps per library and trigger (10)
          --inflight-calls   in flight: calls in flight at each swap (8)
          --json             the report as JSON on standard output
        """;

    /// <summary>Gets the parts to run.</summary>
    public HashSet<string> Only { get; } = new(Parts, StringComparer.Ordinal);

    /// <summary>Gets the measured round pairs of the reload and deploy parts.</summary>
    public int Rounds { get; private set; } = 30;

    /// <summary>Gets the BenchmarkDotNet runs of the call class.</summary>
    public int CallRounds { get; private set; } = 3;

    /// <summary>Gets the child processes per library of the cold start part.</summary>
    public int Cold { get; private set; } = 10;

    /// <summary>Gets the reloads per child process of the memory part.</summary>
    public int Reloads { get; private set; } = 4000;

    /// <summary>Gets the swaps per library and trigger of the in-flight part.</summary>
    public int InFlightRounds { get; private set; } = 10;

    /// <summary>Gets the calls in flight at each swap.</summary>
    public int InFlightCalls { get; private set; } = 8;

    /// <summary>Gets a value indicating whether the report goes out as JSON.</summary>
    public bool Json { get; private set; }

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="options">The options.</param>
    /// <param name="error">What was wrong, or <see langword="null"/> when help was asked for.</param>
    /// <returns>Whether to run.</returns>
    public static bool TryParse(string[] args, out SideOptions options, [NotNullWhen(false)] out string? error)
    {
        options = new SideOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "--json")
            {
                options.Json = true;
                continue;
            }

            if (arg is "-h" or "--help")
            {
                error = string.Empty;
                return false;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{arg} needs a value.";
                return false;
            }

            string value = args[++i];
            if (arg is "--only")
            {
                options.Only.Clear();
                foreach (string part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    string name = part == "settle" ? "reload" : part;
                    if (!Parts.Contains(name))
                    {
                        error = $"unknown part '{part}'; the parts are {string.Join(", ", Parts)} (settle runs with reload).";
                        return false;
                    }

                    options.Only.Add(name);
                }

                continue;
            }

            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
            {
                error = $"{arg} needs a positive whole number, not '{value}'.";
                return false;
            }

            switch (arg)
            {
                case "--rounds": options.Rounds = n; break;
                case "--call-rounds": options.CallRounds = n; break;
                case "--cold": options.Cold = n; break;
                case "--reloads": options.Reloads = n; break;
                case "--inflight-rounds": options.InFlightRounds = n; break;
                case "--inflight-calls": options.InFlightCalls = n; break;
                default:
                    error = $"unknown option '{arg}'.";
                    return false;
            }
        }

        return true;
    }
}
