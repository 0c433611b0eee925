namespace Hotswap.SideBySide.Contracts;

/// <summary>
/// What the side-by-side plugin exports, to Hotswap (its export) and to McMaster.NETCore.Plugins
/// (the type a host creates by reflection) alike.
/// </summary>
[Hotswap.PluginContract]
public interface ISideProbe
{
    /// <summary>Adds two numbers: a call small enough that the call path is what gets measured.</summary>
    /// <param name="a">The first number.</param>
    /// <param name="b">The second number.</param>
    /// <returns>The sum.</returns>
    int Add(int a, int b);

    /// <summary>Gets the build of the plugin that answers (1 or 2).</summary>
    /// <returns>The build number.</returns>
    int Build();

    /// <summary>
    /// A call of tens of milliseconds that crosses a swap: waits <paramref name="beforeMs"/>, then
    /// for <paramref name="gate"/> (the runner opens it once the library says the swap is done),
    /// then <paramref name="afterMs"/>; only then touches the plugin's dependency assembly (not
    /// loaded before by this version) and writes to the connection the plugin disposes in its
    /// cleanup, in the order <paramref name="connectionFirst"/> says.
    /// </summary>
    /// <param name="beforeMs">Milliseconds before the gate.</param>
    /// <param name="gate">Completes once the swap is done.</param>
    /// <param name="afterMs">Milliseconds after the gate.</param>
    /// <param name="connectionFirst">Whether the connection is written before the dependency is touched.</param>
    /// <returns>What each part of the call saw.</returns>
    Task<SideAnswer> ServeAsync(int beforeMs, Task gate, int afterMs, bool connectionFirst);
}
