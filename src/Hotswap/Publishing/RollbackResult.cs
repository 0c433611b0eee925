namespace Hotswap;

/// <summary>The result of <see cref="PluginPublisher.Rollback"/>: which version <c>current</c> named before, and which it names now.</summary>
public sealed class RollbackResult
{
    /// <summary>Initializes a new instance of the <see cref="RollbackResult"/> class.</summary>
    /// <param name="pluginName">The plugin's name.</param>
    /// <param name="fromVersion">The version <c>current</c> named before the rollback.</param>
    /// <param name="toVersion">The version <c>current</c> names now: the one published before <paramref name="fromVersion"/>.</param>
    /// <param name="versionDirectory">The full path of <paramref name="toVersion"/>'s folder.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public RollbackResult(string pluginName, string fromVersion, string toVersion, string versionDirectory)
    {
        ArgumentNullException.ThrowIfNull(pluginName);
        ArgumentNullException.ThrowIfNull(fromVersion);
        ArgumentNullException.ThrowIfNull(toVersion);
        ArgumentNullException.ThrowIfNull(versionDirectory);
        PluginName = pluginName;
        FromVersion = fromVersion;
        ToVersion = toVersion;
        VersionDirectory = versionDirectory;
    }

    /// <summary>Gets the plugin's name: its folder under the plugins root.</summary>
    public string PluginName { get; }

    /// <summary>Gets the version id <c>current</c> named before the rollback.</summary>
    public string FromVersion { get; }

    /// <summary>Gets the version id <c>current</c> names now: the version folder published just before <see cref="FromVersion"/>.</summary>
    public string ToVersion { get; }

    /// <summary>Gets the full path of the version folder <c>current</c> names now.</summary>
    public string VersionDirectory { get; }
}
