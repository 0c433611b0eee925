namespace Hotswap.Soak.Contracts;

/// <summary>Which loaded plugin version answered a call, and whether it had already been freed.</summary>
/// <param name="Plugin">The plugin's name, from its context.</param>
/// <param name="Version">The version id (the version folder), from its context.</param>
/// <param name="Build">Which build of the plugin's source answered (1 or 2, the project's <c>SoakBuild</c>).</param>
/// <param name="Generation">The generation this version was initialized in (<c>Vault.Generation</c>).</param>
/// <param name="Freed">Whether <c>OnFreeAsync</c> had already run when the identity was taken: never, while a lease is held.</param>
public readonly record struct ProbeIdentity(string Plugin, string Version, int Build, long Generation, bool Freed)
{
    /// <summary>Whether <paramref name="other"/> is the same loaded version (whatever its <see cref="Freed"/> flag).</summary>
    /// <param name="other">Another identity.</param>
    /// <returns><see langword="true"/> when the plugin, version, build and generation are the same.</returns>
    public bool SameVersion(ProbeIdentity other)
        => Plugin == other.Plugin && Version == other.Version && Build == other.Build && Generation == other.Generation;

    /// <inheritdoc/>
    public override string ToString() => $"{Plugin}@{Version} (build {Build}, generation {Generation}{(Freed ? ", freed" : "")})";
}
