using System.Text;
using System.Text.Json;
using Hotswap.Cli.Building;

namespace Hotswap.Cli.Watching;

/// <summary>
/// A plugin project and every project it references, transitively, as <c>dotnet watch</c> follows
/// them: each project's <c>ProjectReference</c> items as MSBuild evaluates them (conditions,
/// imports and <c>Directory.Build.props</c> included; <c>dotnet msbuild -getItem</c>), their paths
/// resolved against the project that declares them.
/// </summary>
/// <param name="Projects">The full paths of the projects, the plugin's first, each once.</param>
/// <param name="Problems">A line per project whose references could not be read (it is watched all the same) or that does not exist.</param>
internal sealed record ProjectGraph(IReadOnlyList<string> Projects, IReadOnlyList<string> Problems)
{
    /// <summary>The folders to watch: each project's, but none inside another (a watch includes subfolders).</summary>
    public IReadOnlyList<string> Directories
    {
        get
        {
            var all = Projects.Select(static p => Path.GetDirectoryName(p)!).Distinct(StringComparer.Ordinal).ToList(); // a full path always has a parent.
            return [.. all.Where(d => !all.Any(other => other != d && IsInside(d, other)))];
        }
    }

    /// <summary>Reads the graph from the plugin's project.</summary>
    /// <param name="project">The plugin's project file, a full path.</param>
    /// <param name="configuration">The configuration the build uses, which references may depend on.</param>
    /// <param name="cancellationToken">Stops the evaluation.</param>
    /// <returns>The graph.</returns>
    public static async Task<ProjectGraph> ReadAsync(string project, string configuration, CancellationToken cancellationToken)
    {
        var projects = new List<string>();
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { project };
        var pending = new Queue<string>([project]);
        while (pending.TryDequeue(out string? next))
        {
            if (!File.Exists(next))
            {
                problems.Add($"The referenced project '{next}' does not exist.");
                continue;
            }

            projects.Add(next);
            (IReadOnlyList<string> references, string? problem) = await ReferencesAsync(next, configuration, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                problems.Add(problem);
            }

            foreach (string reference in references.Where(seen.Add))
            {
                pending.Enqueue(reference);
            }
        }

        return new ProjectGraph(projects, problems);
    }

    /// <summary>Whether another graph has the same projects.</summary>
    public bool SameProjects(ProjectGraph other) => Projects.SequenceEqual(other.Projects, StringComparer.Ordinal);

    private static bool IsInside(string directory, string parent)
        => directory.StartsWith(Path.TrimEndingDirectorySeparator(parent) + Path.DirectorySeparatorChar, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static async Task<(IReadOnlyList<string> References, string? Problem)> ReferencesAsync(string project, string configuration, CancellationToken cancellationToken)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        int exitCode = await DotnetProcess.RunAsync(
            ["msbuild", project, "-getItem:ProjectReference", $"-p:Configuration={configuration}", "-nologo", "-tl:off"],
            line => stdout.AppendLine(line),
            line => stderr.AppendLine(line),
            cancellationToken).ConfigureAwait(false);
        string why = CliOutput.OneLine(stderr.Length > 0 ? stderr.ToString() : stdout.ToString());
        if (exitCode != 0)
        {
            return ([], $"The project references of '{project}' cannot be read (dotnet msbuild exit code {exitCode}): {why}");
        }

        try
        {
            using JsonDocument items = JsonDocument.Parse(stdout.ToString());
            string directory = Path.GetDirectoryName(project)!; // a full path always has a parent.
            var references = new List<string>();
            foreach (JsonElement item in items.RootElement.GetProperty("Items").GetProperty("ProjectReference").EnumerateArray())
            {
                string path = item.TryGetProperty("FullPath", out JsonElement full) && full.GetString() is { Length: > 0 } fullPath
                    ? fullPath
                    : Path.GetFullPath(item.GetProperty("Identity").GetString()!.Replace('\\', Path.DirectorySeparatorChar), directory); // every item has an identity.
                references.Add(Path.GetFullPath(path));
            }

            return (references, null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ([], $"The project references of '{project}' cannot be read: {why}");
        }
    }
}
