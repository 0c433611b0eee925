namespace Hotswap.Generators;

/// <summary>A type parameter of a generic method.</summary>
/// <param name="Name">The type parameter's name, escaped.</param>
/// <param name="Constraint">What an explicit implementation restates of its constraints: <c>class</c>, <c>struct</c> or <c>default</c>.</param>
internal sealed record TypeParameterModel(string Name, string Constraint);
