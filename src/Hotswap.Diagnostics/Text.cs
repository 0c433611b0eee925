namespace Hotswap.Diagnostics;

/// <summary>Text helpers of the diagnosis.</summary>
internal static class Text
{
    /// <summary>Joins the lines of a message (an exception's, often several lines) into one.</summary>
    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
