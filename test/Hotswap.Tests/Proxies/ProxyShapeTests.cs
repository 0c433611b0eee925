using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Proxies;

/// <summary>Every member shape of <see cref="IShapes"/>, through the generated proxy, against the real Shapes plugin.</summary>
public sealed class ProxyShapeTests : IAsyncLifetime
{
    private readonly TestRoot _root = new();
    private PluginHost _host = null!;
    private IShapes _shapes = null!;

    public async Task InitializeAsync()
    {
        await _root.PublishAsync(Fixtures.ShapesV1, "shapes");
        _host = _root.CreateHost();
        (await _host.LoadAsync()).EnsureSuccess();
        _shapes = _host.GetProxy<IShapes>("shapes");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public void GetProxy_ReturnsAGeneratedProxy_NotThePluginsObject()
    {
        Assert.Equal("Hotswap.Generated.TestContracts_IShapes_Proxy", _shapes.GetType().FullName);
        Assert.IsAssignableFrom<PluginProxy<IShapes>>(_shapes);
    }

    [Fact]
    public void Methods_ValueAndVoid_ReachThePlugin()
    {
        Assert.Equal("v1:hi", _shapes.Echo("hi"));
        _shapes.Record("recorded");
        Assert.Contains("shapes:v1:recorded", _root.Events);
    }

    [Fact]
    public void RefOutInParameters_FlowBothWays()
    {
        Assert.Equal(3, _shapes.Divide(17, 5, out int remainder));
        Assert.Equal(2, remainder);

        int value = 40;
        _shapes.Increment(ref value);
        Assert.Equal(41, value);

        var pair = new Pair(40, 2);
        Assert.Equal(42, _shapes.Sum(in pair));

        Assert.True(_shapes.TryFind("known", out string? found));
        Assert.Equal("v1:found", found);
        Assert.False(_shapes.TryFind("unknown", out string? missing));
        Assert.Null(missing);
    }

    [Fact]
    public void GenericMethods_KeepTheirTypeArguments()
    {
        Assert.Equal(42, _shapes.Identity(42));
        Assert.Equal("text", _shapes.Identity("text"));
        Assert.Equal("first", _shapes.FirstOrDefault(["first", "second"]));
        Assert.Null(_shapes.FirstOrDefault(Array.Empty<string>()));
    }

    [Fact]
    public void PropertiesAndIndexers_GetAndSetOnThePlugin()
    {
        _shapes.Counter = 7;
        Assert.Equal(7, _shapes.Counter);
        Assert.Equal("v1:one", _shapes[1]);
        _shapes[1] = "uno";
        Assert.Equal("v1:uno", _shapes[1]);
        Assert.Equal("v1", _shapes.Version); // declared on the base interface
    }

    [Fact]
    public void DefaultInterfaceMember_RunsThePluginsImplementation()
        => Assert.Equal("default describe (v1)", _shapes.Describe());

    [Fact]
    public void Exceptions_PropagateUnchanged_AndReleaseTheLease()
    {
        InvalidOperationException thrown = Assert.Throws<InvalidOperationException>(() => _shapes.Fail("boom"));
        Assert.Equal("v1:boom", thrown.Message);

        using GenerationLease lease = _host.Acquire();
        Assert.Equal(1, ((PluginGeneration)lease.Generation).Leases.Count); // only this lease: the failed call released its own
    }

    [Fact]
    public async Task AsyncMembers_CompleteWithThePluginsResults()
    {
        Assert.Equal("v1:hi", await _shapes.EchoAsync("hi"));
        Assert.Equal(1, await _shapes.CountAsync());
        Assert.Equal(2, await _shapes.CountAsync());
        await _shapes.PingAsync();
        Assert.Contains("shapes:v1:ping", _root.Events);

        List<int> range = [];
        await foreach (int i in _shapes.RangeAsync())
        {
            range.Add(i);
        }

        Assert.Equal([1, 2, 3], range);

        List<string> items = [];
        await foreach (string item in _shapes.StreamAsync(3, gate: null))
        {
            items.Add(item);
        }

        Assert.Equal(["v1:0", "v1:1", "v1:2"], items);
    }

    [Fact]
    public void Events_SubscribeAndUnsubscribeOnThePlugin()
    {
        List<string> seen = [];
        EventHandler<string> handler = (_, e) => seen.Add(e);

        _shapes.Changed += handler;
        _shapes.RaiseChanged("one");
        _shapes.Changed -= handler;
        _shapes.RaiseChanged("two");

        Assert.Equal(["v1:one"], seen);
    }

    [Fact]
    public void Invoke_StaticLambda_CallsTheExportUnderALease()
    {
        Assert.Equal("v1:you", _host.Invoke("shapes", static (IShapes s, string name) => s.Echo(name), "you"));
        _host.Invoke("shapes", static (IShapes s, string what) => s.Record(what), "lambda");
        Assert.Contains("shapes:v1:lambda", _root.Events);
    }

    [Fact]
    public void Calls_ToAnUnknownPluginOrWrongContract_FailWithClearErrors()
    {
        IShapes missing = _host.GetProxy<IShapes>("nobody");
        KeyNotFoundException notFound = Assert.Throws<KeyNotFoundException>(() => missing.Echo("x"));
        Assert.Equal("Generation 1 has no plugin named 'nobody'. Check the name, or that the plugin was published and loaded.", notFound.Message);

        IGreeter wrong = _host.GetProxy<IGreeter>("shapes");
        InvalidCastException cast = Assert.Throws<InvalidCastException>(() => wrong.Greet("x"));
        Assert.Equal("Plugin 'shapes' exports a 'Shapes.ShapesService', which is not a 'TestContracts.IGreeter'.", cast.Message);

        using GenerationLease lease = _host.Acquire();
        Assert.Equal(1, ((PluginGeneration)lease.Generation).Leases.Count); // the failed calls released their leases
    }

    [Fact]
    public void GetProxy_ContractWithoutAProxy_ThrowsAndSaysWhy()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => _host.GetProxy<IShapesBase>("shapes"));
        Assert.Equal("No proxy was generated for 'TestContracts.IShapesBase'. Mark the interface [PluginContract] and reference Hotswap.Generators as an analyzer from the host project, or call the plugin with PluginHost.Invoke and a lambda.", error.Message);
    }
}
