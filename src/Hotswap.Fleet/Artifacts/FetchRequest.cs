namespace Hotswap;

/// <summary>
/// One fetch's subject: the plugin and version asked for, the digest the desired record gives, and
/// the artifact's location as errors and logs name it. Builds the fetch's errors, so each one names
/// the plugin, the phase and the artifact.
/// </summary>
internal sealed class FetchRequest
{
    /// <summary>Initializes a new instance of the <see cref="FetchRequest"/> class.</summary>
    public FetchRequest(string pluginName, string version, Uri artifact, string digest)
    {
        PluginName = pluginName;
        Version = version;
        Artifact = artifact;
        Digest = digest;
        Url = Describe(artifact);
    }

    /// <summary>Gets the plugin asked for.</summary>
    public string PluginName { get; }

    /// <summary>Gets the version asked for.</summary>
    public string Version { get; }

    /// <summary>Gets the artifact's URL as given.</summary>
    public Uri Artifact { get; }

    /// <summary>Gets the digest the desired record gives.</summary>
    public string Digest { get; }

    /// <summary>
    /// Gets the artifact as errors and logs name it: a <c>file://</c> URL's local path; any other URL
    /// without its user info and query (an object store's signed URL carries its credential in the
    /// query, which must not reach a log or a NACK in etcd), with <c>?…</c> marking a query left out.
    /// </summary>
    public string Url { get; }

    /// <summary>An error of the fetch's own (download, archive, digest): phase <see cref="ReloadPhase.Fetch"/>, naming the artifact.</summary>
    public PluginLoadException Failure(string reason, Exception? innerException = null)
        => new(PluginName, ReloadPhase.Fetch, Url, reason, innerException);

    /// <summary>An error about one file: phase <paramref name="phase"/>, naming <paramref name="filePath"/>.</summary>
    public PluginLoadException Failure(ReloadPhase phase, string filePath, string reason, Exception? innerException = null)
        => new(PluginName, phase, filePath, reason, innerException);

    private static string Describe(Uri artifact)
    {
        if (artifact.IsFile)
        {
            return artifact.LocalPath;
        }

        string shown = artifact.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
        return artifact.Query.Length > 0 ? shown + "?…" : shown;
    }
}
