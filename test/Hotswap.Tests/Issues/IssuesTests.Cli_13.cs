using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>The CLI on a missing plugins root (issue 13, item 4).</summary>
public partial class IssuesTests
{
    // `hotswap run /nope` created /nope and /nope/.hotswap silently. run, status and verify on a
    // missing root now say so, fail, and create nothing.

    [Theory]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("verify")]
    public async Task Cli_MissingRoot_SaysSoFailsAndCreatesNothing(string command)
    {
        using var root = new TestRoot();
        string missing = Path.Combine(root.Scratch, "nope");

        CliResult result = await CliRunner.RunAsync(command, missing);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"'{missing}' does not exist", result.Stderr + result.Stdout, StringComparison.Ordinal);
        Assert.False(Directory.Exists(missing), result.ToString());
        Assert.False(File.Exists(missing), result.ToString());
    }

    [Fact]
    public async Task LoadAsync_MissingRoot_FailsAndCreatesNothing()
    {
        using var root = new TestRoot();
        string missing = Path.Combine(root.Scratch, "nope");
        await using PluginHost host = PluginHost.Create(new PluginHostOptions { PluginsRoot = missing });

        ReloadResult result = await host.LoadAsync();

        Assert.False(result.Succeeded);
        Assert.Equal(ReloadPhase.Discover, result.Error!.Phase);
        Assert.False(Directory.Exists(missing));
    }
}
