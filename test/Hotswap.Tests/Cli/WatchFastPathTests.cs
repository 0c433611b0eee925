using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary>
/// <c>hotswap watch</c>'s in-process compile: a change to compiled sources is compiled with the
/// project's own compiler arguments and published through the same publish as a full build; anything
/// else, and anything it cannot compile, takes the full build.
/// </summary>
[Collection(ProcessBuilds.Name)]
public sealed class WatchFastPathTests : IDisposable
{
    private const string InProcess = "in-process";
    private const string FullBuild = "[1/4] Building";

    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task SourceEdit_CompiledInProcess_PublishesAVersionAHostServes()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        await using WatchProcess watch = WatchProcess.Start(plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        Assert.Contains(await watch.WaitForPublishAsync("demo"), l => l.Contains(FullBuild, StringComparison.Ordinal));
        string first = Current();

        plugin.SetTag("two");
        IReadOnlyList<string> steps = await watch.WaitForPublishAsync("demo");

        Assert.Contains(steps, l => l.Contains("Compiling ScratchPlugin.cs in-process", StringComparison.Ordinal));
        Assert.DoesNotContain(steps, l => l.Contains(FullBuild, StringComparison.Ordinal));
        string second = Current();
        Assert.NotEqual(first, second);
        string folder = Path.Combine(_root.PluginDirectory("demo"), second);
        Assert.True((await PluginPublisher.VerifyAsync(folder)).IsValid);
        // The same files as the full build published, the plugin's assembly new.
        Assert.Equal(FileNames(Path.Combine(_root.PluginDirectory("demo"), first)), FileNames(folder));
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("two", host.Invoke("demo", "tag"));
    }

    [Fact]
    public async Task SourceGeneratorOfTheProject_RunsInTheInProcessCompile()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        await using WatchProcess watch = WatchProcess.Start(plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        await watch.WaitForPublishAsync("demo");

        // [GeneratedRegex] has no body without the framework's source generator: CS8795 if it did not run.
        WriteSource(plugin, """
            public override object? Invoke(string name, params object?[] args) => name == "tag" ? Digits().Replace("a1b22c", "#") : null;
            [System.Text.RegularExpressions.GeneratedRegex("[0-9]+")]
            private static partial System.Text.RegularExpressions.Regex Digits();
            """);
        IReadOnlyList<string> steps = await watch.WaitForPublishAsync("demo");

        Assert.Contains(steps, l => l.Contains(InProcess, StringComparison.Ordinal));
        Assert.DoesNotContain(steps, l => l.Contains(FullBuild, StringComparison.Ordinal));
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("a#b#c", host.Invoke("demo", "tag"));
    }

    [Fact]
    public async Task CompilerWarningOfTheInProcessCompile_IsShownAsTheBuildShowsIt()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        await using WatchProcess watch = WatchProcess.Start(plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        await watch.WaitForPublishAsync("demo");

        WriteSource(plugin, """
            public override object? Invoke(string name, params object?[] args)
            {
                int unused;
                return name == "tag" ? "warned" : null;
            }
            """);
        IReadOnlyList<string> steps = await watch.WaitForPublishAsync("demo");

        Assert.Contains(steps, l => l.Contains(InProcess, StringComparison.Ordinal));

        // The warning goes to standard error, the steps to standard output: read apart, either may come first.
        string warning = steps.SingleOrDefault(l => l.Contains("warning CS0168", StringComparison.Ordinal))
            ?? (await watch.WaitForAsync(l => l.Contains("warning CS0168", StringComparison.Ordinal))).Line;
        Assert.Matches(@"ScratchPlugin\.cs\(\d+,\d+\): warning CS0168: The variable 'unused' is declared but never used$", warning);
    }

