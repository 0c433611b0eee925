using Hotswap.Tests.Support;

namespace Hotswap.Tests.Loading;

/// <summary>
/// Sharing by necessity (docs/concepts.md, "What is shared"): the tests' process plays a host that
/// has VersionedLib 1.0 loaded (it references PricingContract, whose surface uses it). A plugin that
/// ships its own VersionedLib gets its own, whichever version; a plugin that exchanges VersionedLib's
/// types through a contract gets the host's, and is refused if it needs a newer one.
/// </summary>
public sealed class SharingTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task HostHasLibraryOne_PluginsShippingOneAndTwo_EachGetsItsOwn_AndBothUnloadAfterASwap()
    {
        Assert.Equal("Default", VersionedLib.Info.Context()); // the host has loaded VersionedLib 1.0 itself
        Assert.Equal(new Version(1, 0, 0, 0), typeof(VersionedLib.Info).Assembly.GetName().Version);
        var time = new ManualTimeProvider();
        PublishResult two = await _root.PublishAsync(Fixtures.LibUserTwo, "two");
        PublishResult one = await _root.PublishAsync(Fixtures.LibUserOne, "one");
        await using PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = time;
            o.UnloadTimeout = TimeSpan.FromSeconds(5);
        });
        var observer = new HostObserver(host);

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("VersionedLib 2.0.0.0 says two, only in two", host.Invoke("two", "describe")); // an API only 2.0 has, while the host has 1.0
        Assert.Equal("VersionedLib 1.0.0.0 says one", host.Invoke("one", "describe"));
        Assert.Equal($"two@{two.Version}", host.Invoke("two", "libraryContext")); // its own copy, in its own context
        Assert.Equal($"one@{one.Version}", host.Invoke("one", "libraryContext")); // its own too, though the host has the same version

        await _root.PublishAsync(Fixtures.LibUserOne, "two");
        await _root.PublishAsync(Fixtures.LibUserTwo, "one");
        (await host.ReloadAsync()).EnsureSuccess();
        Task<UnloadedEventArgs[]> unloaded = Task.WhenAll(observer.WhenUnloaded("two", two.Version), observer.WhenUnloaded("one", one.Version));
        await time.AdvanceUntilAsync(Task.WhenAny(unloaded, observer.WhenStuck("two", two.Version), observer.WhenStuck("one", one.Version)), TimeSpan.FromMilliseconds(100));

        Assert.Empty(observer.Stuck);
        Assert.Equal(2, (await unloaded).Length); // both old contexts collected
        Assert.Equal("VersionedLib 1.0.0.0 says one", host.Invoke("two", "describe"));
        Assert.Equal("VersionedLib 2.0.0.0 says two, only in two", host.Invoke("one", "describe"));
    }

    [Fact]
    public async Task ALibraryInAContractsSurface_IsShared_ThePluginGetsTheHostsCopy()
    {
        await _root.PublishAsync(Fixtures.PricingUserOne, "pricing");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("Default", host.Invoke("pricing", "libraryContext")); // it ships VersionedLib 1.0, and gets the host's
        using GenerationLease lease = host.Acquire();
        VersionedLib.Note note = lease.Generation.GetExport<PricingContract.IPricing>("pricing").Quote("tea"); // the host's Note type
        Assert.Equal("tea: 3 coins", note.Text);
    }

    [Fact]
    public async Task ALibraryInAContractsSurface_BuiltAgainstANewerVersion_IsRefusedNamingItBothVersionsAndWhy()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.PricingUserTwo, "pricing");
        await using PluginHost host = _root.CreateHost();

        ReloadResult result = await host.LoadAsync();

        PluginLoadException error = Assert.IsType<PluginLoadException>(result.Error);
        Assert.Equal(("pricing", ReloadPhase.Verify), (error.PluginName, error.Phase));
        Assert.EndsWith("PricingUserTwo.dll", error.FilePath, StringComparison.Ordinal);
        Assert.Equal(
            "the plugin was built against VersionedLib 2.0.0.0, but the host provides VersionedLib 1.0.0.0, and VersionedLib must be shared (one copy, one type identity for host and plugins): "
            + "its types appear in the public surface of PricingContract, which is shared (first in PricingContract.IPricing). Rebuild the plugin against VersionedLib 1.0.0.0, or update the host's VersionedLib.",
            error.Reason);
    }

    [Fact]
    public async Task AShippedCopyOfAnAssemblyThatIsNoContract_IsPrivate_AndTheMismatchSaysWhyAndWhatToDo()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.PricingUserShips, "pricing");
        Assert.True(File.Exists(Path.Combine(published.VersionDirectory, "PricingContract.dll")));
        await using (PluginHost host = _root.CreateHost())
        {
            (await host.LoadAsync()).EnsureSuccess();
            using GenerationLease lease = host.Acquire();

            InvalidCastException error = Assert.Throws<InvalidCastException>(() => lease.Generation.GetExport<PricingContract.IPricing>("pricing"));

            Assert.Contains($"It implements a 'PricingContract.IPricing' of its own copy of PricingContract (in the load context 'pricing@{published.Version}')", error.Message, StringComparison.Ordinal);
            Assert.Contains("Make PricingContract a contract (a contract assembly uses a type of Hotswap.Abstractions, such as [PluginContract]), reference it from the plugin with Private=\"false\", or name it in PluginHostOptions.SharedAssemblies.", error.Message, StringComparison.Ordinal);
        }

        await using (PluginHost shared = _root.CreateHost(static o => o.SharedAssemblies.Add("PricingContract.dll")))
        {
            (await shared.LoadAsync()).EnsureSuccess();
            using GenerationLease lease = shared.Acquire();
            Assert.Equal("tea: 3 coins", lease.Generation.GetExport<PricingContract.IPricing>("pricing").Quote("tea").Text); // named (".dll" and all), it is the host's
        }
    }

    [Fact]
    public async Task SharedAssembliesOption_SharesWhatItNames_AndRefusesANewerBuild()
    {
        await _root.PublishAsync(Fixtures.LibUserOne, "one");
        await using (PluginHost host = _root.CreateHost(static o => o.SharedAssemblies.Add("versionedlib")))
        {
            (await host.LoadAsync()).EnsureSuccess();
            Assert.Equal("Default", host.Invoke("one", "libraryContext")); // it ships VersionedLib, and gets the host's
        }

        await _root.PublishAsync(Fixtures.LibUserTwo, "two");
        await using (PluginHost host = _root.CreateHost(static o => o.SharedAssemblies.Add("VersionedLib")))
        {
            ReloadResult result = await host.LoadAsync();
            PluginLoadException error = Assert.IsType<PluginLoadException>(result.Error);
            Assert.Equal(("two", ReloadPhase.Verify), (error.PluginName, error.Phase));
            Assert.Contains("built against VersionedLib 2.0.0.0, but the host provides VersionedLib 1.0.0.0", error.Reason, StringComparison.Ordinal);
            Assert.Contains("PluginHostOptions.SharedAssemblies names VersionedLib", error.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ASatelliteAssembly_LoadsFromTheVersionFolder()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.Localized, "localized");
        Assert.True(File.Exists(Path.Combine(published.VersionDirectory, "fr", "Localized.resources.dll")));
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("bonjour", host.Invoke("localized", "greeting", "fr-FR"));
        Assert.Equal("hello", host.Invoke("localized", "greeting", "de"));
    }

    [Fact]
    public async Task ARuntimeSpecificNativeAsset_LoadsFromTheVersionFolder()
    {
        // Microsoft.Data.Sqlite's e_sqlite3 comes from runtimes/{rid}/native/ of the plugin's own folder.
        _root.Probe.Set("sqlite.cleanup", "true"); // so the version unloads when the host is disposed (docs/writing-plugins.md)
        PublishResult published = await _root.PublishAsync(Fixtures.SqliteUser, "sqlite");
        Assert.True(Directory.Exists(Path.Combine(published.VersionDirectory, "runtimes")));
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal(2L, host.Invoke("sqlite", "count"));
    }
}
