using System.Diagnostics;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Packaging;

/// <summary>
/// What a stranger does with the packages, in an empty folder outside the repository with a NuGet
/// config of its own: templates and tool installed from the local feed, a contract, a plugin and a host
/// made with <c>dotnet new</c>, the plugin published with the installed tool, changed, and published
/// again while the host runs.
/// </summary>
[Collection(ProcessBuilds.Name)]
public sealed class StrangerEndToEndTests : IClassFixture<PackedFeed>
{
    private static readonly TimeSpan s_answerTimeout = TimeSpan.FromMinutes(2);
    private readonly PackedFeed _feed;

    public StrangerEndToEndTests(PackedFeed feed) => _feed = feed;

    [Fact]
    public async Task NewProjectsFromTheTemplates_PluginPublishedWithTheInstalledTool_TheRunningHostServesTheChangedPlugin()
    {
        string work = NewStrangerFolder();
        await NewAsync(work, "hotswap-contract", "-n", "Greetings.Contracts");
        await NewAsync(work, "hotswap-plugin", "-n", "World", "--contract", "Greetings.Contracts");
        await NewAsync(work, "hotswap-host", "-n", "Greetings.Host", "--contract", "Greetings.Contracts", "--plugin-name", "world");
        await PackedFeed.RunOrThrowAsync(work, "dotnet", "build", "Greetings.Host", "--nologo", "-nodeReuse:false");
        string plugins = Path.Combine(work, "plugins");
        await PublishAsync(work, plugins);

        var host = new HostProcess(PackedFeed.StartInfo(work, "dotnet", [Path.Combine("Greetings.Host", "bin", "Debug", "net10.0", "Greetings.Host.dll"), plugins]));
        try
        {
            await host.WaitForLineAsync("hello you, from World", s_answerTimeout);

            string source = Path.Combine(work, "World", "WorldPlugin.cs");
            string text = await File.ReadAllTextAsync(source);
            Assert.Contains("$\"hello {name}, from World\"", text, StringComparison.Ordinal);
            await File.WriteAllTextAsync(source, text.Replace("$\"hello {name}", "$\"good day {name}", StringComparison.Ordinal));
            await PublishAsync(work, plugins);

            await host.WaitForLineAsync("good day you, from World", s_answerTimeout);
        }
        finally
        {
            host.Kill();
        }

        string[] versions = [.. Directory.GetDirectories(Path.Combine(plugins, "world")).Where(d => !Path.GetFileName(d).StartsWith('.'))];
        Assert.Equal(2, versions.Length);
        foreach (string version in versions)
        {
            // What the host shares is never copied: not the contract, not Hotswap.Abstractions (nor what it brings).
            string[] files = [.. Directory.GetFiles(version, "*", SearchOption.AllDirectories).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];
            Assert.Contains("World.dll", files);
            Assert.Contains("plugin.json", files);
            Assert.DoesNotContain(files, f => f.StartsWith("Greetings.Contracts", StringComparison.Ordinal) || f.StartsWith("Hotswap", StringComparison.Ordinal) || f.StartsWith("Microsoft.Extensions", StringComparison.Ordinal));
        }

        AssertNothingReferencesTheRepository(work);
    }

    [Fact]
    public async Task NewWebHost_BuildsAndServesItsHealthAndStatusPage()
    {
        string work = NewStrangerFolder();
        await NewAsync(work, "hotswap-web", "-n", "Shop.Web");

        await PackedFeed.RunOrThrowAsync(work, "dotnet", "build", "Shop.Web", "--nologo", "-nodeReuse:false");

        string project = await File.ReadAllTextAsync(Path.Combine(work, "Shop.Web", "Shop.Web.csproj"));
        Assert.Contains($"Include=\"Hotswap.AspNetCore\" Version=\"{_feed.Version}\"", project, StringComparison.Ordinal);
        AssertNothingReferencesTheRepository(work);

        // Run from its folder, as 'dotnet run' does: appsettings.json and the plugins root are found there.
        ProcessStartInfo start = PackedFeed.StartInfo(Path.Combine(work, "Shop.Web"), "dotnet", [Path.Combine("bin", "Debug", "net10.0", "Shop.Web.dll"), "--urls", "http://127.0.0.1:0"]);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        var web = new HostProcess(start);
        try
        {
            string listening = await web.WaitForLineAsync("Now listening on: ", s_answerTimeout);
            using var http = new HttpClient { BaseAddress = new Uri(listening[(listening.IndexOf("http", StringComparison.Ordinal))..].Trim()) };
            using HttpResponseMessage health = await http.GetAsync(new Uri("/health", UriKind.Relative));
            Assert.True(health.IsSuccessStatusCode, $"GET /health: {(int)health.StatusCode} {await health.Content.ReadAsStringAsync()}");
            string status = await http.GetStringAsync(new Uri("/hotswap.json", UriKind.Relative));
            Assert.Contains("\"generation\"", status, StringComparison.Ordinal);
        }
        finally
        {
            web.Kill();
        }
    }

