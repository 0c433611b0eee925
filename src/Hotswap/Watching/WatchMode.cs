namespace Hotswap;

/// <summary>How a host notices that plugins were published, added or removed.</summary>
public enum WatchMode
{
    /// <summary>File system notifications, with a full rescan whenever the operating system reports lost events.</summary>
    Events,

    /// <summary>Reads every plugin's <c>current</c> at <see cref="PluginHostOptions.PollingInterval"/>: for file systems without notifications (some network and container mounts).</summary>
    Polling,
}
