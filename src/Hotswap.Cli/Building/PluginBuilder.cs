using System.Diagnostics;

namespace Hotswap.Cli.Building;

/// <summary>What <c>hotswap build</c> and <c>hotswap watch</c> ask for.</summary>
internal sealed record BuildRequest(string Project, string PluginsRoot, string PluginName, string Configuration, int Keep, IReadOnlyList<string> ExtraArguments, bool Force = false, string? SigningKey = null, long? Sequence = null)
{
    /// <summary>Passed to the build, and what it shows.</summary>
    public BuildVerbosity Verbosity { get; init; } = BuildVerbosity.Minimal;
}

/// <summary>What a build did.</summary>
internal sealed record BuildOutcome(PublishResult? Published, IReadOnlyList<string> LeftOut, IReadOnlyList<string> Pruned, IReadOnlyList<string> Errors, TimeSpan Elapsed, bool InProcess = false)
{
    public bool Succeeded => Published is not null;

    /// <summary>The build's distinct warnings, in order.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Builds a plugin project and publishes it as a new version folder: <c>dotnet publish</c> into a
/// scratch folder, leave out what the host shares, write the version folder and flip <c>current</c>
/// (the library's publisher), then prune old versions no live host holds. A failed build publishes
/// nothing. Builds of one plugin are serialized by a lock file, so two at once both finish.
/// </summary>
/// <remarks>
/// A builder made for <c>watch</c> (<c>incremental</c>) keeps the last full build's output and the
/// project's compiler warm (<see cref="IncrementalCompiler"/>): a change to compiled sources only is
/// compiled in this process and published from that output with the new assembly, through the same
/// publish as any build (hashes, manifest, signature, atomic flip). Anything else runs the full build,
/// without a restore when no project file changed since the last one.
/// </remarks>
internal sealed class PluginBuilder(CliOutput output, TimeProvider time, bool incremental = false) : IDisposable
{
    private const int Steps = 4;

    private DirectoryInfo? _lastOutput;
    private Task<(IncrementalCompiler? Compiler, string? Reason)>? _compiler;
    private bool _told;

    public Task<BuildOutcome> BuildAsync(BuildRequest request, CancellationToken cancellationToken) => BuildAsync(request, changed: null, cancellationToken);