    [Fact]
    public async Task NewPlugin_ThatPinsItsVersion_GetsTheAnalyzerWarningFromTheAbstractionsPackage()
    {
        string work = NewStrangerFolder();
        await NewAsync(work, "hotswap-contract", "-n", "Pins.Contracts");
        await NewAsync(work, "hotswap-plugin", "-n", "Leaky", "--contract", "Pins.Contracts");
        await File.WriteAllTextAsync(Path.Combine(work, "Leaky", "Exit.cs"), """
            namespace Leaky;

            internal static class Exit
            {
                public static void Watch() => AppDomain.CurrentDomain.ProcessExit += OnExit;

                private static void OnExit(object? sender, EventArgs e)
                {
                }
            }
            """);

        CliResult build = await PackedFeed.RunAsync(work, "dotnet", "build", "Leaky", "--nologo", "-nodeReuse:false");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Matches(@"Exit\.cs\(5,\d+\): warning HSW1001: ", build.Stdout);
        AssertNothingReferencesTheRepository(work);
    }

    [Fact]
    public void Packages_EveryOneHasReadmeLicenseRepositoryCommitAndSymbols_TheGeneratorAndThePluginAnalyzersAreAnalyzers()
    {
        Assert.Equal(["Hotswap", "Hotswap.Abstractions", "Hotswap.AspNetCore", "Hotswap.Cli", "Hotswap.Diagnostics", "Hotswap.Fleet", "Hotswap.Generators", "Hotswap.Hosting", "Hotswap.Templates"], _feed.PackageIds);
        foreach (string id in _feed.PackageIds)
        {
            var package = new PackedPackage(_feed.PackageFile(id));
            Assert.True(package.Metadata("readme") == "PACKAGE.md" && package.Has("PACKAGE.md"), $"{id}: no README");
            Assert.Equal("MIT", package.Metadata("license"));
            Assert.Equal("https://github.com/hotswap-dotnet/hotswap", package.Repository("url"));
            Assert.Matches("^[0-9a-f]{40}$", package.Repository("commit"));
            bool hasCode = package.Files.Any(f => f.StartsWith("lib/", StringComparison.Ordinal) || f.StartsWith("tools/", StringComparison.Ordinal));
            Assert.True(!hasCode || File.Exists(_feed.PackageFile(id, ".snupkg")), $"{id}: no symbols package");
            Assert.True(!package.Files.Any(f => f.StartsWith("lib/", StringComparison.Ordinal)) || package.Has($"lib/net10.0/{id}.xml"), $"{id}: no XML docs");
        }

        var generator = new PackedPackage(_feed.PackageFile("Hotswap.Generators"));
        Assert.True(generator.Has("analyzers/dotnet/cs/Hotswap.Generators.dll"), string.Join("\n", generator.Files));
        Assert.DoesNotContain(generator.Files, f => f.StartsWith("lib/", StringComparison.Ordinal));

        // The plugin analyzers travel in Hotswap.Abstractions, which every plugin references: no package of their own, no dependency.
        var abstractions = new PackedPackage(_feed.PackageFile("Hotswap.Abstractions"));
        Assert.True(abstractions.Has("analyzers/dotnet/cs/Hotswap.Analyzers.dll") && abstractions.Has("analyzers/dotnet/cs/Hotswap.Analyzers.CodeFixes.dll"), string.Join("\n", abstractions.Files));
        Assert.Null(abstractions.Dependency("Hotswap.Analyzers"));
        Assert.Null(abstractions.Dependency("Hotswap.Analyzers.CodeFixes"));

        // 'dotnet add package Hotswap' brings the generator, analyzers included.
        string? include = new PackedPackage(_feed.PackageFile("Hotswap")).Dependency("Hotswap.Generators")?.Attribute("include")?.Value;
        Assert.Contains("Analyzers", include ?? "", StringComparison.Ordinal);

        Assert.Equal("DotnetTool", new PackedPackage(_feed.PackageFile("Hotswap.Cli")).PackageType());
        Assert.Equal("Template", new PackedPackage(_feed.PackageFile("Hotswap.Templates")).PackageType());
    }

