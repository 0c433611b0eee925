using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hotswap.Cli;

/// <summary>Human-readable progress on stdout (or nothing but one JSON document with --json); errors on stderr.</summary>
internal sealed class CliOutput(bool json, TextWriter stdout, TextWriter stderr)
{
    private static readonly JsonSerializerOptions s_indented = new() { WriteIndented = true };

    public bool Json { get; } = json;

    public void Line(string text)
    {
        if (!Json)
        {
            stdout.WriteLine(text);
        }
    }

    public void Step(int step, int of, string text) => Line($"[{step}/{of}] {text}");

    public void Error(string text) => stderr.WriteLine(text);

    public void Document(JsonNode document)
    {
        if (Json)
        {
            stdout.WriteLine(document.ToJsonString(s_indented));
        }
    }
}
