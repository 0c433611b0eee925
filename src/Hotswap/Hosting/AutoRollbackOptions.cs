namespace Hotswap;

/// <summary>
/// When a host rolls a new version back by itself during probation
/// (<see cref="PluginHostOptions.AutoRollback"/>): once a new version has served at least
/// <see cref="MinimumCalls"/> calls, and at least <see cref="FailureRate"/> of them threw.
/// </summary>
/// <remarks>
/// Counted per plugin version, for the versions the reload loaded: each call made through a
/// generated proxy, <see cref="PluginHost.Invoke{TContract, TState, TResult}(string, Func{TContract, TState, TResult}, TState)"/>
/// and the other <c>Invoke</c> methods; a call fails when it throws (through a proxy, whatever it
/// throws), when the task it returned faults (not when it is cancelled), or, for a sequence, when a
/// step throws. Calls through a <see cref="GenerationLease"/> and <c>InvokeEach</c> are not counted.
/// Counting happens only during probation: afterwards calls cost what they cost without it.
/// </remarks>
public sealed class AutoRollbackOptions
{
    /// <summary>Gets or sets the share of failed calls, from 0 (exclusive) to 1, that triggers the rollback.</summary>
    /// <value>0.5 by default.</value>
    public double FailureRate { get; set; } = 0.5;

    /// <summary>Gets or sets how many calls a new version must have served before its failure rate counts.</summary>
    /// <value>20 by default; at least 1.</value>
    public int MinimumCalls { get; set; } = 20;
}
