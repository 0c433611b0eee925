using System.Diagnostics;
using System.Text.Json.Nodes;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary>
/// The CLI follows the dotnet tools' conventions: -v|--verbosity and the build's warnings, exit code
/// 2 naming an unknown option, 130 on Ctrl+C after cleaning up, one line for a path that cannot be
/// used, JSON for every outcome, colour only where asked for, and watch following project references.
/// </summary>
[Collection(ProcessBuilds.Name)]
public sealed class CliConventionsTests : IDisposable
{
    private const string Escape = "\u001b";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(3);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Build_CompilerWarning_ShownOnceByDefaultInTheJsonDocumentStreamedAtNormalAndNotAtQuiet()
    {
        // A build that compiles nothing has no warnings to show: each run gets a project of its own.
        ScratchPlugin[] plugins = [.. Enumerable.Range(0, 4).Select(_ => new ScratchPlugin(_root.Scratch))];
        foreach (ScratchPlugin plugin in plugins)
        {
            plugin.AddWarning();
        }

        CliResult minimal = await CliRunner.RunAsync("build", plugins[0].ProjectFile, _root.PluginsRoot, "--name", "a");
        CliResult json = await CliRunner.RunAsync("build", plugins[1].ProjectFile, _root.PluginsRoot, "--name", "b", "--json");
        CliResult quiet = await CliRunner.RunAsync("build", plugins[2].ProjectFile, _root.PluginsRoot, "--name", "c", "-v", "q");
        CliResult normal = await CliRunner.RunAsync("build", plugins[3].ProjectFile, _root.PluginsRoot, "--name", "d", "--verbosity", "normal");

        string expected = $"{Path.Combine(plugins[0].Directory, "Unused.cs")}(1,80): warning CS0168: The variable 'unused' is declared but never used [{plugins[0].ProjectFile}]";
        Assert.True(minimal.ExitCode == 0, minimal.ToString());
        Assert.Equal([expected], Lines(minimal.Stderr));
        Assert.Contains("[1/4] Building", minimal.Stdout);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Equal([$"{Path.Combine(plugins[1].Directory, "Unused.cs")}(1,80): warning CS0168: The variable 'unused' is declared but never used [{plugins[1].ProjectFile}]"], json.Json["warnings"]!.AsArray().Select(w => (string)w!));
        Assert.Empty(json.Json["errors"]!.AsArray());
        Assert.Equal(0, (int)json.Json["exitCode"]!);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Empty(quiet.Stderr);
        Assert.DoesNotContain("[1/4]", quiet.Stdout);
        Assert.StartsWith("Published c ", quiet.Stdout);
        Assert.True(normal.ExitCode == 0, normal.ToString());
        Assert.Contains("warning CS0168", normal.Stdout);
        Assert.Contains("1 Warning(s)", normal.Stdout);
    }

