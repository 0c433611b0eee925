namespace Hotswap.Generators;

/// <summary>A property accessor the proxy implements.</summary>
/// <param name="Attributes">The nullable-analysis attributes to restate: on the getter's return value, or on the setter's <c>value</c>.</param>
internal sealed record AccessorModel(EquatableArray<string> Attributes);
