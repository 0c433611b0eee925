using System.Globalization;

namespace Hotswap.SwapLatency;

/// <summary>The runner's command line.</summary>
internal sealed class LatencyOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Hotswap.SwapLatency -- [options]

          --only first|load|rollback
                             run only the first-call test, the load test or the rollback test (default: all)
          --swaps N          first-call test: swaps per mode, the modes interleaved (default 200)
          --modes LIST       first-call test: warm-up modes, comma-separated, of on (Precompile and the
                             plugin's WarmUpAsync calling its hot path), off (neither), host (Precompile,
                             and PluginHostOptions.WarmUp calls the new export once from host code)
                             (default on,off,host)
          --threads LIST     load test: calling thread counts, comma-separated (default 2,4)
          --rounds R         load test: steady/swapping phase pairs per thread count (default 3)
          --seconds S        load test: seconds per phase (default 1)
          --interval MS      load test: milliseconds from the start of one swap to the next (default 10)
          --json             print the report as JSON instead of text
          --help             print this

        Exit code: 0 when the run completed (whether or not the goals were met), 1 when a swap
        failed, 2 for a bad command line.
        """;

    /// <summary>Gets a value indicating whether the first-call test runs.</summary>
    public bool FirstCall { get; private init; } = true;

    /// <summary>Gets a value indicating whether the load test runs.</summary>
    public bool Load { get; private init; } = true;

    /// <summary>Gets a value indicating whether the rollback test runs (with <see cref="Swaps"/> rollbacks).</summary>
    public bool Rollback { get; private init; } = true;

    /// <summary>Gets the swaps per mode of the first-call test.</summary>
    public int Swaps { get; private init; } = 200;

    /// <summary>Gets the warm-up modes of the first-call test.</summary>
    public WarmUp[] WarmUps { get; private init; } = [WarmUp.On, WarmUp.Off, WarmUp.HostCall];

    /// <summary>Gets the calling thread counts of the load test.</summary>
    public int[] Threads { get; private init; } = [2, 4];

    /// <summary>Gets the steady/swapping phase pairs per thread count.</summary>
    public int Rounds { get; private init; } = 3;

    /// <summary>Gets the length of one phase of the load test.</summary>
    public TimeSpan Phase { get; private init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the time from the start of one swap to the start of the next, in the load test.</summary>
    public TimeSpan Interval { get; private init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Gets a value indicating whether the report is JSON.</summary>
    public bool Json { get; private init; }

    /// <summary>Gets the command line, as given.</summary>
    public string CommandLine { get; private init; } = "";

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="options">The options, when they parse.</param>
    /// <param name="error">What is wrong, or <see langword="null"/> for <c>--help</c>.</param>
    /// <returns>Whether the runner should run.</returns>
    public static bool TryParse(string[] args, out LatencyOptions options, out string? error)
    {
        int swaps = 200, rounds = 3, seconds = 1, interval = 10;
        int[] threads = [2, 4];
        WarmUp[] warmUps = [WarmUp.On, WarmUp.Off, WarmUp.HostCall];
        string only = "";
        bool json = false;
        options = new LatencyOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            bool ok = args[i] switch
            {
                "--only" => TryOnly(args, ref i, ref only, ref error),
                "--swaps" => TryCount(args, ref i, 1, ref swaps, ref error),
                "--threads" => TryList(args, ref i, ref threads, ref error),
                "--modes" => TryModes(args, ref i, ref warmUps, ref error),
                "--rounds" => TryCount(args, ref i, 1, ref rounds, ref error),
                "--seconds" => TryCount(args, ref i, 1, ref seconds, ref error),
                "--interval" => TryCount(args, ref i, 1, ref interval, ref error),
                "--json" => json = true,
                "--help" or "-h" or "-?" => false,
                _ => Unknown(args[i], ref error),
            };
            if (!ok)
            {
                return false;
            }
        }

        options = new LatencyOptions
        {
            FirstCall = only is "" or "first",
            Load = only is "" or "load",
            Rollback = only is "" or "rollback",
            Swaps = swaps,
            WarmUps = warmUps,
            Threads = threads,
            Rounds = rounds,
            Phase = TimeSpan.FromSeconds(seconds),
            Interval = TimeSpan.FromMilliseconds(interval),
            Json = json,
            CommandLine = "dotnet run -c Release --project bench/Hotswap.SwapLatency" + (args.Length == 0 ? "" : " -- " + string.Join(' ', args)),
        };
        return true;
    }

    private static bool TryOnly(string[] args, ref int i, ref string only, ref string? error)
    {
        if (i + 1 >= args.Length || args[i + 1] is not ("first" or "load" or "rollback"))
        {
            error = "--only takes 'first', 'load' or 'rollback'.";
            return false;
        }

        only = args[++i];
        return true;
    }

    private static bool TryCount(string[] args, ref int i, int min, ref int value, ref string? error)
    {
        if (i + 1 >= args.Length
            || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
            || parsed < min)
        {
            error = $"{args[i]} takes a whole number of at least {min}.";
            return false;
        }

        value = parsed;
        i++;
        return true;
    }

    private static bool TryModes(string[] args, ref int i, ref WarmUp[] value, ref string? error)
    {
        var parsed = new List<WarmUp>();
        if (i + 1 < args.Length)
        {
            foreach (string part in args[i + 1].Split(','))
            {
                WarmUp? mode = part switch
                {
                    "on" => WarmUp.On,
                    "off" => WarmUp.Off,
                    "host" => WarmUp.HostCall,
                    _ => null,
                };
                if (mode is not { } m || parsed.Contains(m))
                {
                    parsed.Clear();
                    break;
                }

                parsed.Add(m);
            }
        }

        if (parsed.Count == 0)
        {
            error = $"{args[i]} takes on, off and host, separated by commas, each at most once.";
            return false;
        }

        value = [.. parsed];
        i++;
        return true;
    }

    private static bool TryList(string[] args, ref int i, ref int[] value, ref string? error)
    {
        var parsed = new List<int>();
        if (i + 1 < args.Length)
        {
            foreach (string part in args[i + 1].Split(','))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
                {
                    parsed.Clear();
                    break;
                }

                parsed.Add(n);
            }
        }

        if (parsed.Count == 0)
        {
            error = $"{args[i]} takes whole numbers of at least 1, separated by commas.";
            return false;
        }

        value = [.. parsed];
        i++;
        return true;
    }

    private static bool Unknown(string argument, ref string? error)
    {
        error = $"Unknown argument '{argument}'.";
        return false;
    }
}
