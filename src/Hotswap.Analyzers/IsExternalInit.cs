namespace System.Runtime.CompilerServices;

/// <summary>Lets netstandard2.0 compile <see langword="init"/> accessors, and so the model's records.</summary>
internal static class IsExternalInit
{
}
