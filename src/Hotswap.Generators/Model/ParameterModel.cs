namespace Hotswap.Generators;

/// <summary>A parameter of a method or an indexer.</summary>
/// <param name="Name">The parameter's name, escaped.</param>
/// <param name="Type">The parameter's type as written.</param>
/// <param name="Modifier">How it is declared: <c>"ref "</c>, <c>"out "</c>, <c>"in "</c>, <c>"ref readonly "</c> or <c>""</c>.</param>
/// <param name="ArgumentModifier">How it is passed on: <c>"ref "</c>, <c>"out "</c>, <c>"in "</c> or <c>""</c>.</param>
/// <param name="IsScoped">Whether it is declared <see langword="scoped"/>.</param>
/// <param name="Attributes">The nullable-analysis attributes on the parameter.</param>
internal sealed record ParameterModel(string Name, string Type, string Modifier, string ArgumentModifier, bool IsScoped, EquatableArray<string> Attributes);
