namespace Hotswap.Soak.Contracts;

/// <summary>The identities a call spanning an await saw at its start and at its end.</summary>
/// <param name="Start">Before the await.</param>
/// <param name="End">After the await.</param>
public readonly record struct ProbeSpan(ProbeIdentity Start, ProbeIdentity End);
