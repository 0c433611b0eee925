using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>Issue 15: a process's first load finds the framework code it needs already prepared.</summary>
public sealed class StartIssuesTests15 : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Create_WithAPluginsRoot_StartsTheWarmUpAndTheFirstLoadStillVerifiesEveryFile()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        File.AppendAllText(Path.Combine(v1.VersionDirectory, v1.Manifest.Files.First(f => f.Path.EndsWith(".deps.json", StringComparison.Ordinal)).Path), " ");
        await using PluginHost host = _root.CreateHost();

        Assert.True(StartupWarmUp.Started);

        // The warm-up reads nothing of the plugins root: the tampered file is still found and named.
        ReloadResult first = await host.LoadAsync();
        Assert.NotNull(first.Error);
        Assert.Equal(ReloadPhase.Verify, first.Error.Phase);
        Assert.Contains(".deps.json", first.Error.Message, StringComparison.Ordinal);
    }
}
