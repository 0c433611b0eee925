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
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(versionDirectory);
        Manifest = manifest;
        VersionDirectory = versionDirectory;
        Activated = activated;
    }

    /// <summary>Gets the manifest written.</summary>
    public PluginManifest Manifest { get; }

    /// <summary>Gets the version id: the name of the version folder.</summary>
    public string Version => Manifest.Version;

    /// <summary>Gets the full path of the version folder.</summary>
    public string VersionDirectory { get; }

    /// <summary>Gets a value indicating whether <c>current</c> now names the version.</summary>
    public bool Activated { get; }
}
