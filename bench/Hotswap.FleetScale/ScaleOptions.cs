using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Hotswap.FleetScale;

/// <summary>The runner's command line: the parent's options, or a child's (<c>--child</c>).</summary>
internal sealed class ScaleOptions
{
    public const string Usage = """
        usage: Hotswap.FleetScale [--agents N] [--processes P] [--waves LIST] [--bake SECONDS]
                                  [--idle SECONDS] [--lease-ttl SECONDS] [--timeout SECONDS] [--json]
          --agents N       fleet agents, each with its own PluginHost, plugins root, registration and watch (200)
          --processes P    child processes the agents run in, spread round-robin (4)
          --waves LIST     the rollout's waves (1,10%,50%,100%)
          --bake SECONDS   each wave's bake time (0)
          --idle SECONDS   the idle window before the rollout in which keep-alives and etcd CPU are measured (10)
          --lease-ttl S    the agents' lease TTL (10, FleetAgentOptions' default)
          --timeout S      the longest the join and the rollout may each take before the run fails (120)
          --json           the report as JSON on standard output (progress goes to standard error)
        """;

    public int Agents { get; private set; } = 200;

    public int Processes { get; private set; } = 4;

    public string Waves { get; private set; } = "1,10%,50%,100%";

    public TimeSpan Bake { get; private set; } = TimeSpan.Zero;

    public TimeSpan Idle { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan LeaseTtl { get; private set; } = TimeSpan.FromSeconds(10);

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(120);

    public bool Json { get; private set; }

    /// <summary>Gets whether this process is a child running agents for a parent.</summary>
    public bool Child { get; private set; }

    /// <summary>Gets a child's etcd endpoints.</summary>
    public string Endpoints { get; private set; } = "";

    /// <summary>Gets a child's fleet.</summary>
    public string Fleet { get; private set; } = "";

    /// <summary>Gets a child's folder for its agents' plugins roots.</summary>
    public string Work { get; private set; } = "";

    /// <summary>Gets a child's host ids, comma-separated.</summary>
    public IReadOnlyList<string> HostIds { get; private set; } = [];

    public static bool TryParse(string[] args, out ScaleOptions options, [NotNullWhen(false)] out string? error)
    {
        options = new ScaleOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--json":
                    options.Json = true;
                    break;
                case "--child":
                    options.Child = true;
                    break;
                case "-h" or "--help":
                    error = "";
                    return false;
                case "--agents" or "--processes" or "--bake" or "--idle" or "--lease-ttl" or "--timeout":
                    if (!int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out int n) || (n <= 0 && arg is "--agents" or "--processes" or "--lease-ttl" or "--timeout"))
                    {
                        error = $"{arg} takes a {(arg is "--bake" or "--idle" ? "non-negative" : "positive")} whole number.";
                        return false;
                    }

                    switch (arg)
                    {
                        case "--agents": options.Agents = n; break;
                        case "--processes": options.Processes = n; break;
                        case "--bake": options.Bake = TimeSpan.FromSeconds(n); break;
                        case "--idle": options.Idle = TimeSpan.FromSeconds(n); break;
                        case "--lease-ttl": options.LeaseTtl = TimeSpan.FromSeconds(Math.Max(2, n)); break;
                        default: options.Timeout = TimeSpan.FromSeconds(n); break;
                    }

                    break;
                case "--waves" or "--endpoints" or "--fleet" or "--work" or "--hosts":
                    string? value = Next();
                    if (string.IsNullOrWhiteSpace(value))
                    {
                        error = $"{arg} takes a value.";
                        return false;
                    }

                    switch (arg)
                    {
                        case "--waves": options.Waves = value; break;
                        case "--endpoints": options.Endpoints = value; break;
                        case "--fleet": options.Fleet = value; break;
                        case "--work": options.Work = value; break;
                        default: options.HostIds = value.Split(',', StringSplitOptions.RemoveEmptyEntries); break;
                    }

                    break;
                default:
                    error = $"unknown argument '{arg}'.";
                    return false;
            }
        }

        if (options.Processes > options.Agents)
        {
            options.Processes = options.Agents;
        }

        if (options.Child && (options.Endpoints.Length == 0 || options.Fleet.Length == 0 || options.Work.Length == 0 || options.HostIds.Count == 0))
        {
            error = "--child needs --endpoints, --fleet, --work and --hosts.";
            return false;
        }

        return true;
    }
}
