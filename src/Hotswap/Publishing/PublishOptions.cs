namespace Hotswap;

/// <summary>Options of <see cref="PluginPublisher.PublishAsync"/>.</summary>
public sealed class PublishOptions
{
    /// <summary>Gets or sets the entry assembly's file name, relative to the build output.</summary>
    /// <value><see langword="null"/> by default: the assembly named like the build output's only <c>*.deps.json</c> file.</value>
    public string? EntryAssembly { get; set; }

    /// <summary>
    /// Gets the file names left out of the version folder, compared ignoring case: typically the
    /// assemblies the host shares (contracts and <c>Hotswap.Abstractions</c>), which the host provides anyway.
    /// </summary>
    /// <value>Empty by default. <c>Hotswap.Abstractions.dll</c> is always left out.</value>
    public ISet<string> ExcludeFiles { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the source commit recorded in the manifest.</summary>
    /// <value><see langword="null"/> by default.</value>
    public string? SourceCommit { get; set; }

    /// <summary>Gets or sets a value indicating whether to flip the plugin's <c>current</c> file to the new version.</summary>
    /// <value><see langword="true"/> by default.</value>
    public bool Activate { get; set; } = true;

    /// <summary>
    /// Gets or sets a value indicating whether to publish nothing when the build output is identical
    /// (same files, same SHA-256) to the version <c>current</c> names; the result then reports that
    /// version with <see cref="PublishResult.Unchanged"/> set, and no host reloads.
    /// </summary>
    /// <value><see langword="false"/> by default: every publish writes a new version folder.</value>
    public bool SkipIfUnchanged { get; set; }

    /// <summary>
    /// Gets or sets the private key that signs the manifest, as PEM (PKCS#8, as written by
    /// <see cref="PluginPublisher.CreateSigningKey"/> or <c>hotswap keygen</c>). The manifest is signed
    /// before it is first written, so a host never sees the version unsigned.
    /// </summary>
    /// <value><see langword="null"/> by default: the manifest is not signed.</value>
    public string? SigningKey { get; set; }

    /// <summary>Gets or sets the sequence number a signed manifest carries (docs/plugin-format.md, "Downgrades").</summary>
    /// <value>
    /// <see langword="null"/> by default: one more than the highest sequence of the plugin's version
    /// folders in the plugins root (1 for the first). Only used with <see cref="SigningKey"/>.
    /// </value>
    public long? Sequence { get; set; }

    /// <summary>Gets or sets the source of the build time recorded in the manifest and in the version id.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
