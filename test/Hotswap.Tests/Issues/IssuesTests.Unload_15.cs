using System.Reflection;
using Hotswap.Tests.Support;

namespace Hotswap.Tests.Issues;

/// <summary>Issue 15: settle sooner, without giving up the proof of unload.</summary>
public sealed class UnloadIssuesTests15 : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(60);
    private readonly TestRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Retire_OldVersionUnloaded_HostsReflectionCachesKeptAndUnloadStillProven()
    {
        PublishResult v1 = await _root.PublishAsync(Fixtures.GreeterV1, "alpha");
        await using PluginHost host = _root.CreateHost(o => o.WriteStatus = false);
        var observer = new HostObserver(host);
        (await host.LoadAsync()).EnsureSuccess();

        // Held, so the type's reflection cache stays alive: only a cache clear would replace it.
        MethodInfo before = typeof(ReflectedByTheHost).GetMethod(nameof(ReflectedByTheHost.Answer))!;

        await _root.PublishAsync(Fixtures.GreeterV2, "alpha");
        (await host.ReloadAsync()).EnsureSuccess();
        UnloadedEventArgs unloaded = await observer.WhenUnloaded("alpha", v1.Version).WaitAsync(s_guard);

        // Retiring v1 swept the framework caches that pin plugin types, not the host's reflection.
        Assert.Same(before, typeof(ReflectedByTheHost).GetMethod(nameof(ReflectedByTheHost.Answer)));
        Assert.Equal(new PluginVersionInfo("alpha", v1.Version), unloaded.Version);
        Assert.Equal("v2:hello you", host.Invoke("alpha", "greet", "you"));
    }

    private static class ReflectedByTheHost
    {
        public static int Answer() => 42;
    }
}
