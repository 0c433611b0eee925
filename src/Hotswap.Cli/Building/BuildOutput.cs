using System.Text;

namespace Hotswap.Cli.Building;

/// <summary>
/// Reads a build's output as it comes, keeps its distinct errors and warnings
/// (<see cref="MSBuildDiagnostics"/>) and shows what the verbosity asks for, as <c>dotnet build</c>
/// does: quiet shows nothing (errors come with the outcome), minimal each warning once, normal and
/// above every line. Errors are shown with the outcome at every verbosity.
/// </summary>
internal sealed class BuildOutput(CliOutput output, BuildVerbosity verbosity)
{
    private readonly MSBuildDiagnostics _diagnostics = new();
    private readonly StringBuilder _text = new();

    /// <summary>The MSBuild name of a verbosity.</summary>
    public static string MSBuildVerbosity(BuildVerbosity verbosity) => verbosity switch
    {
        BuildVerbosity.Quiet => "quiet",
        BuildVerbosity.Normal => "normal",
        BuildVerbosity.Detailed => "detailed",
        BuildVerbosity.Diagnostic => "diagnostic",
        _ => "minimal",
    };

    /// <summary>Reads one line of the build's output.</summary>
    /// <param name="line">The line.</param>
    public void Add(string line)
    {
        _text.AppendLine(line);
        MSBuildDiagnostics.Kind kind = _diagnostics.Add(line);
        if (verbosity >= BuildVerbosity.Normal)
        {
            output.BuildLine(line);
        }
        else if (verbosity == BuildVerbosity.Minimal && kind == MSBuildDiagnostics.Kind.Warning)
        {
            output.Warning(line.Trim());
        }
    }

    /// <summary>What the build printed, once it has ended.</summary>
    /// <param name="exitCode">The build's exit code.</param>
    /// <param name="what">The command, for a failure that printed no error.</param>
    /// <returns>The log: no errors when the build succeeded.</returns>
    public BuildLog Result(int exitCode, string what)
    {
        string text = _text.ToString();
        IReadOnlyList<string> errors = exitCode == 0 || _diagnostics.Errors.Count > 0
            ? _diagnostics.Errors
            : [$"{what} failed with exit code {exitCode}:", text.Trim()];
        return new BuildLog(exitCode, exitCode == 0 ? [] : errors, _diagnostics.Warnings, text);
    }
}
