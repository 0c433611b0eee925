using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Hotswap.Generators;

/// <summary>A source location as plain values: a <see cref="Location"/> holds its syntax tree, which a cached value must not.</summary>
/// <param name="FilePath">The source file's path.</param>
/// <param name="Span">The span in the file's text.</param>
/// <param name="Lines">The span as lines and columns.</param>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan Lines)
{
    /// <summary>Keeps the values of <paramref name="location"/>, when it is in source.</summary>
    /// <param name="location">The location, or <see langword="null"/>.</param>
    /// <returns>The values, or <see langword="null"/> when there is no source location.</returns>
    public static LocationInfo? From(Location? location)
        => location is { IsInSource: true }
            ? new LocationInfo(location.SourceTree?.FilePath ?? "", location.SourceSpan, location.GetLineSpan().Span)
            : null;

    /// <summary>Makes a location from the values again.</summary>
    /// <returns>The location.</returns>
    public Location ToLocation() => Location.Create(FilePath, Span, Lines);
}
