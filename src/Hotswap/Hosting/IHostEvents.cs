namespace Hotswap;

/// <summary>How the parts of a host raise the host's public events and tell it that its status changed.</summary>
/// <remarks>Implemented by the host. Every method is called outside any lock and never throws: a failing handler is logged.</remarks>
internal interface IHostEvents
{
    void OnReloading(ReloadingEventArgs args);

    void OnReloaded(ReloadedEventArgs args);

    void OnReloadFailed(ReloadFailedEventArgs args);

    void OnUnloading(UnloadingEventArgs args);

    void OnUnloaded(UnloadedEventArgs args);

    void OnUnloadStuck(UnloadStuckEventArgs args);

    void OnRolledBack(RolledBackEventArgs args);

    /// <summary>Something the host status reports changed (a version retired, unloaded or stuck): written before this returns.</summary>
    void OnStatusChanged();

    /// <summary>The serving generation changed after a switch: the status is written soon, off the reload's path.</summary>
    void OnServingChanged();
}
