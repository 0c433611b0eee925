using System.Text.RegularExpressions;

namespace Hotswap.Cli.Building;

/// <summary>
/// Collects the errors and warnings of MSBuild's console output, in its canonical form
/// <c>origin: error|warning CODE: message [project]</c>, where the origin is a file with an optional
/// <c>(line,col)</c> or a tool name (<c>CSC</c>, <c>MSBUILD</c>). A diagnostic MSBuild repeats (in its
/// summary, or once per target framework with the same project) is kept once.
/// </summary>
internal sealed partial class MSBuildDiagnostics
{
    private readonly List<string> _errors = [];
    private readonly List<string> _warnings = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>A diagnostic's severity, or none for any other line.</summary>
    public enum Kind
    {
        /// <summary>Not a diagnostic, or one seen before.</summary>
        None,

        /// <summary>A new error.</summary>
        Error,

        /// <summary>A new warning.</summary>
        Warning,
    }

    public IReadOnlyList<string> Errors => _errors;

    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Reads one line of output.</summary>
    /// <param name="line">The line, without its line break.</param>
    /// <returns>Whether it is a new error or warning; <see cref="Kind.None"/> for any other line and for a repeat.</returns>
    public Kind Add(string line)
    {
        string text = NodePrefix().Replace(AnsiEscape().Replace(line, ""), "").Trim();
        Match match = Canonical().Match(text);
        if (!match.Success)
        {
            return Kind.None;
        }

        if (!_seen.Add(text))
        {
            return Kind.None;
        }

        bool error = match.Groups["severity"].ValueSpan.Equals("error", StringComparison.OrdinalIgnoreCase);
        (error ? _errors : _warnings).Add(text);
        return error ? Kind.Error : Kind.Warning;
    }

    // origin: a path with an optional (line[,col[,endLine,endCol]]), or a tool name; then the severity, an optional code, and the message.
    [GeneratedRegex(@"^(?<origin>[^\s].*?)(?:\((?<location>[\d,\-]+)\))?\s*:\s*(?:[\w\s]*\s)?(?<severity>error|warning)(?:\s+(?<code>[A-Za-z]+\d*))?\s*:\s*(?<message>.*)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Canonical();

    // At normal verbosity and above, a line from a build node starts with the node's number: "  1>" or "1:7>".
    [GeneratedRegex(@"^\s*\d+(?::\d+)?>", RegexOptions.CultureInvariant)]
    private static partial Regex NodePrefix();

    [GeneratedRegex(@"\x1B\[[0-9;?]*[A-Za-z]", RegexOptions.CultureInvariant)]
    private static partial Regex AnsiEscape();
}
