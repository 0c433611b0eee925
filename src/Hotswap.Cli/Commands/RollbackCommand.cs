using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hotswap.Cli.Commands;

/// <summary>
/// Flips a plugin's <c>current</c> back to the version published before the one it names, so that
/// every host watching the root rolls back too.
/// </summary>
internal static class RollbackCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> root = CommonOptions.PluginsRoot();
        var plugin = new Argument<string>("plugin") { Description = "The plugin's name: its folder under the plugins root." };
        Option<bool> json = CommonOptions.Json();
        var command = new Command("rollback", "Make current the version of a plugin published before the current one; hosts watching the root reload to it.") { root, plugin, json };
        command.SetAction((ParseResult parse) =>
        {
            var output = new CliOutput(parse.GetValue(json), stdout, stderr);
            string pluginName = parse.GetValue(plugin)!;
            try
            {
                RollbackResult result = PluginPublisher.Rollback(parse.GetValue(root)!, pluginName);
                output.Line($"Rolled back {result.PluginName}: current was {result.FromVersion}, now {result.ToVersion}.");
                output.Document(Document(pluginName, result));
                return ExitCodes.Success;
            }
            catch (ArgumentException ex)
            {
                // A bad argument: an empty or invalid plugin name (the parser makes sure both are given).
                return Fail(output, pluginName, CliOutput.OneLine(ex.Message), ExitCodes.Usage);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                return Fail(output, pluginName, CliOutput.OneLine(ex.Message), ExitCodes.Failed);
            }
        });
        return command;
    }

    private static int Fail(CliOutput output, string pluginName, string message, int exitCode)
        => output.Fail(message, exitCode, Document(pluginName, result: null));

    private static JsonObject Document(string pluginName, RollbackResult? result) => new()
    {
        ["succeeded"] = result is not null,
        ["plugin"] = pluginName,
        ["from"] = result?.FromVersion,
        ["to"] = result?.ToVersion,
        ["versionDirectory"] = result?.VersionDirectory,
        ["error"] = null,
        ["exitCode"] = ExitCodes.Success,
    };
}
