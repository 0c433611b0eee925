using System.Text.Json;
using System.Text.Json.Nodes;
using Hotswap.Cli.Building;

namespace Hotswap.Cli;

/// <summary>
/// Human-readable progress on stdout (or nothing but one JSON document with --json); errors and
/// warnings on stderr, coloured only on a terminal (<see cref="TerminalColour"/>).
/// </summary>
internal sealed class CliOutput(bool json, TextWriter stdout, TextWriter stderr)
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };
    private readonly bool _colourOut = TerminalColour.For(stdout);
    private readonly bool _colourErr = TerminalColour.For(stderr);

    public bool Json { get; } = json;

    /// <summary>How much to show; <see cref="BuildVerbosity.Quiet"/> hides the progress steps.</summary>
    public BuildVerbosity Verbosity { get; init; } = BuildVerbosity.Minimal;

    /// <summary>One line as text, all on one line: a message that came with line breaks (an exception's) is joined with spaces.</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public void Line(string text)
    {
        if (!Json)
        {
            stdout.WriteLine(text);
        }
    }

    /// <summary>A line saying something succeeded, green on a terminal.</summary>
    public void Success(string text)
    {
        if (!Json)
        {
            stdout.WriteLine(_colourOut ? TerminalColour.Green + text + TerminalColour.Reset : text);
        }
    }

    public void Step(int step, int of, string text)
    {
        if (Verbosity > BuildVerbosity.Quiet)
        {
            Line($"[{step}/{of}] {text}");
        }
    }

    public void Error(string text) => stderr.WriteLine(_colourErr ? TerminalColour.Red + text + TerminalColour.Reset : text);

    public void Warning(string text) => stderr.WriteLine(_colourErr ? TerminalColour.Yellow + text + TerminalColour.Reset : text);

    /// <summary>A line of a build's own output, streamed at normal verbosity and above: on stdout, or on stderr with --json so stdout stays one document.</summary>
    public void BuildLine(string text) => (Json ? stderr : stdout).WriteLine(text);

    public void Document(JsonNode document)
    {
        if (Json)
        {
            stdout.WriteLine(document.ToJsonString(s_indented));
        }
    }

    /// <summary>
    /// Reports a failure: the message on stderr and, with --json, a document with <c>succeeded</c>
    /// false, <c>error</c> and <c>exitCode</c> (added to <paramref name="document"/>, the command's own
    /// fields, when given).
    /// </summary>
    /// <returns><paramref name="exitCode"/>.</returns>
    public int Fail(string message, int exitCode, JsonObject? document = null)
    {
        Error(message);
        document ??= [];
        document["succeeded"] = false;
        document["error"] = message;
        document["exitCode"] = exitCode;
        Document(document);
        return exitCode;
    }
}