    private string NewStrangerFolder()
    {
        string work = Path.Combine(_feed.Root, "stranger-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{_feed.Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);

        // Nothing of the repository's build applies out here.
        Assert.False(work.StartsWith(Repository.Root, StringComparison.Ordinal), work);
        for (DirectoryInfo? directory = new DirectoryInfo(work).Parent; directory is not null; directory = directory.Parent)
        {
            foreach (string inherited in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json", "nuget.config", "NuGet.Config" })
            {
                Assert.False(File.Exists(Path.Combine(directory.FullName, inherited)), $"{Path.Combine(directory.FullName, inherited)} would apply to the stranger's projects.");
            }
        }

        return work;
    }

    private Task NewAsync(string work, string template, params string[] args)
        => PackedFeed.RunOrThrowAsync(work, "dotnet", ["new", template, .. args, "--debug:custom-hive", _feed.Hive, "--no-update-check"]);

    private async Task PublishAsync(string work, string plugins)
    {
        CliResult result = await PackedFeed.RunAsync(work, _feed.Hotswap, "build", Path.Combine("World", "World.csproj"), plugins);
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private static void AssertNothingReferencesTheRepository(string work)
    {
        string[] patterns = ["*.csproj", "*.props", "*.targets", "nuget.config", "*.json"];
        foreach (string file in patterns.SelectMany(p => Directory.GetFiles(work, p, SearchOption.AllDirectories)).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            Assert.False(File.ReadAllText(file).Contains(Repository.Root, StringComparison.Ordinal), $"{file} names the repository ({Repository.Root}).");
        }
    }

    /// <summary>A host run as a process; its output lines are collected and can be waited for.</summary>
    private sealed class HostProcess
    {
        private const string Ended = "(the output ended)";
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly List<(string Text, TaskCompletionSource<string> Seen)> _waiters = [];

        public HostProcess(ProcessStartInfo start)
        {
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => Add(e.Data ?? Ended);
            _process.ErrorDataReceived += (_, e) => Add(e.Data is null ? null : "stderr: " + e.Data);
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        /// <summary>Waits for a line holding <paramref name="text"/>, and returns it.</summary>
        public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
        {
            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lines)
            {
                if (_lines.Find(l => l.Contains(text, StringComparison.Ordinal)) is { } line)
                {
                    return line;
                }

                if (_lines.Contains(Ended))
                {
                    Assert.Fail($"The host ended without printing '{text}'. Its output:\n{string.Join('\n', _lines)}");
                }

                _waiters.Add((text, seen));
            }

            try
            {
                return await seen.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                Assert.Fail($"The host did not print '{text}' within {timeout.TotalSeconds:0} s{(_process.HasExited ? $" (it exited with {_process.ExitCode})" : "")}. Its output:\n{Output()}");
                throw;
            }
        }

        public void Kill()
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // It has already exited.
            }

            _process.Dispose();
        }

        private string Output()
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }

        private void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Add(line);
                foreach ((string text, TaskCompletionSource<string> seen) in _waiters.Where(w => line == Ended || line.Contains(w.Text, StringComparison.Ordinal)).ToList())
                {
                    if (line == Ended)
                    {
                        seen.TrySetException(new InvalidOperationException($"The host ended without printing '{text}'. Its output:\n{string.Join('\n', _lines)}"));
                    }
                    else
                    {
                        seen.TrySetResult(line);
                    }

                    _waiters.Remove((text, seen));
                }
            }
        }
    }
}
