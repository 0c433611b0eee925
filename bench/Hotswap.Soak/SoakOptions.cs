using System.Globalization;

namespace Hotswap.Soak;

/// <summary>The soak's command line.</summary>
internal sealed class SoakOptions
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Hotswap.Soak -- [options]

          --reloads N       reloads to run, each flipping every plugin to its other build (default 1000)
          --threads M       threads calling the plugins the whole time (default 4)
          --plugins K       plugins in the plugins root, each reloaded by every reload (default 1)
          --baseline S      seconds of calls before the first reload, to compare call times with (default 1)
          --unload-wait S   seconds to wait, at the end, for retired versions to be unloaded (default 60)
          --rollback-every N  turn probation on (1 hour) and follow every Nth reload with
                            host.RollbackAsync(); each plugin then has two version folders per build
                            (default: no probation, no rollback)
          --json            print the report as JSON instead of text
          --help            print this

        Ctrl+C (or SIGTERM) stops the reloads early; the run still reports, and counts as failed.
        Exit code: 0 when every check passed, 1 when one failed, 2 for a bad command line.
        """;

    /// <summary>Gets the reloads to run.</summary>
    public int Reloads { get; private init; } = 1000;

    /// <summary>Gets the calling threads.</summary>
    public int Threads { get; private init; } = 4;

    /// <summary>Gets the plugins in the root.</summary>
    public int Plugins { get; private init; } = 1;

    /// <summary>Gets how long the threads call before the first reload: the call times to compare with.</summary>
    public TimeSpan Baseline { get; private init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets how long to wait at the end for retired versions to be unloaded.</summary>
    public TimeSpan UnloadWait { get; private init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets after how many reloads each rollback comes; 0 for none, and no probation.</summary>
    public int RollbackEvery { get; private init; }

    /// <summary>Gets whether the host keeps the previous generation on probation: only when the soak rolls back.</summary>
    public bool Probation => RollbackEvery > 0;

    /// <summary>Gets whether the report is JSON.</summary>
    public bool Json { get; private init; }

    /// <summary>Parses the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="options">The options, when they parse.</param>
    /// <param name="error">What is wrong, or <see langword="null"/> for <c>--help</c>.</param>
    /// <returns>Whether the soak should run.</returns>
    public static bool TryParse(string[] args, out SoakOptions options, out string? error)
    {
        int reloads = 1000, threads = 4, plugins = 1, baseline = 1, unloadWait = 60, rollbackEvery = 0;
        bool json = false;
        options = new SoakOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            bool ok = args[i] switch
            {
                "--reloads" => TryCount(args, ref i, 0, ref reloads, ref error),
                "--threads" => TryCount(args, ref i, 0, ref threads, ref error),
                "--plugins" => TryCount(args, ref i, 1, ref plugins, ref error),
                "--baseline" => TryCount(args, ref i, 0, ref baseline, ref error),
                "--unload-wait" => TryCount(args, ref i, 1, ref unloadWait, ref error),
                "--rollback-every" => TryCount(args, ref i, 1, ref rollbackEvery, ref error),
                "--json" => json = true,
                "--help" or "-h" or "-?" => false,
                _ => Unknown(args[i], ref error),
            };
            if (!ok)
            {
                return false;
            }
        }

        options = new SoakOptions { Reloads = reloads, Threads = threads, Plugins = plugins, Baseline = TimeSpan.FromSeconds(baseline), UnloadWait = TimeSpan.FromSeconds(unloadWait), RollbackEvery = rollbackEvery, Json = json };
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

    private static bool Unknown(string argument, ref string? error)
    {
        error = $"Unknown argument '{argument}'.";
        return false;
    }
}
