using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

/// <summary>
/// <c>hotswap fleet</c>: pack a version folder into an artifact, roll a version across a fleet in
/// waves (start, status, pause, resume, abort, run), and show the fleet (docs/fleet.md).
/// </summary>
internal static class FleetCommand
{
    private const string EndpointsVariable = "HOTSWAP_ETCD_ENDPOINTS";

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var fleet = new Command("fleet", "Roll plugin versions across a fleet of hosts through etcd: pack artifacts, start, pause, resume and abort rollouts in waves, and show every host's versions and answers.");
        fleet.Subcommands.Add(Pack(stdout, stderr));
        fleet.Subcommands.Add(Status(stdout, stderr));
        var stable = new Command("stable", "Set the version every host serves when no rollout admits it.");
        stable.Subcommands.Add(SetStable(stdout, stderr));
        fleet.Subcommands.Add(stable);
        var rollout = new Command("rollout", "Start a rollout and drive it wave by wave, or pause, resume, abort it, or show it.");
        rollout.Subcommands.Add(Start(stdout, stderr));
        rollout.Subcommands.Add(Change(stdout, stderr, "pause", "Admit no more hosts; the hosts admitted keep the new version."));
        rollout.Subcommands.Add(Change(stdout, stderr, "resume", "Resume a paused rollout (and drive it, unless --detach)."));
        rollout.Subcommands.Add(Change(stdout, stderr, "abort", "Stop the rollout: every admitted host goes back to the stable version."));
        rollout.Subcommands.Add(Run(stdout, stderr));
        rollout.Subcommands.Add(RolloutStatus(stdout, stderr));
        fleet.Subcommands.Add(rollout);
        return fleet;
    }

    private static Option<string> Endpoints() => new("--endpoints")
    {
        Description = $"The etcd client URLs, comma-separated. Default: ${EndpointsVariable}, else http://127.0.0.1:2379.",
        DefaultValueFactory = static _ => Environment.GetEnvironmentVariable(EndpointsVariable) is { Length: > 0 } set ? set : "http://127.0.0.1:2379",
    };

    private static Option<string> ProgressDeadline() => new("--progress-deadline")
    {
        Description = "How long a wave may take to be ready before the controller pauses the rollout naming the missing hosts: 30s, 10m, 1h, hh:mm:ss, or 'none'.",
        DefaultValueFactory = static _ => "10m",
    };

    /// <summary>Reads --progress-deadline: a duration, or 'none' for no deadline.</summary>
    private static bool TryProgressDeadline(CliOutput cli, string text, out TimeSpan deadline, out int usage)
    {
        usage = 0;
        if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase))
        {
            deadline = Timeout.InfiniteTimeSpan;
            return true;
        }

        if (TryParseDuration(text, out deadline) && deadline > TimeSpan.Zero)
        {
            return true;
        }

        usage = cli.Fail($"'{text}' is not a duration for --progress-deadline: use 30s, 10m, 1h, hh:mm:ss or none.", ExitCodes.Usage);
        return false;
    }

    private static Argument<string> FleetName() => new("fleet") { Description = "The fleet's name." };

    private static Argument<string> PluginName() => new("plugin") { Description = "The plugin's name." };

    private static Command Pack(TextWriter stdout, TextWriter stderr)
    {
        var folder = new Argument<string>("versionFolder") { Description = "A published version folder (its manifest included)." };
        var output = new Argument<string>("output") { Description = "The artifact (zip) to write." };
        Option<bool> json = CommonOptions.Json();
        var command = new Command("pack", "Pack a version folder into an artifact for a fleet: a deterministic zip; prints its version and digest.") { folder, output, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            try
            {
                FleetArtifact artifact = await FleetArtifacts.PackAsync(parse.GetValue(folder)!, parse.GetValue(output)!, cancellationToken).ConfigureAwait(false);
                cli.Line($"Packed {artifact.PluginName} {artifact.Version} into {artifact.Path}");
                cli.Line($"digest {artifact.Digest}");
                cli.Document(new JsonObject
                {
                    ["succeeded"] = true,
                    ["plugin"] = artifact.PluginName,
                    ["version"] = artifact.Version,
                    ["digest"] = artifact.Digest,
                    ["path"] = artifact.Path,
                    ["error"] = null,
                    ["exitCode"] = ExitCodes.Success,
                });
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                return cli.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }
        });
        return command;
    }

    private static Command Start(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> fleet = FleetName();
        Argument<string> plugin = PluginName();
        var version = new Argument<string>("versionOrFolder") { Description = "The version's folder (its version and digest are read from it) or its name (then --digest is required)." };
        var artifact = new Option<string>("--artifact") { Description = "Where hosts fetch the artifact: file://, http:// or https://.", Required = true };
        var digest = new Option<string?>("--digest") { Description = "The SHA-256 of the version's manifest, when the version is given by name." };
        var waves = new Option<string>("--waves") { Description = "The waves: host counts or shares of the fleet, cumulative.", DefaultValueFactory = static _ => "1,25%,100%" };
        var bake = new Option<string>("--bake") { Description = "How long each wave must serve the version before the next starts: 30s, 5m, 1h or hh:mm:ss.", DefaultValueFactory = static _ => "30s" };
        var maxNacks = new Option<int>("--max-nacks") { Description = "How many NACKs to tolerate; one more aborts the rollout.", DefaultValueFactory = static _ => 0 };
        var detach = new Option<bool>("--detach") { Description = "Only start the rollout; do not drive it (another 'rollout run' does)." };
        Option<string> progressDeadline = ProgressDeadline();
        Option<string> endpoints = Endpoints();
        Option<bool> json = CommonOptions.Json();
        var command = new Command("start", "Start rolling a version out, then drive it wave by wave until it completes or aborts (Ctrl+C leaves it for another controller).")
        {
            fleet, plugin, version, artifact, digest, waves, bake, maxNacks, progressDeadline, detach, endpoints, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            if (!TryParseDuration(parse.GetValue(bake)!, out TimeSpan bakeTime))
            {
                return cli.Fail($"'{parse.GetValue(bake)}' is not a duration for --bake: use 30s, 5m, 1h or hh:mm:ss.", ExitCodes.Usage);
            }

            if (!TryTarget(cli, parse.GetValue(version)!, parse.GetValue(digest), parse.GetValue(artifact)!, out string? versionName, out string? digestValue, out Uri? artifactUri, out int usage)
                || !TryProgressDeadline(cli, parse.GetValue(progressDeadline)!, out TimeSpan deadline, out usage))
            {
                return usage;
            }

            string pluginName = parse.GetValue(plugin)!;
            try
            {
                await using RolloutController controller = NewController(parse.GetValue(endpoints)!, parse.GetValue(fleet)!, deadline);
                string id = await controller.StartAsync(pluginName, versionName, artifactUri, digestValue, parse.GetValue(waves)!, bakeTime, parse.GetValue(maxNacks), cancellationToken).ConfigureAwait(false);
                cli.Line($"Rollout {id} of {pluginName} to {versionName} started.");
                return parse.GetValue(detach)
                    ? Report(cli, await controller.GetStatusAsync(cancellationToken).ConfigureAwait(false), pluginName)
                    : await DriveAsync(cli, controller, pluginName, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                return cli.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }
        });
        return command;
    }

    private static Command SetStable(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> fleet = FleetName();
        Argument<string> plugin = PluginName();
        var version = new Argument<string>("versionOrFolder") { Description = "The version's folder (its version and digest are read from it) or its name (then --digest is required)." };
        var artifact = new Option<string>("--artifact") { Description = "Where hosts fetch the artifact: file://, http:// or https://.", Required = true };
        var digest = new Option<string?>("--digest") { Description = "The SHA-256 of the version's manifest, when the version is given by name." };
        Option<string> endpoints = Endpoints();
        Option<bool> json = CommonOptions.Json();
        var command = new Command("set", "Seed a fleet, or move every host at once outside any rollout: refused while a rollout runs or is paused.") { fleet, plugin, version, artifact, digest, endpoints, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            if (!TryTarget(cli, parse.GetValue(version)!, parse.GetValue(digest), parse.GetValue(artifact)!, out string? versionName, out string? digestValue, out Uri? artifactUri, out int usage))
            {
                return usage;
            }

            string pluginName = parse.GetValue(plugin)!;
            try
            {
                await using RolloutController controller = NewController(parse.GetValue(endpoints)!, parse.GetValue(fleet)!);
                await controller.SetStableAsync(pluginName, versionName, artifactUri, digestValue, cancellationToken).ConfigureAwait(false);
                cli.Line($"Stable {pluginName} is now {versionName}.");
                return Report(cli, await controller.GetStatusAsync(cancellationToken).ConfigureAwait(false), pluginName);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                return cli.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }
        });
        return command;
    }

    /// <summary>Reads a version given as its folder (name and digest from it) or as its name with --digest, and the artifact's URL; reports a usage error otherwise.</summary>
    private static bool TryTarget(CliOutput cli, string given, string? digest, string artifact, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? version, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? digestValue, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? artifactUri, out int exitCode)
    {
        version = given;
        digestValue = digest;
        artifactUri = null;
        exitCode = ExitCodes.Success;
        if (Directory.Exists(given))
        {
            version = Path.GetFileName(Path.GetFullPath(given).TrimEnd(Path.DirectorySeparatorChar));
            digestValue = FleetArtifacts.ComputeDigest(given);
        }
        else if (digestValue is null)
        {
            exitCode = cli.Fail($"'{given}' is not a folder: give the version's folder, or its name with --digest.", ExitCodes.Usage);
            return false;
        }

        if (!Uri.TryCreate(artifact, UriKind.Absolute, out artifactUri))
        {
            exitCode = cli.Fail($"--artifact '{artifact}' is not an absolute URL (file://, http:// or https://).", ExitCodes.Usage);
            return false;
        }

        return true;
    }

    private static Command Change(TextWriter stdout, TextWriter stderr, string name, string description)
    {
        Argument<string> fleet = FleetName();
        Argument<string> plugin = PluginName();
        var reason = new Option<string?>("--reason") { Description = "Why, for the fleet's status." };
        var detach = new Option<bool>("--detach") { Description = "resume only: do not drive the rollout." };
        Option<string> endpoints = Endpoints();
        Option<bool> json = CommonOptions.Json();
        Option<string> progressDeadline = ProgressDeadline();
        var command = new Command(name, description) { fleet, plugin, reason, endpoints, json };
        if (name == "resume")
        {
            command.Options.Add(detach);
            command.Options.Add(progressDeadline);
        }

        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            string pluginName = parse.GetValue(plugin)!;
            string? why = parse.GetValue(reason);
            TimeSpan deadline = TimeSpan.FromMinutes(10);
            if (name == "resume" && !TryProgressDeadline(cli, parse.GetValue(progressDeadline)!, out deadline, out int usage))
            {
                return usage;
            }

            try
            {
                await using RolloutController controller = NewController(parse.GetValue(endpoints)!, parse.GetValue(fleet)!, deadline);
                switch (name)
                {
                    case "pause":
                        await controller.PauseAsync(pluginName, why ?? "paused by an operator", cancellationToken).ConfigureAwait(false);
                        break;
                    case "abort":
                        await controller.AbortAsync(pluginName, why ?? "aborted by an operator", cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        await controller.ResumeAsync(pluginName, cancellationToken).ConfigureAwait(false);
                        if (!parse.GetValue(detach))
                        {
                            return await DriveAsync(cli, controller, pluginName, cancellationToken).ConfigureAwait(false);
                        }

                        break;
                }

                return Report(cli, await controller.GetStatusAsync(cancellationToken).ConfigureAwait(false), pluginName);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                return cli.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }
        });
        return command;
    }

    private static Command Run(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> fleet = FleetName();
        Argument<string> plugin = PluginName();
        Option<string> endpoints = Endpoints();
        Option<bool> json = CommonOptions.Json();
        Option<string> progressDeadline = ProgressDeadline();
        var command = new Command("run", "Drive the plugin's rollout (waiting while another controller does), until it completes or aborts; Ctrl+C leaves it for another controller.") { fleet, plugin, progressDeadline, endpoints, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            if (!TryProgressDeadline(cli, parse.GetValue(progressDeadline)!, out TimeSpan deadline, out int usage))
            {
                return usage;
            }

            await using RolloutController controller = NewController(parse.GetValue(endpoints)!, parse.GetValue(fleet)!, deadline);
            return await DriveAsync(cli, controller, parse.GetValue(plugin)!, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Command RolloutStatus(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> fleet = FleetName();
        Argument<string> plugin = PluginName();
        Option<string> endpoints = Endpoints();
        Option<bool> json = CommonOptions.Json();
        var command = new Command("status", "Show the plugin's rollout: its state, wave, admitted hosts and answers.") { fleet, plugin, endpoints, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            await using RolloutController controller = NewController(parse.GetValue(endpoints)!, parse.GetValue(fleet)!);
            return Report(cli, await controller.GetStatusAsync(cancellationToken).ConfigureAwait(false), parse.GetValue(plugin)!);
        });
        return command;
    }

    private static Command Status(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> fleet = FleetName();
        Option<string> endpoints = Endpoints();
        Option<bool> json = CommonOptions.Json();
        var command = new Command("status", "Show every host of the fleet: live or gone, its labels, the versions it serves, its last error, and every plugin's stable version and rollout.") { fleet, endpoints, json };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var cli = new CliOutput(parse.GetValue(json), stdout, stderr);
            await using RolloutController controller = NewController(parse.GetValue(endpoints)!, parse.GetValue(fleet)!);
            return Report(cli, await controller.GetStatusAsync(cancellationToken).ConfigureAwait(false), pluginName: null);
        });
        return command;
    }

    /// <summary>Runs the controller until the plugin's rollout is completed or aborted (or Ctrl+C), printing each change of state.</summary>
    private static async Task<int> DriveAsync(CliOutput cli, RolloutController controller, string pluginName, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task running = controller.RunAsync(pluginName, stop.Token);
        string? last = null;
        FleetStatus status;
        while (true)
        {
            status = await controller.GetStatusAsync(cancellationToken).ConfigureAwait(false);
            FleetRolloutStatus? rollout = status.Plugins.FirstOrDefault(p => p.PluginName == pluginName)?.Rollout;
            string now = rollout is null ? "no rollout" : $"{rollout.State}, wave {rollout.Wave} of {rollout.Waves.Count}, {rollout.Admitted.Count} host(s) admitted{(rollout.Reason is null ? "" : $": {rollout.Reason}")}";
            if (now != last)
            {
                cli.Line(now);
                last = now;
            }

            if (rollout is null || rollout.State is "completed" or "aborted" || cancellationToken.IsCancellationRequested || running.IsCompleted)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), TimeProvider.System, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await running.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return cli.Fail("The rollout controller stopped: " + CliOutput.OneLine(ex.Message), ExitCodes.Failed);
        }
        catch (OperationCanceledException)
        {
        }

        return Report(cli, status, pluginName);
    }

    private static int Report(CliOutput cli, FleetStatus status, string? pluginName)
    {
        foreach (FleetPluginStatus plugin in status.Plugins.Where(p => pluginName is null || p.PluginName == pluginName))
        {
            cli.Line($"{plugin.PluginName}: stable {plugin.StableVersion ?? "(none)"}");
            if (plugin.Rollout is { } r)
            {
                cli.Line($"  rollout {r.Id} to {r.Version}: {r.State}, wave {r.Wave} of {r.Waves.Count} ({string.Join(",", r.Waves)}), admitted {string.Join(", ", r.Admitted)}{(r.Reason is null ? "" : $"; {r.Reason}")}");
                foreach (FleetAnswerStatus answer in status.AnswersOf(plugin.PluginName, r.Id, r.Version))
                {
                    cli.Line(answer.Acknowledged ? $"    {answer.HostId}: ACK" : $"    {answer.HostId}: NACK in phase {answer.Phase}{(answer.FilePath is null ? "" : $" ({answer.FilePath})")}: {answer.Reason}");
                }
            }
        }

        if (pluginName is null)
        {
            foreach (FleetHostStatus host in status.Hosts)
            {
                cli.Line(host.IsLive
                    ? $"{host.HostId}: {string.Join(", ", host.Serving)}{(host.Stuck.Count == 0 ? "" : $"; stuck {string.Join(", ", host.Stuck.Select(s => host.StuckCauses.TryGetValue(s, out string? cause) ? $"{s} ({CliOutput.OneLine(cause)})" : s))}")}{(host.LastError is null ? "" : $"; last error {host.LastError}")}{(host.IsHealthy == false ? $"; unhealthy since {host.HealthSince:u}: {host.HealthReason}" : "")}{string.Concat(host.RolledBack.Select(static r => $"; rolled back {r.PluginName}@{r.Version}: {r.Reason}"))}"
                    : $"{host.HostId}: gone (no registration: its lease expired or was revoked)");
            }
        }

        var document = JsonSerializer.SerializeToNode(new { fleet = status.Fleet, revision = status.Revision, hosts = status.Hosts, plugins = status.Plugins, answers = status.Answers }, s_json)!.AsObject();
        document["succeeded"] = true;
        document["error"] = null;
        document["exitCode"] = ExitCodes.Success;
        cli.Document(document);
        return ExitCodes.Success;
    }

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private static RolloutController NewController(string endpoints, string fleet, TimeSpan? progressDeadline = null)
        => new(new RolloutControllerOptions { Endpoints = endpoints, Fleet = fleet, ProgressDeadline = progressDeadline ?? TimeSpan.FromMinutes(10) });

    /// <summary>Parses 30s, 5m, 1h, 250ms or a TimeSpan (hh:mm:ss).</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1),
            _ when text.EndsWith('m') => (text[..^1], 60),
            _ when text.EndsWith('h') => (text[..^1], 3600),
            _ => ("", 0),
        };
        if (scale > 0 && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0)
        {
            duration = TimeSpan.FromSeconds(value * scale);
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }
}