    /// <summary>Builds and publishes; <paramref name="changed"/> names the files changed since the last build (watch), or is <see langword="null"/> for a full build.</summary>
    public async Task<BuildOutcome> BuildAsync(BuildRequest request, IReadOnlyCollection<string>? changed, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        string pluginDirectory = Path.Combine(Path.GetFullPath(request.PluginsRoot), request.PluginName);
        Directory.CreateDirectory(pluginDirectory);
        using FileStream buildLock = await LockAsync(Path.Combine(pluginDirectory, ".build.lock"), request.PluginName, cancellationToken).ConfigureAwait(false);
        DirectoryInfo scratch = Directory.CreateTempSubdirectory("hotswap-build-");
        try
        {
            IReadOnlyList<string> warnings = [];
            bool inProcess = false;
            if (changed is not null && await CompileInProcessAsync(changed, scratch, request.Verbosity, cancellationToken).ConfigureAwait(false) is { } compiled)
            {
                inProcess = true;
                warnings = compiled;
            }

            if (!inProcess)
            {
                if (_compiler is not null)
                {
                    _ = await _compiler.ConfigureAwait(false); // never two MSBuilds on one project at once
                }

                bool restore = changed is null || _lastOutput is null || changed.Any(IsProjectFile);
                output.Step(1, Steps, $"Building {request.Project} ({request.Configuration})");
                BuildLog log = await PublishProjectAsync(request, scratch.FullName, restore, cancellationToken).ConfigureAwait(false);
                warnings = log.Warnings;
                if (log.Errors.Count > 0)
                {
                    return new BuildOutcome(null, [], [], log.Errors, time.GetElapsedTime(started)) { Warnings = warnings };
                }

                if (incremental)
                {
                    KeepOutput(scratch);
                    _compiler = IncrementalCompiler.CaptureAsync(request.Project, request.Configuration, request.ExtraArguments, cancellationToken);
                    if (!_told)
                    {
                        _told = true;
                        _ = _compiler.ContinueWith(
                            static (capture, state) =>
                            {
                                (IncrementalCompiler? compiler, string? reason) = capture.Result;
                                ((CliOutput)state!).Line(compiler is not null
                                    ? $"Ready to compile changes in-process ({compiler.SourceFiles.Count} files compiled)."
                                    : $"Every change takes a full build: {reason}.");
                            },
                            output,
                            CancellationToken.None,
                            TaskContinuationOptions.OnlyOnRanToCompletion,
                            TaskScheduler.Default);
                    }
                }
            }

            output.Step(2, Steps, "Leaving out the assemblies the host shares");
            string[] depsFiles = Directory.GetFiles(scratch.FullName, "*.deps.json");
            if (depsFiles.Length != 1)
            {
                return new BuildOutcome(null, [], [], [$"The build output has {depsFiles.Length} *.deps.json files instead of one; is '{request.Project}' a plugin class library?"], time.GetElapsedTime(started));
            }

            string entryName = Path.GetFileName(depsFiles[0])[..^".deps.json".Length];
            IReadOnlyList<string> leftOut = SharedAssemblies.FilesToLeaveOut(scratch.FullName, entryName);
            var options = new PublishOptions
            {
                SourceCommit = await SourceCommitAsync(request.Project, cancellationToken).ConfigureAwait(false),
                TimeProvider = time,
                SkipIfUnchanged = !request.Force, // an identical build must not make every host reload the same code
                SigningKey = request.SigningKey,
                Sequence = request.Sequence,
            };
            foreach (string file in leftOut)
            {
                options.ExcludeFiles.Add(file);
            }

            output.Step(3, Steps, $"Publishing a version folder of '{request.PluginName}' and flipping current");
            PublishResult published = await PluginPublisher.PublishAsync(scratch.FullName, request.PluginsRoot, request.PluginName, options, cancellationToken).ConfigureAwait(false);
            if (published.Unchanged)
            {
                output.Line($"The build output equals the current version {published.Version}: nothing new to publish (--force publishes anyway).");
            }

            output.Step(4, Steps, $"Pruning old versions (keeping {request.Keep} besides current and those in use)");
            IReadOnlyList<string> pruned;
            try
            {
                pruned = PluginPublisher.Prune(request.PluginsRoot, request.PluginName, request.Keep);
            }
            catch (IOException ex)
            {
                // The version is published; pruning is housekeeping the next build retries.
                output.Error(ex.Message);
                pruned = [];
            }

            return new BuildOutcome(published, leftOut, pruned, [], time.GetElapsedTime(started), inProcess) { Warnings = warnings };
        }
        catch (Exception ex) when (ex is ArgumentException or IOException)
        {
            // A bad build output, or a version folder with this id that was changed after publishing: the message says which file.
            return new BuildOutcome(null, [], [], [ex.Message], time.GetElapsedTime(started));
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    public void Dispose() => _lastOutput?.Delete(recursive: true);

    /// <summary>The fast path: the changed sources compiled in this process over a copy of the last full build's output; returns its warnings, or <see langword="null"/> when the full build must run.</summary>
    private async Task<IReadOnlyList<string>?> CompileInProcessAsync(IReadOnlyCollection<string> changed, DirectoryInfo scratch, BuildVerbosity verbosity, CancellationToken cancellationToken)
    {
        if (_lastOutput is null || _compiler is null)
        {
            return null;
        }

        (IncrementalCompiler? compiler, _) = await _compiler.ConfigureAwait(false);
        if (compiler is null || !compiler.Covers(changed))
        {
            return null;
        }

        output.Step(1, Steps, $"Compiling {string.Join(", ", changed.Select(Path.GetFileName))} in-process");
        CopyFiles(_lastOutput, scratch);
        (IReadOnlyList<string>? errors, IReadOnlyList<string> warnings) = await Task.Run(() => compiler.Compile(changed, scratch.FullName, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (errors is null)
        {
            if (verbosity != BuildVerbosity.Quiet)
            {
                foreach (string warning in warnings)
                {
                    output.Warning(warning); // as the full build shows them (analyzers do not run here)
                }
            }

            return warnings;
        }

        // The full build's diagnostics are the ones to show (and it may judge a warning differently).
        foreach (FileSystemInfo entry in scratch.EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo directory)
            {
                directory.Delete(recursive: true);
            }
            else
            {
                entry.Delete();
            }
        }

        return null;
    }

    private void KeepOutput(DirectoryInfo build)
    {
        _lastOutput?.Delete(recursive: true);
        _lastOutput = Directory.CreateTempSubdirectory("hotswap-last-build-");
        CopyFiles(build, _lastOutput);
    }

    private static void CopyFiles(DirectoryInfo from, DirectoryInfo to)
    {
        foreach (FileInfo file in from.EnumerateFiles("*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to.FullName, Path.GetRelativePath(from.FullName, file.FullName));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            file.CopyTo(target, overwrite: true);
        }
    }

    private static bool IsProjectFile(string path)
        => Path.GetExtension(path) is ".csproj" or ".props" or ".targets" || Path.GetFileName(path).Equals("nuget.config", StringComparison.OrdinalIgnoreCase);

    private async Task<FileStream> LockAsync(string path, string pluginName, CancellationToken cancellationToken)
    {
        bool told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Locked by another build. Anything else (a folder in the way) is no reason to wait: it throws.
                if (!told)
                {
                    output.Line($"Waiting for another build of '{pluginName}' to finish...");
                    told = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs <c>dotnet publish</c> at the request's verbosity; shows its output as that verbosity says
    /// (<see cref="BuildOutput"/>) and returns its errors and warnings. No errors means it succeeded.
    /// </summary>
    private async Task<BuildLog> PublishProjectAsync(BuildRequest request, string outputDirectory, bool restore, CancellationToken cancellationToken)
    {
        List<string> arguments =
        [
            "publish", request.Project, "--configuration", request.Configuration, "--output", outputDirectory, "--nologo",
            "--verbosity", BuildOutput.MSBuildVerbosity(request.Verbosity), "-tl:off", "-p:UseAppHost=false",
        ];
        if (!restore)
        {
            arguments.Add("--no-restore");
        }

        arguments.AddRange(request.ExtraArguments);
        var log = new BuildOutput(output, request.Verbosity);
        int exitCode = await DotnetProcess.RunAsync(arguments, log.Add, log.Add, cancellationToken).ConfigureAwait(false);
        return log.Result(exitCode, "dotnet publish");
    }

    private static async Task<string?> SourceCommitAsync(string project, CancellationToken cancellationToken)
    {
        try
        {
            string directory = Directory.Exists(project) ? project : Path.GetDirectoryName(Path.GetFullPath(project)) ?? ".";
            var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in (string[])["-C", directory, "rev-parse", "HEAD"])
            {
                start.ArgumentList.Add(argument);
            }

            using Process? process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            string commit = (await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false)).Trim();
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return process.ExitCode == 0 && commit.Length > 0 ? commit : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git here
        }
    }
}
