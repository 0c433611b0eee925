namespace Hotswap;

/// <summary>
/// Popular libraries known to pin the plugin version that loads them, each with what it holds and
/// the fix a plugin applies in its own code; the stuck report names the one a version loaded.
/// </summary>
/// <remarks>
/// Matched by the simple names of the assemblies a version's context loaded, recorded as strings
/// when the version retires: no <see cref="System.Reflection.Assembly"/> is kept, which would pin
/// the context itself. A library the host shares is loaded once, by the host, and is never
/// listed: only a private copy pins a version. Each entry has a section in
/// docs/writing-plugins.md ("Known pins of popular libraries"); add both together.
/// </remarks>
internal sealed class KnownPins
{
    private const string Doc = "docs/writing-plugins.md";

    private readonly Pin[] _pins;

    private KnownPins(params Pin[] pins) => _pins = pins;

    /// <summary>Gets the table the host uses.</summary>
    public static KnownPins Default { get; } = new(
        new Pin(
            "Microsoft.Data.Sqlite",
            "its connection factory subscribes to AppDomain.ProcessExit and AppDomain.DomainUnload and runs a prune timer, and each connection pool runs a timer of its own; the library releases none of them",
            "in OnFreeAsync, call SqliteConnection.ClearAllPools(), dispose the factory's timer (SqliteConnectionFactory.Instance._pruneTimer) and remove the factory's two handlers from AppDomain.ProcessExit and AppDomain.DomainUnload",
            "microsoftdatasqlite"));

    /// <summary>Describes the known pinning libraries among the loaded assemblies, for the stuck report.</summary>
    /// <param name="loadedAssemblies">The simple names of the assemblies the version's context loaded.</param>
    /// <returns>One sentence per library found, or <see langword="null"/> when none is known.</returns>
    public string? Describe(IReadOnlyCollection<string> loadedAssemblies)
    {
        string? found = null;
        foreach (Pin pin in _pins)
        {
            if (loadedAssemblies.Contains(pin.Assembly, StringComparer.OrdinalIgnoreCase))
            {
                found += SR.KnownPin(pin.Assembly, pin.Holds, pin.Fix, $"{Doc}#{pin.Anchor}");
            }
        }

        return found;
    }

    /// <param name="Assembly">The library's assembly simple name, as the context loads it.</param>
    /// <param name="Holds">What it keeps that outlives the version, in words.</param>
    /// <param name="Fix">What the plugin does to release it.</param>
    /// <param name="Anchor">The library's section in the doc.</param>
    private sealed record Pin(string Assembly, string Holds, string Fix, string Anchor);
}
