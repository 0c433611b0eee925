namespace Hotswap.Tests.Fleet.Support;

/// <summary>The test classes that share one etcd cluster (<see cref="EtcdClusterFixture"/>); they run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class EtcdCollection : ICollectionFixture<EtcdClusterFixture>
{
    /// <summary>The collection's name, for <c>[Collection(EtcdCollection.Name)]</c>.</summary>
    public const string Name = "etcd";
}
