namespace Hotswap;

/// <summary>The result of <see cref="PluginPublisher.VerifyAsync(string, CancellationToken)"/>: every problem found in a version folder.</summary>
public sealed class VerificationResult
{
    /// <summary>Initializes a new instance of the <see cref="VerificationResult"/> class.</summary>
    /// <param name="versionDirectory">The version folder checked.</param>
    /// <param name="manifest">The manifest read, or <see langword="null"/> when it could not be read.</param>
    /// <param name="problems">Every problem found; empty when the folder is intact.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public VerificationResult(string versionDirectory, PluginManifest? manifest, IReadOnlyList<VerificationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(versionDirectory);
        ArgumentNullException.ThrowIfNull(problems);
        VersionDirectory = versionDirectory;
        Manifest = manifest;
        Problems = problems;
    }

    /// <summary>Gets the version folder checked.</summary>
    public string VersionDirectory { get; }

    /// <summary>Gets the manifest read, or <see langword="null"/> when it could not be read.</summary>
    public PluginManifest? Manifest { get; }

    /// <summary>Gets every problem found; empty when the folder is intact.</summary>
    public IReadOnlyList<VerificationProblem> Problems { get; }

    /// <summary>Gets a value indicating whether the folder is intact.</summary>
    public bool IsValid => Problems.Count == 0;
}
