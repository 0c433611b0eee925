namespace Hotswap;

/// <summary>One key of the store as read: its value and the revisions etcd gave it.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value (UTF-8 in etcd).</param>
/// <param name="ModRevision">The revision of the key's last change: what a compare-and-swap expects.</param>
/// <param name="CreateRevision">The revision that created the key (since it last did not exist).</param>
internal sealed record StoreEntry(string Key, string Value, long ModRevision, long CreateRevision);
