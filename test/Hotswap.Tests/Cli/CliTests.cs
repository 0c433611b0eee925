using System.Diagnostics;
using System.Text.Json.Nodes;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary>The real hotswap CLI, run as a process on real plugin projects.</summary>
[Collection(ProcessBuilds.Name)]
public sealed class CliTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Build_PluginProject_PublishesAValidVersionFolderFlipsCurrentAndAHostLoadsIt()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");

        CliResult result = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        string version = (string)result.Json["version"]!;
        Assert.Equal(version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("demo"), "current"))).Trim());
        string folder = Path.Combine(_root.PluginDirectory("demo"), version);
        Assert.True((await PluginPublisher.VerifyAsync(folder)).IsValid);
        Assert.True(File.Exists(Path.Combine(folder, "Scratch.dll")));
        Assert.False(File.Exists(Path.Combine(folder, "Hotswap.Abstractions.dll")));
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("one", host.Invoke("demo", "tag"));
    }

    [Fact]
    public async Task Build_FixtureProjectReferencingAContract_LeavesOutWhatTheHostSharesAndAHostRunsIt()
    {
        string project = Path.Combine(Repository.Root, "test", "TestPlugins", "Greeter", "V2", "Greeter.V2.csproj");

        CliResult result = await CliRunner.RunAsync("build", project, _root.PluginsRoot, "--name", "greeter", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] leftOut = [.. result.Json["leftOut"]!.AsArray().Select(f => (string)f!)];
        Assert.Equal(["Microsoft.Extensions.DependencyInjection.Abstractions.dll", "Microsoft.Extensions.Logging.Abstractions.dll"], leftOut);
        string folder = (string)result.Json["versionDirectory"]!;
        Assert.Equal(["Greeter.deps.json", "Greeter.dll", "Greeter.pdb", "Greeter.runtimeconfig.json", "plugin.json"], Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("v2:hello cli", host.Invoke("greeter", "greet", "cli"));
    }

    [Fact]
    public async Task Build_ProgressAndVersion_PrintedAsText()
    {
        var plugin = new ScratchPlugin(_root.Scratch);

        CliResult result = await CliRunner.RunAsync("build", plugin.Directory, _root.PluginsRoot);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("[1/4] Building", result.Stdout);
        Assert.Contains("[3/4] Publishing a version folder of 'scratch'", result.Stdout);
        string version = (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("scratch"), "current"))).Trim();
        Assert.Contains($"Published scratch {version}", result.Stdout);
    }

    [Fact]
    public async Task Build_CompileError_LeavesCurrentUntouchedAndNoVersionFolderBehind()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        CliResult first = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        Assert.True(first.ExitCode == 0, first.ToString());
        string current = await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("demo"), "current"));
        string[] before = Directory.GetFileSystemEntries(_root.PluginDirectory("demo"));

        plugin.Break();
        CliResult broken = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");

        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("error CS", broken.Stderr);
        Assert.Contains("nothing was published and 'current' is unchanged", broken.Stderr);
        Assert.Equal(current, await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("demo"), "current")));
        Assert.Equal(before.Order(), Directory.GetFileSystemEntries(_root.PluginDirectory("demo")).Order());
    }

    [Fact]
    public async Task Build_TwoRunsAtOnce_BothFinishAndCurrentNamesACompleteFolder()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "both");

        CliResult[] results = await Task.WhenAll(
            CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--json"),
            CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--json"));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        string current = (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("demo"), "current"))).Trim();
        Assert.Contains(current, results.Select(r => (string)r.Json["version"]!));
        Assert.True((await PluginPublisher.VerifyAsync(Path.Combine(_root.PluginDirectory("demo"), current))).IsValid);
        Assert.Empty(Directory.GetDirectories(_root.PluginDirectory("demo"), ".staging-*"));

        // The same source builds to the same bytes: the second build published nothing, so no host reloads.
        Assert.Single(Directory.GetDirectories(_root.PluginDirectory("demo")));
        Assert.Single(results, r => (bool)r.Json["unchanged"]!);
        CliResult forced = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--force", "--json");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.False((bool)forced.Json["unchanged"]!);
        Assert.Equal(2, Directory.GetDirectories(_root.PluginDirectory("demo")).Length);
    }

    [Fact]
    public async Task Build_Keep_PrunesOldVersionsButNeverOneALiveHostHolds()
    {
        PublishResult loaded = await _root.PublishAsync(Fixtures.GreeterV1, "greeter");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        var older = new List<PublishResult>();
        for (int i = 0; i < 3; i++)
        {
            older.Add(await _root.PublishAsync(Fixtures.GreeterV2, "greeter"));
        }

        // The CLI's build of another plugin under the same name prunes this one's folder.
        var plugin = new ScratchPlugin(_root.Scratch);
        CliResult result = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", "greeter", "--keep", "1", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        string current = (string)result.Json["version"]!;
        string[] left = [.. Directory.GetDirectories(_root.PluginDirectory("greeter")).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        Assert.Equal([loaded.Version, older[2].Version, current], left);
        Assert.Equal([older[0].Version, older[1].Version], result.Json["pruned"]!.AsArray().Select(v => (string)v!));
        Assert.Equal("v1", host.Invoke("greeter", "tag"));
    }

    [Fact]
    public async Task Verify_ChangedByteMissingFileAndExtraFile_EachNamedAndExitCodeOne()
    {
        PublishResult good = await _root.PublishAsync(Fixtures.GreeterV1, "good");
        PublishResult bad = await _root.PublishAsync(Fixtures.GreeterV1, "bad");
        string dll = Path.Combine(bad.VersionDirectory, "Greeter.dll");
        byte[] bytes = await File.ReadAllBytesAsync(dll);
        bytes[200] ^= 0x01;
        await File.WriteAllBytesAsync(dll, bytes);
        string pdb = Path.Combine(bad.VersionDirectory, "Greeter.pdb");
        File.Delete(pdb);
        string extra = Path.Combine(bad.VersionDirectory, "notes.txt");
        await File.WriteAllTextAsync(extra, "extra");

        CliResult text = await CliRunner.RunAsync("verify", _root.PluginsRoot);
        CliResult json = await CliRunner.RunAsync("verify", bad.VersionDirectory, "--json");
        CliResult clean = await CliRunner.RunAsync("verify", good.VersionDirectory);

        Assert.Equal(1, text.ExitCode);
        Assert.Contains($"{dll}: The file's SHA-256", text.Stdout);
        Assert.Contains($"{pdb}: The file is listed in plugin.json but missing", text.Stdout);
        Assert.Contains($"{extra}: The file is in the version folder but not listed", text.Stdout);
        Assert.Contains($"ok      {good.VersionDirectory}", text.Stdout);
        Assert.Equal(1, json.ExitCode);
        Assert.Equal([dll, pdb, extra], json.Json["versions"]![0]!["problems"]!.AsArray().Select(p => (string)p!["file"]!).Order(StringComparer.Ordinal));
        Assert.Equal(0, clean.ExitCode);
    }

    [Fact]
    public async Task Status_RunningHostProcess_ShownWhileItRunsAndNothingStaleAfterItDies()
    {
        // A plugin that needs nothing but Hotswap.Abstractions, which the CLI's own host provides.
        PublishResult alpha = await _root.PublishAsync(Fixtures.JsonUser, "alpha");
        using Process hostProcess = CliRunner.Start("run", _root.PluginsRoot);
        try
        {
            // Wait for the host to say it runs (its status is written before that line).
            while (await hostProcess.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)) is { } line && !line.StartsWith("Host running", StringComparison.Ordinal))
            {
            }

            CliResult running = await CliRunner.RunAsync("status", _root.PluginsRoot, "--json");
            Assert.True(running.ExitCode == 0, running.ToString());
            JsonNode host = Assert.Single(running.Json["hosts"]!.AsArray())!;
            Assert.Equal(hostProcess.Id, (int)host["processId"]!);
            Assert.Equal(1, (long)host["generation"]!);
            Assert.Equal(alpha.Version, (string)host["plugins"]![0]!["version"]!);
            Assert.Equal(alpha.Version, (string)running.Json["published"]![0]!["current"]!);
        }
        finally
        {
            hostProcess.Kill(entireProcessTree: true);
            await hostProcess.WaitForExitAsync();
        }

        CliResult after = await CliRunner.RunAsync("status", _root.PluginsRoot, "--json");
        Assert.Empty(after.Json["hosts"]!.AsArray());
        CliResult afterText = await CliRunner.RunAsync("status", _root.PluginsRoot);
        Assert.Contains("No host is running on this root.", afterText.Stdout);
    }

    [Fact]
    public async Task Run_DiagnoseStuck_TheStuckReportNamesTheTimerThatHoldsTheOldVersion()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.TimerLeak, "leaky");
        using Process hostProcess = CliRunner.Start("run", _root.PluginsRoot, "--diagnose-stuck");
        try
        {
            while (await hostProcess.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)) is { } line && !line.StartsWith("Host running", StringComparison.Ordinal))
            {
            }

            // Drained from now on: createdump writes to the host's stdout too.
            Task<string> rest = hostProcess.StandardOutput.ReadToEndAsync();
            await _root.PublishAsync(Fixtures.TimerLeak, "leaky"); // the watcher reloads; v1 retires, held by its timer
            string? stuck = null;
            while (await hostProcess.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)) is { } line)
            {
                if (line.StartsWith($"STUCK leaky@{v1.Version}: ", StringComparison.Ordinal))
                {
                    stuck = line;
                    break;
                }
            }

            Assert.NotNull(stuck);
            Assert.Contains(" What holds it: static field System.Threading.TimerQueue.Instances -> ", stuck);
            Assert.Contains("[calls TimerLeak.TimerLeakPlugin.OnTick]", stuck);
            Assert.Contains($"(TimerLeak.dll, leaky@{v1.Version})", stuck);
            Assert.Contains($"(heap dump of process {hostProcess.Id}; the host was paused ", stuck);
            GC.KeepAlive(rest);
        }
        finally
        {
            hostProcess.Kill(entireProcessTree: true);
            await hostProcess.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task UsageErrorsAndHelp_HaveTheirExitCodes()
    {
        CliResult missing = await CliRunner.RunAsync("build");
        CliResult unknown = await CliRunner.RunAsync("frobnicate");
        CliResult help = await CliRunner.RunAsync("build", "--help");
        CliResult noProject = await CliRunner.RunAsync("build", Path.Combine(_root.Scratch, "nope.csproj"), _root.PluginsRoot);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Required argument 'pluginProject' missing", missing.Stderr);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--keep", help.Stdout);
        Assert.Equal(1, noProject.ExitCode);
        Assert.Contains("does not exist", noProject.Stderr);
    }
}
