namespace Hotswap.Generators;

/// <summary>A property or an indexer to forward. Its getter holds the lease as a method returning <see cref="Type"/> would.</summary>
/// <param name="Face">The declaring interface.</param>
/// <param name="OnContract">Whether the declaring interface is the contract.</param>
/// <param name="Name">The property's name, escaped (unused for an indexer).</param>
/// <param name="Type">The property's type as written.</param>
/// <param name="IsIndexer">Whether it is an indexer (<c>this[...]</c>).</param>
/// <param name="Kind">How the getter holds the call's lease.</param>
/// <param name="ElementType">The element type when the property is a sequence; otherwise <see langword="null"/>.</param>
/// <param name="Parameters">The indexer's parameters; empty for a property.</param>
/// <param name="Attributes">The nullable-analysis attributes on the property.</param>
/// <param name="Getter">The getter, or <see langword="null"/> when the proxy does not implement one.</param>
/// <param name="Setter">The setter, or <see langword="null"/> when the proxy does not implement one.</param>
internal sealed record PropertyModel(
    string Face,
    bool OnContract,
    string Name,
    string Type,
    bool IsIndexer,
    ReturnKind Kind,
    string? ElementType,
    EquatableArray<ParameterModel> Parameters,
    EquatableArray<string> Attributes,
    AccessorModel? Getter,
    AccessorModel? Setter) : MemberModel(Face, OnContract);
