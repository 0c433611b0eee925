using System.Text;

namespace Hotswap.Generators;

/// <summary>
/// Writes C# a line at a time at the current indentation (four spaces a level, <c>\n</c> line ends),
/// so the emitter says what to write and never counts spaces.
/// </summary>
internal sealed class SourceWriter
{
    private const int IndentSize = 4;

    private readonly StringBuilder _text = new();
    private int _indent;

    /// <summary>Writes <paramref name="line"/> at the current indentation; an empty line gets no indentation.</summary>
    /// <param name="line">The text, without its line end.</param>
    /// <returns>This writer.</returns>
    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * IndentSize).Append(line);
        }

        _text.Append('\n');
        return this;
    }

    /// <summary>Writes <c>{</c> and indents what follows.</summary>
    /// <returns>This writer.</returns>
    public SourceWriter OpenBlock()
    {
        Line("{");
        return Indent();
    }

    /// <summary>Unindents and writes <c>}</c>.</summary>
    /// <returns>This writer.</returns>
    public SourceWriter CloseBlock()
    {
        Unindent();
        return Line("}");
    }

    /// <summary>Indents the following lines one level more.</summary>
    /// <returns>This writer.</returns>
    public SourceWriter Indent()
    {
        _indent++;
        return this;
    }

    /// <summary>Indents the following lines one level less.</summary>
    /// <returns>This writer.</returns>
    public SourceWriter Unindent()
    {
        System.Diagnostics.Debug.Assert(_indent > 0, "Unindent without a matching Indent.");
        _indent--;
        return this;
    }

    /// <summary>Returns what was written.</summary>
    /// <returns>The source text.</returns>
    public override string ToString() => _text.ToString();
}