    [Fact]
    public async Task UnknownOptionBadVerbosityOrArgumentsAfterDoubleDash_ExitTwoNamingThemAndNothingBuilt()
    {
        var plugin = new ScratchPlugin(_root.Scratch);

        CliResult unknown = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--foo");
        CliResult unknownJson = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--json", "-p:Foo=bar");
        CliResult watch = await CliRunner.RunAsync("watch", plugin.ProjectFile, _root.PluginsRoot, "--bar");
        CliResult verbosity = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "-v", "loud");
        CliResult passThrough = await CliRunner.RunAsync("verify", _root.PluginsRoot, "--", "x");
        CliResult missing = await CliRunner.RunAsync("build", "--json");

        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal(
            [
                "Unknown option '--foo' for 'hotswap build'.",
                "Arguments for dotnet publish go after '--': hotswap build <pluginProject> <pluginsRoot> -- -p:Name=Value.",
                "Run 'hotswap build --help' for usage.",
            ],
            Lines(unknown.Stderr));
        Assert.Empty(unknown.Stdout);
        Assert.Equal(2, unknownJson.ExitCode);
        Assert.False((bool)unknownJson.Json["succeeded"]!);
        Assert.Equal(2, (int)unknownJson.Json["exitCode"]!);
        Assert.StartsWith("Unknown option '-p:Foo=bar' for 'hotswap build'.", (string)unknownJson.Json["error"]!);
        Assert.Equal(2, watch.ExitCode);
        Assert.StartsWith("Unknown option '--bar' for 'hotswap watch'.", watch.Stderr);
        Assert.Equal(2, verbosity.ExitCode);
        Assert.StartsWith("'loud' is not a verbosity for --verbosity: use q[uiet], m[inimal], n[ormal], d[etailed] or diag[nostic].", verbosity.Stderr);
        Assert.Equal(2, passThrough.ExitCode);
        Assert.StartsWith("'hotswap verify' takes no arguments after '--'", passThrough.Stderr);
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal(2, (int)missing.Json["exitCode"]!);
        Assert.Contains("Required argument 'pluginProject' missing", (string)missing.Json["error"]!);
        Assert.False(Directory.Exists(Path.Combine(plugin.Directory, "obj")), "nothing was built");
        Assert.Empty(Directory.GetFileSystemEntries(_root.PluginsRoot));
    }

    [Fact]
    public async Task Build_ArgumentsAfterDoubleDash_GoToDotnetPublish()
    {
        var plugin = new ScratchPlugin(_root.Scratch);

        CliResult result = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--json", "--", "-p:AssemblyName=Renamed");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(Path.Combine((string)result.Json["versionDirectory"]!, "Renamed.dll")), result.ToString());
    }

    [Fact]
    public async Task BuildAndWatch_RootThatCannotBeCreated_OneLineNamingThePathExitOne()
    {
        var plugin = new ScratchPlugin(_root.Scratch);
        string file = Path.Combine(_root.Directory, "afile");
        await File.WriteAllTextAsync(file, "not a folder");
        string underFile = Path.Combine(file, "root");
        string inProc = "/proc/hotswap-" + Guid.NewGuid().ToString("N");

        CliResult text = await CliRunner.RunAsync("build", plugin.ProjectFile, underFile);
        CliResult json = await CliRunner.RunAsync("build", plugin.ProjectFile, underFile, "--json");
        CliResult proc = await CliRunner.RunAsync("build", plugin.ProjectFile, inProc);
        CliResult watch = await CliRunner.RunAsync("watch", plugin.ProjectFile, file);
        CliResult keygen = await CliRunner.RunAsync("keygen", Path.Combine(file, "key"));

        Assert.Equal(1, text.ExitCode);
        string line = Assert.Single(Lines(text.Stderr));
        Assert.StartsWith($"The plugins root '{underFile}' cannot be used: creating '{Path.Combine(underFile, "scratch")}' failed: ", line);
        Assert.Empty(text.Stdout);
        Assert.Equal(1, json.ExitCode);
        Assert.Equal(line, (string)json.Json["error"]!);
        Assert.Equal((false, 1), ((bool)json.Json["succeeded"]!, (int)json.Json["exitCode"]!));
        Assert.Equal(1, proc.ExitCode);
        Assert.StartsWith($"The plugins root '{inProc}' cannot be used", Assert.Single(Lines(proc.Stderr)));
        Assert.Equal(1, watch.ExitCode);
        Assert.Equal([$"The plugins root '{file}' is a file, not a folder."], Lines(watch.Stderr));
        Assert.Equal(1, keygen.ExitCode);
        Assert.StartsWith("The key pair could not be written: ", Assert.Single(Lines(keygen.Stderr)));
        Assert.DoesNotContain("   at ", text.Stderr + proc.Stderr + watch.Stderr + keygen.Stderr);
        Assert.False(Directory.Exists(Path.Combine(plugin.Directory, "obj")), "nothing was built");
    }

    [Fact]
    public async Task Json_EveryFailure_IsOneDocumentWithTheErrorAndTheExitCode()
    {
        var plugin = new ScratchPlugin(_root.Scratch);
        string nowhere = Path.Combine(_root.Directory, "nowhere");

        CliResult noProject = await CliRunner.RunAsync("build", Path.Combine(_root.Scratch, "nope.csproj"), _root.PluginsRoot, "--json");
        CliResult badName = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "../x", "--json");
        CliResult badKeep = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--keep", "-1", "--json");
        CliResult noKey = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--sign", Path.Combine(nowhere, "k.key"), "--json");
        CliResult status = await CliRunner.RunAsync("status", nowhere, "--json");
        CliResult verify = await CliRunner.RunAsync("verify", nowhere, "--json");
        CliResult sign = await CliRunner.RunAsync("sign", _root.PluginsRoot, Path.Combine(nowhere, "k.key"), "--json");

        foreach ((CliResult result, int exitCode, string error) in new[]
        {
            (noProject, 1, $"The plugin project '{Path.Combine(_root.Scratch, "nope.csproj")}' does not exist."),
            (badName, 2, "--name '../x' is not a valid plugin name: use one folder name of letters, digits, '.', '-' and '_' that does not start with a dot."),
            (badKeep, 2, "--keep must not be negative."),
            (status, 1, $"The plugins root '{nowhere}' does not exist."),
            (verify, 1, $"'{nowhere}' does not exist."),
        })
        {
            Assert.True(result.ExitCode == exitCode, result.ToString());
            Assert.Equal((false, error, exitCode), ((bool)result.Json["succeeded"]!, (string)result.Json["error"]!, (int)result.Json["exitCode"]!));
            Assert.Equal([error], Lines(result.Stderr));
        }

        Assert.Equal(1, noKey.ExitCode);
        Assert.StartsWith($"The signing key '{Path.Combine(nowhere, "k.key")}' cannot be read: ", (string)noKey.Json["error"]!);
        Assert.Equal(1, sign.ExitCode);
        Assert.StartsWith($"The signing key '{Path.Combine(nowhere, "k.key")}' cannot be read: ", (string)sign.Json["error"]!);
        Assert.Equal(1, (int)sign.Json["exitCode"]!);
        Assert.False(Directory.Exists(Path.Combine(plugin.Directory, "obj")), "nothing was built");
    }

    [Fact]
    public async Task Colour_OnlyWhenTheOutputMayHaveItAndNeverWithNoColor()
    {
        string[] args = ["build", Path.Combine(_root.Scratch, "nope.csproj"), _root.PluginsRoot];
        const string ForceColour = "DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION";

        CliResult piped = await CliRunner.RunAsync(new Dictionary<string, string?> { [ForceColour] = null, ["NO_COLOR"] = null }, args);
        CliResult forced = await CliRunner.RunAsync(new Dictionary<string, string?> { [ForceColour] = "1", ["NO_COLOR"] = null }, args);
        CliResult noColor = await CliRunner.RunAsync(new Dictionary<string, string?> { [ForceColour] = "1", ["NO_COLOR"] = "1" }, args);

        Assert.Equal((1, 1, 1), (piped.ExitCode, forced.ExitCode, noColor.ExitCode));
        Assert.DoesNotContain(Escape, piped.Stdout + piped.Stderr, StringComparison.Ordinal);
        Assert.StartsWith($"{Escape}[31mThe plugin project '", forced.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Escape, noColor.Stdout + noColor.Stderr, StringComparison.Ordinal);
        Assert.Equal(piped.Stderr, noColor.Stderr);
    }

    [Fact]
    public async Task Watch_CtrlCDuringABuild_StopsItDeletesTheScratchFolderAndExits130()
    {
        var plugin = new ScratchPlugin(_root.Scratch);
        string temp = Directory.CreateDirectory(Path.Combine(_root.Directory, "tmp")).FullName;
        using Process watch = CliRunner.Start(new Dictionary<string, string?> { ["TMPDIR"] = temp }, "watch", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        Task<string> stderr = watch.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        try
        {
            await CliRunner.ReadUntilAsync(watch, static l => l.StartsWith("Watching ", StringComparison.Ordinal), lines, s_timeout);

            // Printed once the scratch folder exists, as the build starts.
            await CliRunner.ReadUntilAsync(watch, static l => l.StartsWith("[1/4] Building", StringComparison.Ordinal), lines, s_timeout);
            Assert.Single(Directory.GetDirectories(temp, "hotswap-build-*"));
            CliRunner.Signal(watch, "INT");
            await CliRunner.ReadUntilAsync(watch, static l => l == "Stopped.", lines, s_timeout);
            await watch.WaitForExitAsync().WaitAsync(s_timeout);
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill(entireProcessTree: true);
            }
        }

        Assert.True(watch.ExitCode == 130, $"exit {watch.ExitCode}\n{string.Join("\n", lines)}\n{await stderr}");
        Assert.Empty(Directory.GetDirectories(temp, "hotswap-build-*"));
        Assert.False(File.Exists(Path.Combine(_root.PluginDirectory("demo"), "current")), "the build stopped before publishing");
        using var released = new FileStream(Path.Combine(_root.PluginDirectory("demo"), ".build.lock"), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
    }

    [Fact]
    public async Task Watch_ReferencedProjectChangesOrItsReferencesDo_RebuildsAndWatchesTheNewGraph()
    {
        var contract = new ScratchContract(_root.Scratch, "one");
        var plugin = new ScratchPlugin(_root.Scratch);
        plugin.Reference(contract);
        string current = Path.Combine(_root.PluginDirectory("demo"), "current");
        using Process watch = CliRunner.Start("watch", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        Task<string> stderr = watch.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        try
        {
            string watching = await CliRunner.ReadUntilAsync(watch, static l => l.StartsWith("Watching ", StringComparison.Ordinal), lines, s_timeout);
            Assert.StartsWith($"Watching 2 project(s): {plugin.ProjectFile}, {contract.ProjectFile} (folders: {plugin.Directory}, {contract.Directory});", watching);
            await CliRunner.ReadUntilAsync(watch, static l => l.StartsWith("Published demo ", StringComparison.Ordinal), lines, s_timeout);
            string first = (await File.ReadAllTextAsync(current)).Trim();

            contract.SetWord("two");
            string second = await CliRunner.ReadUntilAsync(watch, static l => l.StartsWith("Published demo ", StringComparison.Ordinal), lines, s_timeout);
            string version = (await File.ReadAllTextAsync(current)).Trim();
            Assert.NotEqual(first, version);
            Assert.StartsWith($"Published demo {version} ", second);
            await using (PluginHost host = _root.CreateHost())
            {
                (await host.LoadAsync()).EnsureSuccess();
                Assert.Equal("two", host.Invoke("demo", "tag"));
            }

            // A project file changed: the graph is read again, and the new project is watched too.
            var deeper = new ScratchContract(_root.Scratch);
            contract.Reference(deeper);
            string changed = await CliRunner.ReadUntilAsync(watch, static l => l.StartsWith("Project references changed", StringComparison.Ordinal), lines, s_timeout);
            Assert.StartsWith($"Project references changed; watching 3 project(s): {plugin.ProjectFile}, {contract.ProjectFile}, {deeper.ProjectFile} ", changed);

            CliRunner.Signal(watch, "TERM");
            await CliRunner.ReadUntilAsync(watch, static l => l == "Stopped.", lines, s_timeout);
            await watch.WaitForExitAsync().WaitAsync(s_timeout);
        }
        finally
        {
            if (!watch.HasExited)
            {
                watch.Kill(entireProcessTree: true);
            }
        }

        Assert.True(watch.ExitCode == 143, $"exit {watch.ExitCode}\n{string.Join("\n", lines)}\n{await stderr}");
    }

    private static string[] Lines(string text) => text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
