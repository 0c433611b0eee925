namespace Hotswap;

/// <summary>
/// One packed artifact: a zip archive of one version folder exactly as published, and the digest
/// that names it (see <see cref="FleetArtifacts"/> for both definitions).
/// </summary>
/// <param name="PluginName">The plugin's name, from the version folder's manifest.</param>
/// <param name="Version">The version id, from the version folder's manifest.</param>
/// <param name="Digest">
/// The lower-case hex SHA-256 of the version folder's manifest file (<c>plugin.json</c>) bytes: what a
/// fleet's desired record carries beside the artifact's URL.
/// </param>
/// <param name="Path">The full path of the archive written.</param>
public sealed record FleetArtifact(string PluginName, string Version, string Digest, string Path);
