namespace Hotswap;

/// <summary>What <see cref="IUnloadDiagnoser.DiagnoseAsync"/> is asked about.</summary>
public readonly struct UnloadDiagnosisArguments
{
    private readonly IReadOnlyList<PluginVersionInfo>? _versions;

    /// <summary>Initializes a new instance of the <see cref="UnloadDiagnosisArguments"/> struct.</summary>
    /// <param name="versions">The versions found stuck.</param>
    /// <exception cref="ArgumentNullException"><paramref name="versions"/> is <see langword="null"/>.</exception>
    public UnloadDiagnosisArguments(IReadOnlyList<PluginVersionInfo> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        _versions = versions;
    }

    /// <summary>
    /// Gets the versions found stuck together, at least one: each one's load context was unloaded and
    /// is still alive after <see cref="PluginHostOptions.UnloadTimeout"/>, or its <c>OnFreeAsync</c>
    /// never returned. None has been reported yet: the reports wait for the answer.
    /// </summary>
    public IReadOnlyList<PluginVersionInfo> Versions => _versions ?? [];
}
