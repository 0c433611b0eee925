namespace Hotswap.Soak.Contracts;

/// <summary>
/// What the soak plugin exports: calls that say which loaded version answered them, so the soak
/// runner can tell when a call or a lease saw two versions, or reached a version already freed.
/// </summary>
[Hotswap.PluginContract]
public interface ISoakProbe
{
    /// <summary>Says which loaded version answers.</summary>
    /// <returns>The version's identity, as the call saw it.</returns>
    ProbeIdentity Identify();

    /// <summary>
    /// A call that spans an await: takes the version's identity, awaits (<c>Task.Yield()</c> when
    /// <paramref name="delayMilliseconds"/> is 0, else <c>Task.Delay</c>), then takes it again.
    /// </summary>
    /// <param name="delayMilliseconds">0 to yield once; more to wait that long on a timer.</param>
    /// <returns>The identity at the start and at the end of the call.</returns>
    Task<ProbeSpan> SpanAsync(int delayMilliseconds);
}
