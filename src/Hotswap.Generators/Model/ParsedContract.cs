namespace Hotswap.Generators;

/// <summary>
/// What the parser made of one contract: its model, or the diagnostics that say why it has none.
/// This is the value the incremental pipeline caches, so it holds only values compared by value
/// (no symbols, no syntax, no <see cref="Microsoft.CodeAnalysis.Location"/>).
/// </summary>
/// <param name="Name">The contract's fully qualified name (<c>global::N.IX</c>), which identifies it across the compilation and its references.</param>
/// <param name="Model">The contract, ready to emit; <see langword="null"/> when a diagnostic prevents a proxy.</param>
/// <param name="Diagnostics">The problems found, each with its location as plain values.</param>
internal sealed record ParsedContract(string Name, ContractModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
