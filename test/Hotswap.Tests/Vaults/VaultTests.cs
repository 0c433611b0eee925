using System.Runtime.CompilerServices;
using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Vaults;

public sealed class VaultTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Extension_CreatedPerGeneration_FilledByNewAndCarriedPlugins()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await _root.PublishAsync(Fixtures.GreeterV1, "bravo");
        var created = new List<VaultExtension>();
        await using PluginHost host = _root.CreateHost(o => o.ExtensionFactory = () =>
        {
            var extension = new VaultExtension();
            created.Add(extension);
            return extension;
        });
        (await host.LoadAsync()).EnsureSuccess();
        Assert.Equal(new Dictionary<string, string> { ["alpha"] = "v1#1", ["bravo"] = "v1#1" }, ExtensionOf(host));

        await _root.PublishAsync(Fixtures.GreeterV2, "bravo");
        (await host.ReloadAsync()).EnsureSuccess();

        Assert.Equal(new Dictionary<string, string> { ["alpha"] = "v1#2", ["bravo"] = "v2#2" }, ExtensionOf(host));
        Assert.Equal(2, created.Count);
        Assert.NotSame(created[0], created[1]);
    }

    [Fact]
    public async Task DataBag_ValueKeptAcrossTenReloads()
    {
        _root.Probe.Set("alpha.countInits", "true");
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        var marker = new object();
        using (GenerationLease lease = host.Acquire())
        {
            lease.Generation.Vault.DataBag.Set("marker", marker);
        }

        for (int i = 0; i < 10; i++)
        {
            await _root.PublishAsync(i % 2 == 0 ? Fixtures.GreeterV2 : Fixtures.GreeterV1, "alpha");
            ReloadResult result = await host.ReloadAsync();
            Assert.True(result.Published, result.ToString());
        }

        using GenerationLease last = host.Acquire();
        Assert.Equal(11, last.Generation.Number);
        Assert.True(last.Generation.Vault.DataBag.TryGet("marker", out object? kept));
        Assert.Same(marker, kept);
        Assert.True(last.Generation.Vault.DataBag.TryGet<StrongBox<int>>("inits", out var inits));
        Assert.Equal(11, inits.Value);
    }

    [Fact]
    public async Task DataBag_PluginTypeOrPluginDelegate_RefusedSayingItWouldPinTheVersion()
    {
        PublishResult alpha = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        (string ForObject, string ForDelegate, string ForList, int Count) = TryStorePluginThings(host);

        Assert.Contains("The DataBag refuses the value for 'greeter'", ForObject);
        Assert.Contains("'Greeter.GreeterPlugin+GreeterService'", ForObject);
        Assert.Contains($"collectible load context 'alpha@{alpha.Version}'", ForObject);
        Assert.Contains("would keep that version in memory after it retires", ForObject);
        Assert.Contains("The DataBag refuses the value for 'callback'", ForDelegate);
        Assert.Contains("The DataBag refuses the value for 'list'", ForList);
        Assert.Equal(0, Count);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (string, string, string, int) TryStorePluginThings(PluginHost host)
    {
        using GenerationLease lease = host.Acquire();
        DataBag bag = lease.Generation.Vault.DataBag;
        IGreeter greeter = lease.Generation.GetExport<IGreeter>("alpha");
        string forObject = Assert.Throws<ArgumentException>(() => bag.Set("greeter", greeter)).Message;
        Func<string, string> callback = greeter.Greet;
        string forDelegate = Assert.Throws<ArgumentException>(() => bag.Set("callback", callback)).Message;
        string forList = Assert.Throws<ArgumentException>(() => bag.Set("list", new List<object> { 1, greeter })).Message;
        Assert.Throws<ArgumentException>(() => bag.Set("map", new Dictionary<string, object> { ["g"] = greeter }));
        return (forObject, forDelegate, forList, bag.Count);
    }

    private static Dictionary<string, string> ExtensionOf(PluginHost host)
    {
        using GenerationLease lease = host.Acquire();
        return new Dictionary<string, string>(lease.Generation.Vault.Extension<VaultExtension>().Contributions);
    }
}
