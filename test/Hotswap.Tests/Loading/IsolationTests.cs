using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Loading;

public sealed class IsolationTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Load_TwoPluginsUsingTwoVersionsOfOneLibrary_EachGetsItsOwn()
    {
        await _root.PublishAsync(Fixtures.LibUserOne, "one");
        await _root.PublishAsync(Fixtures.LibUserTwo, "two");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("VersionedLib 1.0.0.0 says one", host.Invoke("one", "describe"));
        Assert.Equal("VersionedLib 2.0.0.0 says two, only in two", host.Invoke("two", "describe"));
    }

    [Fact]
    public async Task Load_PluginShippingItsOwnContractCopy_StillGetsTheHostsTypes()
    {
        PublishResult published = await _root.PublishAsync(Fixtures.ContractCopy, "copy");
        Assert.True(File.Exists(Path.Combine(published.VersionDirectory, "TestContracts.dll")));
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("Default", host.Invoke("copy", "contractContext"));
        Assert.Equal("copy:hello you", GreetThroughExport(host));
    }

    [Fact]
    public async Task Load_GreeterExport_IsTheHostsContractType()
    {
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        await using PluginHost host = _root.CreateHost();

        (await host.LoadAsync()).EnsureSuccess();

        using GenerationLease lease = host.Acquire();
        Assert.Equal("v2:hello me", lease.Generation.GetExport<IGreeter>("alpha").Greet("me"));
        Assert.Throws<InvalidCastException>(() => lease.Generation.GetExport<IDisposable>("alpha"));
    }

    private static string GreetThroughExport(PluginHost host)
    {
        using GenerationLease lease = host.Acquire();
        return lease.Generation.GetExport<IGreeter>("copy").Greet("you");
    }
}