    [Fact]
    public async Task CompileError_FallsBackToTheFullBuild_PublishesNothing_ThenTheFixIsCompiledInProcess()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        await using WatchProcess watch = WatchProcess.Start(plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        await watch.WaitForPublishAsync("demo");
        string first = Current();

        plugin.Break();
        (string failed, IReadOnlyList<string> steps) = await watch.WaitForAsync(l => l.StartsWith("Build of 'demo' failed", StringComparison.Ordinal) || l.StartsWith("Published", StringComparison.Ordinal));

        Assert.StartsWith("Build of 'demo' failed", failed, StringComparison.Ordinal);
        Assert.Contains(steps, l => l.Contains(InProcess, StringComparison.Ordinal));
        Assert.Contains(steps, l => l.Contains(FullBuild, StringComparison.Ordinal)); // the full build's errors are the ones shown
        (string error, _) = await watch.WaitForAsync(l => l.Contains("error CS", StringComparison.Ordinal));
        Assert.Contains("ScratchPlugin.cs", error, StringComparison.Ordinal);
        Assert.Equal(first, Current());

        plugin.SetTag("three");
        IReadOnlyList<string> fixedSteps = await watch.WaitForPublishAsync("demo");

        Assert.Contains(fixedSteps, l => l.Contains(InProcess, StringComparison.Ordinal));
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("three", host.Invoke("demo", "tag"));
    }

    [Fact]
    public async Task NewSourceFile_TakesTheFullBuild()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        await using WatchProcess watch = WatchProcess.Start(plugin.ProjectFile, _root.PluginsRoot, "--name", "demo");
        await watch.WaitForPublishAsync("demo");
        await watch.WaitForAsync(l => l.StartsWith("Ready to compile changes in-process", StringComparison.Ordinal)); // the sources as built, before the new file

        File.WriteAllText(Path.Combine(plugin.Directory, "Extra.cs"), "namespace Scratch; internal static class Extra { public const string Tag = \"extra\"; }");
        IReadOnlyList<string> extraSteps = await watch.WaitForPublishAsync("demo");
        WriteSource(plugin, """public override object? Invoke(string name, params object?[] args) => name == "tag" ? Extra.Tag : null;""");
        IReadOnlyList<string> useSteps = await watch.WaitForPublishAsync("demo");

        Assert.Contains(extraSteps, l => l.Contains(FullBuild, StringComparison.Ordinal));
        Assert.DoesNotContain(extraSteps, l => l.Contains(InProcess, StringComparison.Ordinal));
        Assert.Contains(useSteps, l => l.Contains(InProcess, StringComparison.Ordinal)); // the full build brought the new file into the compiler
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("extra", host.Invoke("demo", "tag"));
    }

    [Fact]
    public async Task FullBuildOption_NeverCompilesInProcess()
    {
        var plugin = new ScratchPlugin(_root.Scratch, tag: "one");
        await using WatchProcess watch = WatchProcess.Start(plugin.ProjectFile, _root.PluginsRoot, "--name", "demo", "--full-build");
        await watch.WaitForPublishAsync("demo");

        plugin.SetTag("two");
        IReadOnlyList<string> steps = await watch.WaitForPublishAsync("demo");

        Assert.Contains(steps, l => l.Contains(FullBuild, StringComparison.Ordinal));
        Assert.DoesNotContain(steps, l => l.Contains(InProcess, StringComparison.Ordinal));
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("two", host.Invoke("demo", "tag"));
    }

    private string Current() => File.ReadAllText(Path.Combine(_root.PluginDirectory("demo"), "current")).Trim();

    private static string[] FileNames(string folder) => [.. Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static void WriteSource(ScratchPlugin plugin, string members) => File.WriteAllText(Path.Combine(plugin.Directory, "ScratchPlugin.cs"), $$"""
        using Hotswap;
        [assembly: HotswapPlugin(typeof(Scratch.ScratchPlugin))]
        namespace Scratch;
        public sealed partial class ScratchPlugin : Plugin
        {
            {{members}}
        }
        """);
}
