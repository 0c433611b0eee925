using System.Runtime.CompilerServices;
using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Proxies;

/// <summary>
/// A proxy is pointed at the serving generation by every switch (its fast path reads that one word):
/// it follows loads, reloads, rollbacks and disposal, even when created in the middle of them, and
/// the host never keeps a proxy its user dropped.
/// </summary>
public sealed class ProxyTrackingTests : IDisposable
{
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task ProxyCreatedBeforeTheFirstLoad_FailsUntilThen_ThenServesWithoutBeingCreatedAgain()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        IGreeter greeter = host.GetProxy<IGreeter>("alpha");

        InvalidOperationException nothing = Assert.Throws<InvalidOperationException>(() => greeter.Greet("you"));
        Assert.Contains("no generation", nothing.Message, StringComparison.OrdinalIgnoreCase);
        (await host.LoadAsync()).EnsureSuccess();

        Assert.Equal("v1:hello you", greeter.Greet("you"));
        Assert.Equal("v1:hello you", greeter.Greet("you")); // the second call takes the fast path
    }

    [Fact]
    public async Task EveryCallAfterAReloadOrARollbackReturned_ReachesTheVersionItSwitchedTo()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.Probation = TimeSpan.FromHours(1));
        (await host.LoadAsync()).EnsureSuccess();
        IGreeter greeter = host.GetProxy<IGreeter>("alpha");
        Assert.Equal("v1:hello you", greeter.Greet("you"));

        string serving = "v1:hello you";
        for (int round = 0; round < 4; round++)
        {
            bool two = serving.StartsWith("v1", StringComparison.Ordinal);
            await _root.PublishAsync(two ? Fixtures.GreeterV2 : Fixtures.GreeterV1, "alpha");
            (await host.ReloadAsync()).EnsureSuccess();
            string after = two ? "v2:hello you" : "v1:hello you";
            Assert.Equal(after, greeter.Greet("you"));

            // Switching back to the generation kept on probation: the proxy follows that switch too.
            (await host.RollbackAsync()).EnsureSuccess();
            Assert.Equal(serving, greeter.Greet("you"));
        }
    }

    [Fact]
    public async Task ProxiesCreatedWhileReloading_EachServeTheVersionServingOnceTheReloadReturned()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        var created = new List<IGreeter>();
        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task creating = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                IGreeter proxy = host.GetProxy<IGreeter>("alpha");
                lock (created)
                {
                    created.Add(proxy);
                }

                started.TrySetResult();
            }
        });
        await started.Task.WaitAsync(TimeSpan.FromMinutes(1));

        (await host.ReloadAsync()).EnsureSuccess();
        await stop.CancelAsync();
        await creating.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.NotEmpty(created);
        Assert.All(created, proxy => Assert.Equal("v2:hello you", proxy.Greet("you")));
    }

    [Fact]
    public async Task DroppedProxy_IsCollected_TheHostKeepsNoProxyAlive()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();

        WeakReference dropped = CallOnceAndDrop(host);
        for (int i = 0; i < 10 && dropped.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(dropped.IsAlive);
        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess(); // the switch forgets it
        Assert.Equal("v2:hello you", host.GetProxy<IGreeter>("alpha").Greet("you"));
    }

    [Fact]
    public async Task DisposedHost_ProxyCallsThrowObjectDisposed()
    {
        await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        PluginHost host = _root.CreateHost();
        (await host.LoadAsync()).EnsureSuccess();
        IGreeter greeter = host.GetProxy<IGreeter>("alpha");
        Assert.Equal("v1:hello you", greeter.Greet("you"));

        await host.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => greeter.Greet("you"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference CallOnceAndDrop(PluginHost host)
    {
        IGreeter proxy = host.GetProxy<IGreeter>("alpha");
        Assert.Equal("v1:hello you", proxy.Greet("you"));
        return new WeakReference(proxy);
    }
}
