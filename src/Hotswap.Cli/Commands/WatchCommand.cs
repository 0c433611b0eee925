using System.CommandLine;
using Hotswap.Cli.Building;

namespace Hotswap.Cli.Commands;

/// <summary>
/// Rebuilds and publishes on every saved source change, debounced; a failed build prints its errors
/// and publishes nothing. Runs until Ctrl+C.
/// </summary>
internal static class WatchCommand
{
    // An editor's save is one write, or a few within milliseconds (write a temporary file, rename it over).
    // Build once no change came for this long: short, because the whole loop should feel instant.
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(50);

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        Argument<string> project = CommonOptions.Project();
        Argument<string> root = CommonOptions.PluginsRoot();
        Option<string?> name = CommonOptions.Name();
        Option<string> configuration = CommonOptions.Configuration();
        Option<int> keep = CommonOptions.Keep();
        var fullBuild = new Option<bool>("--full-build") { Description = "Run the full 'dotnet publish' for every change, as 'hotswap build' does (analyzers run every time), instead of compiling changed sources in-process." };
        var command = new Command("watch", "Rebuild and publish the plugin on every saved change to its sources, until Ctrl+C.") { project, root, name, configuration, keep, fullBuild };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var output = new CliOutput(json: false, stdout, stderr);
            string? projectFile = CommonOptions.ResolveProject(parse.GetValue(project)!, output);
            if (projectFile is null)
            {
                return ExitCodes.Failed;
            }

            if (CommonOptions.CheckedName(parse.GetValue(name), projectFile, output) is not { } pluginName)
            {
                return ExitCodes.Usage;
            }

            var request = new BuildRequest(projectFile, parse.GetValue(root)!, pluginName, parse.GetValue(configuration)!, parse.GetValue(keep), []);
            using var builder = new PluginBuilder(output, TimeProvider.System, incremental: !parse.GetValue(fullBuild));
            var changes = new SemaphoreSlim(0);
            var changed = new HashSet<string>(StringComparer.Ordinal);
            string projectDirectory = Path.GetDirectoryName(projectFile)!; // a full path always has a parent.
            using var watcher = new FileSystemWatcher(projectDirectory) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite };
            void OnChange(object sender, FileSystemEventArgs e)
            {
                if (IsSource(projectDirectory, e.FullPath))
                {
                    lock (changed)
                    {
                        changed.Add(e.FullPath);
                        if (e is RenamedEventArgs renamed)
                        {
                            changed.Add(renamed.OldFullPath);
                        }
                    }

                    changes.Release();
                }
            }

            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Deleted += OnChange;
            watcher.Renamed += OnChange;
            watcher.EnableRaisingEvents = true;
            output.Line($"Watching {projectDirectory}; publishing '{request.PluginName}' to {Path.GetFullPath(request.PluginsRoot)}. Ctrl+C stops.");
            try
            {
                string[]? files = null; // the first build is a full one
                while (true)
                {
                    BuildCommand.Report(output, request, await builder.BuildAsync(request, files, cancellationToken).ConfigureAwait(false));
                    await changes.WaitAsync(cancellationToken).ConfigureAwait(false);

                    // Debounce: build once the writes of a save have settled.
                    do
                    {
                        await Task.Delay(s_quiet, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                    }
                    while (Drain(changes) > 0);

                    lock (changed)
                    {
                        files = [.. changed];
                        changed.Clear();
                    }
                }
            }
            catch (OperationCanceledException)
            {
                output.Line("Stopped.");
                return ExitCodes.Success;
            }
        });
        return command;
    }

    private static int Drain(SemaphoreSlim changes)
    {
        int drained = 0;
        while (changes.Wait(0))
        {
            drained++;
        }

        return drained;
    }

    private static bool IsSource(string projectDirectory, string path)
    {
        string relative = Path.GetRelativePath(projectDirectory, path);
        string first = relative.Split(Path.DirectorySeparatorChar)[0];
        string extension = Path.GetExtension(path);
        return first is not ("bin" or "obj" or "artifacts") && !first.StartsWith('.')
            && extension is ".cs" or ".csproj" or ".props" or ".targets" or ".json" or ".resx";
    }
}
