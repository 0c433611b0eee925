namespace Hotswap;

/// <summary>The result of <see cref="PluginPublisher.VerifyRootAsync(string, CancellationToken)"/>: every version folder of every plugin under a plugins root, checked.</summary>
public sealed class RootVerificationResult
{
    /// <summary>Initializes a new instance of the <see cref="RootVerificationResult"/> class.</summary>
    /// <param name="pluginsRoot">The full path of the plugins root checked.</param>
    /// <param name="versions">The result of every version folder, by plugin then version.</param>
    /// <param name="currentProblems">Every <c>current</c> file that cannot be read or names no version folder.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public RootVerificationResult(string pluginsRoot, IReadOnlyList<VerificationResult> versions, IReadOnlyList<VerificationProblem> currentProblems)
    {
        ArgumentNullException.ThrowIfNull(pluginsRoot);
        ArgumentNullException.ThrowIfNull(versions);
        ArgumentNullException.ThrowIfNull(currentProblems);
        PluginsRoot = pluginsRoot;
        Versions = versions;
        CurrentProblems = currentProblems;
    }

    /// <summary>Gets the full path of the plugins root checked.</summary>
    public string PluginsRoot { get; }

    /// <summary>Gets the result of every version folder, ordered by plugin name then version id.</summary>
    public IReadOnlyList<VerificationResult> Versions { get; }

    /// <summary>Gets every <c>current</c> file that cannot be read or names no version folder, each naming the file.</summary>
    public IReadOnlyList<VerificationProblem> CurrentProblems { get; }

    /// <summary>Gets the number of problems found in all.</summary>
    public int ProblemCount => Versions.Sum(static v => v.Problems.Count) + CurrentProblems.Count;

    /// <summary>Gets a value indicating whether every version folder is intact and every <c>current</c> names one.</summary>
    public bool IsValid => ProblemCount == 0;
}
