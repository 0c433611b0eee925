using System.CommandLine;

namespace Hotswap.Cli.Commands;

/// <summary>
/// Runs a host on a plugins root, watching it, and prints every reload and unload: a quick way to try
/// plugins with <c>hotswap build</c> or <c>hotswap watch</c> in another terminal.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> root = CommonOptions.PluginsRoot();
        var diagnose = new Option<bool>("--diagnose-stuck") { Description = "When a version is reported stuck, dump this host's heap and name what holds it in the report (the host pauses for the dump; at most one every 10 minutes)." };
        var command = new Command("run", "Run a host on a plugins root: load, watch, reload, and print what happens, until Ctrl+C.") { root, diagnose };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            string pluginsRoot = Path.GetFullPath(parse.GetValue(root)!);
            if (!Directory.Exists(pluginsRoot))
            {
                // Create nothing: a typo in the path must not leave a new root (and its .hotswap folder) behind.
                stderr.WriteLine($"The plugins root '{pluginsRoot}' does not exist. Create it, or pass the right path.");
                return ExitCodes.Failed;
            }

            await using PluginHost host = PluginHost.Create(new PluginHostOptions
            {
                PluginsRoot = pluginsRoot,
                Watch = true,
                UnloadDiagnoser = parse.GetValue(diagnose) ? Hotswap.Diagnostics.UnloadDiagnosers.HeapDump() : null,
            });
            host.Reloaded += (_, e) => stdout.WriteLine(e.Result);
            host.ReloadFailed += (_, e) => stderr.WriteLine(e.Result);
            host.Unloaded += (_, e) => stdout.WriteLine($"unloaded {e.Version} ({e.Elapsed.TotalMilliseconds:0} ms after Unload)");
            host.UnloadStuck += (_, e) => stderr.WriteLine($"STUCK {e.Version}: {e.Cause}");
            await host.LoadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            stdout.WriteLine($"Host running on {pluginsRoot} (pid {Environment.ProcessId}). Ctrl+C stops.");
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                stdout.WriteLine("Stopping.");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
