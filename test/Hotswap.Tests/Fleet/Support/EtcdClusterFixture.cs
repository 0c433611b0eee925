using Hotswap.Shared.Etcd;

namespace Hotswap.Tests.Fleet.Support;

/// <summary>
/// One <see cref="EtcdCluster"/> shared by the test classes of <see cref="EtcdCollection"/>: for tests that keep
/// every member running. A test that kills or stops members starts a cluster of its own.
/// </summary>
/// <remarks>Tests sharing the cluster keep apart by key: each takes its own prefix from <see cref="NewPrefix"/>.</remarks>
public sealed class EtcdClusterFixture : IAsyncLifetime
{
    private EtcdCluster? _cluster;

    /// <summary>The shared cluster, healthy after the fixture started.</summary>
    /// <exception cref="InvalidOperationException">The fixture has not started.</exception>
    internal EtcdCluster Cluster => _cluster ?? throw new InvalidOperationException("The shared etcd cluster has not started.");

    /// <summary>A key prefix no other test uses: <c>/tests/{name}-{unique}/</c>.</summary>
    /// <param name="name">What the prefix is for, to read it in etcd's data when a test fails.</param>
    /// <returns>The prefix, ending with a slash.</returns>
    public static string NewPrefix(string name) => "/tests/" + name + "-" + Guid.NewGuid().ToString("N")[..8] + "/";

    /// <summary>Starts the shared cluster.</summary>
    /// <returns>A task that completes when every member is healthy.</returns>
    public async Task InitializeAsync() => _cluster = await EtcdCluster.StartAsync();

    /// <summary>Kills the shared cluster and deletes its data.</summary>
    /// <returns>A task that completes when it is gone.</returns>
    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
