using System.Collections;
using Hotswap.Tests.Support;
using TestContracts;

namespace Hotswap.Tests.Issues;

/// <summary>
/// Proxies issue 10: a proxied property of a task or async-sequence type, and any member returning
/// a lazy <see cref="IEnumerable{T}"/>, released its lease before the plugin's work was over, so a
/// reload could free the version that was still running it.
/// </summary>
public sealed class ProxyIssuesTests : IDisposable
{
    private static readonly TimeSpan UnloadTimeout = TimeSpan.FromSeconds(5);
    private readonly TestRoot _root = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(nameof(IShapes.WaitingTask))]
    [InlineData(nameof(IShapes.WaitingValueTask))]
    [InlineData(nameof(IShapes.TouchingTask))]
    [InlineData(nameof(IShapes.TouchingValueTask))]
    public async Task TaskProperty_ReloadWhilePending_HoldsOldVersionUntilComplete(string property)
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            ProbeGate gate = _root.Probe.Gate(property);
            using var release = new Releaser(gate); // a failed assertion must not leave the call, and the host's disposal, waiting
            Task call = Get(shapes, property);
            await gate.Entered;

            // A witness lease on generation 1 lets the test read its lease count after the switch.
            using GenerationLease witness = host.Acquire();
            var first = (PluginGeneration)witness.Generation;
            Assert.Equal(2, first.Leases.Count);

            await SwitchToV2Async(host, shapes);
            Assert.False(call.IsCompleted);
            Assert.Equal(2, first.Leases.Count);

            witness.Dispose();
            Assert.Equal(1, first.Leases.Count); // the pending call's own lease
            Assert.DoesNotContain("shapes:OnFree", _root.Events);

            gate.Release();
            await call;
            if (call is Task<string> versioned)
            {
                Assert.Equal("v1", await versioned);
            }

            await AssertFreedAfterAsync(observer, v1, completedEvent: $"shapes:v1:{property}");
        }
    }

    [Fact]
    public async Task AsyncEnumerableProperty_ReloadDuringEnumeration_HoldsOldVersionUntilDisposed()
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            ProbeGate gate = _root.Probe.Gate(nameof(IShapes.Streaming));
            using var release = new Releaser(gate);
            IAsyncEnumerable<string> stream = shapes.Streaming;
            IAsyncEnumerator<string> enumerator = stream.GetAsyncEnumerator();
            Assert.True(await enumerator.MoveNextAsync());
            Assert.Equal("v1:0", enumerator.Current);
            Task<bool> next = enumerator.MoveNextAsync().AsTask();
            await gate.Entered;

            using GenerationLease witness = host.Acquire();
            var first = (PluginGeneration)witness.Generation;
            Assert.Equal(2, first.Leases.Count);

            await SwitchToV2Async(host, shapes);
            Assert.False(next.IsCompleted);
            Assert.Equal(2, first.Leases.Count);

            gate.Release();
            Assert.True(await next);
            Assert.Equal("v1:1", enumerator.Current);
            Assert.True(await enumerator.MoveNextAsync());
            Assert.False(await enumerator.MoveNextAsync());
            Assert.Equal(2, first.Leases.Count); // held until the enumerator is disposed

            await enumerator.DisposeAsync();
            Assert.Equal(1, first.Leases.Count);
            Assert.DoesNotContain("shapes:OnFree", _root.Events);

            witness.Dispose();
            await AssertFreedAfterAsync(observer, v1, completedEvent: "shapes:v1:streamed");
        }
    }

    [Theory]
    [InlineData(nameof(IShapes.Lazy))]
    [InlineData(nameof(IShapes.LazyItems))]
    [InlineData(nameof(IShapes.LazyUntyped))]
    public async Task EnumerableMember_ReloadDuringEnumeration_HoldsOldVersionUntilDisposed(string member)
    {
        (PluginHost host, HostObserver observer, string v1) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            IEnumerator enumerator = Enumerate(shapes, member).GetEnumerator();
            Assert.True(enumerator.MoveNext());
            Assert.Equal("v1:0", enumerator.Current);

            using GenerationLease witness = host.Acquire();
            var first = (PluginGeneration)witness.Generation;
            Assert.Equal(2, first.Leases.Count);

            await SwitchToV2Async(host, shapes);
            Assert.Equal(2, first.Leases.Count);

            // The rest of the sequence still runs on the version that started it.
            Assert.True(enumerator.MoveNext());
            Assert.Equal("v1:1", enumerator.Current);
            Assert.True(enumerator.MoveNext());
            Assert.Equal("v1:2", enumerator.Current);
            Assert.False(enumerator.MoveNext());
            Assert.Equal(2, first.Leases.Count); // held until the enumerator is disposed, not merely until the last item

            var disposable = Assert.IsAssignableFrom<IDisposable>(enumerator);
            disposable.Dispose();
            disposable.Dispose();
            Assert.Equal(1, first.Leases.Count);
            Assert.DoesNotContain("shapes:OnFree", _root.Events);

            witness.Dispose();
            await AssertFreedAfterAsync(observer, v1, completedEvent: "shapes:v1:yielded");
        }
    }

    [Fact]
    public async Task EnumerableMethod_EnumeratedTwice_CallsThePluginOncePerEnumerationOnTheCurrentVersion()
    {
        (PluginHost host, _, _) = await StartAsync();
        await using (host)
        {
            IShapes shapes = host.GetProxy<IShapes>("shapes");
            IEnumerable<string> lazy = shapes.Lazy(2);
            Assert.DoesNotContain("shapes:v1:lazy", _root.Events); // not called until enumerated

            Assert.Equal(["v1:0", "v1:1"], lazy);
            Assert.Equal(["v1:0", "v1:1"], lazy);
            Assert.Equal(2, _root.Events.Count(static e => e == "shapes:v1:lazy"));

            await _root.PublishAsync(Fixtures.ShapesV2, "shapes");
            (await host.ReloadAsync()).EnsureSuccess();

            // The same sequence, enumerated again, leases the current generation.
            Assert.Equal(["v2:0", "v2:1"], lazy);
            Assert.Single(_root.Events, "shapes:v2:lazy");

            using GenerationLease lease = host.Acquire();
            Assert.Equal(1, ((PluginGeneration)lease.Generation).Leases.Count); // every enumeration released its lease
        }
    }

    /// <summary>Releases a gate when the test ends, passed or failed.</summary>
    private sealed class Releaser(ProbeGate gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    private static Task Get(IShapes shapes, string property) => property switch
    {
        nameof(IShapes.WaitingTask) => shapes.WaitingTask,
        nameof(IShapes.WaitingValueTask) => shapes.WaitingValueTask.AsTask(),
        nameof(IShapes.TouchingTask) => shapes.TouchingTask,
        nameof(IShapes.TouchingValueTask) => shapes.TouchingValueTask.AsTask(),
        _ => throw new ArgumentOutOfRangeException(nameof(property), property, null),
    };

    private static IEnumerable Enumerate(IShapes shapes, string member) => member switch
    {
        nameof(IShapes.Lazy) => shapes.Lazy(3),
        nameof(IShapes.LazyItems) => shapes.LazyItems,
        nameof(IShapes.LazyUntyped) => shapes.LazyUntyped(3),
        _ => throw new ArgumentOutOfRangeException(nameof(member), member, null),
    };

    private async Task<(PluginHost Host, HostObserver Observer, string V1)> StartAsync()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.ShapesV1, "shapes");
        PluginHost host = _root.CreateHost(o =>
        {
            o.TimeProvider = _time;
            o.UnloadTimeout = UnloadTimeout;
        });
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();
        return (host, observer, v1.Version);
    }

    private async Task SwitchToV2Async(PluginHost host, IShapes shapes)
    {
        await _root.PublishAsync(Fixtures.ShapesV2, "shapes");
        (await host.ReloadAsync()).EnsureSuccess();
        Assert.Equal("v2:next", shapes.Echo("next"));
    }

    private async Task AssertFreedAfterAsync(HostObserver observer, string v1, string completedEvent)
    {
        await _time.AdvanceUntilAsync(observer.WhenUnloaded("shapes", v1), TimeSpan.FromMilliseconds(50));
        List<string> events = [.. _root.Events];
        Assert.Single(events, "shapes:OnFree");
        Assert.Contains(completedEvent, events);
        Assert.True(events.IndexOf(completedEvent) < events.IndexOf("shapes:OnFree"), string.Join(", ", events));
    }
}
