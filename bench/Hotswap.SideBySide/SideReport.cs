using System.Globalization;
using System.Text.Json;

namespace Hotswap.SideBySide;

/// <summary>The side-by-side table: one row per measured thing, Hotswap and McMaster, and their ratio.</summary>
internal sealed class SideReport
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    /// <summary>Gets or sets the machine line.</summary>
    public string Machine { get; set; } = string.Empty;

    /// <summary>Gets or sets the load average when the run started.</summary>
    public string LoadAtStart { get; set; } = string.Empty;

    /// <summary>Gets or sets the load average when the run ended.</summary>
    public string LoadAtEnd { get; set; } = string.Empty;

    /// <summary>Adds a row whose two figures are numbers in one unit; the ratio is Hotswap / McMaster.</summary>
    /// <param name="what">What was measured.</param>
    /// <param name="unit">The unit (ns, ms, MiB, ...).</param>
    /// <param name="hotswap">Hotswap's figure.</param>
    /// <param name="mcmaster">McMaster's figure.</param>
    /// <param name="detail">How it was measured, in a few words.</param>
    public void Add(string what, string unit, double hotswap, double mcmaster, string detail)
        => _rows.Add(new Row(what, Format(hotswap, unit), Format(mcmaster, unit), mcmaster == 0 ? string.Empty : (hotswap / mcmaster).ToString("0.00", CultureInfo.InvariantCulture) + "x", detail, hotswap, mcmaster));

    /// <summary>Adds a row whose figures are text (counts, several numbers); no ratio.</summary>
    /// <param name="what">What was measured.</param>
    /// <param name="hotswap">Hotswap's figure.</param>
    /// <param name="mcmaster">McMaster's figure.</param>
    /// <param name="detail">How it was measured, in a few words.</param>
    public void AddText(string what, string hotswap, string mcmaster, string detail)
        => _rows.Add(new Row(what, hotswap, mcmaster, string.Empty, detail, null, null));

    /// <summary>Adds a note printed under the table.</summary>
    /// <param name="note">The note.</param>
    public void Note(string note) => _notes.Add(note);

    /// <summary>Writes the table as markdown.</summary>
    /// <param name="writer">Where to.</param>
    public void WriteText(TextWriter writer)
    {
        writer.WriteLine($"machine: {Machine}");
        writer.WriteLine($"load average: {LoadAtStart} at start, {LoadAtEnd} at end");
        writer.WriteLine();
        writer.WriteLine("| what | Hotswap | McMaster | ratio | how |");
        writer.WriteLine("|---|---:|---:|---:|---|");
        foreach (Row row in _rows)
        {
            writer.WriteLine($"| {row.What} | {row.Hotswap} | {row.McMaster} | {row.Ratio} | {row.Detail} |");
        }

        if (_notes.Count > 0)
        {
            writer.WriteLine();
            foreach (string note in _notes)
            {
                writer.WriteLine($"- {note}");
            }
        }
    }

    /// <summary>Writes the report as JSON.</summary>
    /// <param name="output">Where to.</param>
    public void WriteJson(Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("machine", Machine);
        json.WriteString("loadAtStart", LoadAtStart);
        json.WriteString("loadAtEnd", LoadAtEnd);
        json.WriteStartArray("rows");
        foreach (Row row in _rows)
        {
            json.WriteStartObject();
            json.WriteString("what", row.What);
            json.WriteString("hotswap", row.Hotswap);
            json.WriteString("mcmaster", row.McMaster);
            if (row.HotswapValue is double h && row.McMasterValue is double m)
            {
                json.WriteNumber("hotswapValue", h);
                json.WriteNumber("mcmasterValue", m);
            }

            json.WriteString("ratio", row.Ratio);
            json.WriteString("how", row.Detail);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("notes");
        foreach (string note in _notes)
        {
            json.WriteStringValue(note);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static string Format(double value, string unit) => unit switch
    {
        "ns" => value.ToString("0.00", CultureInfo.InvariantCulture) + " ns",
        "ms" => value.ToString(value < 10 ? "0.000" : "0.0", CultureInfo.InvariantCulture) + " ms",
        _ => value.ToString("0.0", CultureInfo.InvariantCulture) + " " + unit,
    };

    private sealed record Row(string What, string Hotswap, string McMaster, string Ratio, string Detail, double? HotswapValue, double? McMasterValue);
}
