using Hotswap.Tests.Support;

namespace Hotswap.Tests.Cli;

/// <summary><c>hotswap rollback</c>, run as a real process on a real plugins root.</summary>
public sealed class RollbackCommandTests : IDisposable
{
    private static readonly TimeSpan s_debounce = TimeSpan.FromMilliseconds(100);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Rollback_TwoVersions_ExitCodeZeroSaysWhichWasCurrentAndWhichIsNow()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "greeter");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "greeter");
        PublishResult v3 = await _root.PublishAsync(Fixtures.GreeterV1, "greeter");

        CliResult text = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "greeter");
        CliResult json = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "greeter", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Equal($"Rolled back greeter: current was {v3.Version}, now {v2.Version}.{Environment.NewLine}", text.Stdout);
        Assert.Empty(text.Stderr);
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.True((bool)json.Json["succeeded"]!);
        Assert.Equal("greeter", (string)json.Json["plugin"]!);
        Assert.Equal(v2.Version, (string)json.Json["from"]!);
        Assert.Equal(v1.Version, (string)json.Json["to"]!);
        Assert.Equal(v1.VersionDirectory, (string)json.Json["versionDirectory"]!);
        Assert.Equal(v1.Version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("greeter"), "current"))).Trim());
    }

    [Fact]
    public async Task Rollback_NothingToRollBackUnknownPluginOrBadName_ExitCodeAndMessageOnStderr()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "greeter");

        CliResult oldest = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "greeter");
        CliResult unknown = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "ghost", "--json");
        CliResult badName = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "../greeter");
        CliResult missing = await CliRunner.RunAsync("rollback", _root.PluginsRoot);

        Assert.Equal(1, oldest.ExitCode);
        Assert.Equal($"Cannot roll back plugin 'greeter': 'current' names '{v1.Version}', the oldest version folder in '{_root.PluginDirectory("greeter")}', so there is no earlier version to roll back to. 'current' is unchanged.{Environment.NewLine}", oldest.Stderr);
        Assert.Empty(oldest.Stdout);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains($"Cannot roll back plugin 'ghost': the plugins root '{_root.PluginsRoot}' has no folder of that name.", unknown.Stderr);
        Assert.False((bool)unknown.Json["succeeded"]!);
        Assert.Equal(unknown.Stderr.TrimEnd(), (string)unknown.Json["error"]!);
        Assert.Equal(2, badName.ExitCode);
        Assert.Contains("'../greeter' is not a valid plugin name", badName.Stderr);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Required argument 'plugin' missing", missing.Stderr);
        Assert.Equal(v1.Version, (await File.ReadAllTextAsync(Path.Combine(_root.PluginDirectory("greeter"), "current"))).Trim());
    }

    [Fact]
    public async Task Rollback_HostWatchingTheRoot_ReloadsByItselfAndServesThePreviousVersion()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "greeter");
        PublishResult v2 = await _root.PublishAsync(Fixtures.GreeterV2, "greeter");
        var time = new ManualTimeProvider();
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.Watch = true;
            o.WatchMode = WatchMode.Events;
            o.WatchDebounce = s_debounce;
            o.TimeProvider = time;
        });
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal("v2:hello you", host.Invoke("greeter", "greet", "you"));
        var reloaded = new TaskCompletionSource<ReloadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.Reloaded += (_, e) => reloaded.TrySetResult(e.Result);
        host.ReloadFailed += (_, e) => reloaded.TrySetException(new InvalidOperationException(e.Result.ToString()));

        CliResult rollback = await CliRunner.RunAsync("rollback", _root.PluginsRoot, "greeter", "--json");
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Equal((v2.Version, v1.Version), ((string)rollback.Json["from"]!, (string)rollback.Json["to"]!));

        // The watcher saw the flip and waits out its debounce; until then v2 serves.
        await time.WaitForTimerAsync(dueWithin: s_debounce).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal("v2:hello you", host.Invoke("greeter", "greet", "you"));
        time.Advance(s_debounce);
        ReloadResult result = await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(90));

        Assert.True(result.Published, result.ToString());
        Assert.Equal(ReloadOutcome.Loaded, result.Find("greeter")!.Outcome);
        Assert.Equal(v1.Version, result.Find("greeter")!.Version);
        Assert.Equal("v1:hello you", host.Invoke("greeter", "greet", "you"));
        using GenerationLease lease = host.Acquire();
        Assert.Equal(v1.Version, Assert.Single(lease.Generation.Plugins, p => p.PluginName == "greeter").Version);
    }
}
