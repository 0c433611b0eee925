using System.CommandLine;
using Hotswap.Cli.Building;
using Hotswap.Cli.Watching;

namespace Hotswap.Cli.Commands;

/// <summary>
/// Rebuilds and publishes on every saved source change of the plugin's project or of any project it
/// references (<see cref="ProjectGraph"/>), debounced; a failed build prints its errors and publishes
/// nothing. A changed project file re-reads the graph. Runs until Ctrl+C.
/// </summary>
internal static class WatchCommand
{
    // An editor's save is one write, or a few within milliseconds (write a temporary file, rename it over).
    // Build once no change came for this long: short, because the whole loop should feel instant.
    private static readonly TimeSpan s_quiet = TimeSpan.FromMilliseconds(50);

    public static Command Create(TextWriter stdout, TextWriter stderr, IReadOnlyList<string> passThrough)
    {
        Argument<string> project = CommonOptions.Project();
        Argument<string> root = CommonOptions.PluginsRoot();
        Option<string?> name = CommonOptions.Name();
        Option<string> configuration = CommonOptions.Configuration();
        Option<int> keep = CommonOptions.Keep();
        Option<BuildVerbosity> verbosity = CommonOptions.Verbosity();
        var fullBuild = new Option<bool>("--full-build") { Description = "Run the full 'dotnet publish' for every change, as 'hotswap build' does (analyzers run every time), instead of compiling changed sources in-process." };
        var command = new Command("watch", "Rebuild and publish the plugin on every saved change to its sources or to any project it references, until Ctrl+C. Arguments after '--' go to dotnet publish.")
        {
            project, root, name, configuration, keep, fullBuild, verbosity,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var output = new CliOutput(json: false, stdout, stderr) { Verbosity = parse.GetValue(verbosity) };
            if (!CommonOptions.TryResolveProject(parse.GetValue(project)!, out string? projectFile, out string? error))
            {
                return output.Fail(error, ExitCodes.Failed);
            }

            if (!CommonOptions.TryCheckName(parse.GetValue(name), projectFile, out string? pluginName, out error))
            {
                return output.Fail(error, ExitCodes.Usage);
            }

            if (!PluginFolder.TryCreate(parse.GetValue(root)!, pluginName, out error))
            {
                return output.Fail(error, ExitCodes.Failed);
            }

            var request = new BuildRequest(projectFile, parse.GetValue(root)!, pluginName, parse.GetValue(configuration)!, parse.GetValue(keep), passThrough)
            {
                Verbosity = parse.GetValue(verbosity),
            };
            using var builder = new PluginBuilder(output, TimeProvider.System, incremental: !parse.GetValue(fullBuild));
            SourceWatcher? watcher = null;
            try
            {
                ProjectGraph graph = await ReadGraphAsync(request, output, cancellationToken).ConfigureAwait(false);
                watcher = new SourceWatcher(graph.Directories);
                output.Line($"Watching {Describe(graph)}; publishing '{request.PluginName}' to {Path.GetFullPath(request.PluginsRoot)}. Ctrl+C stops.");
                string[]? files = null; // the first build is a full one
                while (true)
                {
                    BuildCommand.Report(output, request, await builder.BuildAsync(request, files, cancellationToken).ConfigureAwait(false));
                    await watcher.WaitAsync(cancellationToken).ConfigureAwait(false);

                    // Debounce: build once the writes of a save have settled.
                    do
                    {
                        await Task.Delay(s_quiet, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                    }
                    while (watcher.Drain() > 0);

                    files = [.. watcher.TakeChangedFiles()];

                    if (watcher.TakeProjectFileChange())
                    {
                        // A project file changed: its references may have. Watch the new graph before building, so no change is missed.
                        ProjectGraph changed = await ReadGraphAsync(request, output, cancellationToken).ConfigureAwait(false);
                        if (!changed.SameProjects(graph))
                        {
                            graph = changed;
                            watcher.Dispose();
                            watcher = new SourceWatcher(graph.Directories);
                            output.Line($"Project references changed; watching {Describe(graph)}.");
                        }
                    }
                }
            }
            catch (OperationCanceledException)
            {
                output.Line("Stopped.");
                return ExitCodes.Success;
            }
            finally
            {
                watcher?.Dispose();
            }
        });
        return command;
    }

    private static async Task<ProjectGraph> ReadGraphAsync(BuildRequest request, CliOutput output, CancellationToken cancellationToken)
    {
        ProjectGraph graph = await ProjectGraph.ReadAsync(request.Project, request.Configuration, cancellationToken).ConfigureAwait(false);
        foreach (string problem in graph.Problems)
        {
            output.Warning(problem);
        }

        return graph;
    }

    private static string Describe(ProjectGraph graph)
        => $"{graph.Projects.Count} project(s): {string.Join(", ", graph.Projects)} (folders: {string.Join(", ", graph.Directories)})";
}
