namespace Hotswap;

/// <summary>Data of <see cref="PluginHost.RolledBack"/>: the host switched back to the generation kept on probation.</summary>
public sealed class RolledBackEventArgs : EventArgs
{
    /// <summary>Initializes a new instance of the <see cref="RolledBackEventArgs"/> class.</summary>
    /// <param name="result">The rollback's result.</param>
    /// <param name="isAutomatic">Whether the host rolled back by itself (<see cref="PluginHostOptions.AutoRollback"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="result"/> is <see langword="null"/>.</exception>
    public RolledBackEventArgs(ReloadResult result, bool isAutomatic)
    {
        ArgumentNullException.ThrowIfNull(result);
        Result = result;
        IsAutomatic = isAutomatic;
    }

    /// <summary>Gets the rollback's result; its <see cref="ReloadResult.RollbackReason"/> says why.</summary>
    public ReloadResult Result { get; }

    /// <summary>Gets a value indicating whether the host rolled back by itself, because the new version's calls failed.</summary>
    public bool IsAutomatic { get; }

    /// <summary>
    /// Gets whether the host refuses the versions it rolled back (not loaded again until another
    /// version is published): <see langword="true"/> for <see cref="PluginHost.RollbackAsync"/> and
    /// automatic rollbacks, <see langword="false"/> when a reload found the previous versions published
    /// again and switched back to them. A fleet agent reports only the first kind as unhealthy.
    /// </summary>
    internal bool Refused { get; init; }
}
