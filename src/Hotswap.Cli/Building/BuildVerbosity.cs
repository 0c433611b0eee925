namespace Hotswap.Cli.Building;

/// <summary>
/// How much of a build <c>build</c> and <c>watch</c> show, as <c>dotnet build --verbosity</c>: the
/// same level is passed to the <c>dotnet publish</c> they run.
/// </summary>
internal enum BuildVerbosity
{
    /// <summary>Errors only, and the outcome.</summary>
    Quiet,

    /// <summary>The default: progress, the build's warnings and errors, and the outcome.</summary>
    Minimal,

    /// <summary>The build's own output, streamed.</summary>
    Normal,

    /// <summary>The build's detailed output, streamed.</summary>
    Detailed,

    /// <summary>The build's diagnostic output, streamed.</summary>
    Diagnostic,
}
