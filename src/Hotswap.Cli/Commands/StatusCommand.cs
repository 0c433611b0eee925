using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

internal static class StatusCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> root = CommonOptions.PluginsRoot();
        Option<bool> json = CommonOptions.Json();
        var command = new Command("status", "Show what is published per plugin and, for each host running on the root, what it has loaded.") { root, json };
        command.SetAction((ParseResult parse) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            string pluginsRoot = Path.GetFullPath(parse.GetValue(root)!);
            if (!Directory.Exists(pluginsRoot))
            {
                output.Error($"The plugins root '{pluginsRoot}' does not exist.");
                return ExitCodes.Failed;
            }

            var published = new JsonArray();
            output.Line($"Published under {pluginsRoot}:");
            foreach (string plugin in Directory.GetDirectories(pluginsRoot).Where(static d => !Path.GetFileName(d).StartsWith('.')).Order(StringComparer.Ordinal))
            {
                string currentFile = Path.Combine(plugin, "current");
                string? current = File.Exists(currentFile) ? File.ReadAllText(currentFile).Trim() : null;
                string[] versions = [.. Directory.GetDirectories(plugin).Select(Path.GetFileName).OfType<string>().Where(static v => !v.StartsWith('.')).Order(StringComparer.Ordinal)];
                output.Line($"  {Path.GetFileName(plugin),-20} current {current ?? "(none)"}, {versions.Length} version folder(s)");
                published.Add(new JsonObject
                {
                    ["name"] = Path.GetFileName(plugin),
                    ["current"] = current,
                    ["versions"] = new JsonArray([.. versions.Select(static v => (JsonNode?)v)]),
                });
            }

            IReadOnlyList<HostStatus> hosts = HostStatusReader.ReadLiveHosts(pluginsRoot);
            output.Line(hosts.Count == 0 ? "No host is running on this root." : $"{hosts.Count} host(s) running on this root:");
            var hostArray = new JsonArray();
            foreach (HostStatus host in hosts)
            {
                output.Line($"  host {host.HostId} (pid {host.ProcessId} on {host.MachineName}), generation {host.Generation}, {host.CallsInFlight} call(s) in flight, updated {host.UpdatedAt:u}");
                foreach (PluginVersionStatus version in host.Plugins)
                {
                    output.Line($"    serving   {version}");
                }

                foreach (PluginVersionStatus version in host.Retiring)
                {
                    output.Line($"    unloading {version}");
                }

                foreach (PluginVersionStatus version in host.Stuck)
                {
                    output.Line($"    STUCK     {version}");
                }

                hostArray.Add(new JsonObject
                {
                    ["hostId"] = host.HostId,
                    ["processId"] = host.ProcessId,
                    ["machineName"] = host.MachineName,
                    ["generation"] = host.Generation,
                    ["callsInFlight"] = host.CallsInFlight,
                    ["plugins"] = Versions(host.Plugins),
                    ["retiring"] = Versions(host.Retiring),
                    ["stuck"] = Versions(host.Stuck),
                    ["updatedAt"] = host.UpdatedAt,
                });
            }

            output.Document(new JsonObject { ["pluginsRoot"] = pluginsRoot, ["published"] = published, ["hosts"] = hostArray });
            return ExitCodes.Success;
        });
        return command;
    }

    private static JsonArray Versions(IReadOnlyList<PluginVersionStatus> versions)
        => new([.. versions.Select(static v => (JsonNode?)new JsonObject { ["name"] = v.Name, ["version"] = v.Version })]);
}
