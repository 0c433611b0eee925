namespace Hotswap;

/// <summary>What a reload did to one plugin.</summary>
public enum ReloadOutcome
{
    /// <summary>A new version was loaded and now serves.</summary>
    Loaded,

    /// <summary>The published version is the one already serving; carried into the new generation as it is.</summary>
    Unchanged,

    /// <summary>A new version was published, but the serving version is not reloadable and stays.</summary>
    NotReloadable,

    /// <summary>The plugin's folder is gone; its version retires.</summary>
    Removed,

    /// <summary>The reload failed; the previous version, if any, keeps serving.</summary>
    Failed,

    /// <summary>
    /// Rolled back: in a rollback's result, the version kept on probation serves again; in a later
    /// reload's, the published version is the one that was rolled back, and it is not loaded again
    /// until another version is published.
    /// </summary>
    RolledBack,
}
