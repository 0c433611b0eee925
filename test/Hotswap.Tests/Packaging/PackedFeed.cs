using System.Diagnostics;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Packaging;

/// <summary>
/// Every project under src/ packed once into a local folder feed outside the repository, with a version
/// of its own (so no package cache holds another build of it) and its own artifacts folder (so it never
/// touches the running test build's); the templates installed into a private hive and the tool into a
/// private tool path from that feed, as a user would.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    public PackedFeed()
    {
        string id = Guid.NewGuid().ToString("N")[..12];
        Version = "0.1.0-e2e.g" + id;
        Root = Directory.CreateTempSubdirectory("hotswap-e2e-").FullName;
        Feed = Path.Combine(Root, "feed");
        Hive = Path.Combine(Root, "hive");
        ToolPath = Path.Combine(Root, "tools");
    }

    /// <summary>The version every package was packed with.</summary>
    public string Version { get; }

    /// <summary>The scratch folder holding the feed, the hive, the tools and the strangers' folders.</summary>
    public string Root { get; }

    public string Feed { get; }

    /// <summary>The template hive of <c>dotnet new --debug:custom-hive</c>: the user's own stays untouched.</summary>
    public string Hive { get; }

    public string ToolPath { get; }

    /// <summary>The installed tool's command.</summary>
    public string Hotswap => Path.Combine(ToolPath, OperatingSystem.IsWindows() ? "hotswap.exe" : "hotswap");

    /// <summary>The packages' ids, from the projects under src/.</summary>
    public IReadOnlyList<string> PackageIds { get; private set; } = [];

    public string PackageFile(string id, string extension = ".nupkg") => Path.Combine(Feed, $"{id}.{Version}{extension}");

    public async Task InitializeAsync()
    {
        string artifacts = Path.Combine(Root, "artifacts");
        // One project per folder under src/ (src/<Package>/<Package>.csproj); the templates' content is not a project of ours.
        // The plugin analyzers' projects are not packable (Hotswap.Abstractions carries them): packing them makes nothing.
        string[] projects = [.. Directory.GetDirectories(Path.Combine(Repository.Root, "src")).SelectMany(d => Directory.GetFiles(d, "*.csproj"))];
        Array.Sort(projects, StringComparer.Ordinal);
        foreach (string project in projects)
        {
            await RunOrThrowAsync(Repository.Root, "dotnet", "pack", project, "-c", "Release", "-o", Feed, "--nologo", "-nodeReuse:false", $"-p:Version={Version}", $"-p:ArtifactsPath={artifacts}");
        }

        PackageIds = [.. Directory.GetFiles(Feed, "*.nupkg").Select(f => Path.GetFileName(f)[..^$".{Version}.nupkg".Length]).Order(StringComparer.Ordinal)];
        await RunOrThrowAsync(Root, "dotnet", "new", "install", PackageFile("Hotswap.Templates"), "--debug:custom-hive", Hive);
        await RunOrThrowAsync(Root, "dotnet", "tool", "install", "Hotswap.Cli", "--tool-path", ToolPath, "--version", Version, "--add-source", Feed);
    }

    public Task DisposeAsync()
    {
        // The restores of the strangers' projects put these packages into the user's package cache: take them out.
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in PackageIds)
        {
            string folder = Path.Combine(cache, id.ToLowerInvariant());
            TryDelete(Path.Combine(folder, Version.ToLowerInvariant()));
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                TryDelete(folder);
            }
        }

        TryDelete(Root);
        return Task.CompletedTask;
    }

    /// <summary>Runs a command as a stranger would: none of the test build's MSBuild settings are passed on.</summary>
    public static async Task<CliResult> RunAsync(string workingDirectory, string command, params string[] args)
    {
        using Process process = Process.Start(StartInfo(workingDirectory, command, args))!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    public static async Task RunOrThrowAsync(string workingDirectory, string command, params string[] args)
    {
        CliResult result = await RunAsync(workingDirectory, command, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{command} {string.Join(' ', args)}' in {workingDirectory} failed: {result}");
        }
    }

    public static ProcessStartInfo StartInfo(string workingDirectory, string command, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (string name in start.Environment.Keys.Where(static k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        return start;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
