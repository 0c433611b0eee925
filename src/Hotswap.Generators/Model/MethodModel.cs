namespace Hotswap.Generators;

/// <summary>A method to forward.</summary>
/// <param name="Face">The declaring interface.</param>
/// <param name="OnContract">Whether the declaring interface is the contract.</param>
/// <param name="Name">The method's name, escaped.</param>
/// <param name="ReturnType">The return type as written (<c>void</c> for none).</param>
/// <param name="Kind">How the proxy holds the call's lease.</param>
/// <param name="ElementType">The element type of a sequence (<see cref="ReturnKind.AsyncEnumerable"/>, <see cref="ReturnKind.Enumerable"/>, <see cref="ReturnKind.UntypedEnumerable"/>); otherwise <see langword="null"/>.</param>
/// <param name="TypeParameters">The method's type parameters.</param>
/// <param name="Parameters">The method's parameters.</param>
/// <param name="ReturnAttributes">The nullable-analysis attributes on the return value, restated on the implementation.</param>
internal sealed record MethodModel(
    string Face,
    bool OnContract,
    string Name,
    string ReturnType,
    ReturnKind Kind,
    string? ElementType,
    EquatableArray<TypeParameterModel> TypeParameters,
    EquatableArray<ParameterModel> Parameters,
    EquatableArray<string> ReturnAttributes) : MemberModel(Face, OnContract);
