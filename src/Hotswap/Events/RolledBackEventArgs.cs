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
}
