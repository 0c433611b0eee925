using Hotswap.Tests.Support;

namespace Hotswap.Tests.Unloading;

/// <summary>
/// A plugin with its own copy of Microsoft.Data.Sqlite (the tests never reference it, so the host
/// cannot share it): with the cleanup of docs/writing-plugins.md its old version is collected after
/// a swap; without it, the stuck report names the library and the fix.
/// </summary>
public sealed class SqliteUnloadTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Retire_SqlitePluginWithTheDocumentedCleanup_OldVersionIsCollected()
    {
        var time = new ManualTimeProvider();
        _root.Probe.Set("sqlite.cleanup", "true");
        PublishResult sqlite = await _root.PublishAsync(Fixtures.SqliteUser, "sqlite");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal(2L, host.Invoke("sqlite", "count"));

        Directory.Delete(_root.PluginDirectory("sqlite"), recursive: true);
        (await host.ReloadAsync()).EnsureSuccess();
        Task<UnloadedEventArgs> unloaded = observer.WhenUnloaded("sqlite", sqlite.Version);
        await time.AdvanceUntilAsync(Task.WhenAny(unloaded, observer.WhenStuck("sqlite", sqlite.Version)), TimeSpan.FromMilliseconds(100));

        // Unloaded is raised only once the watchdog's weak reference to the context is dead.
        Assert.Empty(observer.Stuck);
        Assert.Equal(new PluginVersionInfo("sqlite", sqlite.Version), (await unloaded).Version);
        Assert.Empty(host.StuckVersions);
    }

    [Fact]
    public async Task Retire_SqlitePluginWithoutCleanup_UnloadStuckNamesMicrosoftDataSqliteAndTheFix()
    {
        var time = new ManualTimeProvider();
        PublishResult sqlite = await _root.PublishAsync(Fixtures.SqliteUser, "sqlite");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal(2L, host.Invoke("sqlite", "count"));

        Directory.Delete(_root.PluginDirectory("sqlite"), recursive: true);
        (await host.ReloadAsync()).EnsureSuccess();
        UnloadStuckEventArgs stuck = await time.AdvanceUntilAsync(observer.WhenStuck("sqlite", sqlite.Version), TimeSpan.FromMilliseconds(100));

        Assert.Contains($"The load context of sqlite@{sqlite.Version} is still alive", stuck.Cause, StringComparison.Ordinal);
        Assert.Contains(
            "It loaded its own copy of Microsoft.Data.Sqlite, which pins a plugin version unless the plugin releases it: "
            + "its connection factory subscribes to AppDomain.ProcessExit and AppDomain.DomainUnload and runs a prune timer, and each connection pool runs a timer of its own; the library releases none of them. "
            + "The fix: in OnFreeAsync, call SqliteConnection.ClearAllPools(), dispose the factory's timer (SqliteConnectionFactory.Instance._pruneTimer) "
            + "and remove the factory's two handlers from AppDomain.ProcessExit and AppDomain.DomainUnload (see docs/writing-plugins.md#microsoftdatasqlite). ",
            stuck.Cause,
            StringComparison.Ordinal);
        Assert.Equal([new PluginVersionInfo("sqlite", sqlite.Version)], host.StuckVersions);
        Assert.Equal("v1:hello you", host.Invoke("alpha", "greet", "you"));
    }

    [Fact]
    public async Task Retire_PluginWithoutAKnownPinningLibrary_StuckReportNamesNone()
    {
        var time = new ManualTimeProvider();
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        // The host keeps a plugin object: its version can never be collected.
        object pinned = host.Invoke<TestContracts.IGreeter, int, object>("alpha", static (g, _) => g, 0);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        UnloadStuckEventArgs stuck = await time.AdvanceUntilAsync(observer.WhenStuck("alpha", v1.Version), TimeSpan.FromMilliseconds(100));

        Assert.DoesNotContain("It loaded its own copy of", stuck.Cause, StringComparison.Ordinal);
        GC.KeepAlive(pinned);
    }

    [Fact]
    public void KnownPins_Describe_NamesOnlyTheKnownLibrariesAmongTheLoadedAssemblies()
    {
        Assert.Null(KnownPins.Default.Describe(["Greeter", "SQLitePCLRaw.core"]));
        string? found = KnownPins.Default.Describe(["SqliteUser", "Microsoft.Data.Sqlite", "SQLitePCLRaw.core"]);
        Assert.NotNull(found);
        Assert.StartsWith("It loaded its own copy of Microsoft.Data.Sqlite,", found, StringComparison.Ordinal);
        Assert.EndsWith("(see docs/writing-plugins.md#microsoftdatasqlite). ", found, StringComparison.Ordinal);
    }
}
