using Hotswap.Tests.Support;

namespace Hotswap.Tests.Generations;

public sealed class InvokeEachTests : IAsyncLifetime
{
    private readonly TestRoot _root = new();
    private PluginHost _host = null!;

    public async Task InitializeAsync()
    {
        foreach (string name in new[] { "charlie", "alpha", "bravo" })
        {
            await _root.PublishAsync(Fixtures.GreeterV1, name);
        }

        _host = _root.CreateHost();
        (await _host.LoadAsync()).EnsureSuccess();
        _root.Probe.ClearEvents();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public void InvokeEach_AllSucceed_VisitsEveryPluginInOrder()
    {
        _host.InvokeEach("record", "x");

        Assert.Equal(["alpha:Invoke(x)", "bravo:Invoke(x)", "charlie:Invoke(x)"], _root.Events);
    }

    [Fact]
    public void InvokeEach_OnePluginThrows_StillVisitsEveryPluginAndReportsTheError()
    {
        _root.Probe.Set("bravo.failRecord", "true");

        AggregateException error = Assert.Throws<AggregateException>(() => _host.InvokeEach("record", "x"));

        Assert.Equal(["alpha:Invoke(x)", "bravo:Invoke(x)", "charlie:Invoke(x)"], _root.Events);
        PluginException failure = Assert.IsType<PluginException>(Assert.Single(error.InnerExceptions));
        Assert.Equal("bravo", failure.PluginName);
        Assert.Contains("bravo fails to record on purpose", failure.Message);
        Assert.IsType<InvalidOperationException>(failure.InnerException);
    }

    [Fact]
    public void InvokeEachBackward_TwoPluginsThrow_VisitsEveryPluginInReverseOrderAndReportsBothErrors()
    {
        _root.Probe.Set("alpha.failRecord", "true");
        _root.Probe.Set("charlie.failRecord", "true");

        AggregateException error = Assert.Throws<AggregateException>(() => _host.InvokeEachBackward("record", "y"));

        Assert.Equal(["charlie:Invoke(y)", "bravo:Invoke(y)", "alpha:Invoke(y)"], _root.Events);
        Assert.Equal(["charlie", "alpha"], error.InnerExceptions.Select(e => ((PluginException)e).PluginName));
        Assert.Contains("2 of 3 plugins failed", error.Message);
    }

    [Fact]
    public void Generation_InvokeEach_UnderOneLease_SeesOneGeneration()
    {
        using GenerationLease lease = _host.Acquire();

        lease.Generation.InvokeEach("record", "g");
        lease.Generation.InvokeEachBackward("record", "h");

        Assert.Equal(
            ["alpha:Invoke(g)", "bravo:Invoke(g)", "charlie:Invoke(g)", "charlie:Invoke(h)", "bravo:Invoke(h)", "alpha:Invoke(h)"],
            _root.Events);
    }

    [Fact]
    public void Invoke_UnknownPlugin_ThrowsKeyNotFoundNamingIt()
    {
        KeyNotFoundException error = Assert.Throws<KeyNotFoundException>(() => _host.Invoke("delta", "tag"));

        Assert.Contains("no plugin named 'delta'", error.Message);
    }
}
