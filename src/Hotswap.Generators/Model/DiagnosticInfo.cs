using Microsoft.CodeAnalysis;

namespace Hotswap.Generators;

/// <summary>A diagnostic kept as plain values (no symbols, no syntax trees), so the pipeline can cache it; made a <see cref="Diagnostic"/> only when reported.</summary>
/// <param name="Descriptor">One of <see cref="Diagnostics"/>.</param>
/// <param name="Location">Where it points, or <see langword="null"/> for a contract with no source (declared in a referenced assembly).</param>
/// <param name="Arguments">The message's arguments.</param>
internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, LocationInfo? Location, EquatableArray<string> Arguments)
{
    /// <summary>Creates the diagnostic, keeping of <paramref name="location"/> only its values.</summary>
    /// <param name="descriptor">What is wrong.</param>
    /// <param name="location">Where; ignored unless it is in source.</param>
    /// <param name="arguments">The message's arguments.</param>
    /// <returns>The diagnostic.</returns>
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => new(descriptor, LocationInfo.From(location), new EquatableArray<string>(arguments));

    /// <summary>Makes the Roslyn diagnostic to report.</summary>
    /// <returns>The diagnostic.</returns>
    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Descriptor, Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, Arguments.ToArray());
}
