using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Hotswap.Generators;

/// <summary>What the generator made of one contract: the proxy's source, or the reasons it made none. Compared by value.</summary>
internal sealed class ContractProxy : IEquatable<ContractProxy>
{
    public ContractProxy(string contractName, string proxyName, string? source, EquatableArray<DiagnosticInfo> diagnostics)
    {
        ContractName = contractName;
        ProxyName = proxyName;
        Source = source;
        Diagnostics = diagnostics;
    }

    /// <summary>Gets the contract's fully qualified name (<c>global::N.IX</c>).</summary>
    public string ContractName { get; }

    /// <summary>Gets the proxy's type name in <c>Hotswap.Generated</c>.</summary>
    public string ProxyName { get; }

    /// <summary>Gets the proxy's source, or <see langword="null"/> when a diagnostic prevents it.</summary>
    public string? Source { get; }

    public EquatableArray<DiagnosticInfo> Diagnostics { get; }

    public bool Equals(ContractProxy? other)
        => other is not null && ContractName == other.ContractName && ProxyName == other.ProxyName && Source == other.Source && Diagnostics.Equals(other.Diagnostics);

    public override bool Equals(object? obj) => Equals(obj as ContractProxy);

    public override int GetHashCode() => (ContractName.GetHashCode() * 31) + (Source?.GetHashCode() ?? 0);
}

/// <summary>A diagnostic kept as plain values (no symbols, no syntax trees), so the pipeline can cache it.</summary>
internal sealed class DiagnosticInfo : IEquatable<DiagnosticInfo>
{
    private readonly string _path;
    private readonly TextSpan _span;
    private readonly LinePositionSpan _lines;
    private readonly bool _hasLocation;

    public DiagnosticInfo(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        Descriptor = descriptor;
        Arguments = arguments;
        if (location is { IsInSource: true })
        {
            _hasLocation = true;
            _path = location.SourceTree?.FilePath ?? "";
            _span = location.SourceSpan;
            _lines = location.GetLineSpan().Span;
        }
        else
        {
            _path = "";
        }
    }

    public DiagnosticDescriptor Descriptor { get; }

    public string[] Arguments { get; }

    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(Descriptor, _hasLocation ? Location.Create(_path, _span, _lines) : Location.None, Arguments);

    public bool Equals(DiagnosticInfo? other)
        => other is not null && Descriptor.Id == other.Descriptor.Id && _path == other._path && _span == other._span
            && Arguments.SequenceEqual(other.Arguments);

    public override bool Equals(object? obj) => Equals(obj as DiagnosticInfo);

    public override int GetHashCode() => (Descriptor.Id.GetHashCode() * 31) + _span.GetHashCode();
}
