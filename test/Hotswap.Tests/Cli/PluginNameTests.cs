using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary>The CLI checks a plugin's name before it builds or writes anything: nothing is ever created outside the plugins root.</summary>
public sealed class PluginNameTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("sp ace")]
    [InlineData("..")]
    public async Task Build_InvalidName_IsAUsageErrorBeforeAnyBuildAndCreatesNothing(string name)
    {
        var plugin = new ScratchPlugin(_root.Scratch);
        string[] before = Everything(_root.Directory);

        CliResult result = await CliRunner.RunAsync("build", plugin.ProjectFile, _root.PluginsRoot, "--name", name);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains($"--name '{name}' is not a valid plugin name: use one folder name of letters, digits, '.', '-' and '_' that does not start with a dot.", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Everything(_root.Directory));
        Assert.False(Directory.Exists(Path.Combine(plugin.Directory, "obj")), "nothing was built");
    }

    [Fact]
    public async Task Watch_InvalidName_IsAUsageErrorAndCreatesNothing()
    {
        var plugin = new ScratchPlugin(_root.Scratch);
        string[] before = Everything(_root.Directory);

        CliResult result = await CliRunner.RunAsync("watch", plugin.ProjectFile, _root.PluginsRoot, "--name", "../evil");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--name '../evil' is not a valid plugin name", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, Everything(_root.Directory));
    }

    private static string[] Everything(string directory)
        => [.. Directory.GetFileSystemEntries(directory, "*", SearchOption.AllDirectories).Where(static p => !p.Contains(Path.DirectorySeparatorChar + "scratch" + Path.DirectorySeparatorChar, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
}
