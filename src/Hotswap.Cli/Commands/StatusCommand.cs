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
                return output.Fail($"The plugins root '{pluginsRoot}' does not exist.", ExitCodes.Failed);
            }

            IReadOnlyList<PublishedPlugin> published;
            IReadOnlyList<HostStatus> hosts;
            try
            {
                published = PluginPublisher.ListPublished(pluginsRoot);
                hosts = HostStatusReader.ReadLiveHosts(pluginsRoot);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return output.Fail(CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }

            Render(pluginsRoot, published, hosts, output);
            return ExitCodes.Success;
        });
        return command;
    }

    private static void Render(string pluginsRoot, IReadOnlyList<PublishedPlugin> published, IReadOnlyList<HostStatus> hosts, CliOutput output)
    {
        output.Line($"Published under {pluginsRoot}:");
        foreach (PublishedPlugin plugin in published)
        {
            output.Line($"  {plugin.Name,-20} current {plugin.Current ?? "(none)"}, {plugin.Versions.Count} version folder(s)");
        }

        output.Line(hosts.Count == 0 ? "No host is running on this root." : $"{hosts.Count} host(s) running on this root:");
        foreach (HostStatus host in hosts)
        {
            output.Line($"  host {host.HostId} (pid {host.ProcessId} on {host.MachineName}), generation {host.Generation}, {host.CallsInFlight} call(s) in flight, updated {host.UpdatedAt:u}");
            Lines("serving  ", host.Plugins, output);
            Lines("kept     ", host.Kept, output);
            Lines("loading  ", host.Loading, output);
            Lines("unloading", host.Retiring, output);
            Lines("STUCK    ", host.Stuck, output);
        }

        output.Document(new JsonObject
        {
            ["pluginsRoot"] = pluginsRoot,
            ["published"] = new JsonArray([.. published.Select(static p => (JsonNode?)new JsonObject
            {
                ["name"] = p.Name,
                ["current"] = p.Current,
                ["versions"] = new JsonArray([.. p.Versions.Select(static v => (JsonNode?)v)]),
            })]),
            ["hosts"] = new JsonArray([.. hosts.Select(static h => (JsonNode?)new JsonObject
            {
                ["hostId"] = h.HostId,
                ["processId"] = h.ProcessId,
                ["machineName"] = h.MachineName,
                ["generation"] = h.Generation,
                ["callsInFlight"] = h.CallsInFlight,
                ["plugins"] = Versions(h.Plugins),
                ["kept"] = Versions(h.Kept),
                ["loading"] = Versions(h.Loading),
                ["retiring"] = Versions(h.Retiring),
                ["stuck"] = StuckVersions(h.Stuck),
                ["updatedAt"] = h.UpdatedAt,
            })]),
        });
    }

    private static void Lines(string label, IReadOnlyList<PluginVersionStatus> versions, CliOutput output)
    {
        foreach (PluginVersionStatus version in versions)
        {
            output.Line($"    {label} {version}");
            if (version.Cause is { } cause)
            {
                output.Line($"              {CliOutput.OneLine(cause)}");
            }
        }
    }

    private static JsonArray Versions(IReadOnlyList<PluginVersionStatus> versions)
        => new([.. versions.Select(static v => (JsonNode?)new JsonObject { ["name"] = v.Name, ["version"] = v.Version })]);

    private static JsonArray StuckVersions(IReadOnlyList<PluginVersionStatus> versions)
        => new([.. versions.Select(static v => (JsonNode?)new JsonObject { ["name"] = v.Name, ["version"] = v.Version, ["cause"] = v.Cause })]);
}
