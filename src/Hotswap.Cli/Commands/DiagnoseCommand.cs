using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Hotswap.Diagnostics;

namespace Hotswap.Cli.Commands;

/// <summary>
/// Takes a heap dump of a running host, finds every plugin version unloaded and still alive, and
/// names for each the shortest chain of references from a GC root to it (<see cref="StuckVersionFinder"/>).
/// </summary>
internal static class DiagnoseCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var pid = new Argument<int>("pid") { Description = "The host's process id (hotswap status shows it)." };
        var plugin = new Option<string?>("--plugin") { Description = "Only this plugin's versions." };
        Option<bool> json = CommonOptions.Json();
        var command = new Command("diagnose", "Find the plugin versions a running host unloaded that are still alive, and what holds each (the host is paused while its heap is dumped).") { pid, plugin, json };
        command.SetAction((ParseResult parse) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            int processId = parse.GetValue(pid);
            string? pluginName = parse.GetValue(plugin);
            if (processId <= 0)
            {
                return output.Fail($"'{processId}' is not a process id.", ExitCodes.Usage);
            }

            if (pluginName is not null && !CommonOptions.IsPortableName(pluginName))
            {
                return output.Fail($"--plugin '{pluginName}' is not a valid plugin name.", ExitCodes.Usage);
            }

            var total = Stopwatch.StartNew();
            DiagnoseFindings findings;
            TimeSpan pause;
            using (HostDump dump = HostDump.Take(processId))
            {
                pause = dump.Pause;
                findings = StuckVersionFinder.Find(dump.Path, pluginName);
            }

            Render(processId, findings, pause, total.Elapsed, output);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Render(int processId, DiagnoseFindings findings, TimeSpan pause, TimeSpan total, CliOutput output)
    {
        output.Line($"Process {processId}: {findings.Loaded.Count} plugin version(s) loaded, {findings.Stuck.Count} unloaded and still alive{(findings.Collecting.Count > 0 ? $", {findings.Collecting.Count} being collected" : "")}. (Host paused {pause.TotalMilliseconds:0} ms for the dump; {total.TotalSeconds:0.0} s in all.)");
        foreach (StuckVersion stuck in findings.Stuck)
        {
            RetentionChain chain = stuck.Chain;
            output.Line("");
            output.Line($"{stuck.Plugin}@{stuck.Version} was unloaded and is still alive, held by:");
            output.Line($"  {chain.Root}");
            foreach (ChainLink link in chain.Links)
            {
                output.Line($"    -> {link.Describe()}");
            }

            output.Line("  " + chain.Advice());
        }

        output.Document(new JsonObject
        {
            ["succeeded"] = true,
            ["processId"] = processId,
            ["pauseMs"] = Math.Round(pause.TotalMilliseconds, 1),
            ["elapsedMs"] = Math.Round(total.TotalMilliseconds, 1),
            ["loaded"] = new JsonArray([.. findings.Loaded.Order(StringComparer.Ordinal).Select(static v => (JsonNode?)v)]),
            ["collecting"] = new JsonArray([.. findings.Collecting.Select(static v => (JsonNode?)v)]),
            ["stuck"] = new JsonArray([.. findings.Stuck.Select(static s => (JsonNode?)Document(s))]),
        });
    }

    private static JsonObject Document(StuckVersion stuck) => new()
    {
        ["plugin"] = stuck.Plugin,
        ["version"] = stuck.Version,
        ["context"] = stuck.Context,
        ["rootKind"] = stuck.Chain.RootKind,
        ["root"] = stuck.Chain.Root,
        ["hostEnd"] = stuck.Chain.HostEnd is { } host ? Link(host) : null,
        ["pluginEnd"] = stuck.Chain.PluginEnd is { } plugin ? Link(plugin) : null,
        ["chain"] = new JsonArray([.. stuck.Chain.Links.Select(static l => (JsonNode?)Link(l))]),
        ["text"] = stuck.Chain.Describe(),
        ["advice"] = stuck.Chain.Advice(),
    };

    private static JsonObject Link(ChainLink link) => new()
    {
        ["type"] = link.Type,
        ["via"] = link.Via,
        ["detail"] = link.Detail,
        ["assembly"] = link.Assembly,
        ["version"] = link.Version,
    };
}
