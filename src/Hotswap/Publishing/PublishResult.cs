namespace Hotswap;

/// <summary>The result of <see cref="PluginPublisher.PublishAsync"/>.</summary>
public sealed class PublishResult
{
    /// <summary>Initializes a new instance of the <see cref="PublishResult"/> class.</summary>
    /// <param name="manifest">The manifest written.</param>
    /// <param name="versionDirectory">The full path of the version folder.</param>
    /// <param name="activated">Whether <c>current</c> now names the version.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public PublishResult(PluginManifest manifest, string versionDirectory, bool activated)
        : this(manifest, versionDirectory, activated, unchanged: false)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PublishResult"/> class.</summary>
    /// <param name="manifest">The manifest written, or the current version's when <paramref name="unchanged"/>.</param>
    /// <param name="versionDirectory">The full path of the version folder.</param>
    /// <param name="activated">Whether <c>current</c> was flipped to the version.</param>
    /// <param name="unchanged">Whether nothing was published because the output equals the current version.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public PublishResult(PluginManifest manifest, string versionDirectory, bool activated, bool unchanged)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(versionDirectory);
        Manifest = manifest;
        VersionDirectory = versionDirectory;
        Activated = activated;
        Unchanged = unchanged;
    }

    /// <summary>Gets a value indicating whether nothing was published because the build output equals the current version (see <see cref="PublishOptions.SkipIfUnchanged"/>).</summary>
    public bool Unchanged { get; }

    /// <summary>Gets the manifest written.</summary>
    public PluginManifest Manifest { get; }

    /// <summary>Gets the version id: the name of the version folder.</summary>
    public string Version => Manifest.Version;

    /// <summary>Gets the full path of the version folder.</summary>
    public string VersionDirectory { get; }

    /// <summary>Gets a value indicating whether <c>current</c> now names the version.</summary>
    public bool Activated { get; }
}
